package main

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func TestUnknownCommandFailsWithENOENT(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	b := offer(t, dir, request{Argv: []string{"no-such-command-here"}, Cwd: "/"})
	if got := b.failed(); got.Errno != "ENOENT" || !strings.Contains(got.Error, "no-such-command-here") {
		t.Fatalf("F %+v", got)
	}
}

func TestMissingCwdFailsWithENOENT(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	b := offer(t, dir, request{Argv: []string{"true"}, Cwd: "/no/such/home"})
	if got := b.failed(); got.Errno != "ENOENT" || !strings.Contains(got.Error, "/no/such/home") {
		t.Fatalf("F %+v", got)
	}
}

func TestEmptyArgvFailsWithEINVAL(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	if got := offer(t, dir, request{Cwd: "/"}).failed(); got.Errno != "EINVAL" {
		t.Fatalf("F %+v", got)
	}
}

func TestCommandRunsInCwdAsANewSession(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	req := sh(`pwd; read pid comm state ppid pgrp sid rest < /proc/$$/stat; echo "$$ $sid"`)
	req.Cwd = "/usr"
	got := runSession(t, dir, req)
	lines := strings.Split(strings.TrimSpace(string(got.stdout)), "\n")
	if len(lines) != 2 || lines[0] != "/usr" {
		t.Fatalf("output %q", got.stdout)
	}
	if ids := strings.Fields(lines[1]); len(ids) != 2 || ids[0] != ids[1] {
		t.Fatalf("pid and session id %q, want equal (setsid)", lines[1])
	}
}

func TestRequestEnvOverlaysTheAgentsOwn(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir, func(c *exec.Cmd) {
		c.Env = []string{"PATH=/usr/bin:/bin", "IAM_ROLE=from-container", "TERM=dumb", "LANG=C"}
	})
	req := sh(`echo "$IAM_ROLE|$TERM|$LANG|$LC_ALL"`)
	req.Env = []string{"TERM=xterm-256color", "LC_ALL=C.UTF-8", "not-an-entry"}
	got := runSession(t, dir, req)
	if want := "from-container|xterm-256color|C|C.UTF-8\n"; string(got.stdout) != want {
		t.Fatalf("env %q, want %q", got.stdout, want)
	}
}

func TestCommandIsFoundOnTheRequestsPath(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir, func(c *exec.Cmd) { c.Env = []string{"PATH=/nowhere"} })
	req := request{Argv: []string{"echo", "found"}, Env: []string{"PATH=/usr/bin:/bin"}, Cwd: "/"}
	if got := runSession(t, dir, req); string(got.stdout) != "found\n" {
		t.Fatalf("stdout %q", got.stdout)
	}
}

func TestCommandInheritsOnlyItsStdio(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	for _, tty := range []bool{false, true} {
		req := request{Argv: []string{"ls", "/proc/self/fd"}, TTY: tty, Cwd: "/"}
		got := runSession(t, dir, req)
		// ls's own directory handle is fd 3; anything more leaked from the agent.
		if fds := strings.Fields(string(got.stdout)); strings.Join(fds, " ") != "0 1 2 3" {
			t.Errorf("tty %v: open fds %q", tty, fds)
		}
	}
}

func TestSPidIsTheCommandsPid(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	b := offer(t, dir, sh("echo $$"))
	pid := b.started()
	if got := b.collect(); strings.TrimSpace(string(got.stdout)) != strconv.Itoa(pid) {
		t.Fatalf("S said %d, the command says %q", pid, got.stdout)
	}
}
