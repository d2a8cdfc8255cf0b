package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
	"bastion/shell/native/internal/tty"
)

func TestAskReasonOnlyForAnInteractiveLoginOnATerminalThatBroughtNone(t *testing.T) {
	cmd, given := "ls", "INC-1"
	cases := []struct {
		name string
		mode string
		req  request
		want bool
	}{
		{"optional, interactive on a terminal", "optional", request{TTY: true}, true},
		{"required, interactive on a terminal", "required", request{TTY: true}, true},
		{"off", "off", request{TTY: true}, false},
		{"an older broker names no mode", "", request{TTY: true}, false},
		{"an unknown mode", "always", request{TTY: true}, false},
		{"no terminal", "required", request{}, false},
		{"a command on a terminal", "required", request{TTY: true, Command: &cmd}, false},
		{"BASTION_REASON given", "required", request{TTY: true, Reason: &given}, false},
	}
	for _, c := range cases {
		if got := askReason(c.mode, c.req); got != c.want {
			t.Errorf("%s: askReason %v, want %v", c.name, got, c.want)
		}
	}
}

func TestBastionReasonTravelsAsReasonAndNoOtherNewVariableDoes(t *testing.T) {
	req := requestFor(t, []string{"-c", "true"}, []string{
		"BASTION_REASON=INC-123 pods crash", "BASTION_REASON_X=other", "XBASTION_REASON=x",
		"LD_PRELOAD=/tmp/evil.so", "LANG=C.UTF-8",
	})
	if req.Reason == nil || *req.Reason != "INC-123 pods crash" {
		t.Fatalf("reason %v, want INC-123 pods crash", req.Reason)
	}
	if want := map[string]string{"LANG": "C.UTF-8"}; !reflect.DeepEqual(req.Env, want) {
		t.Fatalf("env %v, want %v", req.Env, want)
	}
}

func TestAReasonWithAnEscapeIsSentAsIsForTheBrokerToRefuse(t *testing.T) {
	req := requestFor(t, []string{"-c", "true"}, []string{"BASTION_REASON=INC-1 \x1b[2J"})
	if req.Reason == nil || *req.Reason != "INC-1 \x1b[2J" {
		t.Fatalf("reason %q", derefOr(req.Reason, "<absent>"))
	}
}

func TestAnEmptyOrMissingBastionReasonSendsNoReasonKey(t *testing.T) {
	for _, env := range [][]string{{"BASTION_REASON="}, nil} {
		b := newFakeBroker(t)
		c := startClient(t, []string{"--socket", b.socket, "-c", "true"}, env)
		hello, _ := b.greet()
		hello.sendJSON(frame.Prove, frame.ProvePayload{Path: b.proofs})
		session := acceptOn(t, b.proof)
		f := session.read()
		if f.Type != frame.Request || strings.Contains(string(f.Payload), `"reason"`) {
			t.Fatalf("env %v: R %q has a reason key", env, f.Payload)
		}
		session.exit(0)
		c.wait(t)
	}
}

func derefOr(s *string, or string) string {
	if s == nil {
		return or
	}
	return *s
}

// answer runs promptReason on a pipe, feeding it lines, and returns what it printed.
func answer(t *testing.T, mode string, lines []string, closeAfter bool, timeout time.Duration) (reason *string, answered bool, printed string) {
	t.Helper()
	in, feed := io.Pipe()
	out := &syncBuffer{}
	go func() {
		for _, l := range lines {
			if _, err := feed.Write([]byte(l)); err != nil {
				return
			}
		}
		if closeAfter {
			feed.Close()
		}
	}()
	t.Cleanup(func() { feed.Close() })
	reason, answered = promptReason(in, out, mode, timeout)
	return reason, answered, out.String()
}

func TestThePromptTrimsTheAnswer(t *testing.T) {
	reason, answered, printed := answer(t, "optional", []string{"  INC-9 disk full \n"}, false, 5*time.Second)
	if !answered || derefOr(reason, "<none>") != "INC-9 disk full" {
		t.Fatalf("reason %q answered %v", derefOr(reason, "<none>"), answered)
	}
	if printed != reasonPromptOptional {
		t.Fatalf("printed %q, want the optional prompt once", printed)
	}
}

func TestAnOptionalPromptSkipsOnEnter(t *testing.T) {
	reason, answered, _ := answer(t, "optional", []string{"\n"}, false, 5*time.Second)
	if !answered || reason != nil {
		t.Fatalf("reason %q answered %v, want none", derefOr(reason, "<none>"), answered)
	}
}

