package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestFramesReadBackInOrderUntilACleanEOF(t *testing.T) {
	var buf bytes.Buffer
	for _, f := range []Frame{{Stdout, []byte("a")}, {StdinEOF, nil}, {Exit, []byte(`{"code":0}`)}} {
		if err := Write(&buf, f.Type, f.Payload); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []Type{Stdout, StdinEOF, Exit} {
		got, err := Read(&buf)
		if err != nil || got.Type != want {
			t.Fatalf("got %v, %v; want %v", got.Type, err, want)
		}
	}
	if _, err := Read(&buf); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

func TestPayloadOfExactly1MiBIsAccepted(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Stdin, make([]byte, MaxPayload)); err != nil {
		t.Fatal(err)
	}
	f, err := Read(&buf)
	if err != nil || len(f.Payload) != MaxPayload {
		t.Fatalf("got %d bytes, %v", len(f.Payload), err)
	}
}

func TestOversizePayloadIsRefusedBeforeItIsRead(t *testing.T) {
	header := []byte{'0', 0x00, 0x10, 0x00, 0x01} // 1 MiB + 1, and no payload follows
	if _, err := Read(bytes.NewReader(header)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("read: %v, want ErrTooLarge", err)
	}
	if err := Write(io.Discard, Stdin, make([]byte, MaxPayload+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("write: %v, want ErrTooLarge", err)
	}
}

func TestTruncatedInputIsAnUnexpectedEOF(t *testing.T) {
	whole := []byte{'1', 0, 0, 0, 3, 'a', 'b', 'c'}
	for cut := 1; cut < len(whole); cut++ {
		if _, err := Read(bytes.NewReader(whole[:cut])); err != io.ErrUnexpectedEOF {
			t.Errorf("cut after %d bytes: %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}

func TestUnknownTypeIsSurfacedAsAProtocolError(t *testing.T) {
	_, err := Read(bytes.NewReader([]byte{'Z', 0, 0, 0, 0}))
	var unknown *UnknownTypeError
	if !errors.As(err, &unknown) || unknown.Type != 'Z' {
		t.Fatalf("got %v, want UnknownTypeError 'Z'", err)
	}
	if err := Write(io.Discard, Type('z'), nil); !errors.As(err, &unknown) {
		t.Fatalf("write: %v, want UnknownTypeError", err)
	}
}
