// Package settlement reads Amazon settlement reports: the tab-separated flat
// file V1 (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE), the flat file V2
// (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2) and the XML report
// (GET_V2_SETTLEMENT_REPORT_DATA_XML).
//
// A Reader streams a report: NextSettlement returns a settlement's header
// (id, period, deposit date, total) and NextLine then returns its amount
// lines one at a time, in file order, in constant memory. Every amount in the
// report becomes one Line: each non-empty *-amount cell of a V1 row, each V2
// row, and each Amount element of an XML transaction. Amounts are int64 minor
// units of the currency's ISO 4217 exponent, signed as Amazon writes them
// (money to the seller positive, fees and refunds negative); no floating
// point is used anywhere.
package settlement

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
)

// Format is the kind of settlement report; its value is the format name of
// the o2c parse contract.
type Format string

// The report formats.
const (
	FlatV1 Format = "amazon-settlement-flat-v1"
	FlatV2 Format = "amazon-settlement-flat-v2"
	XML    Format = "amazon-settlement-xml"
)

// ErrNotSettlementReport means the content is none of the three settlement
// report formats.
var ErrNotSettlementReport = errors.New("not an Amazon settlement report: want a tab-separated header starting with settlement-id, or XML with root AmazonEnvelope holding a SettlementReport")

// ParseError says where a report could not be read and what was wrong there.
// Flat files name the line; XML reports name the element path and the line
// the decoder had reached.
type ParseError struct {
	// Line is the 1-based line number, 0 when unknown.
	Line int
	// Path is the XML element path, e.g.
	// AmazonEnvelope/Message[1]/SettlementReport/Order[3]/Fulfillment/Item[1]/ItemPrice/Component[2]/Amount;
	// empty for flat files.
	Path string
	// Err is what was wrong.
	Err error
}

