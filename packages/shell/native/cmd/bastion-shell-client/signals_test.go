package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
)

func TestTerminatingSignalsEndTheClientWith128PlusTheSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		b := newFakeBroker(t)
		c := startClient(t, []string{"--socket", b.socket}, nil)
		session, _ := b.login()
		if err := c.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		session.expectClosed() // the broker learns at once
		if code := c.wait(t); code != 128+int(sig) || c.stderr.String() != "" {
			t.Errorf("%v: exit %d, stderr %q", sig, code, c.stderr.String())
		}
	}
}

func TestBrokenStdoutEndsTheClient(t *testing.T) {
	b := newFakeBroker(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := startClient(t, []string{"--socket", b.socket}, nil, func(cmd *exec.Cmd) { cmd.Stdout = w })
	w.Close()
	r.Close() // nobody reads the client's stdout any more
	session, _ := b.login()
	session.send(frame.Stdout, []byte("into the void"))
	session.expectClosed()
	if code := c.wait(t); code != 141 {
		t.Fatalf("exit %d, want 141", code)
	}
}

func TestClientDiesWithItsParent(t *testing.T) {
	b := newFakeBroker(t)
	// sh stands for sshd: it starts the client, says its pid, and waits.
	parent := exec.Command("sh", "-c", `"$0" --socket "$1" </dev/null >/dev/null 2>&1 & echo $!; wait`, clientBinary, b.socket)
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer parent.Wait()
	var line [32]byte
	n, _ := out.Read(line[:])
	pid, err := strconv.Atoi(strings.TrimSpace(string(line[:n])))
	if err != nil {
		t.Fatalf("client pid %q", line[:n])
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	session, _ := b.login()
	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	session.expectClosed()
	deadline := time.Now().Add(5 * time.Second)
	for processRuns(pid) {
		if time.Now().After(deadline) {
			t.Fatal("the client outlived its parent")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processRuns reports whether pid is alive and not a zombie.
func processRuns(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	end := strings.LastIndexByte(string(stat), ')')
	return end > 0 && !strings.HasPrefix(string(stat[end+1:]), " Z")
}
