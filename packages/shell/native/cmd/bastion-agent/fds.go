package main

import (
	"os"
	"strconv"
	"syscall"
)

// closeOnExecInherited marks every descriptor the agent inherited beyond stdio as
// close-on-exec. Go opens its own that way, but whatever started the agent may have
// left others open, and each would reach every user command.
func closeOnExecInherited() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return // no /proc: nothing to learn the descriptors from
	}
	for _, entry := range entries {
		if fd, err := strconv.Atoi(entry.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}
