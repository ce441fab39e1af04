package camt

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// tree is a tiny DOM of one element subtree (an entry, a balance, an
// account), rebuilt in place for every subtree so the memory it holds is
// bounded by the largest single entry, never by the file.
type tree struct {
	nodes []node
	text  []byte
	// s is text as one string, made when the subtree is complete: the
	// strings the reader takes from the tree are substrings of it, so an
	// entry costs one allocation for all its text.
	s string
	// names interns element names so building a node does not allocate;
	// recent is a direct-mapped cache in front of it, cheaper than the map
	// for the few dozen names a camt file uses.
	names  map[string]string
	recent [256]string
	// repaired is set when text that was not valid UTF-8 was read as
	// Windows-1252.
	repaired bool
}

type node struct {
	name                      string
	parent, first, last, next int32
	ts, te                    int32 // text span in tree.text
	cs, ce                    int32 // Ccy attribute span in tree.text
}

const none = int32(-1)

// maxNames bounds the intern table so hostile input with endless distinct
// element names cannot grow it.
const maxNames = 4096

func (t *tree) intern(b []byte) string {
	var slot *string
	if n := len(b); n > 0 {
		slot = &t.recent[(uint(n)*31+uint(b[0])*7+uint(b[n-1])*131+uint(b[n/2]))&255]
		if *slot == string(b) {
			return *slot
		}
	}
	if s, ok := t.names[string(b)]; ok {
		if slot != nil {
			*slot = s
		}
		return s
	}
	s := string(b)
	if t.names == nil {
		t.names = make(map[string]string)
	}
	if len(t.names) < maxNames {
		t.names[s] = s
	}
	if slot != nil {
		*slot = s
	}
	return s
}

func (t *tree) reset() {
	t.nodes = t.nodes[:0]
	t.text = t.text[:0]
	t.s = ""
}

func (t *tree) appendText(b []byte, cs charset) {
	if cs == charsetUTF8 {
		if !hasHighByte(b) || utf8.Valid(b) {
			t.text = append(t.text, b...)
			return
		}
		t.repaired = true
	}
	t.text = appendDecoded(t.text, b, cs)
}

// build reads the subtree whose start tag tok the tokenizer just returned,
// up to and including its end tag. It returns the root node (always 0).
func (t *tree) build(tz *Tokenizer, tok *Token, cs charset) error {
	t.reset()
	t.open(tok, none, cs)
	cur := int32(0)
	for cur != none {
		tok, err := tz.Next()
		if err != nil {
			return err
		}
		switch tok.Kind {
		case StartElement:
			cur = t.open(tok, cur, cs)
		case EndElement:
			cur = t.nodes[cur].parent
		case CharData:
			n := &t.nodes[cur]
			if n.first != none {
				continue // mixed content around children: not used by camt
			}
			if n.te == n.ts {
				n.ts = int32(len(t.text))
			}
			t.appendText(tok.Text, cs)
			t.nodes[cur].te = int32(len(t.text))
		}
	}
	t.s = string(t.text)
	return nil
}

func (t *tree) open(tok *Token, parent int32, cs charset) int32 {
	id := int32(len(t.nodes))
	nd := node{name: t.intern(tok.Name), parent: parent, first: none, last: none, next: none}
	for _, a := range tok.Attrs {
		if string(a.Name) == "Ccy" {
			nd.cs = int32(len(t.text))
			t.appendText(a.Value, cs)
			nd.ce = int32(len(t.text))
		}
	}
	nd.ts, nd.te = int32(len(t.text)), int32(len(t.text))
	t.nodes = append(t.nodes, nd)
	if parent != none {
		p := &t.nodes[parent]
		if p.last == none {
			p.first = id
		} else {
			t.nodes[p.last].next = id
		}
		p.last = id
	}
	return id
}

// child returns the first child of n named name, or none.
func (t *tree) child(n int32, name string) int32 {
	if n == none {
		return none
	}
	for c := t.nodes[n].first; c != none; c = t.nodes[c].next {
		if t.nodes[c].name == name {
			return c
		}
	}
	return none
}

// at follows a path of child names from n.
func (t *tree) at(n int32, names ...string) int32 {
	for _, name := range names {
		n = t.child(n, name)
		if n == none {
			return none
		}
	}
	return n
}

// each calls fn for every child of n named name, in order.
func (t *tree) each(n int32, name string, fn func(c int32)) {
	if n == none {
		return
	}
	for c := t.nodes[n].first; c != none; c = t.nodes[c].next {
		if t.nodes[c].name == name {
			fn(c)
		}
	}
}

// raw returns the text of n untrimmed ("" for none).
func (t *tree) raw(n int32) string {
	if n == none {
		return ""
	}
	return t.s[t.nodes[n].ts:t.nodes[n].te]
}

// str returns the text of n with surrounding white space removed.
func (t *tree) str(n int32) string {
	if n == none {
		return ""
	}
	return strings.TrimSpace(t.s[t.nodes[n].ts:t.nodes[n].te])
}

// ccy returns the Ccy attribute of n.
func (t *tree) ccy(n int32) string {
	if n == none {
		return ""
	}
	return strings.TrimSpace(t.s[t.nodes[n].cs:t.nodes[n].ce])
}

// repeated lists the element names whose position is always shown with an
// index in error paths.
func repeated(name string) bool {
	switch name {
	case "Stmt", "Rpt", "Ntfctn", "Ntry", "Bal", "TxDtls", "NtryDtls", "Ustrd", "Strd", "Chrgs", "Rcrd":
		return true
	}
	return false
}

// path renders the element path of n inside the subtree, with 1-based
// indexes for repeated elements. prefix is the path of the subtree root
// itself (the caller knows its index among its siblings).
func (t *tree) path(prefix string, n int32) string {
	var parts []string
	for c := n; c > 0; c = t.nodes[c].parent {
		name := t.nodes[c].name
		if p := t.nodes[c].parent; p != none && repeated(name) {
			idx := 0
			for s := t.nodes[p].first; s != none; s = t.nodes[s].next {
				if t.nodes[s].name == name {
					idx++
				}
				if s == c {
					break
				}
			}
			name += "[" + strconv.Itoa(idx) + "]"
		}
		parts = append(parts, name)
	}
	var b strings.Builder
	b.WriteString(prefix)
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}
