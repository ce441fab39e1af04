package settlement

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLineBytes bounds one line of a flat file.
const maxLineBytes = 1 << 20

// maxCellBytes bounds one cell of a data row. Amazon's longest cells (an
// amount description, a SKU of 40 characters) are far shorter; a row of
// cells of 100 KiB each would make events of settlement lines larger than
// NATS carries, and the relay would stop on them.
const maxCellBytes = 1000

// maxJoins bounds how many following lines a broken row may be joined with.
const maxJoins = 3

// family is a V1 amount column with the column that describes it.
type family struct {
	name   string // price, item-related-fee, …: the column name without -amount
	amount int    // index of the *-amount column
	desc   int    // index of the *-type (or other-fee-reason-description) column, -1 if none
}

// columns holds the index of each known column in the header, -1 if absent.
type columns struct {
	n                                                          int
	settlementID, start, end, deposit, total, currency         int
	txType, orderID, merchantOrderID, adjustmentID, shipmentID int
	marketplace, postedDate, postedDateTime, sku, quantity     int
	orderItemCode, amountType, amountDesc, amount              int
	families                                                   []family
}

// pendingQuantity is the quantity of a V1 quantity-only row, waiting for the
// first amount line of the same order item.
type pendingQuantity struct {
	set         bool
	order, item string
	qty         int64
}

// flatSource reads the tab-separated flat files V1 and V2.
type flatSource struct {
	br     *bufio.Reader
	warns  *warnings
	buf    []byte
	lineNo int
	back   *physLine
	format Format
	col    columns
	cur    *Settlement
	queue  []Line
	qi     int
	qty    pendingQuantity
	cells  []string // reused row buffer

	// The last posted date read and what it gave: the rows of one order
	// share it, so most rows need no date parsing.
	postedText string
	posted     stamp
	// The currency of the last row and its exponent.
	expCur string
	exp    int
}

type physLine struct {
	text string
	no   int
}

func newFlatSource(br *bufio.Reader, w *warnings) *flatSource {
	return &flatSource{br: br, warns: w}
}

func (s *flatSource) errorf(line int, format string, args ...any) error {
	return &ParseError{Line: line, Err: fmt.Errorf(format, args...)}
}

func (s *flatSource) next() (item, error) {
	for {
		if s.qi < len(s.queue) {
			l := s.queue[s.qi]
			s.qi++
			return item{line: l}, nil
		}
		s.queue, s.qi = s.queue[:0], 0
		text, no, err := s.readLine()
		if errors.Is(err, io.EOF) {
			if s.format == "" {
				return item{}, s.errorf(no, "no header row starting with settlement-id")
			}
			return item{}, io.EOF
		}
		if err != nil {
			return item{}, err
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		s.cells = splitTabs(s.cells[:0], text)
		cells := s.cells
		if s.format == "" || strings.TrimSpace(cells[0]) == "settlement-id" {
			if err := s.header(cells, no); err != nil {
				return item{}, err
			}
			continue
		}
		cells, err = s.complete(cells, no)
		if err != nil {
			return item{}, err
		}
		for i, c := range cells {
			if len(c) > maxCellBytes {
				return item{}, s.errorf(no, "column %d: %d bytes, more than the %d a cell may hold", i+1, len(c), maxCellBytes)
			}
		}
		it, ok, err := s.row(cells, no)
		if err != nil {
			return item{}, err
		}
		if ok {
			return it, nil
		}
	}
}

// readLine returns the next physical line without its line ending.
func (s *flatSource) readLine() (string, int, error) {
	if s.back != nil {
		l := s.back
		s.back = nil
		return l.text, l.no, nil
	}
	s.buf = s.buf[:0]
	for {
		frag, err := s.br.ReadSlice('\n')
		s.buf = append(s.buf, frag...)
		if len(s.buf) > maxLineBytes {
			return "", s.lineNo + 1, s.errorf(s.lineNo+1, "line longer than %d bytes", maxLineBytes)
		}
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(s.buf) == 0 {
				return "", s.lineNo, io.EOF
			}
			break
		}
		return "", s.lineNo + 1, &ParseError{Line: s.lineNo + 1, Err: fmt.Errorf("read: %w", err)}
	}
	s.lineNo++
	b := s.buf
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	// A control character other than TAB is in no report Amazon writes;
	// a NUL would travel in the settlement's events to read models whose
	// text PostgreSQL cannot store.
	for i, c := range b {
		if c < 0x20 && c != '\t' {
			return "", s.lineNo, s.errorf(s.lineNo, "control character U+%04X in column %d", c, bytes.Count(b[:i], []byte{'\t'})+1)
		}
	}
	return string(b), s.lineNo, nil
}

