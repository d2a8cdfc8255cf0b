package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
	"bastion/shell/native/internal/tty"
)

// ptyClient is a client whose stdin, stdout and stderr are a pty, as under sshd with
// a TTY; the test holds the master, where the user's terminal would be.
type ptyClient struct {
	*runningClient
	master, slave *os.File
	screen        *syncBuffer // what the client wrote to the terminal
}

func startOnPty(t *testing.T, b *fakeBroker, size tty.Size) *ptyClient {
	t.Helper()
	return startOnPtyWith(t, b, size, nil, []string{"TERM=xterm"})
}

// startOnPtyWith is startOnPty with these arguments (after --socket) and environment.
func startOnPtyWith(t *testing.T, b *fakeBroker, size tty.Size, args []string, env []string) *ptyClient {
	t.Helper()
	master, slave, err := tty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	if err := tty.SetSize(master, size); err != nil {
		t.Fatal(err)
	}
	p := &ptyClient{master: master, slave: slave, screen: &syncBuffer{}}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.screen.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	p.runningClient = startClient(t, append([]string{"--socket", b.socket}, args...), env, func(cmd *exec.Cmd) {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	})
	return p
}

// modes is the pty's settings as stty reports them, e.g. "icanon" or "-echo".
func (p *ptyClient) modes(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command("stty", "-a", "-F", p.slave.Name()).Output()
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]bool{}
	for _, word := range strings.Fields(string(out)) {
		modes[word] = true
	}
	return modes
}

func (p *ptyClient) assertRaw(t *testing.T) {
	t.Helper()
	modes := p.modes(t)
	for _, mode := range []string{"-icanon", "-echo", "-isig", "-icrnl", "-opost"} {
		if !modes[mode] {
			t.Errorf("while the session runs, the terminal is not %s", mode)
		}
	}
}

func (p *ptyClient) assertRestored(t *testing.T) {
	t.Helper()
	modes := p.modes(t)
	for _, mode := range []string{"icanon", "echo", "isig", "icrnl", "opost"} {
		if !modes[mode] {
			t.Errorf("after the client, the terminal is not back to %s", mode)
		}
	}
}

func TestOnATerminalTTYIsAskedForWithItsSizeAndTheTerminalIsRestoredAfterX(t *testing.T) {
	b := newFakeBroker(t)
	p := startOnPty(t, b, tty.Size{Cols: 132, Rows: 43})
	session, req := b.login()
	if !req.TTY || req.Cols != 132 || req.Rows != 43 || req.Env["TERM"] != "xterm" {
		t.Fatalf("R tty %v %dx%d env %v", req.TTY, req.Cols, req.Rows, req.Env)
	}
	p.assertRaw(t)
	session.send(frame.Stdout, []byte("hello\n"))
	session.exit(3)
	if code := p.wait(t); code != 3 {
		t.Fatalf("exit %d", code)
	}
	p.assertRestored(t)
}

func TestKeysReachTheBrokerUncooked(t *testing.T) {
	b := newFakeBroker(t)
	p := startOnPty(t, b, tty.Size{Cols: 80, Rows: 24})
	session, _ := b.login()
	keys := []byte("a\x03\r\x1a\x04")
	if _, err := p.master.Write(keys); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for len(got) < len(keys) {
		f := session.read()
		if f.Type != frame.Stdin {
			t.Fatalf("got %v %q", f.Type, f.Payload)
		}
		got = append(got, f.Payload...)
	}
	if !bytes.Equal(got, keys) {
		t.Fatalf("keys arrived as %q, want %q", got, keys)
	}
	time.Sleep(50 * time.Millisecond)
	if p.screen.String() != "" {
		t.Fatalf("the terminal echoed %q locally", p.screen.String())
	}
	session.exit(0)
	p.wait(t)
}

func TestResizingTheTerminalSendsW(t *testing.T) {
	b := newFakeBroker(t)
	p := startOnPty(t, b, tty.Size{Cols: 80, Rows: 24})
	session, _ := b.login()
	// The kernel sends SIGWINCH to the client, the pty's foreground process.
	if err := tty.SetSize(p.master, tty.Size{Cols: 100, Rows: 30}); err != nil {
		t.Fatal(err)
	}
	f := session.read()
	var size frame.ResizePayload
	if f.Type != frame.Resize || f.DecodeJSON(&size) != nil || size != (frame.ResizePayload{Cols: 100, Rows: 30}) {
		t.Fatalf("got %v %q, want W 100x30", f.Type, f.Payload)
	}
	session.exit(0)
	p.wait(t)
}

func TestTerminalIsRestoredWhenASignalEndsTheClient(t *testing.T) {
	b := newFakeBroker(t)
	p := startOnPty(t, b, tty.Size{Cols: 80, Rows: 24})
	b.login()
	p.assertRaw(t)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 143 {
		t.Fatalf("exit %d, want 143", code)
	}
	p.assertRestored(t)
}

func TestTerminalIsRestoredBeforeTheMessageWhenTheConnectionIsLost(t *testing.T) {
	b := newFakeBroker(t)
	p := startOnPty(t, b, tty.Size{Cols: 80, Rows: 24})
	session, _ := b.login()
	session.conn.Close()
	if code := p.wait(t); code != 255 {
		t.Fatalf("exit %d, want 255", code)
	}
	p.assertRestored(t)
	// Restored first, so the message's newline is a proper one (opost, onlcr).
	want := strings.TrimSuffix(msgInternal, "\n") + "\r\n"
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(p.screen.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal shows %q, want %q", p.screen.String(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
