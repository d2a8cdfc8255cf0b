package main

import (
	"io"
	"strings"
	"time"
)

// reasonPromptTimeout is how long the person has to answer the prompt. The broker waits
// 120 s longer than its handshake deadline for a request after a P that asks for a
// reason; the client gives up first, with a message of its own, rather than send a
// request to a broker that closed.
const reasonPromptTimeout = 100 * time.Second

// askReason says whether to prompt: only for an interactive login on a terminal that
// brought no BASTION_REASON, and only when the broker's P asked for reasons. A command,
// scp, sftp or rsync is never asked: its stdin is the program's, not a person's.
func askReason(mode string, req request) bool {
	if mode != "optional" && mode != "required" {
		return false // "off", or an older broker that sends no mode
	}
	return req.TTY && req.Command == nil && req.Reason == nil
}

// promptReason asks on the terminal, still in its cooked mode (the kernel's echo and
// line editing), before the session makes it raw. An empty answer skips when the
// reason is optional and asks again when it is required; end of input (^D) gives up
// and leaves the broker to decide. answered is false when no answer came in time.
func promptReason(in io.Reader, out io.Writer, mode string, timeout time.Duration) (reason *string, answered bool) {
	prompt := reasonPromptOptional
	if mode == "required" {
		prompt = reasonPromptRequired
	}
	answer := make(chan *string, 1)
	go func() {
		for {
			if _, err := io.WriteString(out, prompt); err != nil {
				answer <- nil
				return
			}
			line, ok := readLine(in)
			line = strings.TrimSpace(line)
			if line != "" {
				answer <- &line
				return
			}
			if !ok || mode != "required" {
				answer <- nil
				return
			}
		}
	}()
	select {
	case reason := <-answer:
		return reason, true
	case <-time.After(timeout):
		return nil, false
	}
}

// readLine reads up to a newline from a terminal in canonical mode, where each read
// returns at most one line; ok is false at the end of input.
func readLine(in io.Reader) (line string, ok bool) {
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := in.Read(buf)
		b.Write(buf[:n])
		if s := b.String(); strings.HasSuffix(s, "\n") {
			return strings.TrimSuffix(s, "\n"), true
		}
		if err != nil || n == 0 {
			return b.String(), false
		}
	}
}
