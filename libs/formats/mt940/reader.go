package mt940

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Limits that keep memory constant on hostile input.
const (
	maxLine     = 1 << 20  // one physical line
	maxField    = 64 << 10 // one tag's value over all its lines
	maxWarnings = 200      // warnings kept; later ones are only counted
	maxForward  = 64       // :65: balances kept per statement
	wrapWidth   = 65       // SWIFT line width that banks wrap at
)

// Options configure a Reader.
type Options struct {
	// Encoding overrides text decoding: "utf-8", "windows-1252",
	// "iso-8859-1", "iso-8859-2", "iso-8859-15", "windows-1250", "cp852",
	// "cp850" or "cp437" (case, "-" and "_" do not matter). Empty means
	// detect per line: a line that is valid UTF-8 is UTF-8, any other line
	// is Windows-1252, with a warning.
	Encoding string
	// CheckOnly makes the Reader check the file without interpreting what
	// only describes an entry: the :86: of an entry is not read and no
	// fingerprint is computed, so entries carry no Info, Details or
	// Fingerprint, and no Charges taken from :86:. Next returns the same
	// items otherwise and the same errors, and Format the same format,
	// as without it; there may be fewer warnings. It is for a pass that
	// only decides whether a file can be read, such as the first of the
	// two that o2c parse falls back to when it cannot spool its output,
	// at about twice the speed.
	CheckOnly bool
}

// ErrUnknownEncoding is returned by Next when Options.Encoding names an
// encoding the reader does not know.
var ErrUnknownEncoding = errors.New("unknown text encoding")

func lookupEncoding(name string) (encoding.Encoding, bool, error) {
	n := strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(name))
	switch n {
	case "":
		return nil, false, nil
	case "utf8":
		return nil, true, nil
	case "windows1252", "cp1252":
		return charmap.Windows1252, false, nil
	case "iso88591", "latin1":
		return charmap.ISO8859_1, false, nil
	case "iso88592", "latin2":
		return charmap.ISO8859_2, false, nil
	case "iso885915", "latin9":
		return charmap.ISO8859_15, false, nil
	case "windows1250", "cp1250":
		return charmap.Windows1250, false, nil
	case "cp852", "ibm852", "852":
		return charmap.CodePage852, false, nil
	case "cp850", "ibm850", "850":
		return charmap.CodePage850, false, nil
	case "cp437", "ibm437", "437":
		return charmap.CodePage437, false, nil
	}
	return nil, false, fmt.Errorf("%w %q", ErrUnknownEncoding, name)
}

// Reader reads MT940/MT942 statements from a byte stream. Its memory use
// does not grow with the file: it holds one line, one field, one pending
// entry and, per statement, one small counter per distinct booking (for
// Fingerprint).
type Reader struct {
	sc       *bufio.Scanner
	opt      Options
	enc      encoding.Encoding // override, nil when detecting
	forceU8  bool
	initDone bool

	line      int
	err       error
	eof       bool
	format    string
	warnings  []string
	dropped   int
	cp1252    int // lines decoded as Windows-1252 by detection
	first1252 int
	badUTF8   int // lines with invalid UTF-8 under a forced utf-8

	queue []Item
	head  int // queue[head:] are the items Next has not returned yet
	// lazy is one more than the index in queue of the entry item whose
	// Statement snapshot is still to be taken, from lazySt, or 0. The
	// snapshot is taken when Next returns the item, into its result
	// instead of into the queue (a copy of the Statement's pointers into
	// the heap that the collector had to be told about), or by snapshot
	// before the statement changes, whichever comes first.
	lazy   int
	lazySt *Statement

	st       *Statement
	started  bool // KindStatementStart emitted for st
	ended    bool // end-of-message ("-") seen since st's last tag
	closed   bool // the statement's closing balance was seen
	reopened bool

	tag     string // tag of the field being collected, "" when none
	tagLine int
	// held is a line such as "-AB" that ends a message if it is a bank
	// trailer but continues the field in progress if it was wrapped
	// there; the next line decides (see resolveHeld). holding tells
	// whether there is one, heldLine is its line number.
	held     []byte
	holding  bool
	heldLine int
	// field holds the lines of the field being collected, decoded and
	// back to back; ends holds where each line ends in it. completeField
	// turns the field into one string and lines into substrings of it, so
	// a field costs one allocation however many lines it has, and a
	// structured :86: is already joined.
	field []byte
	ends  []int
	lines []string

	dec     []byte            // decoded line, when decoding changed it
	decoder *encoding.Decoder // the override's decoder, reused per line
	fp      []byte            // fingerprint input
	acct    string            // the statement account, normalizeAccount'd as
	acctSrc string            // of this value of Statement.Account

	pending *Entry
	strs    arena // the strings of fields, purposes and fingerprints
	occ     map[[32]byte]int
	entries []Entry // newEntry hands out entries[used:]
	used    int
	expCur  string // the currency of the last exponent lookup
	exp     int
}

