package tty

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, slave, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

func TestOpenGivesAConnectedPtyPair(t *testing.T) {
	master, slave := openPty(t)
	if !strings.HasPrefix(slave.Name(), "/dev/pts/") {
		t.Fatalf("slave is %q", slave.Name())
	}
	if _, err := slave.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	if err := master.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatalf("the master is not pollable: %v", err)
	}
	buf := make([]byte, 64)
	n, err := master.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "ping") {
		t.Fatalf("master read %q, %v", buf[:n], err)
	}
}

func TestPtyDescriptorsAreCloseOnExec(t *testing.T) {
	master, slave := openPty(t)
	for _, f := range []*os.File{master, slave} {
		raw, err := f.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var flags uintptr
		var errno syscall.Errno
		if err := raw.Control(func(fd uintptr) {
			flags, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFD, 0)
		}); err != nil || errno != 0 {
			t.Fatal(err, errno)
		}
		if flags&syscall.FD_CLOEXEC == 0 {
			t.Errorf("%s is inherited by children", f.Name())
		}
	}
}

func TestSizeSetOnTheMasterIsSeenOnTheSlave(t *testing.T) {
	master, slave := openPty(t)
	if err := SetSize(master, Size{Cols: 132, Rows: 43}); err != nil {
		t.Fatal(err)
	}
	got, err := GetSize(slave)
	if err != nil || got != (Size{Cols: 132, Rows: 43}) {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func lflag(t *testing.T, f *os.File) uint32 {
	t.Helper()
	var attrs syscall.Termios
	if err := control(f, syscall.TCGETS, unsafe.Pointer(&attrs)); err != nil {
		t.Fatal(err)
	}
	return attrs.Lflag
}

func TestMakeRawTurnsOffEchoAndLineModeAndRestorePutsThemBack(t *testing.T) {
	_, slave := openPty(t)
	before := lflag(t, slave)
	if before&(syscall.ECHO|syscall.ICANON) != syscall.ECHO|syscall.ICANON {
		t.Fatalf("a fresh pty is not cooked: %#x", before)
	}
	restore, err := MakeRaw(slave)
	if err != nil {
		t.Fatal(err)
	}
	if got := lflag(t, slave); got&(syscall.ECHO|syscall.ICANON|syscall.ISIG) != 0 {
		t.Fatalf("raw mode left %#x", got)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	if got := lflag(t, slave); got != before {
		t.Fatalf("restored %#x, want %#x", got, before)
	}
}

func TestAPipeIsNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(r) {
		t.Fatal("a pipe is a terminal")
	}
	_, slave := openPty(t)
	if !IsTerminal(slave) {
		t.Fatal("a pty slave is not a terminal")
	}
}
