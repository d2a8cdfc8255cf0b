package frame

import (
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

// SendJSON writes one frame with v encoded as its JSON payload.
func (w *Writer) SendJSON(t Type, v any) error {
	payload, err := EncodeJSON(v)
	if err != nil {
		return err
	}
	return w.Send(t, payload)
}
