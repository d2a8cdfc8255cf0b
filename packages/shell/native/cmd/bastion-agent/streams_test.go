package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"testing"

	"bastion/shell/native/internal/frame"
)

func TestStdoutAndStderrArriveSeparatelyAndByteExact(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	got := runSession(t, dir, sh(`printf '\000out\377\n'; printf '\377err\000' >&2`))
	if want := []byte("\x00out\xff\n"); !bytes.Equal(got.stdout, want) {
		t.Errorf("stdout %q, want %q", got.stdout, want)
	}
	if want := []byte("\xfferr\x00"); !bytes.Equal(got.stderr, want) {
		t.Errorf("stderr %q, want %q", got.stderr, want)
	}
}

func TestMegabytesOfBinaryStdinComeBackThroughCatUnchanged(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	input := make([]byte, 8<<20+12345)
	if _, err := rand.Read(input); err != nil {
		t.Fatal(err)
	}
	b := offer(t, dir, request{Argv: []string{"cat"}, Cwd: "/"})
	b.started()
	// The agent stops reading cat's output while this side is busy writing, so the
	// input must go from its own goroutine.
	sent := make(chan error, 1)
	go func() {
		for rest := input; len(rest) > 0; {
			n := 64 << 10
			if n > len(rest) {
				n = len(rest)
			}
			if err := frame.Write(b.conn, frame.Stdin, rest[:n]); err != nil {
				sent <- err
				return
			}
			rest = rest[n:]
		}
		sent <- frame.Write(b.conn, frame.StdinEOF, nil)
	}()
	got := b.collect()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if got.code != 0 || len(got.stderr) != 0 {
		t.Fatalf("code %d, stderr %q", got.code, got.stderr)
	}
	if sha256.Sum256(got.stdout) != sha256.Sum256(input) {
		t.Fatalf("%d bytes came back for %d sent, and they differ", len(got.stdout), len(input))
	}
}

func TestStdinEOFEndsCat(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	b := offer(t, dir, request{Argv: []string{"cat"}, Cwd: "/"})
	b.started()
	b.send(frame.Stdin, []byte("one line\n"))
	b.send(frame.StdinEOF, nil)
	got := b.collect()
	if got.code != 0 || string(got.stdout) != "one line\n" {
		t.Fatalf("code %d, stdout %q", got.code, got.stdout)
	}
}

func TestOutputLeftInThePipesAfterExitIsStillSent(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	// The background writer outlives sh; the agent reads the pipes to their end, as sshd does.
	got := runSession(t, dir, sh(`(sleep 0.3; echo late) & echo early; exit 3`))
	if got.code != 3 || !strings.Contains(string(got.stdout), "early\nlate\n") {
		t.Fatalf("code %d, stdout %q", got.code, got.stdout)
	}
}
