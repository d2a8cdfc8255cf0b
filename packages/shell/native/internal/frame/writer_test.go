package frame

import (
	"bytes"
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
