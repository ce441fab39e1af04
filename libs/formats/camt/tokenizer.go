package camt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// TokenKind says what a Token is.
type TokenKind uint8

// The token kinds the tokenizer yields. Comments, processing instructions
// (including the XML declaration) and DOCTYPE directives are consumed
// silently; DeclaredEncoding reports the declaration's encoding.
const (
	StartElement TokenKind = iota + 1
	EndElement
	CharData
)

// Attr is one attribute of a start element, with the namespace prefix of
// its name stripped. Value has entities replaced and line ends normalised.
type Attr struct {
	Name  []byte
	Value []byte
}

// Token is one XML token. Its byte slices point into the tokenizer's buffer
// and are valid only until the next call to Next.
type Token struct {
	Kind TokenKind
	// Name is the element's local name (prefix stripped) for StartElement
	// and EndElement.
	Name []byte
	// Attrs are a StartElement's attributes, in document order.
	Attrs []Attr
	// Text is the character data for CharData, entities and CDATA sections
	// resolved, "\r\n" and lone "\r" turned into "\n".
	Text []byte
	// SelfClosing is true for a StartElement written as <a/>; the matching
	// EndElement follows as the next token.
	SelfClosing bool
}

// ErrTokenTooLarge means a single token (tag, text run) exceeded the
// tokenizer's limit; it protects the constant-memory promise against
// hostile input.
var ErrTokenTooLarge = errors.New("xml token larger than 16 MiB")

// MaxDepth is the deepest element nesting the Tokenizer accepts. Real camt
// messages nest fewer than 15 levels; the bound keeps a hostile document
// from growing the open-element stack without limit (eight million levels
// took 1.3 GB).
const MaxDepth = 64

// ErrTooDeep means elements are nested deeper than MaxDepth levels. The
// *SyntaxError that carries it names the line and the element path.
var ErrTooDeep = fmt.Errorf("xml elements nested deeper than %d levels", MaxDepth)

// SyntaxError is a malformed-XML error at a byte offset and line.
type SyntaxError struct {
	Offset int64
	Line   int
	Msg    string
	// Err is the sentinel error the problem is an instance of (ErrTooDeep),
	// or nil for plain malformed XML.
	Err error
}

