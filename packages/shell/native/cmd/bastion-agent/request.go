package main

import (
	"fmt"
	"net"
	"syscall"
	"time"

	"bastion/shell/native/internal/frame"
)

// requestTimeout bounds the wait for R: the broker sends it as soon as it accepts.
const requestTimeout = 10 * time.Second

// request is R as the broker sends it to the agent (docs/shell/protocol.md, "Broker
// and agent").
type request struct {
	Argv []string `json:"argv"`
	Env  []string `json:"env"` // KEY=VALUE entries that replace the agent's own
	TTY  bool     `json:"tty"`
	Cols int      `json:"cols"`
	Rows int      `json:"rows"`
	Cwd  string   `json:"cwd"`
	// Who the command runs as: the user the broker proved. Required while the agent is
	// root (credentials.go).
	UID    *int  `json:"uid"`
	GID    *int  `json:"gid"`
	Groups []int `json:"groups"`
}

// readRequest reads the first frame, which must be R. An error here is a protocol
// error: the connection is closed without an answer.
func readRequest(conn net.Conn) (request, error) {
	var req request
	if err := conn.SetReadDeadline(time.Now().Add(requestTimeout)); err != nil {
		return req, err
	}
	f, err := frame.Read(conn)
	if err != nil {
		return req, err
	}
	if f.Type != frame.Request {
		return req, fmt.Errorf("first frame is %v, not R", f.Type)
	}
	if err := f.DecodeJSON(&req); err != nil {
		return req, err
	}
	return req, conn.SetReadDeadline(time.Time{})
}

// validate refuses a request that names no command; the broker hears it as F.
func (r request) validate() error {
	if len(r.Argv) == 0 || r.Argv[0] == "" {
		return fmt.Errorf("the request has no command: %w", syscall.EINVAL)
	}
	return nil
}