// header maps the columns of a header row.
func (s *flatSource) header(cells []string, no int) error {
	idx := make(map[string]int, len(cells))
	for i, c := range cells {
		name := strings.ToLower(strings.TrimSpace(c))
		if _, dup := idx[name]; !dup && name != "" {
			idx[name] = i
		}
	}
	at := func(name string) int {
		if i, ok := idx[name]; ok {
			return i
		}
		return -1
	}
	c := columns{
		n:               len(cells),
		settlementID:    at("settlement-id"),
		start:           at("settlement-start-date"),
		end:             at("settlement-end-date"),
		deposit:         at("deposit-date"),
		total:           at("total-amount"),
		currency:        at("currency"),
		txType:          at("transaction-type"),
		orderID:         at("order-id"),
		merchantOrderID: at("merchant-order-id"),
		adjustmentID:    at("adjustment-id"),
		shipmentID:      at("shipment-id"),
		marketplace:     at("marketplace-name"),
		postedDate:      at("posted-date"),
		postedDateTime:  at("posted-date-time"),
		sku:             at("sku"),
		quantity:        at("quantity-purchased"),
		orderItemCode:   at("order-item-code"),
		amountType:      at("amount-type"),
		amountDesc:      at("amount-description"),
		amount:          at("amount"),
	}
	format := FlatV2
	if c.amount < 0 || c.amountType < 0 {
		format = FlatV1
		for i, cell := range cells {
			name := strings.ToLower(strings.TrimSpace(cell))
			fam, ok := strings.CutSuffix(name, "-amount")
			if !ok || fam == "" || name == "total-amount" || idx[name] != i {
				continue
			}
			desc := at(fam + "-type")
			if desc < 0 {
				desc = at(fam + "-reason-description")
			}
			c.families = append(c.families, family{name: fam, amount: i, desc: desc})
		}
		if len(c.families) == 0 {
			return s.errorf(no, "header has neither amount-type/amount columns (flat file V2) nor *-amount columns (flat file V1)")
		}
	}
	for _, req := range []struct {
		name string
		i    int
	}{{"settlement-id", c.settlementID}, {"total-amount", c.total}, {"currency", c.currency}} {
		if req.i < 0 {
			return s.errorf(no, "header has no %s column", req.name)
		}
	}
	if s.format != "" && s.format != format {
		return s.errorf(no, "header of a %s report inside a %s report", format, s.format)
	}
	s.format = format
	s.col = c
	return nil
}

// complete joins a row that an incorrect line break split over several
// lines, and pads or trims the row to the header's width.
func (s *flatSource) complete(cells []string, no int) ([]string, error) {
	id := cell(cells, s.col.settlementID)
	for joins := 0; len(cells) < s.col.n && joins < maxJoins; joins++ {
		text, nno, err := s.readLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		more := strings.Split(text, "\t")
		first := strings.TrimSpace(more[0])
		// A line that starts with a settlement id is a row of its own,
		// this settlement's or the next one's (a file of several
		// settlements with one header): a row whose trailing empty cells
		// were cut off is complete, not broken.
		if strings.TrimSpace(text) == "" || len(cells)+len(more)-1 > s.col.n || first == "settlement-id" ||
			(id != "" && (first == id || len(more) > 1 && first != "" && allDigits(first))) {
			s.back = &physLine{text: text, no: nno}
			break
		}
		last := len(cells) - 1
		cells[last] += more[0]
		cells = append(cells, more[1:]...)
		s.warns.add("line %d: row continues on line %d (broken line); the lines were joined", no, nno)
	}
	switch {
	case len(cells) < s.col.n:
		s.warns.add("line %d: %d cells where the header has %d; the missing cells are taken as empty", no, len(cells), s.col.n)
	case len(cells) > s.col.n:
		for _, extra := range cells[s.col.n:] {
			if strings.TrimSpace(extra) != "" {
				return nil, s.errorf(no, "%d cells where the header has %d", len(cells), s.col.n)
			}
		}
		cells = cells[:s.col.n]
	}
	return cells, nil
}