func (e *SyntaxError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("line %d: %v: %s", e.Line, e.Err, e.Msg)
	}
	return fmt.Sprintf("line %d: xml syntax error: %s", e.Line, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

const (
	minRead      = 64 << 10
	maxTokenSize = 16 << 20
)

// Tokenizer is a small, fast, non-validating XML tokenizer. It checks that
// tags nest and match (as encoding/xml does), resolves the five predefined
// entities and character references, CDATA sections and line ends, strips
// namespace prefixes to local names, and skips comments, processing
// instructions and directives. It does not check that names or text use
// only XML characters and does not check UTF-8; both are left to the
// caller. Its speed comes from scanning with bytes.IndexByte over a large
// buffer and handing out slices of that buffer instead of copying.
type Tokenizer struct {
	r       io.Reader
	buf     []byte
	pos     int   // next unread byte in buf
	end     int   // end of valid data in buf
	base    int64 // file offset of buf[0]
	lines   int   // newlines before buf[0]
	eof     bool
	rerr    error
	stack   [][]byte // open element raw names (prefix included)
	stackB  []byte   // backing store for stack names
	stackO  []int    // offsets into stackB
	text    []byte   // scratch for decoded text
	attrs   []Attr
	attrBuf []byte
	pendEnd bool // emit EndElement for a self-closing tag next
	pendNm  []byte
	tok     Token
	decl    []byte // encoding value of the XML declaration, if seen
}

// NewTokenizer returns a Tokenizer reading r.
func NewTokenizer(r io.Reader) *Tokenizer {
	return &Tokenizer{r: r, buf: make([]byte, 256<<10)}
}

// Depth is the number of open elements.
func (t *Tokenizer) Depth() int { return len(t.stackO) }

// DeclaredEncoding returns the encoding named in the XML declaration, or ""
// when there was none (or no declaration yet).
func (t *Tokenizer) DeclaredEncoding() string { return string(t.decl) }

// Offset is the file offset of the next unread byte.
func (t *Tokenizer) Offset() int64 { return t.base + int64(t.pos) }

// Line is the 1-based line of the next unread byte.
func (t *Tokenizer) Line() int {
	return t.lines + bytes.Count(t.buf[:t.pos], []byte{'\n'}) + 1
}

func (t *Tokenizer) syntax(format string, args ...any) error {
	return &SyntaxError{Offset: t.Offset(), Line: t.Line(), Msg: fmt.Sprintf(format, args...)}
}

// fill reads more data, keeping buf[keep:] (keep <= pos). It returns false
// when no more data can come.
func (t *Tokenizer) fill(keep int) (bool, error) {
	if t.eof {
		return false, t.rerr
	}
	if keep > 0 {
		t.lines += bytes.Count(t.buf[:keep], []byte{'\n'})
		n := copy(t.buf, t.buf[keep:t.end])
		t.base += int64(keep)
		t.pos -= keep
		t.end = n
	}
	if len(t.buf)-t.end < minRead {
		if t.end >= maxTokenSize {
			return false, ErrTokenTooLarge
		}
		nb := make([]byte, 2*len(t.buf)+minRead)
		copy(nb, t.buf[:t.end])
		t.buf = nb
	}
	for {
		n, err := t.r.Read(t.buf[t.end:])
		t.end += n
		if err != nil {
			t.eof = true
			if !errors.Is(err, io.EOF) {
				t.rerr = err
				return n > 0, err
			}
			return n > 0, nil
		}
		if n > 0 {
			return true, nil
		}
	}
}

// errNeedMore signals that the token at pos is incomplete in the buffer.
var errNeedMore = errors.New("need more input")

// Next returns the next token, or io.EOF after the last one. At EOF it
// reports an error if elements are still open.
func (t *Tokenizer) Next() (*Token, error) {
	if t.pendEnd {
		t.pendEnd = false
		t.setToken(EndElement, localName(t.pendNm), nil, nil, false)
		return &t.tok, nil
	}
	for {
		if t.pos >= t.end {
			more, err := t.fill(t.pos)
			if err != nil {
				return nil, err
			}
			if !more {
				if len(t.stackO) > 0 {
					return nil, t.syntax("unexpected EOF: element <%s> is not closed", t.top())
				}
				return nil, io.EOF
			}
		}
		start := t.pos
		var (
			tok *Token
			err error
		)
		if t.buf[t.pos] == '<' {
			tok, err = t.markup()
		} else {
			tok, err = t.charData()
		}
		if err == errNeedMore {
			t.pos = start
			more, ferr := t.fill(start)
			if ferr != nil {
				return nil, ferr
			}
			if !more {
				if t.buf[t.pos] != '<' {
					// Text running to EOF.
					tok, err = t.charDataEOF()
				} else {
					return nil, t.syntax("unexpected EOF inside markup")
				}
			} else {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		if tok != nil {
			return tok, nil
		}
	}
}

// setToken sets t.tok field by field: assigning a whole Token to the
// heap-allocated tokenizer makes the runtime copy it with a bulk write
// barrier while the garbage collector runs, which cost more than the
// scanning.
func (t *Tokenizer) setToken(kind TokenKind, name []byte, attrs []Attr, text []byte, self bool) {
	t.tok.Kind, t.tok.SelfClosing = kind, self
	t.tok.Name, t.tok.Attrs, t.tok.Text = name, attrs, text
}

func (t *Tokenizer) top() []byte {
	n := len(t.stackO)
	if n == 0 {
		return nil
	}
	return t.stackB[t.stackO[n-1]:]
}

// tooDeep is the error for a start tag name that would open level
// MaxDepth+1. Its path shows the outermost and innermost open elements.
func (t *Tokenizer) tooDeep(name []byte) error {
	names := make([]string, 0, len(t.stackO)+1)
	for i, off := range t.stackO {
		end := len(t.stackB)
		if i+1 < len(t.stackO) {
			end = t.stackO[i+1]
		}
		names = append(names, string(localName(t.stackB[off:end])))
	}
	names = append(names, string(localName(name)))
	const head, tail = 5, 3
	if len(names) > head+tail+1 {
		skipped := len(names) - head - tail
		names = append(append(names[:head:head], fmt.Sprintf("…%d more…", skipped)), names[len(names)-tail:]...)
	}
	return &SyntaxError{
		Offset: t.Offset(), Line: t.Line(), Err: ErrTooDeep,
		Msg: fmt.Sprintf("element <%s> would be level %d: /%s", localName(name), len(t.stackO)+1, strings.Join(names, "/")),
	}
}

func (t *Tokenizer) push(name []byte) {
	t.stackO = append(t.stackO, len(t.stackB))
	t.stackB = append(t.stackB, name...)
}

func (t *Tokenizer) pop() {
	n := len(t.stackO)
	t.stackB = t.stackB[:t.stackO[n-1]]
	t.stackO = t.stackO[:n-1]
}

// charData scans text up to the next '<'.
func (t *Tokenizer) charData() (*Token, error) {
	i := bytes.IndexByte(t.buf[t.pos:t.end], '<')
	if i < 0 {
		return nil, errNeedMore
	}
	raw := t.buf[t.pos : t.pos+i]
	if err := t.checkChars(raw); err != nil {
		return nil, err
	}
	text, err := t.unescape(raw, false)
	if err != nil {
		return nil, err
	}
	t.pos += i
	t.setToken(CharData, nil, nil, text, false)
	return &t.tok, nil
}

func (t *Tokenizer) charDataEOF() (*Token, error) {
	raw := t.buf[t.pos:t.end]
	if err := t.checkChars(raw); err != nil {
		return nil, err
	}
	text, err := t.unescape(raw, false)
	if err != nil {
		return nil, err
	}
	t.pos = t.end
	t.setToken(CharData, nil, nil, text, false)
	return &t.tok, nil
}

// checkChars refuses a control character in text, which XML does not
// allow (only TAB, LF and CR are), as encoding/xml does: a NUL or an
// escape in a remittance text would otherwise travel in the events to
// every read model, and PostgreSQL cannot store a NUL in text.
func (t *Tokenizer) checkChars(raw []byte) error {
	for _, c := range raw {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return t.syntax("illegal character code U+%04X", c)
		}
	}
	return nil
}

// unescape resolves entities and line ends in raw. It returns raw itself
// when nothing needs changing.
func (t *Tokenizer) unescape(raw []byte, attr bool) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return raw, nil
	}
	out := t.text[:0]
	if attr {
		out = t.attrBuf
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case '\r':
			out = append(out, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case '&':
			j := bytes.IndexByte(raw[i:], ';')
			if j < 0 {
				return nil, t.syntax("invalid character entity %q (no semicolon)", truncate(raw[i:]))
			}
			ent := raw[i+1 : i+j]
			r, ok := entity(ent)
			if !ok {
				return nil, t.syntax("invalid character entity &%s;", truncate(ent))
			}
			out = utf8.AppendRune(out, r)
			i += j + 1
		default:
			j := i + 1
			for j < len(raw) && raw[j] != '&' && raw[j] != '\r' {
				j++
			}
			out = append(out, raw[i:j]...)
			i = j
		}
	}
	if attr {
		t.attrBuf = out
	} else {
		t.text = out
	}
	return out, nil
}

