package frame

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

func TestConcurrentSendersNeverInterleaveFrames(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w := NewWriter(a)
	const senders, each = 8, 50
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			payload := bytes.Repeat([]byte{byte(s)}, 1000+s)
			for i := 0; i < each; i++ {
				if err := w.Send(Stdout, payload); err != nil {
					t.Error(err)
					return
				}
			}
		}(s)
	}
	for i := 0; i < senders*each; i++ {
		f, err := Read(b)
		if err != nil {
			t.Fatal(err)
		}
		s := int(f.Payload[0])
		if len(f.Payload) != 1000+s || !bytes.Equal(f.Payload, bytes.Repeat([]byte{byte(s)}, len(f.Payload))) {
			t.Fatalf("frame %d is mixed from several senders", i)
		}
	}
	wg.Wait()
}

func TestSendFramedSendsTheFrameThatSendWould(t *testing.T) {
	for _, payload := range [][]byte{nil, []byte("out"), bytes.Repeat([]byte{0xff}, 64<<10)} {
		var framed, sent bytes.Buffer
		buf := append(make([]byte, HeaderSize), payload...)
		if err := NewWriter(&framed).SendFramed(Stdout, buf); err != nil {
			t.Fatal(err)
		}
		if err := NewWriter(&sent).Send(Stdout, payload); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(framed.Bytes(), sent.Bytes()) {
			t.Fatalf("%d bytes: SendFramed wrote %x..., Send %x...", len(payload), framed.Bytes()[:HeaderSize], sent.Bytes()[:HeaderSize])
		}
	}
}

func TestSendFramedRefusesWhatSendRefuses(t *testing.T) {
	w := NewWriter(io.Discard)
	var unknown *UnknownTypeError
	if err := w.SendFramed(Type('z'), make([]byte, HeaderSize)); !errors.As(err, &unknown) {
		t.Errorf("unknown type: %v", err)
	}
	if err := w.SendFramed(Stdout, make([]byte, HeaderSize+MaxPayload+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	if err := w.SendFramed(Stdout, make([]byte, HeaderSize-1)); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("no room for the header: %v", err)
	}
}

func TestSendFramedRunSendsEachSlotAsAFrameInOneWrite(t *testing.T) {
	const size = 4
	buf := make([]byte, 3*(HeaderSize+size))
	payload := []byte("abcdefghij") // 4 + 4 + 2 bytes over three slots
	for i := 0; i < len(payload); i += size {
		end := i + size
		if end > len(payload) {
			end = len(payload)
		}
		copy(buf[i/size*(HeaderSize+size)+HeaderSize:], payload[i:end])
	}
	var out countingWriter
	if err := NewWriter(&out).SendFramedRun(Stdout, buf, size, len(payload)); err != nil {
		t.Fatal(err)
	}
	if out.writes != 1 {
		t.Fatalf("%d writes, want 1", out.writes)
	}
	var got []byte
	r := bytes.NewReader(out.Bytes())
	for {
		f, err := Read(r)
		if err == io.EOF {
			break
		}
		if err != nil || f.Type != Stdout || len(f.Payload) > size {
			t.Fatalf("frame %v %q: %v", f.Type, f.Payload, err)
		}
		got = append(got, f.Payload...)
	}
	if string(got) != string(payload) {
		t.Fatalf("got %q, want %q", got, payload)
	}
	if err := NewWriter(&out).SendFramedRun(Stdout, buf[:HeaderSize+size], size, len(payload)); !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("slots that do not fit: %v, want ErrShortBuffer", err)
	}
}

type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}
