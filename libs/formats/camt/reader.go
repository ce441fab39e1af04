package camt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// ErrNotCamt means the document's root is not a camt.052/053/054 message.
var ErrNotCamt = errors.New("not a camt.052/053/054 document")

// Error is a parse error at an XML element path, such as
// /Document/BkToCstmrStmt/Stmt[2]/Ntry[5]/Amt.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

const namespacePrefix = "urn:iso:std:iso:20022:tech:xsd:camt."

// messageOf maps a message element (without a V01 suffix) to its message
// number and repeating statement element.
func messageOf(element string) (msg, block string, ok bool) {
	switch element {
	case "BkToCstmrAcctRpt":
		return "052", "Rpt", true
	case "BkToCstmrStmt":
		return "053", "Stmt", true
	case "BkToCstmrDbtCdtNtfctn":
		return "054", "Ntfctn", true
	}
	return "", "", false
}

// maxWarnings caps the distinct warnings kept; later ones are counted.
const maxWarnings = 100

// Reader streams one camt message. It is not safe for concurrent use.
type Reader struct {
	br       *bufio.Reader
	tz       *Tokenizer
	cs       charset
	utf16    string // "UTF-16LE" or "UTF-16BE" when a byte order mark said so
	started  bool
	done     bool
	err      error
	message  string
	block    string // Stmt, Rpt, Ntfctn
	rootPath string // /Document/BkToCstmrStmt
	level    int    // 0 before root, 1 in Document, 2 in message, 3 in statement
	wrapped  bool   // root is Document (not the message element itself)
	// envelope is the root element that wraps the Document (a SWIFT
	// RequestPayload or DataPDU beside its AppHdr), "" when there is none.
	envelope string

	stmt       *Statement
	stmtPath   string
	stmtIdx    int
	ntryIdx    int
	balIdx     int
	headerSent bool
	pending    *Token // start tag read but not yet handled
	pendTok    Token
	endNext    bool

	entry *Entry
	tree  tree
	h     hasher
	codes codeCache

	warnings   []string
	seenWarn   map[string]bool
	suppressed int
	repairWarn bool
}

// NewReader returns a Reader for the message in r.
func NewReader(r io.Reader) *Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	return &Reader{br: br, tz: NewTokenizer(br)}
}

// Message returns the detected message and version, e.g. "camt.053.001.02",
// once the root element has been read ("" before).
func (r *Reader) Message() string { return r.message }

// Statement returns the current statement (valid after KindStatement,
// KindEntry and KindStatementEnd).
func (r *Reader) Statement() *Statement { return r.stmt }

// Entry returns the entry read by the last Next that returned KindEntry.
func (r *Reader) Entry() *Entry { return r.entry }

// Warnings returns everything odd that did not stop parsing so far.
func (r *Reader) Warnings() []string {
	w := append([]string(nil), r.warnings...)
	if r.suppressed > 0 {
		w = append(w, fmt.Sprintf("%d more warnings not shown", r.suppressed))
	}
	return w
}

func (r *Reader) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.seenWarn == nil {
		r.seenWarn = make(map[string]bool)
	}
	if r.seenWarn[msg] {
		return
	}
	if len(r.warnings) >= maxWarnings {
		r.suppressed++
		return
	}
	r.seenWarn[msg] = true
	r.warnings = append(r.warnings, msg)
}

// Next advances to the next item. It returns io.EOF after the message's
// last item; any other error is an *Error or wraps one and is final.
func (r *Reader) Next() (Kind, error) {
	if r.err != nil {
		return 0, r.err
	}
	k, err := r.next()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			var pe *Error
			if !errors.As(err, &pe) {
				err = &Error{Path: r.curPath(), Err: err}
			}
		}
		r.err = err
	}
	if r.tree.repaired && !r.repairWarn {
		r.repairWarn = true
		r.warn("text that is not valid UTF-8 was read as Windows-1252 (the file declares no such encoding)")
	}
	return k, err
}

func (r *Reader) curPath() string {
	switch {
	case r.level >= 3:
		return r.stmtPath
	case r.rootPath != "":
		return r.rootPath
	}
	return "/"
}

