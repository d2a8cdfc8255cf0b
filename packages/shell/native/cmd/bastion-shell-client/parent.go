package main

import (
	"os"
	"os/signal"
	"syscall"
)

// dieWithParent makes the kernel send SIGTERM when sshd goes away, so that a session
// never outlives its SSH connection. The parent may already be gone by the time the
// request is made, which leaves us adopted by init.
func dieWithParent(c *client) {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0); errno != 0 {
		c.exit(codeInternal, msgInternal)
	}
	if os.Getppid() == 1 {
		c.exit(128+int(syscall.SIGTERM), "")
	}
}

// exitOnSignals ends the client on the signals that mean the user or sshd is leaving,
// with the shell's convention of 128 + the signal. SIGPIPE is ignored so that a broken
// stdout is a write error the client handles (restoring the terminal) rather than a
// silent death.
func exitOnSignals(c *client) {
	signal.Ignore(syscall.SIGPIPE)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT)
	go func() {
		sig := <-signals
		c.exit(128+int(sig.(syscall.Signal)), "")
	}()
}
