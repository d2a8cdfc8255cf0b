package main

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// slotReader reads a stream into the payload slots of several frames at once (readv):
// slots of size bytes, each after room bytes for its frame's header, in one buffer
// that frame.Writer.SendFramedRun sends as it is.
type slotReader struct {
	file  *os.File
	raw   syscall.RawConn // nil if the file has none: then one slot a read
	buf   []byte
	iov   []syscall.Iovec
	first []byte // the first slot
}

func newSlotReader(file *os.File, slots, size, room int) *slotReader {
	r := &slotReader{file: file, buf: make([]byte, slots*(room+size)), iov: make([]syscall.Iovec, slots)}
	r.first = r.buf[room : room+size]
	for i := range r.iov {
		r.iov[i].Base = &r.buf[i*(room+size)+room]
		r.iov[i].SetLen(size)
	}
	if raw, err := file.SyscallConn(); err == nil {
		r.raw = raw
	}
	return r
}

// read fills the slots in order with what the stream has, up to all of them, and
// returns how many bytes; its errors are those of os.File.Read (io.EOF at the end, the
// read deadline, a closed file).
func (r *slotReader) read() (int, error) {
	if r.raw == nil {
		return r.file.Read(r.first)
	}
	var n int
	var errno syscall.Errno
	err := r.raw.Read(func(fd uintptr) bool {
		for {
			got, _, e := syscall.Syscall(syscall.SYS_READV, fd, uintptr(unsafe.Pointer(&r.iov[0])), uintptr(len(r.iov)))
			if e == syscall.EINTR {
				continue
			}
			n, errno = int(got), e
			return e != syscall.EAGAIN // false: wait until the stream is readable
		}
	})
	if err != nil {
		return 0, err // the deadline passed, or the file is closed
	}
	if errno != 0 {
		return 0, &os.PathError{Op: "readv", Path: r.file.Name(), Err: errno}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}
