package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
)

func TestSocketCreatedBeforeTheAgentStartedIsServed(t *testing.T) {
	dir := shortTempDir(t)
	ln, sock := listenSession(t, dir)
	startAgent(t, dir)
	b := accept(t, ln, sock, sh("echo early"))
	b.started()
	if got := b.collect(); string(got.stdout) != "early\n" {
		t.Fatalf("stdout %q", got.stdout)
	}
}

// bind(2) creates the file before listen(2), so a broker must not make a socket under
// its final name (the agent would be refused, and would ignore it). A hard link is a
// creation of a name that is ready at once.
func TestSocketLinkedUnderItsFinalNameIsServed(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	ready := filepath.Join(shortTempDir(t), "ready")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: ready, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	sock := filepath.Join(dir, randomID(t)+".sock")
	if err := os.Link(ready, sock); err != nil {
		t.Fatal(err)
	}
	b := accept(t, ln, sock, sh("echo linked"))
	b.started()
	if got := b.collect(); string(got.stdout) != "linked\n" {
		t.Fatalf("stdout %q", got.stdout)
	}
}

func TestTemporaryAndHiddenNamesAreIgnored(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	for _, name := range []string{".pending.tmp", "pending.tmp", ".hidden.sock", "plain"} {
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, name), Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		if err := ln.SetDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if conn, err := ln.Accept(); err == nil {
			conn.Close()
			t.Errorf("the agent connected to %s", name)
		}
	}
}

func TestTwoConcurrentSessionsKeepTheirOwnStreams(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	first := offer(t, dir, sh(`read line; echo "first: $line"`))
	first.started()
	second := offer(t, dir, sh(`read line; echo "second: $line"`))
	second.started()
	second.send(frame.Stdin, []byte("two\n"))
	first.send(frame.Stdin, []byte("one\n"))
	if got := second.collect(); string(got.stdout) != "second: two\n" {
		t.Errorf("second: %q", got.stdout)
	}
	if got := first.collect(); string(got.stdout) != "first: one\n" {
		t.Errorf("first: %q", got.stdout)
	}
}

func TestManySessionsAtOnceAllComplete(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := offer(t, dir, sh("echo $$"))
			b.started()
			if got := b.collect(); got.code != 0 || len(got.stdout) == 0 {
				t.Errorf("code %d, stdout %q", got.code, got.stdout)
			}
		}()
	}
	wg.Wait()
}

// expectClosed checks that the agent hung up without sending anything.
func (b *brokerConn) expectClosed() {
	b.t.Helper()
	if f, err := frame.Read(b.conn); err == nil {
		b.t.Fatalf("got %v %q, want the connection closed", f.Type, f.Payload)
	}
}

func TestBrokenSessionsDoNotStopTheAgent(t *testing.T) {
	dir := shortTempDir(t)
	a := startAgent(t, dir)

	// A broker that hangs up before R.
	ln, sock := listenSession(t, dir)
	acceptOnly(t, ln, sock).conn.Close()

	// A first frame that is not R, and R that is not JSON.
	for _, raw := range [][]byte{{'0', 0, 0, 0, 1, 'x'}, {'R', 0, 0, 0, 1, '['}} {
		ln, sock := listenSession(t, dir)
		b := acceptOnly(t, ln, sock)
		if _, err := b.conn.Write(raw); err != nil {
			t.Fatal(err)
		}
		b.expectClosed()
	}

	// A frame type nobody knows, in a running session: the session is over, and its
	// command dies with it.
	b := offer(t, dir, sh("sleep 108"))
	root := b.started()
	if _, err := b.conn.Write([]byte{'Z', 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	b.expectClosed()
	assertAllDead(t, root)

	// A socket nobody listens on any more.
	stale, _ := listenSession(t, dir)
	stale.Close()

	if got := runSession(t, dir, sh("exit 7")); got.code != 7 || !a.alive() {
		t.Fatalf("after broken sessions: code %d, agent alive %v", got.code, a.alive())
	}
}

func TestAgentExitsWithOneLineWhenItCannotWatchItsDirectory(t *testing.T) {
	missing := filepath.Join(shortTempDir(t), "missing")
	cmd := exec.Command(agentBinary, "--dir", missing)
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() == 0 {
		t.Fatalf("exit: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "cannot watch "+missing) {
		t.Fatalf("stderr %q", out)
	}
}

func TestAgentExitsWhenItsDirectoryIsRemoved(t *testing.T) {
	dir := shortTempDir(t)
	watched := filepath.Join(dir, "agent")
	if err := os.Mkdir(watched, 0o755); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, watched)
	if err := os.Remove(watched); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the agent to exit", func() bool { return !a.alive() })
	if !strings.Contains(a.stderr.String(), "cannot watch "+watched) {
		t.Fatalf("stderr %q", a.stderr.String())
	}
}
