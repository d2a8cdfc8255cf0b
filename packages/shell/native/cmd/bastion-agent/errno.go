package main

import (
	"errors"
	"strconv"
	"syscall"
)

// errnoNames are the C names of the errors that starting a command can meet. The broker
// tells the PID limit (EAGAIN) from everything else by this name, so it must be the
// C name, not Go's message.
var errnoNames = map[syscall.Errno]string{
	syscall.E2BIG:        "E2BIG",
	syscall.EACCES:       "EACCES",
	syscall.EAGAIN:       "EAGAIN",
	syscall.EBADF:        "EBADF",
	syscall.EBUSY:        "EBUSY",
	syscall.EFAULT:       "EFAULT",
	syscall.EINTR:        "EINTR",
	syscall.EINVAL:       "EINVAL",
	syscall.EIO:          "EIO",
	syscall.EISDIR:       "EISDIR",
	syscall.ELIBBAD:      "ELIBBAD",
	syscall.ELOOP:        "ELOOP",
	syscall.EMFILE:       "EMFILE",
	syscall.ENAMETOOLONG: "ENAMETOOLONG",
	syscall.ENFILE:       "ENFILE",
	syscall.ENODEV:       "ENODEV",
	syscall.ENOENT:       "ENOENT",
	syscall.ENOEXEC:      "ENOEXEC",
	syscall.ENOMEM:       "ENOMEM",
	syscall.ENOSPC:       "ENOSPC",
	syscall.ENOTDIR:      "ENOTDIR",
	syscall.ENOTTY:       "ENOTTY",
	syscall.ENXIO:        "ENXIO",
	syscall.EPERM:        "EPERM",
	syscall.EPIPE:        "EPIPE",
	syscall.EROFS:        "EROFS",
	syscall.ETXTBSY:      "ETXTBSY",
}

// errnoName is the C name of the errno inside err, "" when there is none.
func errnoName(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	if name, ok := errnoNames[errno]; ok {
		return name
	}
	return "errno " + strconv.Itoa(int(errno))
}
