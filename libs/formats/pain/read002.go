package pain

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The namespaces of the pain.002 versions ReadStatusReport reads. The
// parts it reads (group header, original group, payment information and
// transaction status, reasons, OrgnlTxRef's amount and dates) have the
// same element names and nesting in all three; the one difference is
// OrgnlTxRef/ReqdExctnDt, an ISODate in 001.03 and a choice of Dt or DtTm
// in 001.09 and 001.10. The status codes are a closed list in 001.03 and
// the external code list (four letters) since; both are read as codes.
const (
	NamespaceStatus03 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"
	NamespaceStatus09 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.09"
	NamespaceStatus10 = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
)

// MaxStatusReportSize is the largest pain.002 ReadStatusReport reads, in
// bytes: some 7,000 transactions with a reason each, where a bank's
// report usually lists only the rejected ones. It stays below gRPC's
// default message limit of 4 MiB, in which the report travels to
// matching.
const MaxStatusReportSize = 3 << 20

// maxDepth is how deeply elements may nest; the deepest path of the
// schema is far below it.
const maxDepth = 32

// The status codes of a pain.002 (ExternalPaymentGroupStatus1Code and
// ExternalPaymentTransactionStatus1Code; TransactionGroupStatus3Code in
// 001.03).
const (
	// StatusAccepted (ACCP): the customer profile check passed.
	StatusAccepted = "ACCP"
	// StatusSettlementCompleted (ACSC): settled on the debtor's account.
	StatusSettlementCompleted = "ACSC"
	// StatusSettlementInProcess (ACSP): accepted for settlement.
	StatusSettlementInProcess = "ACSP"
	// StatusTechnicalAccepted (ACTC): the syntax and signature checks passed.
	StatusTechnicalAccepted = "ACTC"
	// StatusAcceptedWithChange (ACWC): accepted with a change (a date moved).
	StatusAcceptedWithChange = "ACWC"
	// StatusPartiallyAccepted (PART): a group or block of which some
	// transactions were accepted and some rejected; each transaction's
	// own status says which.
	StatusPartiallyAccepted = "PART"
	// StatusPending (PDNG): further checks are to come.
	StatusPending = "PDNG"
	// StatusReceived (RCVD): received, nothing checked yet.
	StatusReceived = "RCVD"
	// StatusRejected (RJCT): rejected before settlement; no money moved.
	StatusRejected = "RJCT"
)

// StatusCodes are the status codes the EPC and DK guidelines use, with
// their meaning. A report may carry other codes of the external list;
// ReadStatusReport keeps them as they are.
var StatusCodes = map[string]string{
	StatusAccepted:            "accepted (customer profile)",
	StatusSettlementCompleted: "settlement completed",
	StatusSettlementInProcess: "accepted, settlement in process",
	StatusTechnicalAccepted:   "accepted (technical validation)",
	StatusAcceptedWithChange:  "accepted with change",
	StatusPartiallyAccepted:   "partially accepted",
	StatusPending:             "pending",
	StatusReceived:            "received",
	StatusRejected:            "rejected",
}

// StatusReport is a Customer Payment Status Report (pain.002): the bank's
// answer to a pain.008 or pain.001 the customer sent, before settlement.
type StatusReport struct {
	// Namespace is the version's XML namespace (NamespaceStatus10 ...).
	Namespace string
	// MessageID (GrpHdr/MsgId) identifies the report itself.
	MessageID string
	// Created is GrpHdr/CreDtTm, in UTC when the report gave an offset
	// and as written otherwise.
	Created time.Time
	// OriginalMessageID and OriginalMessageType (OrgnlMsgNmId, e.g.
	// "pain.008.001.08") name the message the report answers.
	OriginalMessageID, OriginalMessageType string
	// GroupStatus is GrpSts, empty when the report gives none. RJCT
	// rejects every transaction of the original message.
	GroupStatus  string
	GroupReasons []StatusReason
	// Payments are the OrgnlPmtInfAndSts blocks, in order.
	Payments []PaymentStatus
}

