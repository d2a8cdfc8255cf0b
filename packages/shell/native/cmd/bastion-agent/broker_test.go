package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
)

// brokerConn is the test playing the broker on one session's connection.
type brokerConn struct {
	t    *testing.T
	conn net.Conn
}

func randomID(t *testing.T) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// listenSession does what the broker does for a session: a listener under a temporary
// name, renamed to <id>.sock once ready.
func listenSession(t *testing.T, dir string) (*net.UnixListener, string) {
	t.Helper()
	id := randomID(t)
	tmp := filepath.Join(dir, "."+id+".tmp")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	t.Cleanup(func() { ln.Close() })
	sock := filepath.Join(dir, id+".sock")
	if err := os.Rename(tmp, sock); err != nil {
		t.Fatal(err)
	}
	return ln, sock
}

// accept takes the agent's connection, removes the socket and sends R.
func accept(t *testing.T, ln *net.UnixListener, sock string, req request) *brokerConn {
	t.Helper()
	b := acceptOnly(t, ln, sock)
	b.sendJSON(frame.Request, asTestUser(req))
	return b
}

// nobody is who the tests' commands run as when the agent is root, as in a container;
// otherwise they run as the agent's own user.
const nobody = 65534

// asTestUser names the command's user in a request that names none, as the broker
// always does.
func asTestUser(req request) request {
	if req.UID == nil {
		uid, gid := os.Geteuid(), os.Getegid()
		if uid == 0 {
			uid, gid = nobody, nobody
		}
		req.UID, req.GID = &uid, &gid
	}
	return req
}

// acceptOnly takes the agent's connection and removes the socket.
func acceptOnly(t *testing.T, ln *net.UnixListener, sock string) *brokerConn {
	t.Helper()
	if err := ln.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("the agent did not connect to %s: %v", sock, err)
	}
	t.Cleanup(func() { conn.Close() })
	os.Remove(sock)
	ln.Close()
	if err := conn.SetDeadline(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return &brokerConn{t: t, conn: conn}
}

// offer is a whole session start: listen, rename, accept, R.
func offer(t *testing.T, dir string, req request) *brokerConn {
	t.Helper()
	ln, sock := listenSession(t, dir)
	return accept(t, ln, sock, req)
}

func (b *brokerConn) send(typ frame.Type, payload []byte) {
	b.t.Helper()
	if err := frame.Write(b.conn, typ, payload); err != nil {
		b.t.Fatal(err)
	}
}

func (b *brokerConn) sendJSON(typ frame.Type, v any) {
	b.t.Helper()
	if err := frame.WriteJSON(b.conn, typ, v); err != nil {
		b.t.Fatal(err)
	}
}

func (b *brokerConn) read() frame.Frame {
	b.t.Helper()
	f, err := frame.Read(b.conn)
	if err != nil {
		b.t.Fatalf("reading from the agent: %v", err)
	}
	return f
}

// started expects S and returns the command's pid.
func (b *brokerConn) started() int {
	b.t.Helper()
	f := b.read()
	if f.Type != frame.Started {
		b.t.Fatalf("got %v %q, want S", f.Type, f.Payload)
	}
	var s frame.StartedPayload
	if err := f.DecodeJSON(&s); err != nil || s.PID <= 0 {
		b.t.Fatalf("S %q: %v", f.Payload, err)
	}
	return s.PID
}

// failed expects F, then the connection's end.
func (b *brokerConn) failed() frame.FailedPayload {
	b.t.Helper()
	f := b.read()
	if f.Type != frame.Failed {
		b.t.Fatalf("got %v %q, want F", f.Type, f.Payload)
	}
	var failed frame.FailedPayload
	if err := f.DecodeJSON(&failed); err != nil {
		b.t.Fatal(err)
	}
	if extra, err := frame.Read(b.conn); err == nil {
		b.t.Fatalf("after F: %v %q, want the connection closed", extra.Type, extra.Payload)
	}
	return failed
}

// result is everything the agent sent after S.
type result struct {
	stdout, stderr []byte
	code           int
}

// collect reads output until X, and checks that the agent closes after it.
func (b *brokerConn) collect() result {
	b.t.Helper()
	var stdout, stderr bytes.Buffer
	for {
		f := b.read()
		switch f.Type {
		case frame.Stdout:
			stdout.Write(f.Payload)
		case frame.Stderr:
			stderr.Write(f.Payload)
		case frame.Exit:
			var exit frame.ExitPayload
			if err := f.DecodeJSON(&exit); err != nil {
				b.t.Fatal(err)
			}
			if extra, err := frame.Read(b.conn); err == nil {
				b.t.Fatalf("after X: %v, want the connection closed", extra.Type)
			}
			return result{stdout.Bytes(), stderr.Bytes(), exit.Code}
		default:
			b.t.Fatalf("unexpected %v %q", f.Type, f.Payload)
		}
	}
}

// runSession is a whole non-interactive session: S, then output until X.
func runSession(t *testing.T, dir string, req request) result {
	t.Helper()
	b := offer(t, dir, req)
	b.started()
	return b.collect()
}

func sh(script string) request {
	return request{Argv: []string{"sh", "-c", script}, Cwd: "/"}
}
