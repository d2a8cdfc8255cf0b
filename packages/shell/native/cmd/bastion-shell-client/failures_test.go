package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
)

func assertBrokerUnavailable(t *testing.T, code int, stdout, stderr string) {
	t.Helper()
	if code != 125 || stdout != "" || stderr != msgBrokerUnavailable {
		t.Fatalf("exit %d, stdout %q, stderr %q; want the broker-unavailable message and 125", code, stdout, stderr)
	}
}

func TestMissingBrokerSocketMeansBrokerUnavailable(t *testing.T) {
	socket := filepath.Join(shortTempDir(t), "broker.sock")
	code, stdout, stderr := runClient(t, []string{"--socket", socket}, nil)
	assertBrokerUnavailable(t, code, stdout, stderr)
}

func TestBrokerSocketWithoutListenerMeansBrokerUnavailable(t *testing.T) {
	socket := filepath.Join(shortTempDir(t), "broker.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close() // the file stays; connecting to it is refused
	code, stdout, stderr := runClient(t, []string{"--socket", socket}, nil)
	assertBrokerUnavailable(t, code, stdout, stderr)
}

func TestBrokerSocketTheUserCannotOpenMeansBrokerUnavailable(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the client as another user")
	}
	b := newFakeBroker(t)
	if err := os.Chmod(b.socket, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runClient(t, []string{"--socket", b.socket}, nil, func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 4242, Gid: 4242}}
	})
	assertBrokerUnavailable(t, code, stdout, stderr)
}

func TestBrokerThatHangsUpAfterHelloMeansBrokerUnavailable(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil)
	hello, _ := b.greet()
	hello.conn.Close()
	assertBrokerUnavailable(t, c.wait(t), c.stdout.String(), c.stderr.String())
}

func TestBrokerThatNeverAnswersMeansBrokerUnavailableAfter10Seconds(t *testing.T) {
	t.Parallel()
	b := newFakeBroker(t)
	start := time.Now()
	c := startClient(t, []string{"--socket", b.socket}, nil)
	b.greet()
	code := c.wait(t)
	if elapsed := time.Since(start); elapsed < 9*time.Second || elapsed > 15*time.Second {
		t.Errorf("gave up after %v, want about 10s", elapsed)
	}
	assertBrokerUnavailable(t, code, c.stdout.String(), c.stderr.String())
}

func TestBrokerRefusalIsPassedThrough(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket, "-c", "ls"}, nil)
	hello, _ := b.greet()
	refusal := "bastion: You are not allowed to use this bastion. (BASTION_SHELL_NOT_ALLOWED)\n"
	hello.send(frame.Stderr, []byte(refusal))
	hello.exit(125)
	if code := c.wait(t); code != 125 || c.stderr.String() != refusal || c.stdout.String() != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, c.stdout.String(), c.stderr.String())
	}
}

func assertInternal(t *testing.T, c *runningClient) {
	t.Helper()
	if code := c.wait(t); code != 255 || c.stderr.String() != msgInternal {
		t.Fatalf("exit %d, stderr %q; want the internal-error message and 255", code, c.stderr.String())
	}
}

func TestConnectionLostWithoutXIsAnInternalError(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil)
	session, _ := b.login()
	session.send(frame.Stdout, []byte("partial"))
	session.conn.Close()
	assertInternal(t, c)
	if c.stdout.String() != "partial" {
		t.Fatalf("stdout %q", c.stdout.String())
	}
}

func TestUnknownFrameTypeIsAnInternalError(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil)
	session, _ := b.login()
	if _, err := session.conn.Write([]byte{'Z', 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	assertInternal(t, c)
}

func TestFrameTheClientNeverReceivesIsAnInternalError(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil)
	session, _ := b.login()
	session.send(frame.Kill, nil) // K is for the agent
	assertInternal(t, c)
}

func TestProofSocketThatRefusesIsAnInternalError(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil)
	hello, _ := b.greet()
	hello.sendJSON(frame.Prove, frame.ProvePayload{Path: filepath.Join(filepath.Dir(b.socket), "gone.sock")})
	assertInternal(t, c)
}

func TestExitCodeOutOfRangeIsAnInternalError(t *testing.T) {
	b := newFakeBroker(t)
	c := startClient(t, []string{"--socket", b.socket}, nil)
	session, _ := b.login()
	session.exit(256)
	assertInternal(t, c)
}