// cell returns the trimmed cell i of a row, "" when the column is absent.
func cell(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	c := cells[i]
	if n := len(c); n == 0 || (c[0] > ' ' && c[0] < utf8.RuneSelf && c[n-1] > ' ' && c[n-1] < utf8.RuneSelf) {
		return c // nothing to trim, as for almost every cell
	}
	return strings.TrimSpace(c)
}

// row turns one data row into a settlement start and/or queued lines. ok is
// false when the row yields nothing to return yet.
func (s *flatSource) row(cells []string, no int) (item, bool, error) {
	id := cell(cells, s.col.settlementID)
	total := cell(cells, s.col.total)
	detail := cell(cells, s.col.txType) != ""
	if s.format == FlatV2 {
		detail = detail || cell(cells, s.col.amount) != ""
	} else {
		for _, f := range s.col.families {
			if f.amount >= len(cells) {
				break // families are in column order; the rest are absent
			}
			if cell(cells, f.amount) != "" {
				detail = true
				break
			}
		}
	}

	var started *Settlement
	if total != "" && (s.cur == nil || id != s.cur.ID || !detail) {
		st, err := s.summary(cells, no)
		if err != nil {
			return item{}, false, err
		}
		if s.cur != nil && s.cur.ID == st.ID {
			s.warns.add("line %d: settlement %s starts again; it is reported as a separate settlement", no, st.ID)
		}
		s.cur = st
		s.qty = pendingQuantity{}
		started = st
	}
	if detail {
		if s.cur == nil {
			return item{}, false, s.errorf(no, "transaction row before any summary row (the row with total-amount and currency of settlement %q)", id)
		}
		if id != "" && id != s.cur.ID {
			return item{}, false, s.errorf(no, "row of settlement %q inside settlement %q, which has no summary row of its own", id, s.cur.ID)
		}
		if err := s.lines(cells, no); err != nil {
			return item{}, false, err
		}
	}
	if started != nil {
		return item{settlement: started}, true, nil
	}
	return item{}, false, nil
}

// summary reads a summary row.
func (s *flatSource) summary(cells []string, no int) (*Settlement, error) {
	st := &Settlement{ID: cell(cells, s.col.settlementID), Currency: cell(cells, s.col.currency), Line: no}
	if st.ID == "" {
		return nil, s.errorf(no, "summary row has no settlement-id")
	}
	exp, ok := exponent(st.Currency)
	if !ok {
		return nil, s.errorf(no, "column currency: %q is not an ISO 4217 currency code", st.Currency)
	}
	a, err := parseAmount(cell(cells, s.col.total), exp)
	if err != nil {
		return nil, s.errorf(no, "column total-amount: %w", err)
	}
	st.Total, st.HasTotal, st.TotalExact = a.minor, true, a.exact
	if a.rounded {
		s.warns.add("line %d: total-amount %s has more decimals than %s; rounded half-even", no, a.exact, st.Currency)
	}
	for _, d := range []struct {
		name string
		i    int
	}{{"settlement-start-date", s.col.start}, {"settlement-end-date", s.col.end}, {"deposit-date", s.col.deposit}} {
		v := cell(cells, d.i)
		if v == "" {
			continue
		}
		t, err := parseStamp(v)
		if err != nil {
			return nil, s.errorf(no, "column %s: %w", d.name, err)
		}
		switch d.i {
		case s.col.start:
			st.Start = t.at
		case s.col.end:
			st.End = t.at
		default:
			st.DepositDate = t.date
		}
	}
	return st, nil
}

