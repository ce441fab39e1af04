package xsd

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// frame is an open element of the document.
type frame struct {
	typ      *typeDef // nil: the subtree is not validated
	st       *state   // the content model's state, for element content
	seg      string   // path segment, with [n] when the element may repeat
	line     int
	text     []byte // the value, for simple content
	counts   map[qname]int
	textSeen bool // text in element-only content was reported
}

type validation struct {
	s        *Schema
	problems []Problem
	stack    []frame
	m        matcher
	rootNS   string
	rootSeen bool
	stop     bool
}

// Validate reads the document from r and returns every problem it finds
// in document order, at most MaxProblems; none means the document is
// valid. A document that is not well-formed XML yields a problem at the
// place it breaks, and nothing after it is checked; so does a document
// element the schema does not declare (including one in another
// namespace, such as another version of the message).
//
// The document is read as a stream; memory grows with the nesting depth
// and the longest text value, not with the document's size. UTF-8,
// US-ASCII and ISO-8859-1 documents are read.
func (s *Schema) Validate(r io.Reader) []Problem {
	v := &validation{s: s}
	d := xml.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	d.CharsetReader = charsetReader
	for !v.stop && len(v.problems) < MaxProblems {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				line = se.Line
				v.add(line, v.path(), "not well-formed XML: "+se.Msg)
			} else {
				v.add(line, v.path(), "cannot read the document: "+err.Error())
			}
			return v.problems
		}
		switch t := tok.(type) {
		case xml.StartElement:
			v.start(t, line)
		case xml.EndElement:
			v.end(line)
		case xml.CharData:
			v.text(t, line)
		}
	}
	if !v.rootSeen && len(v.problems) == 0 {
		v.add(1, "/", "the document has no element")
	}
	return v.problems
}

func (v *validation) add(line int, path, msg string) {
	if len(v.problems) < MaxProblems {
		v.problems = append(v.problems, Problem{Line: line, Path: path, Msg: msg})
	}
}

func (v *validation) path() string {
	if len(v.stack) == 0 {
		return "/"
	}
	var b strings.Builder
	for _, f := range v.stack {
		b.WriteByte('/')
		b.WriteString(f.seg)
	}
	return b.String()
}

func (v *validation) display(q qname) string {
	if q.ns == v.rootNS {
		return q.local
	}
	if q.ns == "" {
		return q.local + " (no namespace)"
	}
	return "{" + q.ns + "}" + q.local
}

func (v *validation) start(t xml.StartElement, line int) {
	q := qname{t.Name.Space, t.Name.Local}
	if len(v.stack) == 0 {
		v.root(q, t, line)
		return
	}
	parent := &v.stack[len(v.stack)-1]
	if parent.typ == nil {
		v.open(frame{seg: v.display(q), line: line})
		return
	}
	if parent.st == nil {
		what := "has no child elements"
		if parent.typ.simple != nil {
			what = "has a simple value, no child elements"
		}
		v.add(line, v.path(), fmt.Sprintf("unexpected element %s: %s %s", v.display(q), parent.typ.name, what))
		v.open(frame{seg: v.display(q), line: line})
		return
	}
	v.m = matcher{}
	p := v.m.feed(parent.st, q)
	if p == nil {
		full := v.m.full
		v.m = matcher{lenient: true}
		p = v.m.feed(parent.st, q)
		if p != nil {
			for _, miss := range v.m.missing {
				v.add(line, v.path(), fmt.Sprintf("missing required element %s before %s", miss, v.display(q)))
			}
		} else {
			v.misplaced(parent, q, full, t, line)
			return
		}
	}
	seg := v.display(q)
	if p.max != 1 {
		if parent.counts == nil {
			parent.counts = map[qname]int{}
		}
		parent.counts[q]++
		seg += "[" + strconv.Itoa(parent.counts[q]) + "]"
	}
	switch {
	case p.kind == pElement:
		v.push(p.decl.typ, seg, line, t.Attr)
	case p.process == processSkip:
		v.open(frame{seg: seg, line: line})
	default:
		if d := v.s.elements[q]; d != nil {
			v.push(d.typ, seg, line, t.Attr)
			return
		}
		if p.process == processStrict {
			v.open(frame{seg: seg, line: line})
			v.add(line, v.path(), fmt.Sprintf("no declaration for %s, which the wildcard requires (processContents strict)", v.display(q)))
			return
		}
		v.open(frame{seg: seg, line: line})
	}
}

// misplaced reports an element the content model does not accept here
// and goes on inside it with its declaration, when the model has one for
// its name, so that problems within it are found too.
func (v *validation) misplaced(parent *frame, q qname, full *particle, t xml.StartElement, line int) {
	var exp []*particle
	v.m = matcher{}
	v.m.firsts(parent.st, &exp)
	want := "no more elements"
	if len(exp) > 0 {
		names := make([]string, len(exp))
		for i, p := range exp {
			names[i] = "any element"
			if p.kind == pElement {
				names[i] = v.display(p.name)
			}
		}
		want = listSome(names, 8)
	}
	known := parent.typ.names[q]
	var msg string
	switch {
	case full != nil && full.kind == pElement:
		msg = fmt.Sprintf("too many %s elements: at most %s (expected here: %s)", v.display(q), occursText(full.max), want)
	case full != nil:
		msg = fmt.Sprintf("too many %s elements: the group %s occurs at most %s (expected here: %s)", v.display(q), describe(full), occursText(full.max), want)
	case known != nil:
		msg = fmt.Sprintf("element %s is out of order (expected here: %s)", v.display(q), want)
	default:
		msg = fmt.Sprintf("unexpected element %s (expected here: %s)", v.display(q), want)
	}
	seg := v.display(q)
	v.add(line, v.path()+"/"+seg, msg)
	if known != nil {
		v.push(known.decl.typ, seg, line, t.Attr)
		return
	}
	v.open(frame{seg: seg, line: line})
}

