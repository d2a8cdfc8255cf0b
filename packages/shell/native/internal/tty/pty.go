package tty

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// Open allocates a pty. The master is pollable, so its reads take deadlines and end
// when it is closed; the slave is a plain blocking file meant to become a child's
// stdin, stdout and stderr. Both are close-on-exec, and neither becomes the caller's
// controlling terminal.
func Open() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var unlock int32
	if err := control(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		master.Close()
		return nil, nil, &os.PathError{Op: "unlockpt", Path: master.Name(), Err: err}
	}
	var n uint32
	if err := control(master, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		master.Close()
		return nil, nil, &os.PathError{Op: "ptsname", Path: master.Name(), Err: err}
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	fd, err := syscall.Open(name, syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return master, os.NewFile(uintptr(fd), name), nil
}