func truncate(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "…"
	}
	return string(b)
}

func entity(ent []byte) (rune, bool) {
	switch string(ent) {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	var n uint64
	digits := ent[1:]
	base := uint64(10)
	if digits[0] == 'x' {
		base = 16
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return 0, false
	}
	for _, c := range digits {
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		n = n*base + d
		if n > maxRune {
			return 0, false
		}
	}
	r := rune(n)
	if !isXMLChar(r) {
		return 0, false
	}
	return r, true
}

const maxRune = 0x10FFFF

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// markup handles everything that starts with '<'.
func (t *Tokenizer) markup() (*Token, error) {
	b := t.buf[t.pos:t.end]
	if len(b) < 2 {
		return nil, errNeedMore
	}
	switch b[1] {
	case '/':
		return t.endTag(b)
	case '?':
		return nil, t.procInst(b)
	case '!':
		return t.bang(b)
	}
	return t.startTag(b)
}

func isSpace(c byte) bool { return byteClass[c]&classSpace != 0 }

func isNameEnd(c byte) bool { return byteClass[c]&classNameEnd != 0 }

// Byte classes for the scanning loops: one table load per byte instead of
// a chain of comparisons.
const (
	classSpace   = 1 << iota // ' ', '\t', '\n', '\r'
	classNameEnd             // space or one of / > = < " '
)

var byteClass = [256]uint8{
	' ': classSpace | classNameEnd, '\t': classSpace | classNameEnd, '\n': classSpace | classNameEnd, '\r': classSpace | classNameEnd,
	'/': classNameEnd, '>': classNameEnd, '=': classNameEnd, '<': classNameEnd, '"': classNameEnd, '\'': classNameEnd,
}

// localName strips the prefix of a qualified name the way encoding/xml
// does: only a single colon with text on both sides separates a prefix.
func localName(n []byte) []byte {
	i := bytes.IndexByte(n, ':')
	if i <= 0 || i == len(n)-1 {
		return n
	}
	return n[i+1:]
}

func (t *Tokenizer) endTag(b []byte) (*Token, error) {
	i := 2
	for i < len(b) && !isNameEnd(b[i]) {
		i++
	}
	if i >= len(b) {
		return nil, errNeedMore
	}
	name := b[2:i]
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i >= len(b) {
		return nil, errNeedMore
	}
	if b[i] != '>' {
		return nil, t.syntax("invalid characters between </%s and >", name)
	}
	if len(name) == 0 {
		return nil, t.syntax("expected element name after </")
	}
	if len(t.stackO) == 0 {
		return nil, t.syntax("unexpected end element </%s>", name)
	}
	if !bytes.Equal(t.top(), name) {
		return nil, t.syntax("element <%s> closed by </%s>", t.top(), name)
	}
	t.pop()
	t.pos += i + 1
	t.setToken(EndElement, localName(name), nil, nil, false)
	return &t.tok, nil
}

func (t *Tokenizer) startTag(b []byte) (*Token, error) {
	i := 1
	for i < len(b) && !isNameEnd(b[i]) {
		i++
	}
	if i >= len(b) {
		return nil, errNeedMore
	}
	name := b[1:i]
	if len(name) == 0 {
		return nil, t.syntax("expected element name after <")
	}
	t.attrs = t.attrs[:0]
	t.attrBuf = t.attrBuf[:0]
	if b[i] == '>' {
		// No attributes, as for almost every camt element: skip the
		// attribute machinery below.
		if len(t.stackO) >= MaxDepth {
			return nil, t.tooDeep(name)
		}
		t.push(name)
		t.pos += i + 1
		t.setToken(StartElement, localName(name), t.attrs, nil, false)
		return &t.tok, nil
	}
	type span struct{ ns, ne, vs, ve int }
	var spans [8]span
	sp := spans[:0]
	self := false
	for {
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil, errNeedMore
		}
		if b[i] == '>' {
			i++
			break
		}
		if b[i] == '/' {
			if i+1 >= len(b) {
				return nil, errNeedMore
			}
			if b[i+1] != '>' {
				return nil, t.syntax("expected /> in element <%s>", name)
			}
			self = true
			i += 2
			break
		}
		ns := i
		for i < len(b) && !isNameEnd(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil, errNeedMore
		}
		ne := i
		if ne == ns {
			return nil, t.syntax("expected attribute name in element <%s>", name)
		}
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil, errNeedMore
		}
		if b[i] != '=' {
			return nil, t.syntax("attribute %s in element <%s> has no value", b[ns:ne], name)
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil, errNeedMore
		}
		q := b[i]
		if q != '"' && q != '\'' {
			return nil, t.syntax("unquoted value of attribute %s in element <%s>", b[ns:ne], name)
		}
		i++
		j := bytes.IndexByte(b[i:], q)
		if j < 0 {
			return nil, errNeedMore
		}
		if bytes.IndexByte(b[i:i+j], '<') >= 0 {
			return nil, t.syntax("unescaped < inside attribute value in element <%s>", name)
		}
		sp = append(sp, span{ns, ne, i, i + j})
		i += j + 1
	}
	// The tag is complete; now decode attribute values. Values that need
	// unescaping go to attrBuf, so record offsets first and slice after.
	type dec struct {
		off, n int
		raw    bool
	}
	var decs [8]dec
	ds := decs[:0]
	for _, s := range sp {
		raw := b[s.vs:s.ve]
		if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 && bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\t') < 0 {
			ds = append(ds, dec{raw: true})
			continue
		}
		off := len(t.attrBuf)
		if err := t.attrValue(raw); err != nil {
			return nil, err
		}
		ds = append(ds, dec{off: off, n: len(t.attrBuf) - off})
	}
	for k, s := range sp {
		v := b[s.vs:s.ve]
		if !ds[k].raw {
			v = t.attrBuf[ds[k].off : ds[k].off+ds[k].n]
		}
		t.attrs = append(t.attrs, Attr{Name: localName(b[s.ns:s.ne]), Value: v})
	}
	if len(t.stackO) >= MaxDepth {
		return nil, t.tooDeep(name)
	}
	t.push(name)
	t.pos += i
	t.setToken(StartElement, localName(name), t.attrs, nil, self)
	if self {
		t.pop()
		t.pendEnd = true
		t.pendNm = name
	}
	return &t.tok, nil
}

