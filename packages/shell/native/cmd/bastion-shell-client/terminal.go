package main

import (
	"os"

	"bastion/shell/native/internal/tty"
)

// defaultSize is sent when there is no terminal, or when it reports 0 × 0 (as a fresh
// pty does until someone sets it).
var defaultSize = tty.Size{Cols: 80, Rows: 24}

// terminal is what the client knows about the user's terminal at the start.
type terminal struct {
	tty  bool
	size tty.Size
}

// openTerminal asks for a TTY only when both stdin and stdout are terminals, as
// ssh does: `ssh host cmd > file` must get clean bytes, not a pty's CRLFs.
func openTerminal() terminal {
	if !tty.IsTerminal(os.Stdin) || !tty.IsTerminal(os.Stdout) {
		return terminal{size: defaultSize}
	}
	return terminal{tty: true, size: currentSize()}
}

// currentSize reads the size from stdout, or stdin, or falls back to 80 × 24.
func currentSize() tty.Size {
	for _, f := range []*os.File{os.Stdout, os.Stdin} {
		if size, err := tty.GetSize(f); err == nil && size.Cols > 0 && size.Rows > 0 {
			return size
		}
	}
	return defaultSize
}

// enterRaw puts stdin in raw mode and registers the way back with c.exit. A terminal
// that refuses raw mode still gets its session, only with local echo.
func enterRaw(c *client) {
	restore, err := tty.MakeRaw(os.Stdin)
	if err != nil {
		return
	}
	c.setRestore(restore)
}
