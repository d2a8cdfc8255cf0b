package frame

import (
	"bytes"
	"errors"
	"testing"
)

func TestJSONPayloadIgnoresKeysItDoesNotKnow(t *testing.T) {
	var exit ExitPayload
	f := Frame{Exit, []byte(`{"code":3,"reason":"idle","nested":{"a":[1]}}`)}
	if err := f.DecodeJSON(&exit); err != nil || exit.Code != 3 {
		t.Fatalf("got %+v, %v", exit, err)
	}
}

func TestJSONPayloadMustBeAnObject(t *testing.T) {
	for _, payload := range []string{``, `null`, `3`, `[{"code":1}]`, `"x"`} {
		var exit ExitPayload
		if err := (Frame{Exit, []byte(payload)}).DecodeJSON(&exit); !errors.Is(err, ErrNotObject) {
			t.Errorf("%q: %v, want ErrNotObject", payload, err)
		}
	}
}

func TestMalformedJSONPayloadIsAnError(t *testing.T) {
	var exit ExitPayload
	if err := (Frame{Exit, []byte(`{"code":`)}).DecodeJSON(&exit); err == nil {
		t.Fatal("decoded a truncated object")
	}
	if err := (Frame{Exit, []byte(`{"code":"1"}`)}).DecodeJSON(&exit); err == nil {
		t.Fatal("decoded a string code")
	}
}

func TestWriteJSONEncodesTheHelloTheBrokerExpects(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, Hello, HelloPayload{V: 1, UID: 1000}); err != nil {
		t.Fatal(err)
	}
	want := append([]byte{'H', 0, 0, 0, 18}, `{"v":1,"uid":1000}`...)
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("got %q, want %q", buf.Bytes(), want)
	}
}