// PaymentStatus is the status of one payment information block (PmtInf)
// of the original message and of its transactions.
type PaymentStatus struct {
	// PaymentInfoID is OrgnlPmtInfId.
	PaymentInfoID string
	// Status is PmtInfSts, empty when not given. RJCT rejects every
	// transaction of the block.
	Status       string
	Reasons      []StatusReason
	Transactions []TransactionStatus
}

// TransactionStatus is the status of one transaction (TxInfAndSts).
type TransactionStatus struct {
	// EndToEndID is OrgnlEndToEndId; empty when the bank left it out.
	EndToEndID string
	// Status is TxSts, empty when not given (the block's or group's
	// status then holds).
	Status  string
	Reasons []StatusReason
	// Amount (cents) and Currency are OrgnlTxRef/Amt/InstdAmt, zero and
	// empty when not given.
	Amount   int64
	Currency string
	// Collection is OrgnlTxRef/ReqdColltnDt, Execution ReqdExctnDt; zero
	// when not given.
	Collection, Execution time.Time
	// Line is the line of the TxInfAndSts element in the report.
	Line int
}

// StatusReason is one StsRsnInf: a reason code (Rsn/Cd, an ISO external
// status reason code such as AC04, or Rsn/Prtry) and its additional
// information.
type StatusReason struct {
	Code string
	// Proprietary is set when the code came from Rsn/Prtry.
	Proprietary bool
	// Info joins the AddtlInf lines with a space.
	Info string
}

// Code returns the first reason code of rs, "" when none.
func Code(rs []StatusReason) string {
	for _, r := range rs {
		if r.Code != "" {
			return r.Code
		}
	}
	return ""
}

// ReadError is a refusal of a status report: where (line and element
// path below Document) and why. Err wraps ErrStatusReport or
// ErrReportTooLarge.
type ReadError struct {
	Line    int
	Element string
	Err     error
}

func (e *ReadError) Error() string {
	switch {
	case e.Element != "" && e.Line > 0:
		return fmt.Sprintf("line %d: %s: %v", e.Line, e.Element, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

func (e *ReadError) Unwrap() error { return e.Err }

// ErrStatusReport means the input is not a well-formed pain.002 of a
// version ReadStatusReport reads, or breaks the schema in a part it
// reads (a required element missing, an identifier too long, a code or
// amount or date malformed), or declares a DTD or entity.
var ErrStatusReport = errors.New("invalid payment status report")

// ErrReportTooLarge means the input exceeds MaxStatusReportSize.
var ErrReportTooLarge = errors.New("payment status report too large")

// statusReader walks a pain.002 token by token.
type statusReader struct {
	dec  *xml.Decoder
	ns   string
	path []string // local names below Document; "" for a foreign element
	text strings.Builder
	r    StatusReport
	pay  *PaymentStatus
	tx   *TransactionStatus
	rsn  *[]StatusReason
	seen map[string]bool
}

// ReadStatusReport reads a pain.002.001.10 (or .09, .03) status report
// from r, at most MaxStatusReportSize bytes. It refuses a DOCTYPE (and so
// any entity besides XML's five) and any input that is not well-formed;
// an error is a *ReadError naming the line and the element.
func ReadStatusReport(r io.Reader) (*StatusReport, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxStatusReportSize+1))
	if err != nil {
		return nil, fmt.Errorf("read status report: %w", err)
	}
	if len(data) > MaxStatusReportSize {
		return nil, &ReadError{Err: fmt.Errorf("more than %d bytes: %w", MaxStatusReportSize, ErrReportTooLarge)}
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8":
			return in, nil
		}
		return nil, fmt.Errorf("encoding %q: ISO 20022 messages are UTF-8", label)
	}
	s := &statusReader{dec: dec, seen: map[string]bool{}}
	if err := s.read(); err != nil {
		return nil, err
	}
	return &s.r, nil
}