func (v *validation) root(q qname, t xml.StartElement, line int) {
	if v.rootSeen {
		v.add(line, "/"+v.display(q), "a second document element")
		v.stop = true
		return
	}
	v.rootSeen = true
	v.rootNS = q.ns
	d := v.s.elements[q]
	if d == nil {
		var same, all []string
		for g := range v.s.elements {
			all = append(all, "{"+g.ns+"}"+g.local)
			if g.local == q.local {
				same = append(same, g.ns)
			}
		}
		sort.Strings(same)
		sort.Strings(all)
		if len(same) > 0 {
			v.add(line, "/"+q.local, fmt.Sprintf("the document is in namespace %q, the schema's %s is in %q", q.ns, q.local, strings.Join(same, `", "`)))
		} else {
			v.add(line, "/"+q.local, fmt.Sprintf("the schema declares no element {%s}%s (it declares %s)", q.ns, q.local, listSome(all, 4)))
		}
		v.stop = true
		return
	}
	v.push(d.typ, q.local, line, t.Attr)
}

// open pushes f, giving it the text buffer the last frame at its depth
// had, so that values are collected without an allocation each.
func (v *validation) open(f frame) {
	if n := len(v.stack); n < cap(v.stack) {
		f.text = v.stack[:n+1][n].text[:0]
	}
	v.stack = append(v.stack, f)
}

// push opens an element of type typ and checks its attributes.
func (v *validation) push(typ *typeDef, seg string, line int, attrs []xml.Attr) {
	f := frame{typ: typ, seg: seg, line: line}
	if typ.content != nil {
		f.st = newState(typ.content)
	}
	v.open(f)
	var seen uint64 // bit i: typ.attrs[i] present (types have few attributes)
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if a.Name.Space == xsiNS {
			switch a.Name.Local {
			case "schemaLocation", "noNamespaceSchemaLocation":
			default:
				v.add(line, v.path(), fmt.Sprintf("attribute xsi:%s is not supported", a.Name.Local))
			}
			continue
		}
		aq := qname{a.Name.Space, a.Name.Local}
		found := false
		for i, d := range typ.attrs {
			if d.name != aq {
				continue
			}
			found = true
			if i < 64 {
				seen |= 1 << i
			}
			if msg := d.typ.check(a.Value); msg != "" {
				v.add(line, v.path(), "attribute "+a.Name.Local+": "+msg)
			}
			break
		}
		if !found {
			name := a.Name.Local
			if a.Name.Space != "" {
				name = "{" + a.Name.Space + "}" + name
			}
			v.add(line, v.path(), fmt.Sprintf("attribute %s is not allowed on %s", name, typ.name))
		}
	}
	for i, d := range typ.attrs {
		if d.required && (i >= 64 || seen&(1<<i) == 0) {
			if i >= 64 && hasAttr(attrs, d.name) {
				continue
			}
			v.add(line, v.path(), "missing required attribute "+d.name.local)
		}
	}
}

func hasAttr(attrs []xml.Attr, q qname) bool {
	for _, a := range attrs {
		if a.Name.Space == q.ns && a.Name.Local == q.local {
			return true
		}
	}
	return false
}

func (v *validation) end(line int) {
	if len(v.stack) == 0 {
		return
	}
	f := &v.stack[len(v.stack)-1]
	switch {
	case f.typ == nil:
	case f.typ.simple != nil:
		if msg := f.typ.simple.check(string(f.text)); msg != "" {
			v.add(f.line, v.path(), msg)
		}
	case f.st != nil:
		v.m = matcher{}
		if !v.m.satisfied(f.st) {
			for _, miss := range v.m.required(f.st) {
				v.add(line, v.path(), "missing required element "+miss)
			}
		}
	}
	v.stack = v.stack[:len(v.stack)-1]
}

func (v *validation) text(t xml.CharData, line int) {
	if len(v.stack) == 0 {
		if !isSpace(t) {
			v.add(line, "/", "text outside the document element")
		}
		return
	}
	f := &v.stack[len(v.stack)-1]
	switch {
	case f.typ == nil:
	case f.typ.simple != nil:
		f.text = append(f.text, t...)
	case !f.typ.mixed && !f.textSeen && !isSpace(t):
		f.textSeen = true
		v.add(line, v.path(), fmt.Sprintf("text %s is not allowed: %s has element content only", quote(strings.TrimSpace(string(t))), f.typ.name))
	}
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// charsetReader lets documents declare US-ASCII or ISO-8859-1 besides
// UTF-8; anything else is a problem of the document.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1":
		return &latin1Reader{r: bufio.NewReader(input)}, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported (UTF-8, US-ASCII or ISO-8859-1)", label)
}

type latin1Reader struct {
	r   *bufio.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.buf) > 0 {
			c := copy(p[n:], l.buf)
			l.buf = l.buf[c:]
			n += c
			continue
		}
		b, err := l.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b < utf8.RuneSelf {
			p[n] = b
			n++
			continue
		}
		l.buf = utf8.AppendRune(l.buf[:0], rune(b))
	}
	return n, nil
}
