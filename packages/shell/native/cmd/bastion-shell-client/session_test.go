package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"bastion/shell/native/internal/frame"
)

func TestHelloClaimsTheCallersUidAndXsCodeIsTheExitCode(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket, "-c", "true"}, nil)
	hello, h := b.greet()
	if h.V != 1 || h.UID != os.Getuid() {
		t.Fatalf("H %+v, want v 1 and uid %d", h, os.Getuid())
	}
	hello.sendJSON(frame.Prove, frame.ProvePayload{Path: b.proofs})
	session := acceptOn(t, b.proof)
	if f := session.read(); f.Type != frame.Request {
		t.Fatalf("got %v, want R", f.Type)
	}
	session.exit(42)
	if code := c.wait(t); code != 42 {
		t.Fatalf("exit %d, want 42", code)
	}
	if c.stdout.String() != "" || c.stderr.String() != "" {
		t.Fatalf("the client printed %q / %q", c.stdout.String(), c.stderr.String())
	}
}

func TestOutputFramesReachFd1AndFd2ByteForByte(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil)
	session, _ := b.login()
	session.send(frame.Stdout, []byte("out\x00\xff\r\n"))
	session.send(frame.Stderr, []byte("\xfferr\x00"))
	session.send(frame.Stdout, nil)
	session.send(frame.Stdout, bytes.Repeat([]byte{0, 1, 0xfe, 0xff}, 100000))
	session.exit(0)
	if code := c.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	wantOut := append([]byte("out\x00\xff\r\n"), bytes.Repeat([]byte{0, 1, 0xfe, 0xff}, 100000)...)
	if got := c.stdout.String(); got != string(wantOut) {
		t.Errorf("stdout has %d bytes, want %d, or they differ", len(got), len(wantOut))
	}
	if got := c.stderr.String(); got != "\xfferr\x00" {
		t.Errorf("stderr %q", got)
	}
}

func TestStdinIsSentAsIsAndItsEndAsE(t *testing.T) {
	b := newFakeBroker(t)
	input := append([]byte("line\n\x00\xff"), bytes.Repeat([]byte("x"), 200000)...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := startClient(t, []string{"--socket", b.socket, "-c", "cat"}, nil, func(cmd *exec.Cmd) { cmd.Stdin = r })
	r.Close()
	go func() {
		_, _ = w.Write(input)
		w.Close()
	}()
	session, _ := b.login()
	var got []byte
	for {
		f := session.read()
		if f.Type == frame.StdinEOF {
			break
		}
		if f.Type != frame.Stdin || len(f.Payload) > 64<<10 {
			t.Fatalf("got %v with %d bytes", f.Type, len(f.Payload))
		}
		got = append(got, f.Payload...)
	}
	if !bytes.Equal(got, input) {
		t.Fatalf("stdin arrived as %d bytes, want %d, or they differ", len(got), len(input))
	}
	session.exit(0)
	c.wait(t)
}

func TestWithoutATerminalNoTTYIsAskedFor(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil)
	session, req := b.login()
	if req.TTY || req.Cols != 80 || req.Rows != 24 {
		t.Fatalf("R tty %v %dx%d, want no TTY and 80x24", req.TTY, req.Cols, req.Rows)
	}
	session.exit(0)
	c.wait(t)
}

func TestLoginShellNameInArgv0IsIgnored(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil, func(cmd *exec.Cmd) {
		cmd.Args[0] = "-bastion-shell"
	})
	session, req := b.login()
	if req.Command != nil {
		t.Fatalf("command %q, want an interactive login", *req.Command)
	}
	session.exit(5)
	if code := c.wait(t); code != 5 {
		t.Fatalf("exit %d", code)
	}
}
