package main

import (
	"bastion/shell/native/internal/testkit"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// agentBinary is the real agent, built once for the whole package: the tests run it as
// a process, as Docker does, and play the broker.
var agentBinary string

func TestMain(m *testing.M) {
	os.Exit(testkit.RunWithBinary(m, "bastion-agent", func(path string) { agentBinary = path }))
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer = testkit.SyncBuffer

type runningAgent struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
}

// startAgent runs the agent on dir and waits until it watches it. configure may adjust
// the command before it starts (to run it as another user, say).
func startAgent(t *testing.T, dir string, configure ...func(*exec.Cmd)) *runningAgent {
	t.Helper()
	a := &runningAgent{stderr: &syncBuffer{}, done: make(chan struct{})}
	a.cmd = exec.Command(agentBinary, "--dir", dir)
	a.cmd.Stderr = a.stderr
	for _, fn := range configure {
		fn(a.cmd)
	}
	if a.cmd.Env == nil {
		a.cmd.Env = os.Environ()
	}
	a.cmd.Env = append(a.cmd.Env, testkit.RaceEnv...)
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = a.cmd.Wait()
		close(a.done)
	}()
	t.Cleanup(func() {
		_ = a.cmd.Process.Kill()
		<-a.done
		if t.Failed() {
			t.Logf("agent's stderr:\n%s", a.stderr.String())
		}
	})
	waitFor(t, "the agent to watch its directory", func() bool {
		return strings.Contains(a.stderr.String(), "watching "+dir)
	})
	return a
}

// alive reports whether the agent process is still running.
func (a *runningAgent) alive() bool {
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

func waitFor(t *testing.T, what string, ok func() bool) { testkit.WaitFor(t, what, ok) }

func shortTempDir(t *testing.T) string { return testkit.ShortTempDir(t, "ba") }