// attrValue appends the decoded value to attrBuf. Like encoding/xml it
// resolves entities and turns "\r\n" and "\r" into "\n"; it does not
// normalise other white space.
func (t *Tokenizer) attrValue(raw []byte) error {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case '\r':
			t.attrBuf = append(t.attrBuf, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case '&':
			j := bytes.IndexByte(raw[i:], ';')
			if j < 0 {
				return t.syntax("invalid character entity %q (no semicolon)", truncate(raw[i:]))
			}
			r, ok := entity(raw[i+1 : i+j])
			if !ok {
				return t.syntax("invalid character entity &%s;", truncate(raw[i+1:i+j]))
			}
			t.attrBuf = utf8.AppendRune(t.attrBuf, r)
			i += j + 1
		default:
			t.attrBuf = append(t.attrBuf, c)
			i++
		}
	}
	return nil
}

// procInst skips <?target ...?>, remembering the XML declaration's
// encoding.
func (t *Tokenizer) procInst(b []byte) error {
	j := bytes.Index(b[2:], []byte("?>"))
	if j < 0 {
		return errNeedMore
	}
	body := b[2 : 2+j]
	target := body
	if k := bytes.IndexFunc(body, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }); k >= 0 {
		target = body[:k]
	}
	if len(target) == 0 {
		return t.syntax("expected target name after <?")
	}
	if string(target) == "xml" {
		if v := pseudoAttr(body, "version"); v != "" && v != "1.0" {
			return t.syntax("unsupported XML version %q", v)
		}
		t.decl = append(t.decl[:0], pseudoAttr(body, "encoding")...)
	}
	t.pos += 2 + j + 2
	return nil
}

