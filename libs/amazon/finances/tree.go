package finances

import (
	"encoding/json"
	"fmt"
	"strconv"
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

// readNode reads one complete JSON value from dec. path names the enclosing
// event for error messages; the byte offset pins down the spot inside it.
func readNode(dec *json.Decoder, path string, depth int) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, tokenErr(dec, path, err)
	}
	return readNodeFrom(dec, tok, path, depth)
}

func readNodeFrom(dec *json.Decoder, tok json.Token, path string, depth int) (*node, error) {
	switch t := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		return &node{kind: kindBool, text: strconv.FormatBool(t)}, nil
	case json.Number:
		return &node{kind: kindNumber, text: string(t)}, nil
	case string:
		return &node{kind: kindString, text: t}, nil
	case json.Delim:
		if depth >= maxDepth {
			return nil, &ParseError{Path: path, Offset: dec.InputOffset(), Msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
		}
		switch t {
		case '{':
			n := &node{kind: kindObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, tokenErr(dec, path, err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, &ParseError{Path: path, Offset: dec.InputOffset(), Msg: "object key is not a string"}
				}
				v, err := readNode(dec, path, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.vals = append(n.vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, tokenErr(dec, path, err)
			}
			return n, nil
		case '[':
			n := &node{kind: kindArray}
			for dec.More() {
				v, err := readNode(dec, path, depth+1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, tokenErr(dec, path, err)
			}
			return n, nil
		}
	}
	return nil, &ParseError{Path: path, Offset: dec.InputOffset(), Msg: fmt.Sprintf("unexpected %v", tok)}
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
