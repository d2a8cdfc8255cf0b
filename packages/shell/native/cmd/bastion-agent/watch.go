package main

import (
	"bytes"
	"errors"
	"log"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// watch calls serve once for every session socket in dir: those already there when
// the agent starts, and every one the broker creates or renames into it later. It
// returns only when it cannot watch dir.
func watch(dir string, logger *log.Logger, serve func(name string)) error {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return os.NewSyscallError("inotify_init1", err)
	}
	events := os.NewFile(uintptr(fd), "inotify") // non-blocking, so reads park on the poller, not a thread
	defer events.Close()
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_MOVED_TO|syscall.IN_ONLYDIR); err != nil {
		return os.NewSyscallError("inotify_add_watch", err)
	}
	logger.Printf("watching %s", dir)

	seen := recentNames{}
	offer := func(name string) {
		if isSessionSocket(name) && seen.first(name, time.Now()) {
			serve(name)
		}
	}
	// Listed after the watch is set, so that nothing created in between is missed; a
	// name both listed and reported is served once.
	list := func() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			logger.Printf("cannot list %s: %v", dir, err)
			return
		}
		for _, entry := range entries {
			offer(entry.Name())
		}
	}
	list()

	buf := make([]byte, 64<<10)
	for {
		n, err := events.Read(buf)
		if err != nil {
			return err
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			event := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			start := off + syscall.SizeofInotifyEvent
			off = start + int(event.Len)
			switch {
			case event.Mask&syscall.IN_Q_OVERFLOW != 0:
				list() // events were dropped; the directory itself is the truth
			case event.Mask&syscall.IN_IGNORED != 0:
				return errors.New("the directory was removed or unmounted")
			case off <= n:
				offer(string(bytes.TrimRight(buf[start:off], "\x00")))
			}
		}
	}
}

// isSessionSocket is the broker's naming: <session>.sock once ready. It creates the
// socket as .<session>.tmp first, and a name starting with a dot is never a session.
func isSessionSocket(name string) bool {
	return strings.HasSuffix(name, ".sock") && !strings.HasPrefix(name, ".")
}

// recentNames remembers the names served in the last minute, long enough to cover a
// name seen both in a listing and in an event, without growing with every session the
// container ever had.
type recentNames map[string]time.Time

const recentFor = time.Minute

func (r recentNames) first(name string, now time.Time) bool {
	for n, at := range r {
		if now.Sub(at) > recentFor {
			delete(r, n)
		}
	}
	if _, ok := r[name]; ok {
		return false
	}
	r[name] = now
	return true
}
