package main

import (
	"net"
	"os"
	"os/signal"
	"syscall"

	"bastion/shell/native/internal/frame"
)

const (
	// chunkSize bounds the stdin frames the client sends (the protocol allows 64 KiB).
	chunkSize = 32 << 10
	// outputBuffer is the read buffer of the session's output.
	outputBuffer = 256 << 10
)

// session relays a running session: stdin and resizes to the broker, output back.
type session struct {
	c    *client
	conn net.Conn
	w    *frame.Writer
	term terminal
}

func newSession(c *client, conn net.Conn, term terminal) *session {
	return &session{c: c, conn: conn, w: frame.NewWriter(conn), term: term}
}

// start sends R and starts the pumps towards the broker. With a TTY, the terminal goes
// raw first so that no keystroke is cooked or echoed locally once the session can see it.
func (s *session) start(req request) {
	if s.term.tty {
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		enterRaw(s.c)
		go s.forwardResizes(winch)
	}
	if err := s.w.SendJSON(frame.Request, req); err != nil {
		s.c.exit(codeInternal, msgInternal)
	}
	go s.pumpStdin()
}

// forwardResizes sends W with the terminal's size on every SIGWINCH.
func (s *session) forwardResizes(winch <-chan os.Signal) {
	for range winch {
		size := currentSize()
		if err := s.w.SendJSON(frame.Resize, frame.ResizePayload{Cols: int(size.Cols), Rows: int(size.Rows)}); err != nil {
			return // the output side sees the connection go and ends the client
		}
	}
}

// pumpStdin sends stdin as 0 frames and its end as E. A read error is an end too: a
// terminal that hung up (EIO) has nothing more to say.
func (s *session) pumpStdin() {
	buf := make([]byte, chunkSize)
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			if s.w.Send(frame.Stdin, buf[:n]) != nil {
				return
			}
		}
		if err != nil {
			_ = s.w.Send(frame.StdinEOF, nil)
			return
		}
	}
}

// relayOutput writes the broker's frames to fds 1 and 2 until X, and never returns.
func (s *session) relayOutput() {
	// Buffered: bulk output comes as 64 KiB frames, and one read takes several.
	r := frame.NewReader(s.conn, outputBuffer)
	for {
		f, err := r.Next()
		if err != nil {
			s.c.exit(codeInternal, msgInternal) // lost, or a protocol error: either way no X
		}
		switch f.Type {
		case frame.Stdout, frame.Stderr, frame.Exit:
			s.c.handleOutput(f)
		default:
			s.c.exit(codeInternal, msgInternal)
		}
	}
}

// handleOutput writes 1 and 2 byte for byte, and ends the client on X with its code.
func (c *client) handleOutput(f frame.Frame) {
	switch f.Type {
	case frame.Stdout, frame.Stderr:
		out := os.Stdout
		if f.Type == frame.Stderr {
			out = os.Stderr
		}
		if _, err := out.Write(f.Payload); err != nil {
			c.exit(codeOutputBroken, "") // sshd's side is gone; there is no one to tell
		}
	case frame.Exit:
		var exit frame.ExitPayload
		if err := f.DecodeJSON(&exit); err != nil || exit.Code < 0 || exit.Code > 255 {
			c.exit(codeInternal, msgInternal)
		}
		c.exit(exit.Code, "")
	}
}