func (s *statusReader) line() int {
	l, _ := s.dec.InputPos()
	return l
}

// fail returns a ReadError at the current element.
func (s *statusReader) fail(format string, args ...any) error {
	return &ReadError{Line: s.line(), Element: s.element(), Err: fmt.Errorf(format+": %w", append(args, ErrStatusReport)...)}
}

// element is the current element path, from Document.
func (s *statusReader) element() string {
	if len(s.path) == 0 {
		return ""
	}
	return "Document/" + strings.Join(s.path, "/")
}

// rel is the current path below CstmrPmtStsRpt.
func (s *statusReader) rel() string {
	if len(s.path) < 2 {
		return ""
	}
	return strings.Join(s.path[1:], "/")
}

func (s *statusReader) read() error {
	root, closed := false, false
	for {
		tok, err := s.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return &ReadError{Line: se.Line, Element: s.element(), Err: fmt.Errorf("%s: %w", se.Msg, ErrStatusReport)}
			}
			return &ReadError{Line: s.line(), Element: s.element(), Err: fmt.Errorf("%v: %w", err, ErrStatusReport)}
		}
		switch t := tok.(type) {
		case xml.Directive:
			return s.fail("a DTD or other directive (<!%.20s...>) is not allowed", t)
		case xml.ProcInst:
			if t.Target != "xml" {
				return s.fail("processing instruction <?%s?> is not allowed", t.Target)
			}
		case xml.StartElement:
			if !root {
				if t.Name.Local != "Document" {
					return s.fail("root element %s, want Document", t.Name.Local)
				}
				switch t.Name.Space {
				case NamespaceStatus03, NamespaceStatus09, NamespaceStatus10:
				default:
					return s.fail("namespace %q is not pain.002.001.03, .09 or .10", t.Name.Space)
				}
				// Document itself is not on the path.
				s.ns, s.r.Namespace, root = t.Name.Space, t.Name.Space, true
				continue
			}
			if closed {
				return s.fail("element %s after the end of Document", t.Name.Local)
			}
			if len(s.path) >= maxDepth {
				return s.fail("elements nested more than %d deep", maxDepth)
			}
			name := t.Name.Local
			if t.Name.Space != s.ns {
				name = ""
			}
			s.path = append(s.path, name)
			s.text.Reset()
			if err := s.start(t); err != nil {
				return err
			}
		case xml.CharData:
			if s.text.Len()+len(t) > 4096 {
				return s.fail("text longer than 4096 bytes")
			}
			s.text.Write(t)
		case xml.EndElement:
			if len(s.path) == 0 {
				closed = true // </Document>
				continue
			}
			if err := s.end(strings.TrimSpace(s.text.String())); err != nil {
				return err
			}
			s.text.Reset()
			s.path = s.path[:len(s.path)-1]
		}
	}
	if !root {
		return &ReadError{Line: s.line(), Err: fmt.Errorf("no Document element: %w", ErrStatusReport)}
	}
	for _, req := range []string{"GrpHdr/MsgId", "OrgnlGrpInfAndSts/OrgnlMsgId", "OrgnlGrpInfAndSts/OrgnlMsgNmId"} {
		if !s.seen[req] {
			return &ReadError{Line: s.line(), Element: "Document/CstmrPmtStsRpt/" + req, Err: fmt.Errorf("missing: %w", ErrStatusReport)}
		}
	}
	return nil
}

