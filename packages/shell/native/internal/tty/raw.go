package tty

import (
	"os"
	"syscall"
	"unsafe"
)

// IsTerminal reports whether f is open on a terminal.
func IsTerminal(f *os.File) bool {
	var t syscall.Termios
	return control(f, syscall.TCGETS, unsafe.Pointer(&t)) == nil
}

// MakeRaw puts the terminal f is open on in raw mode, as cfmakeraw(3) does, so that
// every key reaches the remote side unchanged. The returned function puts back the
// settings f had before; it is safe to call more than once.
func MakeRaw(f *os.File) (restore func() error, err error) {
	var saved syscall.Termios
	if err := control(f, syscall.TCGETS, unsafe.Pointer(&saved)); err != nil {
		return nil, err
	}
	raw := saved
	raw.Iflag &^= syscall.IGNBRK | syscall.BRKINT | syscall.PARMRK | syscall.ISTRIP |
		syscall.INLCR | syscall.IGNCR | syscall.ICRNL | syscall.IXON
	raw.Oflag &^= syscall.OPOST
	raw.Lflag &^= syscall.ECHO | syscall.ECHONL | syscall.ICANON | syscall.ISIG | syscall.IEXTEN
	raw.Cflag &^= syscall.CSIZE | syscall.PARENB
	raw.Cflag |= syscall.CS8
	raw.Cc[syscall.VMIN] = 1
	raw.Cc[syscall.VTIME] = 0
	if err := control(f, syscall.TCSETS, unsafe.Pointer(&raw)); err != nil {
		return nil, err
	}
	return func() error {
		t := saved
		return control(f, syscall.TCSETS, unsafe.Pointer(&t))
	}, nil
}
