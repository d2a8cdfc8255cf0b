package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
)

func ttyRequest(cols, rows int, argv ...string) request {
	return request{Argv: argv, TTY: true, Cols: cols, Rows: rows, Cwd: "/"}
}

func TestWithATTYTheCommandIsOnAPtyOfItsOwn(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	got := runSession(t, dir, ttyRequest(100, 33, "tty"))
	if got.code != 0 || !regexp.MustCompile(`^/dev/pts/[0-9]+\r\n$`).Match(got.stdout) {
		t.Fatalf("code %d, stdout %q", got.code, got.stdout)
	}
}

func TestWithATTYTheCommandSeesTheRequestedSize(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	got := runSession(t, dir, ttyRequest(100, 33, "stty", "size"))
	if string(got.stdout) != "33 100\r\n" {
		t.Fatalf("stty size said %q, want rows 33 cols 100", got.stdout)
	}
}

func TestWithATTYStderrTravelsAsStdout(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	got := runSession(t, dir, ttyRequest(80, 24, "sh", "-c", "echo oops >&2; exit 4"))
	if got.code != 4 || string(got.stdout) != "oops\r\n" || len(got.stderr) != 0 {
		t.Fatalf("code %d, stdout %q, stderr %q", got.code, got.stdout, got.stderr)
	}
}

// readUntil reads output frames until the collected stdout contains want.
func readUntil(t *testing.T, b *brokerConn, want string) string {
	t.Helper()
	var out bytes.Buffer
	for !strings.Contains(out.String(), want) {
		f := b.read()
		if f.Type != frame.Stdout {
			t.Fatalf("got %v %q while waiting for %q in %q", f.Type, f.Payload, want, out.String())
		}
		out.Write(f.Payload)
	}
	return out.String()
}

func TestResizeChangesTheSizeTheCommandSees(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	// A trapped SIGWINCH may interrupt `read` (dash returns from it), so it reads again
	// until the line comes: stty runs only after "go", never alongside "winched".
	b := offer(t, dir, ttyRequest(100, 33, "sh", "-c", `trap 'echo winched' WINCH; echo ready; until read line; do :; done; stty size`))
	b.started()
	readUntil(t, b, "ready")
	b.sendJSON(frame.Resize, frame.ResizePayload{Cols: 120, Rows: 40})
	readUntil(t, b, "winched") // the kernel told the command with SIGWINCH
	b.send(frame.Stdin, []byte("go\r"))
	got := b.collect()
	if got.code != 0 || !strings.Contains(string(got.stdout), "40 120\r\n") {
		t.Fatalf("code %d, output %q, want stty size 40 120", got.code, got.stdout)
	}
}

func TestWithATTYStdinEOFIsIgnored(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	b := offer(t, dir, ttyRequest(80, 24, "sh", "-c", `read line; echo "got $line"`))
	b.started()
	b.send(frame.StdinEOF, nil)
	time.Sleep(100 * time.Millisecond)
	b.send(frame.Stdin, []byte("still here\r"))
	got := b.collect()
	if got.code != 0 || !strings.Contains(string(got.stdout), "got still here") {
		t.Fatalf("code %d, output %q", got.code, got.stdout)
	}
}

func TestWithATTYABackgroundProcessHoldingThePtyDoesNotHoldBackX(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	start := time.Now()
	got := runSession(t, dir, ttyRequest(80, 24, "sh", "-c", "sleep 30 & echo bye"))
	if got.code != 0 || !strings.Contains(string(got.stdout), "bye") {
		t.Fatalf("code %d, output %q", got.code, got.stdout)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("X came after %v", elapsed)
	}
}