// pseudoAttr finds name="value" or name='value' in a declaration body,
// with exactly the (loose) rules encoding/xml applies, so both agree on
// which declarations they accept.
func pseudoAttr(body []byte, name string) string {
	s := string(body)
	param := name + "="
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || len(param)+k >= len(sub) {
			return ""
		}
		i += len(param) + k + 1
		if c := sub[len(param)+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// bang handles comments, CDATA sections and directives.
func (t *Tokenizer) bang(b []byte) (*Token, error) {
	if len(b) < 4 {
		return nil, errNeedMore
	}
	if b[2] == '-' {
		if b[3] != '-' {
			return nil, t.syntax("invalid sequence <!- not part of <!--")
		}
		j := bytes.Index(b[4:], []byte("-->"))
		if j < 0 {
			return nil, errNeedMore
		}
		t.pos += 4 + j + 3
		return nil, nil
	}
	if b[2] == '[' {
		const open = "<![CDATA["
		if len(b) < len(open) {
			return nil, errNeedMore
		}
		if string(b[:len(open)]) != open {
			return nil, t.syntax("invalid <![ sequence")
		}
		j := bytes.Index(b[len(open):], []byte("]]>"))
		if j < 0 {
			return nil, errNeedMore
		}
		raw := b[len(open) : len(open)+j]
		text := raw
		if bytes.IndexByte(raw, '\r') >= 0 {
			out := t.text[:0]
			for i := 0; i < len(raw); i++ {
				if raw[i] == '\r' {
					out = append(out, '\n')
					if i+1 < len(raw) && raw[i+1] == '\n' {
						i++
					}
					continue
				}
				out = append(out, raw[i])
			}
			t.text = out
			text = out
		}
		t.pos += len(open) + j + 3
		t.setToken(CharData, nil, nil, text, false)
		return &t.tok, nil
	}
	// A directive such as <!DOCTYPE ...>: skip it the way encoding/xml
	// does: the first byte after <! is taken literally, quotes hide '>',
	// nested <...> count, and <!-- ... --> inside is skipped.
	var quote byte
	depth := 0
	i := 3
	for {
		if i >= len(b) {
			return nil, errNeedMore
		}
		c := b[i]
		i++
		if quote == 0 && c == '>' && depth == 0 {
			t.pos += i
			return nil, nil
		}
	handle:
		switch {
		case c == quote:
			quote = 0
		case quote != 0:
		case c == '\'' || c == '"':
			quote = c
		case c == '>':
			depth--
		case c == '<':
			for _, want := range []byte("!--") {
				if i >= len(b) {
					return nil, errNeedMore
				}
				c = b[i]
				i++
				if c != want {
					depth++
					goto handle
				}
			}
			var b0, b1 byte
			for {
				if i >= len(b) {
					return nil, errNeedMore
				}
				c = b[i]
				i++
				if b0 == '-' && b1 == '-' && c == '>' {
					break
				}
				b0, b1 = b1, c
			}
		}
	}
}
