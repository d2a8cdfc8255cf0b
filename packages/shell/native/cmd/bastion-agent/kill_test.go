package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
)

// running reports whether pid is a live process (a zombie has already died).
func running(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	end := strings.LastIndexByte(string(stat), ')')
	return end > 0 && !strings.HasPrefix(string(stat[end+1:]), " Z")
}

// sleepsUnder waits until the command's two sleeps run, and returns their pids.
func sleepsUnder(t *testing.T, root int) []int {
	t.Helper()
	var pids []int
	waitFor(t, "both sleeps to start", func() bool {
		pids = nil
		for _, p := range readProcs() {
			cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/cmdline")
			if p.ppid == root && strings.HasPrefix(string(cmdline), "sleep\x0010") {
				pids = append(pids, p.pid)
			}
		}
		return len(pids) == 2
	})
	return pids
}

func assertAllDead(t *testing.T, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for running(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d survived", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestKillEndsTheCommandAndItsChildrenAndStillSendsX(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	b := offer(t, dir, sh("sleep 101 & sleep 102"))
	root := b.started()
	sleeps := sleepsUnder(t, root)
	b.send(frame.Kill, nil)
	got := b.collect()
	if got.code != 137 {
		t.Fatalf("code %d, want 137", got.code)
	}
	assertAllDead(t, append(sleeps, root)...)
}

func TestClosingTheConnectionKillsTheSession(t *testing.T) {
	dir := shortTempDir(t)
	a := startAgent(t, dir)
	b := offer(t, dir, sh("sleep 103 & sleep 104"))
	root := b.started()
	sleeps := sleepsUnder(t, root)
	b.conn.Close()
	assertAllDead(t, append(sleeps, root)...)
	waitFor(t, "the agent to log the end", func() bool {
		return strings.Contains(a.stderr.String(), "pid "+strconv.Itoa(root)+" ended with code 137")
	})
}

func TestKillReachesAnOrphanThatStayedInTheSession(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	// The middle sh exits at once, so the sleep's parent is no longer in the tree;
	// the session id still names it.
	b := offer(t, dir, sh(`sh -c 'sleep 105 & echo $!'; sleep 106`))
	b.started()
	f := b.read()
	orphan, err := strconv.Atoi(strings.TrimSpace(string(f.Payload)))
	if f.Type != frame.Stdout || err != nil {
		t.Fatalf("got %v %q, want the orphan's pid", f.Type, f.Payload)
	}
	b.send(frame.Kill, nil)
	if got := b.collect(); got.code != 137 {
		t.Fatalf("code %d, want 137", got.code)
	}
	assertAllDead(t, orphan)
}

func TestKillAfterTheCommandExitedReleasesPipesHeldInTheBackground(t *testing.T) {
	dir := shortTempDir(t)
	startAgent(t, dir)
	b := offer(t, dir, sh("sleep 107 & echo started"))
	b.started()
	if f := b.read(); f.Type != frame.Stdout || string(f.Payload) != "started\n" {
		t.Fatalf("got %v %q", f.Type, f.Payload)
	}
	time.Sleep(200 * time.Millisecond) // sh has exited; the sleep still holds stdout
	b.send(frame.Kill, nil)
	if got := b.collect(); got.code != 0 {
		t.Fatalf("code %d, want sh's own 0", got.code)
	}
}