// lines queues the amount lines of a transaction row.
func (s *flatSource) lines(cells []string, no int) error {
	base := Line{
		TransactionType: cell(cells, s.col.txType),
		OrderID:         cell(cells, s.col.orderID),
		MerchantOrderID: cell(cells, s.col.merchantOrderID),
		AdjustmentID:    cell(cells, s.col.adjustmentID),
		ShipmentID:      cell(cells, s.col.shipmentID),
		Marketplace:     cell(cells, s.col.marketplace),
		SKU:             cell(cells, s.col.sku),
		Currency:        cell(cells, s.col.currency),
		Line:            no,
	}
	if base.Currency == "" {
		base.Currency = s.cur.Currency
	}
	if base.Currency != s.expCur || s.expCur == "" {
		exp, ok := exponent(base.Currency)
		if !ok {
			return s.errorf(no, "column currency: %q is not an ISO 4217 currency code", base.Currency)
		}
		s.expCur, s.exp = base.Currency, exp
	}
	exp := s.exp
	if q := cell(cells, s.col.quantity); q != "" {
		n, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			s.warns.add("line %d: quantity-purchased %q is not an integer; taken as absent", no, q)
		} else {
			base.Quantity, base.HasQuantity = n, true
		}
	}
	posted, postedCol := cell(cells, s.col.postedDate), "posted-date"
	if posted == "" {
		posted, postedCol = cell(cells, s.col.postedDateTime), "posted-date-time"
	}
	if posted != "" {
		if posted != s.postedText {
			t, err := parseStampLike(posted, s.posted.date)
			if err != nil {
				return s.errorf(no, "column %s: %w", postedCol, err)
			}
			s.postedText, s.posted = posted, t
		}
		base.PostedDate = s.posted.date
	}

	// add queues the amount text of the column named family+"-amount" (V1)
	// or "amount" (V2, family "").
	add := func(family, text, typ, desc string) error {
		a, err := parseAmount(text, exp)
		if err != nil {
			return s.errorf(no, "column %s: %w", amountColumn(family), err)
		}
		if a.rounded {
			s.warns.add("line %d: %s %s has more decimals than %s; rounded half-even", no, amountColumn(family), a.exact, base.Currency)
		}
		l := base
		l.AmountType, l.AmountDescription = typ, desc
		l.AmountMinor, l.AmountExact = a.minor, a.exact
		s.queue = append(s.queue, l)
		return nil
	}

	if s.format == FlatV2 {
		text := cell(cells, s.col.amount)
		if text == "" {
			s.warns.add("line %d: transaction row without amount; no line", no)
			return nil
		}
		return add("", text, cell(cells, s.col.amountType), cell(cells, s.col.amountDesc))
	}

	itemCode := cell(cells, s.col.orderItemCode)
	if s.qty.set && (s.qty.order != base.OrderID || s.qty.item != itemCode) {
		s.qty = pendingQuantity{}
	}
	queued := len(s.queue)
	defer func() {
		// A V1 quantity-only row: its quantity belongs to the first amount
		// line of the same order item.
		if len(s.queue) == queued && base.HasQuantity {
			s.qty = pendingQuantity{set: true, order: base.OrderID, item: itemCode, qty: base.Quantity}
		}
	}()
	for _, f := range s.col.families {
		if f.amount >= len(cells) {
			break
		}
		text := cell(cells, f.amount)
		if text == "" {
			continue
		}
		if err := add(f.name, text, f.name, cell(cells, f.desc)); err != nil {
			return err
		}
		if l := &s.queue[len(s.queue)-1]; s.qty.set && !l.HasQuantity {
			l.Quantity, l.HasQuantity = s.qty.qty, true
			s.qty = pendingQuantity{}
		}
	}
	return nil
}

// amountColumn names the amount column of a V1 family, or the V2 amount
// column for "".
func amountColumn(family string) string {
	if family == "" {
		return "amount"
	}
	return family + "-amount"
}

// splitTabs appends the tab-separated cells of line to dst. Cells are
// short, so rather than a search call per cell it finds the tabs of eight
// bytes at a time: in v, line's bytes XOR tab, a byte is zero exactly
// where adding 0x7f to its low seven bits and or-ing in v leaves its high
// bit clear (no carry crosses into the next byte).
func splitTabs(dst []string, line string) []string {
	const (
		low7  = 0x7f7f7f7f7f7f7f7f
		highs = 0x8080808080808080
		tabs  = 0x0909090909090909
	)
	start, i := 0, 0
	for ; i+8 <= len(line); i += 8 {
		x := uint64(line[i]) | uint64(line[i+1])<<8 | uint64(line[i+2])<<16 | uint64(line[i+3])<<24 |
			uint64(line[i+4])<<32 | uint64(line[i+5])<<40 | uint64(line[i+6])<<48 | uint64(line[i+7])<<56
		v := x ^ tabs
		for zeros := ^((v & low7) + low7 | v) & highs; zeros != 0; zeros &= zeros - 1 {
			k := i + bits.TrailingZeros64(zeros)/8
			dst = append(dst, line[start:k])
			start = k + 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == '\t' {
			dst = append(dst, line[start:i])
			start = i + 1
		}
	}
	return append(dst, line[start:])
}
