// Package tty holds the few terminal operations bastion-shell needs, done with the
// kernel's own ioctls so that the binaries stay stdlib-only and static: opening a pty
// (the agent), raw mode (the client) and window sizes (both).
package tty

import (
	"os"
	"syscall"
	"unsafe"
)

func ioctl(fd uintptr, request uint, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(request), uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// control runs an ioctl on f's descriptor without f.Fd(), which would switch a
// pollable file (the pty master) to blocking mode and stop Close from waking a reader.
func control(f *os.File, request uint, arg unsafe.Pointer) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	if err := raw.Control(func(fd uintptr) { ioErr = ioctl(fd, request, arg) }); err != nil {
		return err
	}
	return ioErr
}
