package frame

import (
	"encoding/binary"
	"io"
	"sync"
)

// Writer lets several goroutines send frames on one connection: the stdin pump, the
// resize handler and the output relays all write to the same socket, and a frame must
// never be interleaved with another.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer that sends on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Send writes one frame. It blocks while the peer does not read, which is the
// protocol's only backpressure.
func (w *Writer) Send(t Type, payload []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return Write(w.w, t, payload)
}

// SendFramed writes one frame whose payload already sits in buf after HeaderSize bytes
// of room: the header is filled in place and the frame goes out in one write, with no
// copy (the agent's output pumps read straight into such a buffer).
func (w *Writer) SendFramed(t Type, buf []byte) error {
	n := len(buf) - HeaderSize
	if err := sendable(t, n); err != nil {
		return err
	}
	if n < 0 {
		return io.ErrShortBuffer
	}
	buf[0] = byte(t)
	binary.BigEndian.PutUint32(buf[1:HeaderSize], uint32(n))
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.w.Write(buf)
	return err
}

// SendFramedRun writes the frames of a run of slots in buf, each slot HeaderSize+size
// bytes with HeaderSize bytes of room in front of its payload, whose payloads hold n
// bytes in all, filled in order (only the last slot may be short): the headers are
// filled in place and all the frames go out in one write, with no copy (the agent
// reads one pipe into several slots at once).
func (w *Writer) SendFramedRun(t Type, buf []byte, size, n int) error {
	if err := sendable(t, size); err != nil {
		return err
	}
	end := 0
	for at := 0; at < n; at += size {
		m := n - at
		if m > size {
			m = size
		}
		start := at / size * (HeaderSize + size)
		end = start + HeaderSize + m
		if end > len(buf) {
			return io.ErrShortBuffer
		}
		buf[start] = byte(t)
		binary.BigEndian.PutUint32(buf[start+1:start+HeaderSize], uint32(m))
	}
	if end == 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err := w.w.Write(buf[:end])
	return err
}

// SendJSON writes one frame with v encoded as its JSON payload.
func (w *Writer) SendJSON(t Type, v any) error {
	payload, err := EncodeJSON(v)
	if err != nil {
		return err
	}
	return w.Send(t, payload)
}