// entryBatch is how many entries newEntry allocates at once. A caller that
// keeps one entry keeps its batch (some 18 KB) alive.
const entryBatch = 32

// newEntry returns a zero Entry that the reader has not handed out before.
// Entries are allocated in batches: one allocation instead of one per
// entry.
func (r *Reader) newEntry() *Entry {
	if r.used == len(r.entries) {
		r.entries, r.used = make([]Entry, entryBatch), 0
	}
	e := &r.entries[r.used]
	r.used++
	return e
}

// The Reader is on the heap, so storing a slice into one of its fields
// costs a write barrier while the collector marks, even when the slice
// still points at the same array. appendField and fieldLines therefore
// reslice their fields in place (x.f = x.f[:n], which the compiler turns
// into a store of the length alone) while the arrays have room, instead of
// assigning what append returns: some ten barriers fewer per line.

// appendField adds s to the field being collected as its next line, or
// as its first when first is set.
func (r *Reader) appendField(s []byte, first bool) {
	n, m := len(r.field), len(r.ends)
	if first {
		n, m = 0, 0
	}
	if n+len(s) <= cap(r.field) {
		r.field = r.field[:n+len(s)]
		copy(r.field[n:], s)
	} else {
		r.field = append(r.field[:n], s...)
	}
	if m < cap(r.ends) {
		r.ends = r.ends[:m+1]
		r.ends[m] = len(r.field)
	} else {
		r.ends = append(r.ends[:m], len(r.field))
	}
}

// NewReader returns a Reader that reads from r.
func NewReader(r io.Reader, opt Options) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	sc.Split(splitLines)
	return &Reader{sc: sc, opt: opt, format: "mt940"}
}

// Format returns "mt942" once the input has shown itself to be an MT942
// (a :13D: or :34F: tag, or a 942 header), else "mt940". It is final after
// Next has returned io.EOF.
func (r *Reader) Format() string { return r.format }

// Warnings returns everything odd that did not stop reading so far: balance
// mismatches, repaired encodings, ignored lines and tags.
func (r *Reader) Warnings() []string {
	w := append([]string(nil), r.warnings...)
	if r.cp1252 > 0 {
		w = append(w, fmt.Sprintf("%d line(s) were not valid UTF-8 and were decoded as Windows-1252 (first at line %d); use --encoding to choose another encoding", r.cp1252, r.first1252))
	}
	if r.badUTF8 > 0 {
		w = append(w, fmt.Sprintf("%d line(s) were not valid UTF-8; invalid bytes were replaced by U+FFFD", r.badUTF8))
	}
	if r.dropped > 0 {
		w = append(w, fmt.Sprintf("%d more warning(s) not shown", r.dropped))
	}
	return w
}

func (r *Reader) warnf(format string, args ...any) {
	if len(r.warnings) >= maxWarnings {
		r.dropped++
		return
	}
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// Next returns the next item. It returns io.EOF after the last statement's
// KindStatementEnd, a *SyntaxError when the input is not MT940/MT942, or
// another error from the underlying reader.
func (r *Reader) Next() (Item, error) {
	if !r.initDone {
		r.initDone = true
		enc, force, err := lookupEncoding(r.opt.Encoding)
		if err != nil {
			r.err = err
		}
		r.enc, r.forceU8 = enc, force
	}
	for r.head == len(r.queue) {
		if r.err != nil {
			return Item{}, r.err
		}
		if r.eof {
			return Item{}, io.EOF
		}
		r.step()
	}
	it := r.queue[r.head]
	if r.lazy == r.head+1 {
		it.Statement = *r.lazySt
		r.lazy, r.lazySt = 0, nil
	}
	r.head++
	if r.head == len(r.queue) {
		// Reuse the array. The items left in it, at most a few, are
		// overwritten by the next ones.
		r.queue, r.head = r.queue[:0], 0
	}
	return it, nil
}

// step reads one line and processes it, or finishes the input.
func (r *Reader) step() {
	if !r.sc.Scan() {
		if err := r.sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				r.err = syntaxErrorf(r.line+1, "line longer than %d bytes", maxLine)
				return
			}
			r.err = fmt.Errorf("read line %d: %w", r.line+1, err)
			return
		}
		r.finish()
		return
	}
	r.line++
	s := r.decode(r.sc.Bytes())
	if r.line == 1 {
		s = bytes.TrimPrefix(s, []byte("\uFEFF"))
	}
	r.handleLine(s)
}

