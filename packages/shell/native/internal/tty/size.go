package tty

import (
	"os"
	"syscall"
	"unsafe"
)

// Size is a terminal's size in characters.
type Size struct {
	Cols, Rows uint16
}

// winsize is the kernel's struct winsize.
type winsize struct {
	Rows, Cols, XPixel, YPixel uint16
}

// GetSize reads the size of the terminal f is open on.
func GetSize(f *os.File) (Size, error) {
	var ws winsize
	if err := control(f, syscall.TIOCGWINSZ, unsafe.Pointer(&ws)); err != nil {
		return Size{}, err
	}
	return Size{Cols: ws.Cols, Rows: ws.Rows}, nil
}

// SetSize sets the size of the terminal f is open on. On a pty master the kernel then
// sends SIGWINCH to the terminal's foreground process group.
func SetSize(f *os.File, s Size) error {
	ws := winsize{Rows: s.Rows, Cols: s.Cols}
	return control(f, syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
}