func (r *Reader) start() error {
	r.started = true
	b, err := r.br.Peek(3)
	if err != nil && len(b) == 0 {
		if errors.Is(err, io.EOF) {
			return errors.New("empty file: no XML root element")
		}
		return err
	}
	var order unicode.Endianness
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = r.br.Discard(3)
		return nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		order, r.utf16 = unicode.LittleEndian, "UTF-16LE"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		order, r.utf16 = unicode.BigEndian, "UTF-16BE"
	default:
		return nil
	}
	// From here on everything reads the text as UTF-8. An unpaired
	// surrogate becomes U+FFFD.
	_, _ = r.br.Discard(2)
	dec := unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder()
	r.br = bufio.NewReaderSize(transform.NewReader(r.br, dec), 64<<10)
	r.tz = NewTokenizer(r.br)
	return nil
}

// charset returns how to read the document's text, given the encoding its
// XML declaration names. A UTF-16 byte order mark wins over the
// declaration, which then only earns a warning when it names another
// encoding (editors that save as "Unicode" keep the old declaration).
func (r *Reader) charset(declared string) (charset, error) {
	if r.utf16 == "" {
		cs, ok := charsetByName(declared)
		if !ok {
			return 0, &Error{Path: "/", Err: fmt.Errorf("unsupported encoding %q in the XML declaration", declared)}
		}
		return cs, nil
	}
	switch d := strings.ToUpper(strings.TrimSpace(declared)); d {
	case "", "UTF-16", r.utf16:
	default:
		r.warn("the XML declaration names encoding %q, but the file starts with a %s byte order mark; read as %s", declared, r.utf16, r.utf16)
	}
	return charsetUTF8, nil
}

func (r *Reader) next() (Kind, error) {
	if !r.started {
		if err := r.start(); err != nil {
			return 0, err
		}
	}
	if r.done {
		return 0, io.EOF
	}
	if r.endNext {
		r.endNext = false
		r.finishStatement()
		r.level = 2
		return KindStatementEnd, nil
	}
	for {
		var tok *Token
		if r.pending != nil {
			tok, r.pending = r.pending, nil
		} else {
			var err error
			tok, err = r.tz.Next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					if r.level == 0 && r.envelope != "" {
						return 0, &Error{Path: "/" + r.envelope, Err: fmt.Errorf("%w: no camt Document inside <%s>", ErrNotCamt, r.envelope)}
					}
					if r.level == 0 {
						return 0, errors.New("no XML root element")
					}
					return 0, io.ErrUnexpectedEOF
				}
				return 0, err
			}
		}
		switch tok.Kind {
		case CharData:
			continue
		case EndElement:
			switch r.level {
			case 3:
				// End of the statement.
				if !r.headerSent {
					r.headerSent = true
					r.endHeader()
					r.endNext = true
					return KindStatement, nil
				}
				r.finishStatement()
				r.level = 2
				return KindStatementEnd, nil
			case 2:
				if r.wrapped {
					r.level = 1
					continue
				}
				r.done = true
				return 0, io.EOF
			case 1:
				r.done = true
				return 0, io.EOF
			}
			continue
		}
		// StartElement.
		name := string(tok.Name)
		switch r.level {
		case 0:
			if r.envelope == "" && name != "Document" && !camtNamespaced(tok) {
				if _, _, ok := messageOf(strings.TrimSuffix(name, "V01")); !ok {
					// An envelope around the Document, as SWIFTNet and
					// ISO 20022 business application headers wrap it:
					// look inside.
					r.envelope = name
					continue
				}
			}
			if r.envelope != "" && name != "Document" {
				if err := r.skip(tok); err != nil { // AppHdr and the like
					return 0, err
				}
				continue
			}
			if err := r.root(tok, name); err != nil {
				return 0, err
			}
		case 1:
			if err := r.messageElement(tok, name); err != nil {
				return 0, err
			}
		case 2:
			if name != r.block {
				if err := r.skip(tok); err != nil {
					return 0, err
				}
				continue
			}
			r.beginStatement()
		case 3:
			if name == "Ntry" {
				if !r.headerSent {
					r.headerSent = true
					r.pendTok = *tok
					r.pendTok.Name = []byte("Ntry")
					r.pendTok.Attrs = nil
					r.pending = &r.pendTok
					r.endHeader()
					return KindStatement, nil
				}
				r.ntryIdx++
				prefix := r.stmtPath + "/Ntry[" + strconv.Itoa(r.ntryIdx) + "]"
				if err := r.tree.build(r.tz, tok, r.cs); err != nil {
					return 0, wrapPath(prefix, err)
				}
				e, err := r.entryFrom(prefix)
				if err != nil {
					return 0, err
				}
				r.entry = e
				return KindEntry, nil
			}
			if err := r.header(tok, name); err != nil {
				return 0, err
			}
		}
	}
}

