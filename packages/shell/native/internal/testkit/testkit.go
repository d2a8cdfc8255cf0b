// Package testkit is what the client's and the agent's tests share: each builds its own
// binary once and runs it as a real process, as sshd or Docker would. Only tests import
// it, so none of it ends up in a binary.
package testkit

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// RunWithBinary builds the package in the current directory (the one under test) as
// name, in a temporary directory others may enter (some tests run the binary as another
// uid), hands its path to set, runs the tests and removes it. It returns the exit code.
func RunWithBinary(m *testing.M, name string, set func(path string)) int {
	dir, err := os.MkdirTemp("", name+"-test-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err == nil {
		path := filepath.Join(dir, name)
		if err = build(path); err == nil {
			set(path)
		}
	}
	defer os.RemoveAll(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "building %s: %v\n", name, err)
		return 1
	}
	return m.Run()
}

// build compiles the package in the current directory with the go command that runs
// the tests (go test puts its own GOROOT/bin first in PATH), with the race detector when
// the tests have it.
func build(out string) error {
	args := []string{"build", "-o", out}
	env := os.Environ()
	if Race {
		args = append(args, "-race")
	} else {
		env = append(env, "CGO_ENABLED=0")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Env = env
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, output)
	}
	return nil
}

// ShortTempDir is a temporary directory with a short path: a socket's path must fit in
// 108 bytes, which t.TempDir's names (the test's name) do not always leave room for.
func ShortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// SyncBuffer collects a process's output while the test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor polls ok for up to 10 s, and fails the test naming what it waited for.
func WaitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
