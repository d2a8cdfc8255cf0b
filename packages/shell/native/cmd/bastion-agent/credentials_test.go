package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"bastion/shell/native/internal/frame"
)

func intp(n int) *int { return &n }

// needsRoot: these tests are about the agent as it runs in a container, as root.
func needsRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the agent runs as root in its container; run these tests as root")
	}
}

func TestARootAgentRunsTheCommandAsTheRequestedUserWithItsGroupsAndNoCapabilities(t *testing.T) {
	needsRoot(t)
	dir := shortTempDir(t)
	startAgent(t, dir)
	req := sh("id -u; id -g; id -G; grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status | grep -v Bnd")
	req.UID, req.GID, req.Groups = intp(nobody), intp(nobody), []int{nobody, 4242}
	got := runSession(t, dir, req)
	want := "65534\n65534\n65534 4242\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapAmb:\t0000000000000000\n"
	if got.code != 0 || string(got.stdout) != want {
		t.Fatalf("code %d, stdout %q, stderr %q; want %q", got.code, got.stdout, got.stderr, want)
	}
}

func TestARootAgentRefusesARequestThatNamesNoUserOrRoot(t *testing.T) {
	needsRoot(t)
	dir := shortTempDir(t)
	startAgent(t, dir)
	for _, uid := range []*int{nil, intp(0)} {
		req := sh("echo ran")
		req.UID, req.GID = uid, intp(0)
		if uid == nil {
			req.GID = nil
		}
		// Not through asTestUser: the request goes out as it is.
		ln, sock := listenSession(t, dir)
		b := acceptOnly(t, ln, sock)
		b.sendJSON(frame.Request, req)
		if got := b.failed(); got.Errno != "EPERM" {
			t.Fatalf("uid %v: F %+v, want errno EPERM", uid, got)
		}
	}
}

// The user's terminal and pipes are theirs, as sshd makes them: the command can reopen
// its own stdin and its terminal by name.
func TestARootAgentGivesTheUserTheirOwnPtyAndPipes(t *testing.T) {
	needsRoot(t)
	dir := shortTempDir(t)
	startAgent(t, dir)
	got := runSession(t, dir, sh("stat -c %u /proc/self/fd/0 /proc/self/fd/1; echo hi | cat /dev/stdin"))
	if got.code != 0 || string(got.stdout) != "65534\n65534\nhi\n" {
		t.Fatalf("pipes: code %d, stdout %q, stderr %q", got.code, got.stdout, got.stderr)
	}
	b := offer(t, dir, ttyRequest(80, 24, "sh", "-c", "stat -c %u $(tty); echo ok > $(tty)"))
	b.started()
	out := b.collect()
	if text := strings.ReplaceAll(string(out.stdout), "\r", ""); out.code != 0 || text != "65534\nok\n" {
		t.Fatalf("tty: code %d, output %q", out.code, out.stdout)
	}
}

// The broker starts the agent with --as-requested-user; an older agent, which would
// run commands as itself, root, exits on the unknown flag instead.
func TestTheAgentRunsWithTheFlagTheBrokerStartsItWith(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir, func(c *exec.Cmd) { c.Args = append(c.Args, "--as-requested-user") })
	if got := runSession(t, dir, sh("echo served")); string(got.stdout) != "served\n" {
		t.Fatalf("stdout %q", got.stdout)
	}
}