func (r *Reader) finish() {
	r.holding = false // a held line at the end of the input was a trailer
	if err := r.completeField(); err != nil {
		r.err = err
		return
	}
	if r.st == nil {
		if r.line == 0 {
			r.err = syntaxErrorf(1, "the file is empty")
			return
		}
		r.err = syntaxErrorf(r.line, "no MT940/MT942 statement found (no :20: tag)")
		return
	}
	r.closeStatement()
	r.eof = true
}

// decode turns one physical line into text: decoded, control characters
// removed, TAB turned into a space and soft hyphens dropped. The result is
// b itself when nothing changes (the common case: printable ASCII or valid
// UTF-8), else r.dec; either is valid until the next call.
func (r *Reader) decode(b []byte) []byte {
	if r.enc == nil && printableASCII(b) {
		return b
	}
	s := b
	switch {
	case r.enc != nil:
		if r.decoder == nil {
			r.decoder = r.enc.NewDecoder()
		}
		d, err := r.decoder.Bytes(b)
		if err != nil {
			d = b
		}
		s = d
	case utf8.Valid(b):
	case r.forceU8:
		r.badUTF8++
		s = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	default:
		if r.cp1252 == 0 {
			r.first1252 = r.line
		}
		r.cp1252++
		d, err := charmap.Windows1252.NewDecoder().Bytes(b)
		if err != nil {
			d = b
		}
		s = d
	}
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || (c == 0xc2 && i+1 < len(s) && s[i+1] == 0xad) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	out := r.dec[:0]
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRune(s[i:])
		i += size
		switch {
		case c == '\t':
			out = append(out, ' ')
		case c < 0x20, c == 0x7f, c == '\u00ad':
		default:
			out = utf8.AppendRune(out, c)
		}
	}
	r.dec = out
	return out
}

