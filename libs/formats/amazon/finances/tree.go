package finances

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// maxDepth bounds the nesting of one event; real events nest about six deep.
const maxDepth = 64

// nodeKind is the JSON type of a node.
type nodeKind uint8

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

// node is one JSON value of a single event, kept in file order so that
// components come out in the order Amazon wrote them. Numbers keep their
// text; nothing is converted to float64.
type node struct {
	kind nodeKind
	text string   // string value, number text, or "true"/"false"
	keys []string // object member names, parallel to vals
	vals []*node  // object member values or array elements
}

// get returns the first member of an object whose name matches key without
// regard to case, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	for i, k := range n.keys {
		if strings.EqualFold(k, key) {
			return n.vals[i]
		}
	}
	return nil
}

// str returns the string value of member key, or "" when it is absent or not
// a string. Numbers are returned as written, since some ids come as numbers.
func (n *node) str(key string) string {
	v := n.get(key)
	if v == nil || (v.kind != kindString && v.kind != kindNumber) {
		return ""
	}
	return v.text
}

// skipValue reads and discards one JSON value in constant memory (apart from
// the decoder's own buffer).
func skipValue(dec *json.Decoder, path string) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return tokenErr(dec, path, err)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func (k nodeKind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindBool:
		return "a boolean"
	case kindNumber:
		return "a number"
	case kindString:
		return "a string"
	case kindObject:
		return "an object"
	}
	return "an array"
}

// rawParser builds a node tree from one JSON value that json.Decoder has
// already read and validated (a json.RawMessage). It is much faster than
// walking the value with Decoder.Token, which decodes every scalar through
// reflection. It still checks every byte it relies on, so malformed input
// yields an error, never a panic.
type rawParser struct {
	b    []byte
	i    int
	path string
	off  int64
}

// parseRaw parses b, the raw bytes of the value at path that starts at byte
// off of the input.
func parseRaw(b []byte, path string, off int64) (*node, error) {
	r := &rawParser{b: b, path: path, off: off}
	n, err := r.value(0)
	if err != nil {
		return nil, err
	}
	r.ws()
	if r.i != len(r.b) {
		return nil, r.fail("unexpected data after the value")
	}
	return n, nil
}

func (r *rawParser) fail(msg string) error {
	return &ParseError{Path: r.path, Offset: r.off + int64(r.i), Msg: "invalid JSON: " + msg}
}

func (r *rawParser) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// expect skips white space and consumes c.
func (r *rawParser) expect(c byte) error {
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != c {
		return r.fail(fmt.Sprintf("expected %q", c))
	}
	r.i++
	return nil
}

// next skips white space and returns the next byte without consuming it, or
// 0 at the end.
func (r *rawParser) next() byte {
	r.ws()
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

func (r *rawParser) value(depth int) (*node, error) {
	c := r.next()
	switch {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return nil, &ParseError{Path: r.path, Offset: r.off + int64(r.i), Msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
		}
		r.i++
		if c == '{' {
			return r.object(depth)
		}
		return r.array(depth)
	case c == '"':
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		return &node{kind: kindString, text: s}, nil
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(r.b[r.i:], []byte(lit)) {
				r.i += len(lit)
				if lit == "null" {
					return &node{kind: kindNull}, nil
				}
				return &node{kind: kindBool, text: lit}, nil
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		start := r.i
		for r.i < len(r.b) && strings.IndexByte("+-0123456789.eE", r.b[r.i]) >= 0 {
			r.i++
		}
		return &node{kind: kindNumber, text: string(r.b[start:r.i])}, nil
	}
	return nil, r.fail("expected a value")
}

func (r *rawParser) object(depth int) (*node, error) {
	n := &node{kind: kindObject}
	if r.next() == '}' {
		r.i++
		return n, nil
	}
	for {
		if r.next() != '"' {
			return nil, r.fail("expected an object key")
		}
		k, err := r.str()
		if err != nil {
			return nil, err
		}
		if err := r.expect(':'); err != nil {
			return nil, err
		}
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, k)
		n.vals = append(n.vals, v)
		switch r.next() {
		case ',':
			r.i++
		case '}':
			r.i++
			return n, nil
		default:
			return nil, r.fail("expected ',' or '}'")
		}
	}
}

func (r *rawParser) array(depth int) (*node, error) {
	n := &node{kind: kindArray}
	if r.next() == ']' {
		r.i++
		return n, nil
	}
	for {
		v, err := r.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.vals = append(n.vals, v)
		switch r.next() {
		case ',':
			r.i++
		case ']':
			r.i++
			return n, nil
		default:
			return nil, r.fail("expected ',' or ']'")
		}
	}
}

// str reads a string starting at the opening quote.
func (r *rawParser) str() (string, error) {
	start := r.i
	escaped := false
	for j := r.i + 1; j < len(r.b); j++ {
		switch r.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			r.i = j + 1
			if !escaped {
				return string(r.b[start+1 : j]), nil
			}
			var s string
			if err := json.Unmarshal(r.b[start:j+1], &s); err != nil {
				r.i = start
				return "", r.fail("bad string: " + err.Error())
			}
			return s, nil
		}
	}
	return "", r.fail("unterminated string")
}
