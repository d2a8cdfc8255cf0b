package main

import (
	"errors"
	"net"
	"os"
	"time"

	"bastion/shell/native/internal/frame"
)

// proofTimeout bounds the wait for the broker's P: a broker that does not answer in
// time is as good as not running.
const proofTimeout = 10 * time.Second

// connect says hello on the broker's socket, follows the P to the one-time socket that
// proves the uid, and returns that second connection, on which the session runs, with
// the shell.reason P named. A broker that refuses the login answers 2 and X instead;
// those are passed through.
func (c *client) connect(socket string) (net.Conn, string) {
	hello, err := net.DialTimeout("unix", socket, proofTimeout)
	if err != nil {
		c.exit(codeBrokerUnavailable, msgBrokerUnavailable)
	}
	c.setConn(hello)
	if err := hello.SetDeadline(time.Now().Add(proofTimeout)); err != nil {
		c.exit(codeInternal, msgInternal)
	}
	if err := frame.WriteJSON(hello, frame.Hello, frame.HelloPayload{V: 1, UID: os.Getuid()}); err != nil {
		c.exit(codeBrokerUnavailable, msgBrokerUnavailable)
	}
	prove := c.awaitProof(hello)
	session, err := net.DialTimeout("unix", prove.Path, proofTimeout)
	if err != nil {
		c.exit(codeInternal, msgInternal)
	}
	c.setConn(session)
	_ = hello.Close() // the broker only needed it until we reached the proof socket
	return session, prove.Reason
}

// awaitProof reads the broker's answer to H: the proof socket's path, or a refusal.
func (c *client) awaitProof(hello net.Conn) frame.ProvePayload {
	for {
		f, err := frame.Read(hello)
		if err != nil {
			if isProtocolError(err) {
				c.exit(codeInternal, msgInternal)
			}
			c.exit(codeBrokerUnavailable, msgBrokerUnavailable) // closed, reset or timed out
		}
		switch f.Type {
		case frame.Prove:
			var prove frame.ProvePayload
			if err := f.DecodeJSON(&prove); err != nil || prove.Path == "" {
				c.exit(codeInternal, msgInternal)
			}
			return prove
		case frame.Stdout, frame.Stderr, frame.Exit:
			c.handleOutput(f)
		default:
			c.exit(codeInternal, msgInternal)
		}
	}
}

// isProtocolError tells a peer that spoke nonsense from one that went away.
func isProtocolError(err error) bool {
	var unknown *frame.UnknownTypeError
	return errors.As(err, &unknown) || errors.Is(err, frame.ErrTooLarge)
}