// printableASCII reports whether b holds only bytes 0x20 to 0x7e. It tests
// eight bytes at a time: a byte below 0x20 borrows into its high bit when
// 0x20 is subtracted, a byte of 0x7f or more has or gets its high bit set
// when 1 is added (a carry out of 0xff only reaches higher bytes of a word
// that is rejected anyway).
func printableASCII(b []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if ((x-0x20*ones)&^x|x|(x+ones))&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// graphicASCII8 reports whether the first eight bytes of s are all ASCII
// above the space, tested as one word: a byte below 0x21 gets its high bit
// set when 0x21 is subtracted, one of 0x80 or more has it (a borrow only
// spreads above a byte that has the property, so the answer is exact).
func graphicASCII8(s string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	return ((x-0x21*ones)&^x|x)&highs == 0
}

// splitLines is a bufio.SplitFunc for CRLF, LF and lone CR line ends.
func splitLines(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := lineEnd(data); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		if i+1 < len(data) {
			if data[i+1] == '\n' {
				return i + 2, data[:i], nil
			}
			return i + 1, data[:i], nil
		}
		if atEOF {
			return i + 1, data[:i], nil
		}
		return 0, nil, nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// lineEnd returns the index of the first CR or LF in data, or -1. It looks
// at windows of 512 bytes with two vectorised byte searches each, so a
// file with lone CR line ends costs no more than one with LF.
func lineEnd(data []byte) int {
	const window = 512
	for off := 0; off < len(data); off += window {
		w := data[off:min(off+window, len(data))]
		if i := bytes.IndexByte(w, '\n'); i >= 0 {
			w = w[:i]
			if j := bytes.IndexByte(w, '\r'); j >= 0 {
				return off + j
			}
			return off + i
		}
		if j := bytes.IndexByte(w, '\r'); j >= 0 {
			return off + j
		}
	}
	return -1
}

// handleLine processes one decoded line; s is valid only during the call.
func (r *Reader) handleLine(s []byte) {
	if len(s) > 0 && s[0] == '{' {
		var is942 bool
		s, is942 = stripBlocks(s)
		if is942 {
			r.format = "mt942"
		}
	}
	t := bytes.TrimSpace(s)
	if len(t) == 0 {
		return
	}
	if r.holding {
		r.resolveHeld(t)
		if r.err != nil {
			return
		}
	}
	if isEndOfMessage(t) {
		if t[0] == '-' && len(t) > 1 && t[1] != '}' && continues(r.tag) && !r.ended && r.st != nil {
			// "-AB" after a line of :86: is a bank trailer, or the
			// text of the :86: wrapped before "-AB": resolveHeld
			// decides on the next line.
			r.held = append(r.held[:0], s...)
			r.holding, r.heldLine = true, r.line
			return
		}
		if err := r.completeField(); err != nil {
			r.err = err
			return
		}
		r.ended = true
		return
	}
	if r.st == nil && string(t) == "942" {
		r.format = "mt942"
		return
	}
	tag, val, ok := splitTag(s)
	if !ok {
		r.continuation(s, r.line)
		return
	}
	if err := r.completeField(); err != nil {
		r.err = err
		return
	}
	if tag == "20" {
		if r.st != nil {
			r.closeStatement()
		}
		r.openStatement()
	} else if r.st == nil || r.ended {
		if !knownTag(tag) {
			// Header lines such as :940: before a message are not ours.
			return
		}
		if r.st == nil {
			r.warnf("line %d: tag :%s: before the first :20: ignored", r.line, tag)
			return
		}
		if r.ended && !r.reopened {
			r.warnf("line %d: tag :%s: after the end of statement %q (line %d) without a new :20:; kept in that statement", r.line, tag, r.st.Reference, r.st.Line)
			r.reopened = true
		}
		r.ended = false
	}
	r.tag = tag
	r.tagLine = r.line
	r.appendField(val, true)
}

// resolveHeld decides what the held line was, now that t, the next line
// that is not blank (trimmed), has come: the text of the field in progress
// when t is a tag of the same message (any but :20:) or the end of the
// message ("-"), which cannot follow a trailer; else, before a new
// message, a bank's header lines or the end of the input, a trailer that
// ended the message.
func (r *Reader) resolveHeld(t []byte) {
	r.holding = false
	tag, _, ok := splitTag(t)
	if (ok && tag != "20" && knownTag(tag)) || string(t) == "-" || bytes.HasPrefix(t, []byte("-}")) {
		r.continuation(r.held, r.heldLine)
		return
	}
	if err := r.completeField(); err != nil {
		r.err = err
		return
	}
	r.ended = true
}

// continuation adds s, the text of line number line, to the field in
// progress.
func (r *Reader) continuation(s []byte, line int) {
	if r.tag == "" || r.ended || r.st == nil {
		return // header, trailer or preamble text outside a message
	}
	if !continues(r.tag) {
		r.warnf("line %d: text after :%s: ignored: %q", line, r.tag, clip(string(s)))
		return
	}
	if len(r.field)+len(s) > maxField {
		r.err = syntaxErrorf(line, "field :%s: starting at line %d is longer than %d bytes", r.tag, r.tagLine, maxField)
		return
	}
	r.appendField(s, false)
}

// continues reports whether a field with this tag may have more than one
// line: :61: (the supplementary details), :86: (up to six lines of text)
// and :25P: (the BIC after the account).
func continues(tag string) bool {
	switch tag {
	case "61", "86", "25P":
		return true
	}
	return false
}

// fieldLines turns the collected field into r.lines: substrings of one
// string that holds the lines back to back, which it returns.
func (r *Reader) fieldLines() string {
	all := r.strs.string(r.field)
	if cap(r.lines) < len(r.ends) {
		r.lines = make([]string, 0, max(len(r.ends), 2*cap(r.lines)))
	}
	r.lines = r.lines[:len(r.ends)]
	start := 0
	for i, end := range r.ends {
		r.lines[i] = all[start:end]
		start = end
	}
	return all
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// stripBlocks removes SWIFT blocks {1:…}{2:…}{3:…} and the {4: opener from
// the start of a line and reports whether block 2 names message type 942.
func stripBlocks(s []byte) ([]byte, bool) {
	is942 := false
	for len(s) > 0 && s[0] == '{' {
		if bytes.HasPrefix(s, []byte("{4:")) {
			return s[3:], is942
		}
		depth, end := 0, -1
		for i := 0; i < len(s); i++ {
			if s[i] == '{' {
				depth++
			} else if s[i] == '}' {
				depth--
				if depth == 0 {
					end = i
					break
				}
			}
		}
		if end < 0 {
			return nil, is942
		}
		if bytes.HasPrefix(s, []byte("{2:")) && len(s) >= 7 && string(s[4:7]) == "942" {
			is942 = true
		}
		s = s[end+1:]
	}
	return s, is942
}

// isEndOfMessage reports whether a trimmed line ends a message: "-", "-}"
// followed by trailer blocks, or a bank trailer such as ING's "-XXX". A
// trailer can also be a wrapped line of :86: text; handleLine holds it
// until the next line tells which.
func isEndOfMessage(t []byte) bool {
	if string(t) == "-" || bytes.HasPrefix(t, []byte("-}")) {
		return true
	}
	if len(t) <= 4 && t[0] == '-' {
		for i := 1; i < len(t); i++ {
			if t[i] < 'A' || t[i] > 'Z' {
				return false
			}
		}
		return true
	}
	return false
}

// splitTag splits ":61:value" into "61" and "value".
func splitTag(s []byte) (tag string, val []byte, ok bool) {
	if len(s) < 4 || s[0] != ':' || !isDigit(s[1]) || !isDigit(s[2]) {
		return "", nil, false
	}
	if s[3] == ':' {
		return tagName(s[1:3]), s[4:], true
	}
	if len(s) >= 5 && s[3] >= 'A' && s[3] <= 'Z' && s[4] == ':' {
		return tagName(s[1:4]), s[5:], true
	}
	return "", nil, false
}

// tagName returns b as a string without allocating for the tags of
// MT940/MT942.
func tagName(b []byte) string {
	switch string(b) {
	case "20":
		return "20"
	case "21":
		return "21"
	case "25":
		return "25"
	case "25P":
		return "25P"
	case "28":
		return "28"
	case "28C":
		return "28C"
	case "60F":
		return "60F"
	case "60M":
		return "60M"
	case "61":
		return "61"
	case "62F":
		return "62F"
	case "62M":
		return "62M"
	case "64":
		return "64"
	case "65":
		return "65"
	case "86":
		return "86"
	case "13D":
		return "13D"
	case "34F":
		return "34F"
	case "90D":
		return "90D"
	case "90C":
		return "90C"
	}
	return string(b)
}

func knownTag(tag string) bool {
	switch tag {
	case "20", "21", "25", "25P", "28", "28C", "60F", "60M", "61", "62F", "62M", "64", "65", "86", "13D", "34F", "90D", "90C":
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (r *Reader) openStatement() {
	r.st = &Statement{Line: r.line}
	r.started, r.ended, r.closed, r.reopened = false, false, false, false
	clear(r.occ)
}

func (r *Reader) emitStart() {
	if !r.started {
		r.started = true
		r.queue = append(r.queue, Item{Kind: KindStatementStart, Statement: *r.st})
	}
}

func (r *Reader) closeStatement() {
	if r.pending != nil {
		r.finishEntry()
	}
	r.snapshot()
	st := r.st
	r.emitStart()
	if st.Currency == "" && st.Closing != nil {
		st.Currency = st.Closing.Currency
	}
	switch {
	case st.Opening == nil || st.Closing == nil:
		st.BalanceCheck = CheckIncomplete
	case st.Opening.Currency != st.Closing.Currency:
		st.BalanceCheck = CheckMismatch
		r.warnf("statement %q (line %d): opening balance is in %s but closing balance in %s", st.Reference, st.Line, st.Opening.Currency, st.Closing.Currency)
	default:
		got, ok := addInt64(st.Opening.Amount, st.Sum)
		if ok && got == st.Closing.Amount {
			st.BalanceCheck = CheckOK
		} else {
			st.BalanceCheck = CheckMismatch
			r.warnf("statement %q (line %d): balance mismatch: opening %s + entries %s = %s, but closing balance :%s: is %s",
				st.Reference, st.Line, formatMinor(st.Opening.Amount, st.Currency), formatMinor(st.Sum, st.Currency),
				formatMinor(got, st.Currency), st.Closing.Tag, formatMinor(st.Closing.Amount, st.Currency))
		}
	}
	r.queue = append(r.queue, Item{Kind: KindStatementEnd, Statement: *st})
}

func addInt64(a, b int64) (int64, bool) {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		return 0, false
	}
	return c, true
}

// completeField processes the field collected so far, if any.
func (r *Reader) completeField() error {
	tag := r.tag
	if tag == "" {
		return nil
	}
	r.tag = ""
	line := r.tagLine
	st := r.st
	if tag != "86" && r.pending != nil {
		r.finishEntry()
	}
	if tag == "86" && r.pending != nil && r.opt.CheckOnly {
		r.finishEntry()
		return nil
	}
	// Every case but an entry's :86: may change the statement.
	r.snapshot()
	joined := r.fieldLines()
	first := strings.TrimSpace(r.lines[0])
	switch tag {
	case "20":
		st.Reference = first
	case "21":
		st.RelatedReference = first
	case "25", "25P":
		acct := first
		if tag == "25P" {
			// The account identification, then the BIC.
			acct, st.AccountBIC = splitAccountBIC(r.lines)
			if len(r.lines) > 2 || (len(r.lines) == 2 && st.AccountBIC == "") {
				r.warnf("line %d: :25P: text after the account that is no identifier code (BIC) ignored", line)
			}
		}
		st.Account, st.AccountCurrency = splitAccount(acct)
		if st.Currency == "" {
			st.Currency = st.AccountCurrency
		}
	case "28", "28C":
		st.Sequence = first
	case "60F", "60M", "62F", "62M", "64", "65":
		b, err := r.parseBalance(tag, first, line)
		if err != nil {
			return err
		}
		switch tag[:2] {
		case "60":
			if st.Opening != nil {
				r.warnf("line %d: second opening balance :%s: in statement %q ignored", line, tag, st.Reference)
				break
			}
			if st.Entries > 0 {
				r.warnf("line %d: opening balance :%s: after the first entry", line, tag)
			}
			st.Opening = &b
			if st.Currency == "" || st.Currency == st.AccountCurrency {
				st.Currency = b.Currency
			}
		case "62":
			if st.Closing != nil {
				r.warnf("line %d: second closing balance :%s: in statement %q ignored", line, tag, st.Reference)
				break
			}
			st.Closing = &b
			r.closed = true
		case "64":
			st.Available = &b
		case "65":
			if len(st.Forward) < maxForward {
				st.Forward = append(st.Forward, b)
			} else {
				r.warnf("line %d: more than %d :65: balances; this one ignored", line, maxForward)
			}
		}
		if st.Currency != "" && b.Currency != st.Currency {
			r.warnf("line %d: balance :%s: is in %s but the statement is in %s", line, tag, b.Currency, st.Currency)
		}
	case "61":
		e, err := r.parseEntry(line)
		if err != nil {
			return err
		}
		r.emitStart()
		r.pending = e
	case "86":
		if r.pending != nil {
			r.pending.Info = parseInfoInto(&r.pending.Details, r.lines, joined, &r.strs)
			r.finishEntry()
			break
		}
		r.emitStart()
		text := joinFree(r.lines)
		switch {
		case st.Info == "":
			st.Info = text
		case len(st.Info)+1+len(text) <= maxField:
			st.Info += "\n" + text
		default:
			r.warnf("line %d: statement-level :86: text beyond %d bytes ignored", line, maxField)
		}
	case "13D":
		r.format = "mt942"
		st.DateTime = first
	case "34F":
		r.format = "mt942"
		if st.FloorLimit == "" {
			st.FloorLimit = first
		}
		if st.Currency == "" && len(first) >= 3 {
			if c := first[:3]; isUpperWord(c) {
				st.Currency = c
			}
		}
	case "90D", "90C":
		sum, err := parseSummary(first, line)
		if err != nil {
			return err
		}
		if tag == "90D" {
			st.Debits = &sum
		} else {
			st.Credits = &sum
		}
	default:
		r.warnf("line %d: unknown tag :%s: ignored", line, tag)
	}
	return nil
}

// finishEntry completes the pending entry and queues it.
func (r *Reader) finishEntry() {
	r.snapshot()
	e := r.pending
	r.pending = nil
	st := r.st
	if r.closed {
		r.warnf("line %d: entry after the closing balance of statement %q; counted in that statement", e.Line, st.Reference)
	}
	charges, cur, found := findCharges(e.Supplementary)
	if !found {
		charges, cur, found = findCharges(e.Info)
	}
	if found {
		if cur != e.Currency {
			r.warnf("line %d: charges in %s differ from the entry currency %s; not counted", e.Line, cur, e.Currency)
		} else if m, exact, err := parseAmount(charges, cur); err == nil {
			if exact != "" {
				r.warnf("line %d: charges %s%s have more decimals than %s allows; rounded half-even", e.Line, cur, charges, cur)
			}
			e.Charges = m
		} else {
			r.warnf("line %d: charges %q not understood: %v", e.Line, charges, err)
		}
	}
	if e.Details.ReturnCode != "" && e.Details.ReturnReason == "" && e.Details.ReturnCode != "000" {
		if c := e.Details.ReturnCode; len(c) == 3 && c[0] == '9' {
			r.warnf("line %d: return code ?34 %s has no known ISO 20022 reason; return_reason left empty", e.Line, c)
		}
	}
	if !r.opt.CheckOnly {
		if r.occ == nil {
			r.occ = make(map[[32]byte]int)
		}
		if r.acct == "" || r.acctSrc != st.Account {
			r.acctSrc, r.acct = st.Account, normalizeAccount(st.Account)
		}
		fp := appendFingerprintInput(r.fp[:0], r.acct, e)
		if cap(fp) != cap(r.fp) {
			r.fp = fp // a new array; else no barrier for the same one
		}
		base := sha256.Sum256(fp)
		n := r.occ[base]
		r.occ[base] = n + 1
		e.fingerprint = r.fingerprint(base, n)
	}
	sum, ok := addInt64(st.Sum, e.Amount)
	if !ok {
		r.warnf("line %d: sum of entries overflows", e.Line)
	}
	st.Sum = sum
	st.Entries++
	// Only Kind and Entry are set: the slot's Statement, left from an
	// earlier item, is replaced by the snapshot (see lazy).
	n := len(r.queue)
	if n < cap(r.queue) {
		r.queue = r.queue[:n+1]
	} else {
		r.queue = append(r.queue, Item{})
	}
	q := &r.queue[n]
	q.Kind, q.Entry = KindEntry, e
	r.lazy, r.lazySt = n+1, st
}

// snapshot takes the deferred Statement snapshot of the entry queued
// last, if there is one. It must run before anything changes the
// statement while the entry is in the queue.
func (r *Reader) snapshot() {
	if r.lazy > 0 {
		r.queue[r.lazy-1].Statement = *r.lazySt
		r.lazy, r.lazySt = 0, nil
	}
}

func (r *Reader) parseBalance(tag, s string, line int) (Balance, error) {
	// 1!a6!n3!a15d: mark, YYMMDD, currency, amount.
	if len(s) < 11 {
		return Balance{}, syntaxErrorf(line, ":%s: %q is too short for a balance (mark, YYMMDD, currency, amount)", tag, s)
	}
	mark := s[0]
	if mark != 'C' && mark != 'D' {
		return Balance{}, syntaxErrorf(line, ":%s: %q: debit/credit mark must be C or D", tag, s)
	}
	d, err := parseYYMMDD(s[1:7])
	if err != nil {
		return Balance{}, syntaxErrorf(line, ":%s: %q: %v", tag, s, err)
	}
	cur := s[7:10]
	if !isUpperWord(cur) {
		return Balance{}, syntaxErrorf(line, ":%s: %q: currency %q is not a 3-letter code", tag, s, cur)
	}
	amt := strings.TrimSpace(s[10:])
	m, exact, err := parseAmount(amt, cur)
	if err != nil {
		return Balance{}, syntaxErrorf(line, ":%s: %q: %v", tag, s, err)
	}
	if exact != "" {
		r.warnf("line %d: balance %s%s has more decimals than %s allows; rounded half-even", line, cur, amt, cur)
	}
	if mark == 'D' {
		m = -m
	}
	return Balance{Tag: tag, Date: d, Currency: cur, Amount: m, Exact: exact}, nil
}

func parseSummary(s string, line int) (Summary, error) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 0 || i > 9 || len(s) < i+4 {
		return Summary{}, syntaxErrorf(line, "%q is not a number of entries, a currency and an amount", s)
	}
	n := 0
	for _, c := range s[:i] {
		n = n*10 + int(c-'0')
	}
	cur := s[i : i+3]
	if !isUpperWord(cur) {
		return Summary{}, syntaxErrorf(line, "%q: currency %q is not a 3-letter code", s, cur)
	}
	m, _, err := parseAmount(strings.TrimSpace(s[i+3:]), cur)
	if err != nil {
		return Summary{}, syntaxErrorf(line, "%q: %v", s, err)
	}
	return Summary{Count: n, Currency: cur, Amount: m}, nil
}

func isUpperWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// splitAccount separates a currency code the bank appended to :25:: after a
// space or "/" ("NL10BUNQ2290325473 EUR", "UBRTHUHB/123…/HUF"), or directly
// after an IBAN whose check digits only hold without it
// ("NL69INGB0123456789EUR").
func splitAccount(s string) (account, currency string) {
	if len(s) > 4 {
		tail := s[len(s)-3:]
		sep := s[len(s)-4]
		if isUpperWord(tail) {
			if sep == ' ' || sep == '/' {
				return strings.TrimSpace(s[:len(s)-4]), tail
			}
			if head := s[:len(s)-3]; looksLikeIBAN(head) && ibanValid(head) && !ibanValid(s) {
				return head, tail
			}
		}
	}
	return s, ""
}

// splitAccountBIC reads field 25 option P: the account identification on
// the first line and the identifier code (BIC) of the account servicing
// institution on the second. A bank that writes both on one line
// ("DE89370400440532013000/COBADEFFXXX") separates the BIC with a "/".
// The BIC is "" when the field has none in either place.
func splitAccountBIC(lines []string) (account, bic string) {
	account = strings.TrimSpace(lines[0])
	if len(lines) > 1 {
		if b := strings.TrimSpace(lines[1]); looksLikeBIC(b) {
			return account, b
		}
		return account, ""
	}
	if i := strings.LastIndexByte(account, '/'); i > 0 && looksLikeBIC(account[i+1:]) {
		return strings.TrimSpace(account[:i]), account[i+1:]
	}
	return account, ""
}

// formatMinor renders minor units as a decimal for messages.
func formatMinor(m int64, currency string) string {
	exp := exponent(currency)
	neg := m < 0
	u := uint64(m)
	if neg {
		u = uint64(-m)
		if m == math.MinInt64 {
			u = 1 << 63
		}
	}
	s := fmt.Sprintf("%0*d", exp+1, u)
	if exp > 0 {
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// appendFingerprintInput appends what identifies a booking (see
// Entry.Fingerprint), each field followed by 0x1f; its SHA-256 is the base
// that fingerprint numbers. Purpose and counterparty name go in with all
// white space removed, so that a text wrapped differently in an MT942 and
// the later MT940 still compares equal.
func appendFingerprintInput(b []byte, account string, e *Entry) []byte {
	d := &e.Details
	iban := d.CounterpartyIBAN
	if iban == "" {
		iban = d.CounterpartyAccount
	}
	const sep = 0x1f
	b = append(b, "mt940-fp-v1"...)
	b = append(b, sep)
	b = append(b, account...)
	b = append(b, sep)
	b = append(b, e.Currency...)
	b = append(b, sep)
	b = strconv.AppendInt(b, e.Amount, 10)
	b = append(b, sep)
	b = appendDate(b, e.ValueDate)
	b = append(b, sep)
	b = appendDate(b, e.BookingDate)
	b = append(b, sep)
	b = append(b, e.BankReference...)
	b = append(b, sep)
	b = append(b, e.CustomerReference...)
	b = append(b, sep)
	b = append(b, d.EndToEndID...)
	b = append(b, sep)
	b = appendSqueezed(b, d.Purpose)
	b = append(b, sep)
	b = append(b, iban...)
	b = append(b, sep)
	b = appendSqueezed(b, d.CounterpartyName)
	return append(b, sep)
}

// appendDate appends d as Date.String formats it.
func appendDate(b []byte, d Date) []byte {
	if d.IsZero() {
		return b
	}
	if d.Year < 0 || d.Year > 9999 || d.Month < 0 || d.Month > 99 || d.Day < 0 || d.Day > 99 {
		return append(b, d.String()...)
	}
	return append(b, byte('0'+d.Year/1000), byte('0'+d.Year/100%10), byte('0'+d.Year/10%10), byte('0'+d.Year%10), '-',
		byte('0'+d.Month/10), byte('0'+d.Month%10), '-', byte('0'+d.Day/10), byte('0'+d.Day%10))
}

// fingerprint returns the fingerprint of the n-th booking (from 0) whose
// fingerprint input hashes to base: the first 16 bytes of the SHA-256 of
// base, '#' and n in decimal, in lower-case hex.
func (r *Reader) fingerprint(base [32]byte, n int) string {
	var in [32 + 1 + 20]byte
	b := append(append(in[:0], base[:]...), '#')
	b = strconv.AppendInt(b, int64(n), 10)
	sum := sha256.Sum256(b)
	var out [32]byte
	hex.Encode(out[:], sum[:16])
	return r.strs.string(out[:])
}

// appendSqueezed appends s without its white space: every byte except the
// runes strings.Fields splits on.
func appendSqueezed(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		j := i
		for j+8 <= len(s) && graphicASCII8(s[j:j+8]) {
			j += 8
		}
		for j < len(s) && s[j] > ' ' && s[j] < utf8.RuneSelf {
			j++
		}
		b = append(b, s[i:j]...)
		if j == len(s) {
			break
		}
		if c := s[j]; c < utf8.RuneSelf {
			switch c {
			case '\t', '\n', '\v', '\f', '\r', ' ':
			default:
				b = append(b, c)
			}
			i = j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsSpace(r) {
			b = append(b, s[j:j+size]...)
		}
		i = j + size
	}
	return b
}
