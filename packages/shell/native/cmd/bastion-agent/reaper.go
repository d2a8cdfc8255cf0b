package main

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// reaper collects the exit status of every command the agent starts. It waits on
// SIGCHLD with wait4(-1, WNOHANG) rather than with one blocking wait per session: a
// blocked wait holds an OS thread, and threads count against the container's PID limit.
type reaper struct {
	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus
}

func startReaper() *reaper {
	r := &reaper{waiting: map[int]chan syscall.WaitStatus{}}
	sigchld := make(chan os.Signal, 1)
	signal.Notify(sigchld, syscall.SIGCHLD)
	go func() {
		for range sigchld {
			r.reap()
		}
	}()
	return r
}

// spawn runs fork under the reaper's lock, so that the child cannot be reaped before
// there is a channel for its status.
func (r *reaper) spawn(fork func() (int, error)) (int, <-chan syscall.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := fork()
	if err != nil {
		return 0, nil, err
	}
	exited := make(chan syscall.WaitStatus, 1)
	r.waiting[pid] = exited
	return pid, exited, nil
}

// reap collects every child that has exited. Signals coalesce, so one SIGCHLD may
// stand for several children.
func (r *reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if exited, ok := r.waiting[pid]; ok {
			exited <- status
			delete(r.waiting, pid)
		}
	}
}