func (e *ParseError) Error() string {
	switch {
	case e.Path != "" && e.Line > 0:
		return fmt.Sprintf("%s (line %d): %v", e.Path, e.Line, e.Err)
	case e.Path != "":
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Settlement is the header of one settlement: the flat files' summary row or
// the XML SettlementData.
type Settlement struct {
	// ID is the settlement-id (XML AmazonSettlementID).
	ID string
	// Currency is the ISO 4217 code of total-amount.
	Currency string
	// Start and End are the settlement period in UTC; zero when absent.
	Start, End time.Time
	// DepositDate is the deposit date as written in the file (offset
	// dropped), YYYY-MM-DD; empty when absent.
	DepositDate string
	// Total is total-amount in minor units; HasTotal is false when the report
	// carries none.
	Total    int64
	HasTotal bool
	// TotalExact is total-amount as written when it had more decimals than
	// the currency.
	TotalExact string
	// Line is where the settlement starts (flat files: the summary row).
	Line int

	// The fields below are final only once NextLine has returned io.EOF for
	// this settlement.

	// LineCount is the number of amount lines.
	LineCount int
	// Sum is the sum of all lines' AmountMinor; SumOverflow is set when it
	// did not fit in an int64.
	Sum         int64
	SumOverflow bool
}

// SumOK reports whether the total equals the sum of the amount lines. It is
// meaningful once NextLine has returned io.EOF for the settlement.
func (s *Settlement) SumOK() bool {
	return s.HasTotal && !s.SumOverflow && s.Sum == s.Total
}

// Line is one amount of a settlement report.
type Line struct {
	TransactionType string
	OrderID         string
	MerchantOrderID string
	AdjustmentID    string
	ShipmentID      string
	Marketplace     string
	SKU             string
	// Quantity is quantity-purchased; HasQuantity is false when the row or
	// item carries none.
	Quantity    int64
	HasQuantity bool
	// AmountType classifies the amount: V2 amount-type; V1 the family of the
	// *-amount column (price, item-related-fee, shipment-fee, order-fee,
	// promotion, misc-fee, other-fee, direct-payment, other); XML the
	// enclosing group (ItemPrice, ItemFees, Promotion, …).
	AmountType string
	// AmountDescription is V2 amount-description, the V1 *-type cell (or
	// other-fee-reason-description), or the XML Type element.
	AmountDescription string
	// Currency is the amount's ISO 4217 code: the row's currency cell or the
	// XML currency attribute, else the settlement's currency.
	Currency string
	// AmountMinor is the signed amount in minor units of Currency.
	AmountMinor int64
	// AmountExact is the amount as written when it had more decimals than
	// Currency, in which case AmountMinor is rounded half-even.
	AmountExact string
	// PostedDate is the posted date as written (offset dropped),
	// YYYY-MM-DD; empty when absent.
	PostedDate string
	// Line is the line of the file the amount is on (for XML, the line of
	// the transaction element).
	Line int
}

// maxWarnings bounds the warnings a Reader keeps, so memory stays constant
// on reports with a problem on every line.
const maxWarnings = 100

// item is what a format source yields: the start of a settlement or a line.
type item struct {
	settlement *Settlement
	line       Line
}

// source is one of the format readers.
type source interface {
	// next returns the next item, or io.EOF after the last one.
	next() (item, error)
}

// Reader reads a settlement report as a stream. It is not safe for
// concurrent use.
type Reader struct {
	format   Format
	src      source
	text     *textReader
	cur      *Settlement
	pending  item // an item read ahead, when hasPend
	hasPend  bool
	done     bool
	warns    *warnings
	reported bool // the encoding warning was added
}

// warnings collects a bounded list of warnings.
type warnings struct {
	list    []string
	dropped int
}

func (w *warnings) add(format string, args ...any) {
	if len(w.list) >= maxWarnings {
		w.dropped++
		return
	}
	w.list = append(w.list, fmt.Sprintf(format, args...))
}

// NewReader detects the report format from the first bytes of r and returns
// a Reader for it. It returns ErrNotSettlementReport when the content is not
// a settlement report.
func NewReader(r io.Reader) (*Reader, error) {
	text := newTextReader(r)
	br := bufio.NewReaderSize(text, 64<<10)
	head, err := br.Peek(64 << 10)
	if errors.Is(err, errUTF16) {
		return nil, &ParseError{Line: 1, Err: err}
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read report: %w", err)
	}
	f, ok := Detect(head)
	if !ok {
		return nil, ErrNotSettlementReport
	}
	rd := &Reader{format: f, text: text, warns: &warnings{}}
	if f == XML {
		rd.src = newXMLSource(br, rd.warns)
	} else {
		rd.src = newFlatSource(br, rd.warns)
	}
	return rd, nil
}

// Format returns the detected report format.
func (r *Reader) Format() Format { return r.format }

// Warnings returns everything odd that did not stop reading so far: rounded
// amounts, repaired encoding, joined broken rows, sum mismatches. At most
// maxWarnings are kept, followed by a count of the rest.
func (r *Reader) Warnings() []string {
	out := append([]string(nil), r.warns.list...)
	if r.warns.dropped > 0 {
		out = append(out, fmt.Sprintf("%d more warnings not shown", r.warns.dropped))
	}
	return out
}

func (r *Reader) pull() (item, error) {
	if r.hasPend {
		it := r.pending
		r.pending, r.hasPend = item{}, false
		return it, nil
	}
	if r.done {
		return item{}, io.EOF
	}
	it, err := r.src.next()
	if r.text.badLine > 0 && !r.reported {
		r.reported = true
		r.warns.add("the file is not valid UTF-8 (first at line %d); such bytes were read as Windows-1252", r.text.badLine)
	}
	if err != nil {
		r.done = true
		if errors.Is(err, errUTF16) {
			return item{}, &ParseError{Line: 1, Err: err}
		}
	}
	return it, err
}

// NextSettlement skips what is left of the current settlement and returns
// the next one, or io.EOF when the report has no more. Errors are
// *ParseError values naming the position.
func (r *Reader) NextSettlement() (*Settlement, error) {
	for r.cur != nil {
		if _, err := r.NextLine(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
	}
	it, err := r.pull()
	if err != nil {
		return nil, err
	}
	if it.settlement == nil {
		// Sources yield a settlement before its lines; this is a bug guard.
		return nil, &ParseError{Line: it.line.Line, Err: errors.New("amount line before any settlement header")}
	}
	r.cur = it.settlement
	return r.cur, nil
}

// NextLine returns the next amount line of the current settlement, or io.EOF
// when the settlement has no more lines (the next may follow; call
// NextSettlement). When it returns io.EOF the settlement's LineCount and Sum
// are final, and a warning is recorded if they do not match the total.
func (r *Reader) NextLine() (Line, error) {
	if r.cur == nil {
		return Line{}, io.EOF
	}
	it, err := r.pull()
	if errors.Is(err, io.EOF) || (err == nil && it.settlement != nil) {
		if err == nil {
			r.pending, r.hasPend = it, true
		}
		r.finish()
		return Line{}, io.EOF
	}
	if err != nil {
		return Line{}, err
	}
	s := r.cur
	s.LineCount++
	sum := s.Sum + it.line.AmountMinor
	if (it.line.AmountMinor > 0 && sum < s.Sum) || (it.line.AmountMinor < 0 && sum > s.Sum) {
		s.SumOverflow = true
	}
	s.Sum = sum
	if it.line.Currency != s.Currency {
		r.warns.add("line %d: amount in %s in a %s settlement %s; it is summed as it is", it.line.Line, it.line.Currency, s.Currency, s.ID)
	}
	return it.line, nil
}

func (r *Reader) finish() {
	s := r.cur
	r.cur = nil
	switch {
	case !s.HasTotal:
		r.warns.add("settlement %s has no total-amount, so its %d lines cannot be checked", s.ID, s.LineCount)
	case s.SumOverflow:
		r.warns.add("settlement %s: the sum of its %d lines overflows", s.ID, s.LineCount)
	case s.Sum != s.Total:
		r.warns.add("settlement %s: total-amount %s but its %d lines sum to %s (difference %s)", s.ID,
			formatMinor(s.Total, s.Currency), s.LineCount, formatMinor(s.Sum, s.Currency), formatMinor(s.Sum-s.Total, s.Currency))
	}
}

// formatMinor writes minor units as a decimal with the currency's exponent,
// for messages.
func formatMinor(v int64, currency string) string {
	exp, _ := exponent(currency)
	return money.FormatMinor(v, exp) + " " + currency
}

// Detect reports which settlement report format head, the first bytes of a
// file, is. It looks at the content only: a tab-separated header row starting
// with settlement-id (V2 when it has amount-type and amount columns, V1 when
// it has *-amount columns), or XML whose root is AmazonEnvelope and that
// holds a SettlementReport.
func Detect(head []byte) (Format, bool) {
	head = bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '<' {
		if rootName(trimmed) == "AmazonEnvelope" && bytes.Contains(trimmed, []byte("SettlementReport")) {
			return XML, true
		}
		return "", false
	}
	line := trimmed
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	cols := bytes.Split(bytes.TrimRight(line, "\r"), []byte{'\t'})
	if len(cols) < 2 || string(bytes.TrimSpace(cols[0])) != "settlement-id" {
		return "", false
	}
	hasAmount, hasType, hasFamily := false, false, false
	for _, c := range cols {
		name := string(bytes.TrimSpace(c))
		switch {
		case name == "amount":
			hasAmount = true
		case name == "amount-type":
			hasType = true
		case name != "total-amount" && len(name) > len("-amount") && bytes.HasSuffix([]byte(name), []byte("-amount")):
			hasFamily = true
		}
	}
	switch {
	case hasAmount && hasType:
		return FlatV2, true
	case hasFamily:
		return FlatV1, true
	}
	return "", false
}

// rootName returns the local name of the first element of an XML document,
// skipping the declaration, comments, processing instructions and DOCTYPE.
func rootName(b []byte) string {
	for {
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			i := bytes.Index(b, []byte("?>"))
			if i < 0 {
				return ""
			}
			b = b[i+2:]
		case bytes.HasPrefix(b, []byte("<!--")):
			i := bytes.Index(b, []byte("-->"))
			if i < 0 {
				return ""
			}
			b = b[i+3:]
		case bytes.HasPrefix(b, []byte("<!")):
			i := bytes.IndexByte(b, '>')
			if i < 0 {
				return ""
			}
			b = b[i+1:]
		case bytes.HasPrefix(b, []byte("<")):
			b = b[1:]
			end := bytes.IndexAny(b, " \t\r\n/>")
			if end < 0 {
				return ""
			}
			name := b[:end]
			if i := bytes.IndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			return string(name)
		default:
			return ""
		}
	}
}
