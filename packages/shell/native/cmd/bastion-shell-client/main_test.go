package main

import (
	"bastion/shell/native/internal/testkit"
	"os"
	"os/exec"
	"testing"
	"time"
)

// clientBinary is the real client, built once for the whole package: the tests run it
// as sshd does and play the broker.
var clientBinary string

func TestMain(m *testing.M) {
	os.Exit(testkit.RunWithBinary(m, "bastion-shell-client", func(path string) { clientBinary = path }))
}

func shortTempDir(t *testing.T) string { return testkit.ShortTempDir(t, "bc") }

// syncBuffer collects a process's output while the test reads it.
type syncBuffer = testkit.SyncBuffer

// runningClient is a started client process.
type runningClient struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	code           int
}

// startClient runs the client with args (after argv[0]) and env; configure may set
// its stdio or credentials. Unset stdio is /dev/null in, buffers out.
func startClient(t *testing.T, args []string, env []string, configure ...func(*exec.Cmd)) *runningClient {
	t.Helper()
	c := &runningClient{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(clientBinary, args...)
	c.cmd.Env = append(append([]string(nil), env...), testkit.RaceEnv...)
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	for _, fn := range configure {
		fn(c.cmd)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := c.cmd.Wait()
		c.code = 0
		if exit, ok := err.(*exec.ExitError); ok {
			c.code = exit.ExitCode()
		} else if err != nil {
			c.code = -1
		}
		close(c.done)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

// wait returns the client's exit code, failing the test if it does not end.
func (c *runningClient) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
		return c.code
	case <-time.After(20 * time.Second):
		t.Fatalf("the client did not exit; stderr %q", c.stderr.String())
		return 0
	}
}

// runClient runs the client to its end with no broker involvement.
func runClient(t *testing.T, args []string, env []string, configure ...func(*exec.Cmd)) (code int, stdout, stderr string) {
	t.Helper()
	c := startClient(t, args, env, configure...)
	code = c.wait(t)
	return code, c.stdout.String(), c.stderr.String()
}
