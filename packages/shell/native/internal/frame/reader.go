package frame

import (
	"bufio"
	"io"
)

// Reader reads frames from a stream through a buffer, for the hot path of a session's
// output: one read(2) brings in several frames, and payloads land in one reused
// buffer instead of a new allocation each.
type Reader struct {
	r       *bufio.Reader
	payload []byte
}

// NewReader returns a Reader over r with a read buffer of size bytes. It may read
// ahead of the frame it returns, so r must not be read otherwise afterwards.
func NewReader(r io.Reader, size int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, size)}
}

// Next reads one frame, with the same errors as Read. Its payload is valid only until
// the next call.
func (r *Reader) Next() (Frame, error) {
	return readFrame(r.r, func(n uint32) []byte {
		if uint32(cap(r.payload)) < n {
			r.payload = make([]byte, n)
		}
		return r.payload[:n]
	})
}
