// Package frame is the wire format of bastion-shell's session protocol
// (docs/shell/protocol.md, "Frames"): one type byte, the payload's length as 4 bytes
// big-endian, then the payload. The client, the broker and the agent all speak it, so
// the codec lives here once and testdata/frames.hex pins it for the TypeScript side too.
package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// HeaderSize is the type byte plus the 4-byte length.
const HeaderSize = 5

// MaxPayload is the longest payload a receiver accepts (1 MiB).
const MaxPayload = 1 << 20

// Type is a frame's type byte.
type Type byte

// The frame types of docs/shell/protocol.md.
const (
	Hello    Type = 'H' // client → broker: the uid the client claims
	Prove    Type = 'P' // broker → client: connect to this socket
	Request  Type = 'R' // the session request
	Started  Type = 'S' // agent → broker: the command's pid
	Failed   Type = 'F' // agent → broker: the command could not start
	Stdin    Type = '0' // stdin bytes
	StdinEOF Type = 'E' // stdin reached its end
	Resize   Type = 'W' // the terminal's new size
	Stdout   Type = '1' // stdout bytes (with a TTY: all output)
	Stderr   Type = '2' // stderr bytes (never with a TTY)
	Kill     Type = 'K' // broker → agent: kill the session's processes
	Exit     Type = 'X' // the session ended with this exit status
)

// Known reports whether t is one of the protocol's frame types.
func (t Type) Known() bool {
	switch t {
	case Hello, Prove, Request, Started, Failed, Stdin, StdinEOF, Resize, Stdout, Stderr, Kill, Exit:
		return true
	}
	return false
}

func (t Type) String() string { return fmt.Sprintf("%q", byte(t)) }

// Frame is one decoded frame.
type Frame struct {
	Type    Type
	Payload []byte
}

// ErrTooLarge is returned for a payload longer than MaxPayload, read or written.
var ErrTooLarge = errors.New("frame: payload longer than 1 MiB")

// UnknownTypeError is a frame whose type byte the protocol does not define. It is a
// protocol error: the receiver closes the connection.
type UnknownTypeError struct{ Type byte }

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("frame: unknown type %q", e.Type)
}

// Read reads one frame. It returns io.EOF only when the stream ends cleanly between
// frames, and io.ErrUnexpectedEOF when it ends inside one.
func Read(r io.Reader) (Frame, error) {
	return readFrame(r, func(n uint32) []byte { return make([]byte, n) })
}

// readFrame reads one frame, its payload into the n bytes that payload gives it.
func readFrame(r io.Reader, payload func(n uint32) []byte) (Frame, error) {
	var header [HeaderSize]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return Frame{}, err
	}
	t := Type(header[0])
	if !t.Known() {
		return Frame{}, &UnknownTypeError{Type: header[0]}
	}
	n := binary.BigEndian.Uint32(header[1:])
	if n > MaxPayload {
		return Frame{}, ErrTooLarge
	}
	body := payload(n)
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return Frame{Type: t, Payload: body}, nil
}

// sendable says whether a frame of type t with n bytes of payload may be sent.
func sendable(t Type, n int) error {
	if !t.Known() {
		return &UnknownTypeError{Type: byte(t)}
	}
	if n > MaxPayload {
		return ErrTooLarge
	}
	return nil
}

// Append encodes one frame onto dst.
func Append(dst []byte, t Type, payload []byte) ([]byte, error) {
	if err := sendable(t, len(payload)); err != nil {
		return dst, err
	}
	dst = append(dst, byte(t))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...), nil
}

// Write writes one frame in a single call, so that a frame is never split between
// writers that share a connection under a lock (see Writer).
func Write(w io.Writer, t Type, payload []byte) error {
	buf, err := Append(make([]byte, 0, HeaderSize+len(payload)), t, payload)
	if err != nil {
		return err
	}
	_, err = w.Write(buf)
	return err
}
