package tenants

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// kind is the JSON type of a node.
type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// String names the kind as a message would: "a string", "an object".
func (k kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// node is one JSON value of the file with where it lies, so that every
// problem can name its line. The file is read into nodes (not straight
// into structs) because encoding/json names neither the path of an unknown
// field nor a key that appears twice, and keeps the last of two.
type node struct {
	kind       kind
	start, end int64 // byte offsets of the value in the file
	str        string
	num        json.Number
	keys       []string         // object keys in file order, each once
	fields     map[string]*node // object members
	keyAt      map[string]int64 // offset of each key
	dups       []dupKey         // keys written again, in file order
	elems      []*node          // array elements
}

// dupKey is an object key written a second time.
type dupKey struct {
	key string
	at  int64
}

// raw returns the value's text as written.
func (n *node) raw(data []byte) json.RawMessage { return json.RawMessage(data[n.start:n.end]) }

// maxDepth bounds nesting: the file's deepest legitimate value is four
// levels down.
const maxDepth = 64

// syntaxError is a file that is not JSON, at an offset.
type syntaxError struct {
	at  int64
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// readTree reads data as one JSON value.
func readTree(data []byte) (*node, *syntaxError) {
	r := &reader{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	r.dec.UseNumber()
	n, serr := r.value(0)
	if serr != nil {
		return nil, serr
	}
	if _, err := r.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &syntaxError{at: r.skip(r.dec.InputOffset()), msg: "more data after the JSON object; the file holds exactly one"}
	}
	return n, nil
}

type reader struct {
	data []byte
	dec  *json.Decoder
}

// skip returns the offset of the next token at or after off.
func (r *reader) skip(off int64) int64 {
	for off < int64(len(r.data)) {
		switch r.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (r *reader) token() (json.Token, *syntaxError) {
	tok, err := r.dec.Token()
	if err == nil {
		return tok, nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, &syntaxError{at: se.Offset, msg: se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, &syntaxError{at: int64(len(r.data)), msg: "unexpected end of the file"}
	}
	return nil, &syntaxError{at: r.dec.InputOffset(), msg: err.Error()}
}

func (r *reader) value(depth int) (*node, *syntaxError) {
	start := r.skip(r.dec.InputOffset())
	if depth > maxDepth {
		return nil, &syntaxError{at: start, msg: fmt.Sprintf("nested more than %d levels deep", maxDepth)}
	}
	tok, err := r.token()
	if err != nil {
		return nil, err
	}
	n := &node{start: start}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind, n.fields, n.keyAt = kindObject, map[string]*node{}, map[string]int64{}
			for r.dec.More() {
				at := r.skip(r.dec.InputOffset())
				kt, err := r.token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string) // the decoder allows nothing else here
				child, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				if _, dup := n.fields[key]; dup {
					n.dups = append(n.dups, dupKey{key: key, at: at})
					continue
				}
				n.keys = append(n.keys, key)
				n.fields[key], n.keyAt[key] = child, at
			}
		case '[':
			n.kind = kindArray
			for r.dec.More() {
				child, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, child)
			}
		}
		if _, err := r.token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = kindString, t
	case json.Number:
		n.kind, n.num = kindNumber, t
	case bool:
		n.kind = kindBool
	case nil:
		n.kind = kindNull
	}
	n.end = r.dec.InputOffset()
	return n, nil
}