func wrapPath(path string, err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	return &Error{Path: path, Err: err}
}

// skip consumes the subtree whose start tag was just read.
func (r *Reader) skip(tok *Token) error {
	if tok.SelfClosing {
		_, err := r.tz.Next()
		return err
	}
	depth := r.tz.Depth() - 1
	for r.tz.Depth() > depth {
		if _, err := r.tz.Next(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) root(tok *Token, name string) error {
	// The namespace is the value of xmlns or xmlns:prefix; the prefix is
	// stripped by the tokenizer, so take the first attribute whose whole
	// value is a camt namespace (xsi:schemaLocation values hold a space).
	ns := ""
	for _, a := range tok.Attrs {
		if _, ok := parseNamespace(string(a.Value)); ok {
			ns = string(a.Value)
			break
		}
	}
	if ns == "" {
		for _, a := range tok.Attrs {
			if string(a.Name) == "xmlns" {
				ns = string(a.Value)
			}
		}
	}
	cs, err := r.charset(r.tz.DeclaredEncoding())
	if err != nil {
		return err
	}
	r.cs = cs
	if ns != "" {
		msg, ok := parseNamespace(ns)
		if !ok {
			return &Error{Path: "/" + name, Err: fmt.Errorf("%w: namespace %q", ErrNotCamt, ns)}
		}
		r.message = msg
	}
	if name == "Document" {
		r.wrapped = true
		r.rootPath = "/Document"
		if r.envelope != "" {
			r.rootPath = "/" + r.envelope + "/Document"
		}
		r.level = 1
		return nil
	}
	r.rootPath = ""
	return r.messageElement(tok, name)
}

// camtNamespaced reports whether the start tag declares a camt namespace.
func camtNamespaced(tok *Token) bool {
	for _, a := range tok.Attrs {
		if _, ok := parseNamespace(string(a.Value)); ok {
			return true
		}
	}
	return false
}

// parseNamespace turns urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 into
// camt.053.001.02, accepting 052/053/054 and versions 01 to 13.
func parseNamespace(ns string) (string, bool) {
	rest, ok := strings.CutPrefix(ns, namespacePrefix)
	if !ok || len(rest) != len("053.001.02") {
		return "", false
	}
	msg, ver := rest[:3], rest[4:]
	if msg != "052" && msg != "053" && msg != "054" || rest[3] != '.' || !strings.HasPrefix(ver, "001.") {
		return "", false
	}
	v, err := strconv.Atoi(ver[4:])
	if err != nil || v < 1 || v > 13 || ver[4] < '0' || ver[4] > '1' {
		return "", false
	}
	return "camt." + rest, true
}

func (r *Reader) messageElement(tok *Token, name string) error {
	base := strings.TrimSuffix(name, "V01")
	msg, block, ok := messageOf(base)
	if !ok {
		return &Error{Path: r.rootPath + "/" + name, Err: fmt.Errorf("%w: unexpected message element <%s>", ErrNotCamt, name)}
	}
	if r.message == "" {
		r.message = "camt." + msg
		r.warn("the document has no camt namespace; read as %s of unknown version", r.message)
	} else if r.message[5:8] != msg {
		return &Error{Path: r.rootPath + "/" + name, Err: fmt.Errorf("message element <%s> does not match namespace %s", name, r.message)}
	}
	if strings.HasSuffix(name, "V01") != strings.HasSuffix(r.message, ".001.01") && len(r.message) > 8 {
		r.warn("message element <%s> is not the one %s uses", name, r.message)
	}
	r.block = block
	r.rootPath += "/" + name
	r.level = 2
	return nil
}

func (r *Reader) beginStatement() {
	r.stmtIdx++
	r.stmt = &Statement{Index: r.stmtIdx}
	r.stmtPath = r.rootPath + "/" + r.block + "[" + strconv.Itoa(r.stmtIdx) + "]"
	r.ntryIdx, r.balIdx = 0, 0
	r.headerSent = false
	r.level = 3
}

// header reads one non-entry child of a statement.
func (r *Reader) header(tok *Token, name string) error {
	switch name {
	case "Id", "ElctrncSeqNb", "LglSeqNb", "CreDtTm", "Acct", "Bal":
	default:
		return r.skip(tok)
	}
	prefix := r.stmtPath + "/" + name
	if name == "Bal" {
		r.balIdx++
		prefix = r.stmtPath + "/Bal[" + strconv.Itoa(r.balIdx) + "]"
	}
	if err := r.tree.build(r.tz, tok, r.cs); err != nil {
		return wrapPath(prefix, err)
	}
	t := &r.tree
	s := r.stmt
	if r.headerSent {
		r.warn("%s: <%s> after the entries is ignored", prefix, name)
		return nil
	}
	switch name {
	case "Id":
		s.ID = t.str(0)
	case "ElctrncSeqNb":
		s.Sequence = t.str(0)
	case "LglSeqNb":
		if s.Sequence == "" {
			s.Sequence = t.str(0)
		}
	case "CreDtTm":
		s.Created = t.str(0)
	case "Acct":
		if n := t.at(0, "Id", "IBAN"); n != none {
			s.Account = t.str(n)
		} else {
			s.Account = t.str(t.at(0, "Id", "Othr", "Id"))
		}
		if c := t.str(t.child(0, "Ccy")); c != "" {
			s.Currency = c
		}
	case "Bal":
		b, err := r.balance(prefix)
		if err != nil {
			return err
		}
		s.Balances = append(s.Balances, b)
	}
	return nil
}

func (r *Reader) balance(prefix string) (Balance, error) {
	t := &r.tree
	var b Balance
	tp := t.child(0, "Tp")
	b.Type = t.str(t.at(tp, "CdOrPrtry", "Cd"))
	if b.Type == "" {
		b.Type = t.str(t.child(tp, "Cd")) // version 01: Tp/Cd
	}
	if b.Type == "" {
		b.Type = t.str(t.at(tp, "CdOrPrtry", "Prtry"))
	}
	if b.Type == "" {
		b.Type = t.str(t.child(tp, "Prtry"))
	}
	amt, err := r.amount(prefix, t.child(0, "Amt"), "")
	if err != nil {
		return b, err
	}
	switch cd := t.str(t.child(0, "CdtDbtInd")); cd {
	case "CRDT":
	case "DBIT":
		amt.Minor = -amt.Minor
	case "":
		r.warn("%s: balance %s has no CdtDbtInd; read as a credit", prefix, b.Type)
	default:
		return b, &Error{Path: prefix + "/CdtDbtInd", Err: fmt.Errorf("%q is neither CRDT nor DBIT", cd)}
	}
	b.Amount = amt
	d, err := r.date(prefix, t.child(0, "Dt"))
	if err != nil {
		return b, err
	}
	b.Date = d
	return b, nil
}

// endHeader settles the statement's booked balances once its header is
// complete.
func (r *Reader) endHeader() {
	s := r.stmt
	pick := func(codes ...string) *Amount {
		for _, c := range codes {
			for i := range s.Balances {
				if s.Balances[i].Type == c {
					a := s.Balances[i].Amount
					return &a
				}
			}
		}
		return nil
	}
	s.OpeningBooked = pick("OPBD", "PRCD")
	s.ClosingBooked = pick("CLBD", "ITBD")
	if s.Currency == "" && len(s.Balances) > 0 {
		s.Currency = s.Balances[0].Amount.Currency
	}
}

func (r *Reader) finishStatement() {
	s := r.stmt
	switch {
	case s.OpeningBooked == nil || s.ClosingBooked == nil:
		s.BalanceCheck = CheckIncomplete
	case s.OpeningBooked.Currency != s.ClosingBooked.Currency || s.mixedCcy:
		s.BalanceCheck = CheckMismatch
		r.warn("%s: balances and entries are not all in one currency, so they cannot reconcile", r.stmtPath)
	default:
		got := s.OpeningBooked.Minor + s.BookedSum
		if s.sumOverflow || got != s.ClosingBooked.Minor {
			s.BalanceCheck = CheckMismatch
			exp := exponent(s.ClosingBooked.Currency)
			r.warn("%s: balance mismatch: opening %s + booked entries %s = %s, but closing is %s %s",
				r.stmtPath, formatMinor(s.OpeningBooked.Minor, exp), formatMinor(s.BookedSum, exp),
				formatMinor(got, exp), formatMinor(s.ClosingBooked.Minor, exp), s.ClosingBooked.Currency)
		} else {
			s.BalanceCheck = CheckOK
		}
	}
	s.weak = nil
}

// amount reads an Amt-like element with its Ccy attribute (fallback is
// used when the attribute is missing) into unsigned minor units.
func (r *Reader) amount(prefix string, n int32, fallback string) (Amount, error) {
	t := &r.tree
	if n == none {
		return Amount{}, &Error{Path: prefix, Err: errors.New("amount is missing")}
	}
	ccy := t.ccy(n)
	if ccy == "" {
		ccy = fallback
		if ccy == "" {
			ccy = r.stmt.Currency
		}
		if ccy == "" {
			return Amount{}, &Error{Path: t.path(prefix, n), Err: errors.New("amount has no Ccy attribute and the statement no currency")}
		}
		r.warn("%s: amount has no Ccy attribute; %s assumed", t.path(prefix, n), ccy)
	}
	if !isCurrencyCode(ccy) {
		return Amount{}, &Error{Path: t.path(prefix, n), Err: fmt.Errorf("Ccy %q is not an ISO 4217 currency code", ccy)}
	}
	text := t.str(n)
	exp := exponent(ccy)
	v, rounded, err := parseDecimal(text, exp)
	if err != nil {
		return Amount{}, &Error{Path: t.path(prefix, n), Err: err}
	}
	a := Amount{Minor: v, Currency: ccy}
	if rounded {
		a.Exact = text
		r.warn("%s: amount %s has more decimals than %s has (%d); rounded half-even to %s",
			t.path(prefix, n), text, ccy, exp, formatMinor(v, exp))
	}
	return a, nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// date reads a DateAndDateTimeChoice (Dt or DtTm child of n) and returns
// the calendar date as written, offsets and times dropped.
func (r *Reader) date(prefix string, n int32) (string, error) {
	if n == none {
		return "", nil
	}
	t := &r.tree
	c := t.child(n, "Dt")
	if c == none {
		c = t.child(n, "DtTm")
	}
	if c == none {
		if s := t.str(n); s != "" { // tolerate a date written directly
			c = n
		} else {
			return "", nil
		}
	}
	s := t.str(c)
	d, ok := dateOf(s)
	if !ok {
		return "", &Error{Path: t.path(prefix, c), Err: fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)}
	}
	return d, nil
}

// dateOf validates the YYYY-MM-DD prefix of an xs:date or xs:dateTime and
// returns it. The rest (time, hour 24, offset) is not interpreted: the
// calendar date is taken as written.
func dateOf(s string) (string, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return "", false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	if len(s) > 10 {
		switch s[10] {
		case 'T', '+', '-', 'Z', ' ':
		default:
			return "", false
		}
	}
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return "", false
	}
	return s[:10], true
}