// start handles an element's start tag: the blocks that collect what
// follows.
func (s *statusReader) start(t xml.StartElement) error {
	if len(s.path) == 1 && s.path[0] != "CstmrPmtStsRpt" {
		return s.fail("want CstmrPmtStsRpt")
	}
	switch s.rel() {
	case "OrgnlGrpInfAndSts":
		if s.seen["OrgnlGrpInfAndSts"] {
			return s.fail("occurs more than once")
		}
		s.seen["OrgnlGrpInfAndSts"] = true
	case "OrgnlPmtInfAndSts":
		s.r.Payments = append(s.r.Payments, PaymentStatus{})
		s.pay = &s.r.Payments[len(s.r.Payments)-1]
		s.tx = nil
	case "OrgnlPmtInfAndSts/TxInfAndSts":
		s.pay.Transactions = append(s.pay.Transactions, TransactionStatus{Line: s.line()})
		s.tx = &s.pay.Transactions[len(s.pay.Transactions)-1]
	case "OrgnlGrpInfAndSts/StsRsnInf":
		s.r.GroupReasons = append(s.r.GroupReasons, StatusReason{})
		s.rsn = &s.r.GroupReasons
	case "OrgnlPmtInfAndSts/StsRsnInf":
		s.pay.Reasons = append(s.pay.Reasons, StatusReason{})
		s.rsn = &s.pay.Reasons
	case "OrgnlPmtInfAndSts/TxInfAndSts/StsRsnInf":
		s.tx.Reasons = append(s.tx.Reasons, StatusReason{})
		s.rsn = &s.tx.Reasons
	case "OrgnlPmtInfAndSts/TxInfAndSts/OrgnlTxRef/Amt/InstdAmt":
		for _, a := range t.Attr {
			if a.Name.Local == "Ccy" {
				s.tx.Currency = a.Value
			}
		}
		if !isCurrency(s.tx.Currency) {
			return s.fail("currency %q is not an ISO 4217 code", s.tx.Currency)
		}
	}
	return nil
}

// end handles an element's end tag with its trimmed text.
func (s *statusReader) end(text string) error {
	rel := s.rel()
	switch rel {
	case "GrpHdr/MsgId":
		return s.id(&s.r.MessageID, rel, text)
	case "GrpHdr/CreDtTm":
		t, err := parseDateTime(text)
		if err != nil {
			return s.fail("%q is no ISO date and time", text)
		}
		s.r.Created = t
	case "OrgnlGrpInfAndSts/OrgnlMsgId":
		return s.id(&s.r.OriginalMessageID, rel, text)
	case "OrgnlGrpInfAndSts/OrgnlMsgNmId":
		return s.id(&s.r.OriginalMessageType, rel, text)
	case "OrgnlGrpInfAndSts/GrpSts":
		return s.code(&s.r.GroupStatus, text)
	case "OrgnlPmtInfAndSts/OrgnlPmtInfId":
		return s.id(&s.pay.PaymentInfoID, "", text)
	case "OrgnlPmtInfAndSts":
		if s.pay.PaymentInfoID == "" {
			return s.fail("OrgnlPmtInfId missing")
		}
	case "OrgnlPmtInfAndSts/PmtInfSts":
		return s.code(&s.pay.Status, text)
	case "OrgnlPmtInfAndSts/TxInfAndSts/OrgnlEndToEndId":
		return s.id(&s.tx.EndToEndID, "", text)
	case "OrgnlPmtInfAndSts/TxInfAndSts/TxSts":
		return s.code(&s.tx.Status, text)
	case "OrgnlPmtInfAndSts/TxInfAndSts/OrgnlTxRef/Amt/InstdAmt":
		c, err := parseCents(text)
		if err != nil {
			return s.fail("%q: %v", text, err)
		}
		s.tx.Amount = c
	case "OrgnlPmtInfAndSts/TxInfAndSts/OrgnlTxRef/ReqdColltnDt":
		return s.date(&s.tx.Collection, text)
	case "OrgnlPmtInfAndSts/TxInfAndSts/OrgnlTxRef/ReqdExctnDt":
		if s.tx.Execution.IsZero() && text != "" { // 001.03: an ISODate
			return s.date(&s.tx.Execution, text)
		}
	case "OrgnlPmtInfAndSts/TxInfAndSts/OrgnlTxRef/ReqdExctnDt/Dt":
		return s.date(&s.tx.Execution, text)
	case "OrgnlPmtInfAndSts/TxInfAndSts/OrgnlTxRef/ReqdExctnDt/DtTm":
		t, err := parseDateTime(text)
		if err != nil {
			return s.fail("%q is no ISO date and time", text)
		}
		s.tx.Execution = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	default:
		owner, field, ok := strings.Cut(rel, "StsRsnInf/")
		if !ok || s.rsn == nil || len(*s.rsn) == 0 {
			return nil
		}
		switch owner {
		case "OrgnlGrpInfAndSts/", "OrgnlPmtInfAndSts/", "OrgnlPmtInfAndSts/TxInfAndSts/":
		default:
			return nil
		}
		switch field {
		case "Rsn/Cd", "Rsn/Prtry":
			r := &(*s.rsn)[len(*s.rsn)-1]
			if text == "" || len(text) > 35 {
				return s.fail("reason code %q: 1 to 35 characters", text)
			}
			r.Code, r.Proprietary = text, field == "Rsn/Prtry"
			if !r.Proprietary && !isCode(text, 4) {
				return s.fail("reason code %q is not an ISO external code", text)
			}
		case "AddtlInf":
			r := &(*s.rsn)[len(*s.rsn)-1]
			if len([]rune(text)) > 105 {
				return s.fail("longer than 105 characters")
			}
			r.Info = strings.TrimSpace(r.Info + " " + text)
		}
	}
	return nil
}

