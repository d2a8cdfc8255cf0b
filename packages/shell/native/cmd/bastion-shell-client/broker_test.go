package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"bastion/shell/native/internal/frame"
)

// fakeBroker plays bastion-shell-broker for one login: broker.sock for the hello, and
// a second socket for the proof.
type fakeBroker struct {
	t      *testing.T
	socket string
	hello  *net.UnixListener
	proof  *net.UnixListener
	proofs string
}

func newFakeBroker(t *testing.T) *fakeBroker {
	t.Helper()
	dir := shortTempDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &fakeBroker{t: t, socket: filepath.Join(dir, "broker.sock"), proofs: filepath.Join(dir, "proof.sock")}
	b.hello = listen(t, b.socket)
	b.proof = listen(t, b.proofs)
	return b
}

func listen(t *testing.T, path string) *net.UnixListener {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if err := ln.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return ln
}

func acceptOn(t *testing.T, ln *net.UnixListener) *brokerConn {
	t.Helper()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("the client did not connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return &brokerConn{t: t, conn: conn}
}

// greet takes the hello connection and reads H.
func (b *fakeBroker) greet() (*brokerConn, frame.HelloPayload) {
	b.t.Helper()
	hello := acceptOn(b.t, b.hello)
	f := hello.read()
	var h frame.HelloPayload
	if f.Type != frame.Hello || f.DecodeJSON(&h) != nil {
		b.t.Fatalf("first frame %v %q, want H", f.Type, f.Payload)
	}
	return hello, h
}

// login runs the whole handshake and returns the session connection and R.
func (b *fakeBroker) login() (*brokerConn, clientRequest) {
	b.t.Helper()
	return b.loginAsking("")
}

// loginAsking is login with P's reason set to mode ("" leaves it out, as an older
// broker does).
func (b *fakeBroker) loginAsking(mode string) (*brokerConn, clientRequest) {
	b.t.Helper()
	hello, _ := b.greet()
	hello.sendJSON(frame.Prove, frame.ProvePayload{Path: b.proofs, Reason: mode})
	session := acceptOn(b.t, b.proof)
	f := session.read()
	if f.Type != frame.Request {
		b.t.Fatalf("first session frame %v %q, want R", f.Type, f.Payload)
	}
	var req clientRequest
	if err := json.Unmarshal(f.Payload, &req); err != nil {
		b.t.Fatal(err)
	}
	// The client closes the hello connection once it reached the proof socket.
	if extra, err := frame.Read(hello.conn); err == nil {
		b.t.Fatalf("hello connection still carries %v", extra.Type)
	}
	return session, req
}

// clientRequest is R as the broker decodes it.
type clientRequest struct {
	Command       *string           `json:"command"`
	TTY           bool              `json:"tty"`
	Cols          int               `json:"cols"`
	Rows          int               `json:"rows"`
	Env           map[string]string `json:"env"`
	SSHConnection *string           `json:"sshConnection"`
	Reason        *string           `json:"reason"`
}

// brokerConn is one of the broker's connections to the client.
type brokerConn struct {
	t    *testing.T
	conn net.Conn
}

func (b *brokerConn) read() frame.Frame {
	b.t.Helper()
	f, err := frame.Read(b.conn)
	if err != nil {
		b.t.Fatalf("reading from the client: %v", err)
	}
	return f
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

func (b *brokerConn) exit(code int) {
	b.t.Helper()
	b.sendJSON(frame.Exit, frame.ExitPayload{Code: code})
}

// expectClosed waits for the client to close the connection.
func (b *brokerConn) expectClosed() {
	b.t.Helper()
	for {
		f, err := frame.Read(b.conn)
		if err != nil {
			return
		}
		if f.Type != frame.Stdin && f.Type != frame.StdinEOF && f.Type != frame.Resize {
			b.t.Fatalf("got %v while waiting for the close", f.Type)
		}
	}
}
