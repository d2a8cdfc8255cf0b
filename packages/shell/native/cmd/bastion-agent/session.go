package main

import (
	"log"
	"net"
	"path/filepath"
	"strings"
	"time"

	"bastion/shell/native/internal/frame"
)

// dialTimeout bounds the connect to a session socket; a broker's fresh listener
// accepts at once.
const dialTimeout = 5 * time.Second

// agent is what every session shares.
type agent struct {
	dir    string
	log    *log.Logger
	reaper *reaper
}

// serve runs one session, from its socket to its X. Failures end this session only: a
// socket that refuses is skipped, a request that makes no sense is dropped, and even a
// panic is logged and contained.
func (a *agent) serve(name string) {
	id := strings.TrimSuffix(name, ".sock")
	defer a.contain(id, nil)
	conn, err := net.DialTimeout("unix", filepath.Join(a.dir, name), dialTimeout)
	if err != nil {
		a.log.Printf("skip %s: %v", name, err)
		return
	}
	defer conn.Close()
	req, err := readRequest(conn)
	if err != nil {
		a.log.Printf("session %s: no request: %v", id, err)
		return
	}
	w := frame.NewWriter(conn)
	cmd, err := start(req, a.reaper)
	if err != nil {
		failed := frame.FailedPayload{Error: err.Error(), Errno: errnoName(err)}
		a.log.Printf("session %s: cannot start: %s (%s)", id, failed.Error, failed.Errno)
		_ = w.SendJSON(frame.Failed, failed) // the broker may have gone; nothing else to do
		return
	}
	a.log.Printf("session %s: started pid %d", id, cmd.pid)
	s := newSession(a, id, conn, w, cmd)
	defer a.contain(id, s)
	// A failed S means the connection is gone; the relay notices and kills.
	_ = w.SendJSON(frame.Started, frame.StartedPayload{PID: cmd.pid})
	code := s.run()
	a.log.Printf("session %s: pid %d ended with code %d", id, cmd.pid, code)
}

// contain keeps a panic in one session's goroutine from ending the agent, and kills
// what the session had started, since nobody relays it any more.
func (a *agent) contain(id string, s *session) {
	if p := recover(); p != nil {
		a.log.Printf("session %s: internal error: %v", id, p)
		if s != nil {
			s.abandon()
		}
	}
}
