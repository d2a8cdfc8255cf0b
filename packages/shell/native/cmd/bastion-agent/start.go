package main

import (
	"errors"
	"os"
	"syscall"

	"bastion/shell/native/internal/frame"
	"bastion/shell/native/internal/tty"
)

// defaultSize is used when a TTY request gives no size.
var defaultSize = tty.Size{Cols: 80, Rows: 24}

// command is a started session command and the agent's ends of its stdio.
type command struct {
	pid    int
	exited <-chan syscall.WaitStatus
	tty    bool
	stdin  *os.File // the stdin pipe, or the pty master
	output []output // the stdout and stderr pipes, or the pty master alone
}

// output is one stream of the command's output and the frame type it travels as.
type output struct {
	file *os.File
	typ  frame.Type
}

// start starts the request's command as a new session (setsid), on a pty that becomes
// its controlling terminal, or on three pipes. The agent's other descriptors are all
// close-on-exec, so the command inherits only its stdio.
func start(req request, r *reaper) (*command, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	cred, err := credentialFor(req, os.Geteuid())
	if err != nil {
		return nil, err
	}
	env := overlay(os.Environ(), req.Env)
	// Looked up with the user's rights, as the child will exec and chdir.
	var path string
	if err := asOwner(cred, func() (err error) { path, err = lookPath(req.Argv[0], getenv(env, "PATH")); return err }); err != nil {
		return nil, err
	}
	if req.Cwd != "" {
		// Checked here because the child's chdir failure would read like exec's.
		if err := asOwner(cred, func() error { return checkDir(req.Cwd) }); err != nil {
			return nil, err
		}
	}
	cmd := &command{tty: req.TTY}
	var theirs []*os.File // the command's ends, closed here once it has them
	defer func() { closeFiles(theirs...) }()
	if req.TTY {
		var master, slave *os.File
		if err := asOwner(cred, func() (err error) { master, slave, err = tty.Open(); return err }); err != nil {
			return nil, err
		}
		if err := tty.SetSize(master, requestedSize(req)); err != nil {
			master.Close()
			slave.Close()
			return nil, err
		}
		cmd.stdin = master
		cmd.output = []output{{master, frame.Stdout}}
		theirs = []*os.File{slave, slave, slave}
	} else {
		if err := asOwner(cred, func() (err error) { theirs, err = cmd.openPipes(); return err }); err != nil {
			return nil, err
		}
	}
	attr := &syscall.ProcAttr{
		Dir:   req.Cwd,
		Env:   env,
		Files: []uintptr{theirs[0].Fd(), theirs[1].Fd(), theirs[2].Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true, Setctty: req.TTY, Ctty: 0, Credential: cred},
	}
	pid, exited, err := r.spawn(func() (int, error) { return syscall.ForkExec(path, req.Argv, attr) })
	if err != nil {
		cmd.close()
		return nil, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	cmd.pid, cmd.exited = pid, exited
	return cmd, nil
}

// openPipes gives the command separate stdin, stdout and stderr pipes and returns the
// command's ends.
func (c *command) openPipes() ([]*os.File, error) {
	var mine, theirs []*os.File
	for i := 0; i < 3; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			closeFiles(append(mine, theirs...)...)
			return nil, err
		}
		if i == 1 {
			setPipeSize(r, pipeSize)
		}
		if i == 0 {
			mine, theirs = append(mine, w), append(theirs, r)
		} else {
			mine, theirs = append(mine, r), append(theirs, w)
		}
	}
	c.stdin = mine[0]
	c.output = []output{{mine[1], frame.Stdout}, {mine[2], frame.Stderr}}
	return theirs, nil
}

// pipeSize is the stdout pipe's buffer: what one read of the agent takes at most
// (chunksPerRead frames). Counted against the user's pipe pages, as any pipe of theirs
// (fs.pipe-user-pages-soft: 64 MiB, 256 such pipes); where that is spent, or the
// kernel refuses, the pipe keeps its 64 KiB, which only costs speed.
const pipeSize = chunksPerRead * chunkSize

// setPipeSize asks for a pipe buffer of size bytes (F_SETPIPE_SZ), if it can be had.
func setPipeSize(f *os.File, size int) {
	if raw, err := f.SyscallConn(); err == nil {
		_ = raw.Control(func(fd uintptr) {
			_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSize, uintptr(size))
		})
	}
}

// fSetPipeSize is F_SETPIPE_SZ, which Go 1.19's syscall package does not name.
const fSetPipeSize = 1031

// close closes the agent's ends; the command sees EOF on stdin, or a hangup on its pty.
func (c *command) close() {
	files := []*os.File{c.stdin}
	for _, out := range c.output {
		files = append(files, out.file)
	}
	closeFiles(files...)
}

// closeFiles closes each file once, however often it is listed (a pty is the
// command's stdin, stdout and stderr at once).
func closeFiles(files ...*os.File) {
	closed := map[*os.File]bool{}
	for _, f := range files {
		if f != nil && !closed[f] {
			closed[f] = true
			_ = f.Close() // nothing is left to flush on these ends
		}
	}
}

func checkDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		return &os.PathError{Op: "chdir", Path: dir, Err: err}
	}
	if !info.IsDir() {
		return &os.PathError{Op: "chdir", Path: dir, Err: syscall.ENOTDIR}
	}
	return nil
}

// requestedSize is the request's size, or 80 × 24 when it gives none that fits.
func requestedSize(req request) tty.Size {
	if size, ok := toSize(req.Cols, req.Rows); ok {
		return size
	}
	return defaultSize
}

// toSize checks that a size from the broker fits a terminal.
func toSize(cols, rows int) (tty.Size, bool) {
	if cols <= 0 || rows <= 0 || cols > 0xffff || rows > 0xffff {
		return tty.Size{}, false
	}
	return tty.Size{Cols: uint16(cols), Rows: uint16(rows)}, true
}
