package main

import (
	"os"
	"runtime"
	"sync"
)

// reservedThreads is how many idle OS threads the agent keeps for later.
const reservedThreads = 8

// reserveThreads readies the agent for a full PID limit. The container's pids cgroup
// counts threads too, and when the Go runtime cannot create one it aborts the whole
// process, which would stop the container with every session in it. So the agent
// stays on few threads (an I/O relay needs little parallelism) and creates them up
// front, while there is room: the runtime never ends an idle thread, it reuses it.
func reserveThreads() {
	if os.Getenv("GOMAXPROCS") == "" && runtime.NumCPU() > 2 {
		runtime.GOMAXPROCS(2)
	}
	// A goroutine that is locked to its thread and blocks makes the scheduler start
	// another thread for everyone else; n of them leave n threads behind.
	var started, release sync.WaitGroup
	release.Add(1)
	for i := 0; i < reservedThreads; i++ {
		started.Add(1)
		go func() {
			runtime.LockOSThread()
			started.Done()
			release.Wait()
			runtime.UnlockOSThread()
		}()
	}
	started.Wait()
	release.Done()
}