// id stores a Max35Text identifier; req names a required element that
// was seen.
func (s *statusReader) id(dst *string, req, text string) error {
	if text == "" || len([]rune(text)) > 35 {
		return s.fail("identifier %q: 1 to 35 characters", text)
	}
	if *dst != "" {
		return s.fail("occurs more than once")
	}
	*dst = text
	if req != "" {
		s.seen[req] = true
	}
	return nil
}

// code stores a status code: one to four capital letters.
func (s *statusReader) code(dst *string, text string) error {
	if !isCode(text, 4) {
		return s.fail("status %q is not a status code", text)
	}
	*dst = text
	return nil
}

func (s *statusReader) date(dst *time.Time, text string) error {
	t, err := time.Parse(time.DateOnly, text)
	if err != nil {
		return s.fail("%q is no ISO date", text)
	}
	*dst = t
	return nil
}

// isCode reports whether s is 1 to max capital letters or digits,
// beginning with a letter.
func isCode(s string, max int) bool {
	if s == "" || len(s) > max || !isUpper(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

func isCurrency(s string) bool {
	return len(s) == 3 && isUpper(s[0]) && isUpper(s[1]) && isUpper(s[2])
}

// parseDateTime reads an ISODateTime with or without offset and
// fractional seconds.
func parseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			if strings.ContainsAny(s[min(len(s), 19):], "Z+-") {
				t = t.UTC()
			}
			return t, nil
		}
	}
	return time.Time{}, errors.New("not an ISO date and time")
}

// parseCents reads a non-negative decimal amount (at most 18 digits, as
// the schema's ActiveOrHistoricCurrencyAndAmount) into cents; places
// beyond the second must be zero.
func parseCents(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	switch {
	case whole == "" || len(whole)+len(frac) > 18 || len(frac) > 5:
		return 0, errors.New("not an amount of at most 18 digits, 5 of them decimal places")
	case len(whole) > 15:
		return 0, errors.New("amount out of range")
	}
	var n int64
	for _, c := range whole {
		if c < '0' || c > '9' {
			return 0, errors.New("not a decimal amount")
		}
		n = n*10 + int64(c-'0')
	}
	for i, c := range frac {
		if c < '0' || c > '9' {
			return 0, errors.New("not a decimal amount")
		}
		switch {
		case i < 2:
			n = n*10 + int64(c-'0')
		case c != '0':
			return 0, errors.New("more than two decimal places")
		}
	}
	for i := len(frac); i < 2; i++ {
		n *= 10
	}
	return n, nil
}
