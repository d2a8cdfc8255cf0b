package frame

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrNotObject is a JSON payload that is not an object; every JSON payload of the
// protocol is one.
var ErrNotObject = errors.New("frame: JSON payload is not an object")

// EncodeJSON encodes v as a frame's JSON payload.
func EncodeJSON(v any) ([]byte, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("frame: encode JSON: %w", err)
	}
	return payload, nil
}

// DecodeJSON decodes the frame's JSON object payload into v. Keys v does not name are
// ignored, as the protocol asks.
func (f Frame) DecodeJSON(v any) error {
	if !bytes.HasPrefix(bytes.TrimLeft(f.Payload, " \t\r\n"), []byte("{")) {
		return fmt.Errorf("frame %v: %w", f.Type, ErrNotObject)
	}
	if err := json.Unmarshal(f.Payload, v); err != nil {
		return fmt.Errorf("frame %v: decode JSON: %w", f.Type, err)
	}
	return nil
}

// WriteJSON writes one frame with v encoded as its JSON payload.
func WriteJSON(w io.Writer, t Type, v any) error {
	payload, err := EncodeJSON(v)
	if err != nil {
		return err
	}
	return Write(w, t, payload)
}
