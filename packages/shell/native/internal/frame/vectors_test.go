package frame

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vector is one line of testdata/frames.hex; the file's header documents the format.
type vector struct {
	name    string
	typ     Type
	payload []byte
	frame   []byte
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "frames.hex")
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var vectors []vector
	scanner := bufio.NewScanner(file)
	for line := 1; scanner.Scan(); line++ {
		text := scanner.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, " ")
		if len(fields) != 4 || len(fields[1]) != 1 {
			t.Fatalf("%s:%d: want NAME TYPE PAYLOAD FRAME, got %q", path, line, text)
		}
		v := vector{name: fields[0], typ: Type(fields[1][0])}
		if fields[2] != "-" {
			if v.payload, err = hex.DecodeString(fields[2]); err != nil {
				t.Fatalf("%s:%d: payload: %v", path, line, err)
			}
		}
		if v.frame, err = hex.DecodeString(fields[3]); err != nil {
			t.Fatalf("%s:%d: frame: %v", path, line, err)
		}
		vectors = append(vectors, v)
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	return vectors
}

func TestVectorsDecodeToTheirTypeAndPayload(t *testing.T) {
	for _, v := range loadVectors(t) {
		eachDecoder(t, func() io.Reader { return bytes.NewReader(v.frame) }, func(t *testing.T, next func() (Frame, error)) {
			got, err := next()
			if err != nil {
				t.Errorf("%s: %v", v.name, err)
				return
			}
			if got.Type != v.typ || !bytes.Equal(got.Payload, v.payload) {
				t.Errorf("%s: decoded %v %x, want %v %x", v.name, got.Type, got.Payload, v.typ, v.payload)
			}
		})
	}
}

func TestVectorsEncodeToTheirFrame(t *testing.T) {
	for _, v := range loadVectors(t) {
		var buf bytes.Buffer
		if err := Write(&buf, v.typ, v.payload); err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if !bytes.Equal(buf.Bytes(), v.frame) {
			t.Errorf("%s: encoded %x, want %x", v.name, buf.Bytes(), v.frame)
		}
	}
}

func TestVectorsCoverWhatBothCodecsMustAgreeOn(t *testing.T) {
	vectors := loadVectors(t)
	has := func(ok func(vector) bool) bool {
		for _, v := range vectors {
			if ok(v) {
				return true
			}
		}
		return false
	}
	cases := map[string]func(vector) bool{
		"a hello":   func(v vector) bool { return v.typ == Hello },
		"a prove":   func(v vector) bool { return v.typ == Prove },
		"a request": func(v vector) bool { return v.typ == Request },
		"stdin with 0x00 and 0xff": func(v vector) bool {
			return v.typ == Stdin && bytes.IndexByte(v.payload, 0) >= 0 && bytes.IndexByte(v.payload, 0xff) >= 0
		},
		"an empty stdin EOF":    func(v vector) bool { return v.typ == StdinEOF && len(v.payload) == 0 },
		"an exit with code 137": func(v vector) bool { return v.typ == Exit && string(v.payload) == `{"code":137}` },
		"a zero-length stdout":  func(v vector) bool { return v.typ == Stdout && len(v.payload) == 0 },
		"a JSON payload that decodes": func(v vector) bool {
			return v.typ == Resize && (Frame{v.typ, v.payload}).DecodeJSON(&ResizePayload{}) == nil
		},
	}
	for what, ok := range cases {
		if !has(ok) {
			t.Errorf("frames.hex has no vector for %s", what)
		}
	}
	for _, typ := range []Type{Hello, Prove, Request, Started, Failed, Stdin, StdinEOF, Resize, Stdout, Stderr, Kill, Exit} {
		if !has(func(v vector) bool { return v.typ == typ }) {
			t.Errorf("frames.hex has no %v frame", typ)
		}
	}
}
