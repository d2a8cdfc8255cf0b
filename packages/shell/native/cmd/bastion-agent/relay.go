package main

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"bastion/shell/native/internal/frame"
	"bastion/shell/native/internal/tty"
)

const (
	// chunkSize bounds the output frames the agent sends: the protocol's 64 KiB.
	chunkSize = 64 << 10
	// chunksPerRead is how many frames' payloads one read may fill (readv), and one
	// write send: the command's stdout pipe holds that much (pipeSize), so bulk output
	// costs a quarter of the wake-ups and system calls at this hop.
	chunksPerRead = 4
	// quietPeriod is how long output may pause before a session whose command has
	// exited counts as drained: with a TTY, a background process can hold the pty
	// open forever, so EIO may never come.
	quietPeriod = 100 * time.Millisecond
	// lingerTimeout bounds how long the agent reads, after X, until the broker hangs up.
	lingerTimeout = 5 * time.Second
)

// session relays one running command. Input is read by one goroutine, each output
// stream by another; writes to the socket block when the broker is slow, which stops
// the reading of the command's output instead of buffering it.
type session struct {
	a    *agent
	id   string
	conn net.Conn
	w    *frame.Writer
	cmd  *command

	exited atomic.Bool // the command has been reaped; its pid is no longer ours
	killed atomic.Bool // K came: stop waiting for output once the command is gone
	ended  atomic.Bool // X is on its way; the connection closing is then no loss

	quiet     chan struct{} // closed when output should stop after quietPeriod of silence
	quietOnce sync.Once

	inputDone chan struct{} // closed when readInput returns
}

func newSession(a *agent, id string, conn net.Conn, w *frame.Writer, cmd *command) *session {
	return &session{a: a, id: id, conn: conn, w: w, cmd: cmd, quiet: make(chan struct{}), inputDone: make(chan struct{})}
}

// run relays until the command has exited and its output is drained, sends X, and
// returns the exit code.
func (s *session) run() int {
	go s.guarded(s.readInput)
	var pumps sync.WaitGroup
	for _, out := range s.cmd.output {
		out := out
		pumps.Add(1)
		go s.guarded(func() {
			defer pumps.Done()
			s.pump(out)
		})
	}
	status := <-s.cmd.exited
	s.exited.Store(true)
	if s.cmd.tty || s.killed.Load() {
		s.quieten()
	}
	pumps.Wait()
	code := exitCode(status)
	s.ended.Store(true)
	_ = s.w.SendJSON(frame.Exit, frame.ExitPayload{Code: code}) // a lost broker already killed the session
	s.cmd.close()
	s.linger()
	return code
}

// linger ends the session's connection without losing the broker's view of it. The
// broker may still be sending (input, its end, a resize) when the command exits; if
// the agent closed the whole connection now, those writes would fail with EPIPE, and
// the broker's side could drop the output and the X it has not read yet. So the agent
// only stops writing, and reads, discarding, until the broker hangs up (it does once it
// has the X), for at most lingerTimeout.
func (s *session) linger() {
	if uc, ok := s.conn.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(lingerTimeout))
	<-s.inputDone
	_ = s.conn.Close()
}

// readInput applies the broker's frames: stdin, its end, resizes and K. A lost
// connection or a protocol error ends the session's processes.
func (s *session) readInput() {
	defer close(s.inputDone)
	for {
		f, err := frame.Read(s.conn)
		if err != nil {
			s.abandon()
			return
		}
		switch f.Type {
		case frame.Stdin:
			// Blocks while the command does not read; an error means it never will.
			_, _ = s.cmd.stdin.Write(f.Payload)
		case frame.StdinEOF:
			if !s.cmd.tty { // as sshd: a terminal has no end of input but ^D
				_ = s.cmd.stdin.Close()
			}
		case frame.Resize:
			var size frame.ResizePayload
			if err := f.DecodeJSON(&size); err != nil {
				s.abandon()
				return
			}
			if valid, ok := toSize(size.Cols, size.Rows); ok && s.cmd.tty {
				_ = tty.SetSize(s.cmd.stdin, valid) // fails only once the session is closing
			}
		case frame.Kill:
			s.kill()
		default:
			s.abandon()
			return
		}
	}
}

// pump sends one output stream as frames until its end, or until the command has
// exited and the stream has been quiet for quietPeriod.
func (s *session) pump(out output) {
	// Each frame's header goes in front of its slot of what is read, and the frames out
	// in one write.
	r := newSlotReader(out.file, chunksPerRead, chunkSize, frame.HeaderSize)
	for {
		n, err := r.read()
		if n > 0 {
			if s.w.SendFramedRun(out.typ, r.buf, chunkSize, n) != nil {
				s.abandon()
				return
			}
		}
		if err != nil {
			return // EOF, EIO from a pty without a slave, the quiet deadline, or closed
		}
		select {
		case <-s.quiet:
			_ = out.file.SetReadDeadline(time.Now().Add(quietPeriod))
		default:
		}
	}
}

// quieten starts the quiet period on every output stream.
func (s *session) quieten() {
	s.quietOnce.Do(func() {
		close(s.quiet)
		for _, out := range s.cmd.output {
			_ = out.file.SetReadDeadline(time.Now().Add(quietPeriod))
		}
	})
}

// kill is K: the session's processes die, and X still follows.
func (s *session) kill() {
	s.killed.Store(true)
	killSession(s.cmd.pid, !s.exited.Load())
	if s.exited.Load() {
		s.quieten() // whatever still holds the pipes must not hold back X
	}
}

// abandon ends a session nobody relays any more: the connection is lost (before X),
// spoke nonsense, or a goroutine failed. Its processes die and its streams close, so
// that every goroutine of the session ends.
func (s *session) abandon() {
	if s.ended.Load() {
		return
	}
	_ = s.conn.Close() // first, so that no X follows a protocol error
	killSession(s.cmd.pid, !s.exited.Load())
	s.cmd.close()
}

// guarded runs one of the session's goroutines, keeping a panic to this session.
func (s *session) guarded(fn func()) {
	defer s.a.contain(s.id, s)
	fn()
}

// exitCode is the shell's convention: the exit status, or 128 + the killing signal.
func exitCode(status syscall.WaitStatus) int {
	switch {
	case status.Exited():
		return status.ExitStatus()
	case status.Signaled():
		return 128 + int(status.Signal())
	}
	return 255
}
