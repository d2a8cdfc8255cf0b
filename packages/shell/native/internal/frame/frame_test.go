package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// decoders are the two ways to read frames: each test of reading runs on both. The
// Reader's buffer is bufio's smallest, so frames straddle its refills.
var decoders = map[string]func(io.Reader) func() (Frame, error){
	"Read": func(r io.Reader) func() (Frame, error) {
		return func() (Frame, error) { return Read(r) }
	},
	"Reader": func(r io.Reader) func() (Frame, error) { return NewReader(r, 16).Next },
}

// eachDecoder runs check with a reader of frames over the bytes that input gives.
func eachDecoder(t *testing.T, input func() io.Reader, check func(t *testing.T, next func() (Frame, error))) {
	for name, decoder := range decoders {
		t.Run(name, func(t *testing.T) { check(t, decoder(input())) })
	}
}

func TestFramesReadBackInOrderUntilACleanEOF(t *testing.T) {
	var buf bytes.Buffer
	for _, f := range []Frame{{Stdout, []byte("a")}, {StdinEOF, nil}, {Exit, []byte(`{"code":0}`)}} {
		if err := Write(&buf, f.Type, f.Payload); err != nil {
			t.Fatal(err)
		}
	}
	wants := []Frame{{Stdout, []byte("a")}, {StdinEOF, []byte{}}, {Exit, []byte(`{"code":0}`)}}
	eachDecoder(t, func() io.Reader { return bytes.NewReader(buf.Bytes()) }, func(t *testing.T, next func() (Frame, error)) {
		for _, want := range wants {
			got, err := next()
			if err != nil || got.Type != want.Type || !bytes.Equal(got.Payload, want.Payload) {
				t.Fatalf("got %v %q, %v; want %v %q", got.Type, got.Payload, err, want.Type, want.Payload)
			}
		}
		if _, err := next(); err != io.EOF {
			t.Fatalf("after the last frame: %v, want io.EOF", err)
		}
	})
}

func TestReaderPayloadsAreWholeThoughItsBufferIsReused(t *testing.T) {
	var buf bytes.Buffer
	sizes := []int{70000, 3, 65536, 0, 200000, 1}
	for i, n := range sizes {
		if err := Write(&buf, Stdout, bytes.Repeat([]byte{byte('a' + i)}, n)); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&buf, 256<<10)
	for i, n := range sizes {
		f, err := r.Next()
		if err != nil || !bytes.Equal(f.Payload, bytes.Repeat([]byte{byte('a' + i)}, n)) {
			t.Fatalf("frame %d: %d bytes, %v; want %d of %q", i, len(f.Payload), err, n, 'a'+i)
		}
	}
}

func TestPayloadOfExactly1MiBIsAccepted(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Stdin, make([]byte, MaxPayload)); err != nil {
		t.Fatal(err)
	}
	eachDecoder(t, func() io.Reader { return bytes.NewReader(buf.Bytes()) }, func(t *testing.T, next func() (Frame, error)) {
		f, err := next()
		if err != nil || len(f.Payload) != MaxPayload {
			t.Fatalf("got %d bytes, %v", len(f.Payload), err)
		}
	})
}

func TestOversizePayloadIsRefusedBeforeItIsRead(t *testing.T) {
	header := []byte{'0', 0x00, 0x10, 0x00, 0x01} // 1 MiB + 1, and no payload follows
	eachDecoder(t, func() io.Reader { return bytes.NewReader(header) }, func(t *testing.T, next func() (Frame, error)) {
		if _, err := next(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("read: %v, want ErrTooLarge", err)
		}
	})
	if err := Write(io.Discard, Stdin, make([]byte, MaxPayload+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("write: %v, want ErrTooLarge", err)
	}
}

func TestTruncatedInputIsAnUnexpectedEOF(t *testing.T) {
	whole := []byte{'1', 0, 0, 0, 3, 'a', 'b', 'c'}
	for cut := 1; cut < len(whole); cut++ {
		eachDecoder(t, func() io.Reader { return bytes.NewReader(whole[:cut]) }, func(t *testing.T, next func() (Frame, error)) {
			if _, err := next(); err != io.ErrUnexpectedEOF {
				t.Errorf("cut after %d bytes: %v, want io.ErrUnexpectedEOF", cut, err)
			}
		})
	}
}

func TestUnknownTypeIsSurfacedAsAProtocolError(t *testing.T) {
	var unknown *UnknownTypeError
	eachDecoder(t, func() io.Reader { return bytes.NewReader([]byte{'Z', 0, 0, 0, 0}) }, func(t *testing.T, next func() (Frame, error)) {
		if _, err := next(); !errors.As(err, &unknown) || unknown.Type != 'Z' {
			t.Fatalf("got %v, want UnknownTypeError 'Z'", err)
		}
	})
	if err := Write(io.Discard, Type('z'), nil); !errors.As(err, &unknown) {
		t.Fatalf("write: %v, want UnknownTypeError", err)
	}
}