func TestARequiredPromptAsksAgainOnEnter(t *testing.T) {
	reason, answered, printed := answer(t, "required", []string{"\n", "   \n", "INC-2\n"}, false, 5*time.Second)
	if !answered || derefOr(reason, "<none>") != "INC-2" {
		t.Fatalf("reason %q answered %v", derefOr(reason, "<none>"), answered)
	}
	if printed != strings.Repeat(reasonPromptRequired, 3) {
		t.Fatalf("printed %q, want the prompt three times", printed)
	}
}

func TestEndOfInputAtThePromptGivesNoReason(t *testing.T) {
	reason, answered, _ := answer(t, "required", nil, true, 5*time.Second)
	if !answered || reason != nil {
		t.Fatalf("reason %q answered %v, want none", derefOr(reason, "<none>"), answered)
	}
	reason, _, _ = answer(t, "required", []string{"INC-3 without newline"}, true, 5*time.Second)
	if derefOr(reason, "<none>") != "INC-3 without newline" {
		t.Fatalf("reason %q: a last line without newline still counts", derefOr(reason, "<none>"))
	}
}

func TestNoAnswerInTimeIsNoAnswer(t *testing.T) {
	start := time.Now()
	if _, answered, _ := answer(t, "optional", nil, false, 100*time.Millisecond); answered {
		t.Fatal("answered without an answer")
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the timeout did not hold")
	}
}

// waitScreen waits until the terminal shows want.
func waitScreen(t *testing.T, p *ptyClient, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.screen.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal shows %q, want %q", p.screen.String(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAnInteractiveLoginIsAskedInCookedModeAndTheAnswerIsTheReason(t *testing.T) {
	b := newFakeBroker(t)
	p := startOnPtyWith(t, b, tty.Size{Cols: 80, Rows: 24}, nil, []string{"TERM=xterm"})
	done := make(chan struct{})
	var session *brokerConn
	var req clientRequest
	go func() { session, req = b.loginAsking("required"); close(done) }()
	waitScreen(t, p, reasonPromptRequired)
	modes := p.modes(t)
	for _, mode := range []string{"icanon", "echo", "isig"} {
		if !modes[mode] {
			t.Errorf("at the prompt, the terminal is not %s: the kernel's line editing must work", mode)
		}
	}
	// A typo, erased with the terminal's own backspace, as a person would.
	if _, err := p.master.Write([]byte("INC-7 x\x7fcert expired\r")); err != nil {
		t.Fatal(err)
	}
	<-done
	if derefOr(req.Reason, "<none>") != "INC-7 cert expired" || !req.TTY || req.Command != nil {
		t.Fatalf("R reason %q tty %v command %v", derefOr(req.Reason, "<none>"), req.TTY, req.Command)
	}
	p.assertRaw(t)
	session.exit(0)
	p.wait(t)
	p.assertRestored(t)
}

func TestNoPromptWhenBastionReasonIsSetOrTheBrokerDoesNotAsk(t *testing.T) {
	for _, c := range []struct {
		mode string
		env  []string
		want *string
	}{
		{"required", []string{"TERM=xterm", "BASTION_REASON=INC-8"}, strPtr("INC-8")},
		{"off", []string{"TERM=xterm"}, nil},
		{"", []string{"TERM=xterm"}, nil},
	} {
		b := newFakeBroker(t)
		p := startOnPtyWith(t, b, tty.Size{Cols: 80, Rows: 24}, nil, c.env)
		session, req := b.loginAsking(c.mode)
		if !reflect.DeepEqual(req.Reason, c.want) {
			t.Errorf("mode %q env %v: reason %q", c.mode, c.env, derefOr(req.Reason, "<none>"))
		}
		session.exit(0)
		p.wait(t)
		if strings.Contains(p.screen.String(), "Reason") {
			t.Errorf("mode %q env %v: the terminal shows a prompt: %q", c.mode, c.env, p.screen.String())
		}
	}
}

func TestACommandOnATerminalIsNeverAsked(t *testing.T) {
	b := newFakeBroker(t)
	p := startOnPtyWith(t, b, tty.Size{Cols: 80, Rows: 24}, []string{"-c", "top"}, []string{"TERM=xterm"})
	session, req := b.loginAsking("required")
	if req.Reason != nil || req.Command == nil || !req.TTY {
		t.Fatalf("R reason %q command %v tty %v", derefOr(req.Reason, "<none>"), req.Command, req.TTY)
	}
	session.exit(0)
	p.wait(t)
	if strings.Contains(p.screen.String(), "Reason") {
		t.Fatalf("the terminal shows a prompt: %q", p.screen.String())
	}
}

func strPtr(s string) *string { return &s }
