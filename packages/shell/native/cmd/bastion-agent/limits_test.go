package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// pidsCgroup makes a fresh pids cgroup (v1 or v2), or skips the test when the machine
// has none it can use.
func pidsCgroup(t *testing.T) string {
	t.Helper()
	parent := "/sys/fs/cgroup/pids" // cgroup v1
	if _, err := os.Stat(filepath.Join(parent, "cgroup.procs")); err != nil {
		parent = "/sys/fs/cgroup" // cgroup v2, where the root must delegate pids
		controllers, err := os.ReadFile(filepath.Join(parent, "cgroup.controllers"))
		if err != nil || !strings.Contains(" "+string(controllers)+" ", " pids ") {
			t.Skip("no pids cgroup controller on this machine")
		}
		_ = os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+pids"), 0)
	}
	dir := filepath.Join(parent, "bastion-agent-test-"+randomID(t)[:8])
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a pids cgroup: %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}

func writeCgroup(t *testing.T, cgroup, file, value string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(cgroup, file), []byte(value), 0); err != nil {
		t.Fatal(err)
	}
}

// The container's PID limit is a pids cgroup, which counts threads as well as
// processes: at the limit, fork fails with EAGAIN, and so would the Go runtime's
// creation of a thread, which aborts the process.
func TestForkRefusedByThePIDLimitIsReportedAsEAGAINAndTheAgentLivesOn(t *testing.T) {
	cgroup := pidsCgroup(t)
	dir := shortTempDir(t)
	a := startAgent(t, dir)
	pid := strconv.Itoa(a.cmd.Process.Pid)
	writeCgroup(t, cgroup, "cgroup.procs", pid)
	current, err := os.ReadFile(filepath.Join(cgroup, "pids.current"))
	if err != nil {
		t.Fatal(err)
	}
	writeCgroup(t, cgroup, "pids.max", strings.TrimSpace(string(current)))

	for i := 0; i < 3; i++ {
		b := offer(t, dir, sh("exit 0"))
		if got := b.failed(); got.Errno != "EAGAIN" {
			t.Fatalf("F %+v, want errno EAGAIN", got)
		}
	}

	writeCgroup(t, cgroup, "pids.max", "max")
	if got := runSession(t, dir, sh("echo fine")); string(got.stdout) != "fine\n" || !a.alive() {
		t.Fatalf("after the limit was lifted: stdout %q, agent alive %v", got.stdout, a.alive())
	}
}
