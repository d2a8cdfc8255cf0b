package main

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// killRounds bounds how often the process table is read again for processes that
// were being forked while the previous round killed their parents.
const killRounds = 10

// killSession sends SIGKILL to the command and every process it started: its
// descendants by parent pid, and the members of its session (setsid made the command's
// pid the session id), which still holds those whose parent already died. The
// container's /proc shows only the container's processes. root is seeded only while
// it has not been reaped, since after that its pid could be reused.
func killSession(root int, rootAlive bool) {
	killed := map[int]bool{}
	for round := 0; round < killRounds; round++ {
		procs := readProcs()
		seeds := []int{}
		if rootAlive {
			seeds = append(seeds, root)
		}
		for pid := range killed {
			seeds = append(seeds, pid) // until gone, a killed process's fresh children still name it
		}
		fresh := 0
		for _, pid := range victims(procs, root, seeds) {
			if !killed[pid] {
				killed[pid] = true
				fresh++
				_ = syscall.Kill(pid, syscall.SIGKILL) // ESRCH: it is already gone
			}
		}
		if fresh == 0 {
			return
		}
	}
}

// proc is the part of /proc/<pid>/stat that killSession needs.
type proc struct {
	pid, ppid, sid int
}

// victims are the seeds, the processes in session sid, and all their descendants.
func victims(procs []proc, sid int, seeds []int) []int {
	children := map[int][]int{}
	chosen := map[int]bool{}
	queue := append([]int(nil), seeds...)
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p.pid)
		if p.sid == sid {
			queue = append(queue, p.pid)
		}
	}
	var out []int
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if chosen[pid] {
			continue
		}
		chosen[pid] = true
		out = append(out, pid)
		queue = append(queue, children[pid]...)
	}
	return out
}

// readProcs reads every process's parent and session from /proc. A process that exits
// while it is read is simply left out.
func readProcs() []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var procs []proc
	for _, entry := range entries {
		pid, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + entry.Name() + "/stat")
		if err != nil {
			continue
		}
		if p, ok := parseStat(pid, stat); ok {
			procs = append(procs, p)
		}
	}
	return procs
}

// parseStat reads ppid and session from a stat line, "pid (comm) state ppid pgrp
// session ...". comm may hold spaces and parentheses, so fields are counted from the
// last ')'.
func parseStat(pid int, stat []byte) (proc, bool) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return proc{}, false
	}
	fields := bytes.Fields(stat[end+1:])
	if len(fields) < 4 {
		return proc{}, false
	}
	ppid, err1 := strconv.Atoi(string(fields[1]))
	sid, err2 := strconv.Atoi(string(fields[3]))
	if err1 != nil || err2 != nil {
		return proc{}, false
	}
	return proc{pid: pid, ppid: ppid, sid: sid}, true
}
