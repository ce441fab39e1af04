package settlement

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// frame is one open element on the XML path.
type frame struct {
	name   string
	index  int            // 1-based position among siblings of the same name
	counts map[string]int // children seen so far, by name
}

// node is a generic XML element; one transaction is decoded into a tree of
// nodes, never the whole document.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

// settlementData is the XML SettlementData element.
type settlementData struct {
	ID    string `xml:"AmazonSettlementID"`
	Total *struct {
		Value    string `xml:",chardata"`
		Currency string `xml:"currency,attr"`
	} `xml:"TotalAmount"`
	Start   string `xml:"StartDate"`
	End     string `xml:"EndDate"`
	Deposit string `xml:"DepositDate"`
}

// xmlSource reads the XML settlement report with a streaming decoder: the
// envelope is walked token by token, and each child of SettlementReport
// (SettlementData, Order, Refund, OtherTransaction, …) is decoded on its own.
type xmlSource struct {
	dec   *xml.Decoder
	warns *warnings
	stack []frame
	queue []Line
	qi    int
	cur   *Settlement
	found bool
}

func newXMLSource(r io.Reader, w *warnings) *xmlSource {
	dec := xml.NewDecoder(r)
	// The text reader has already turned the bytes into UTF-8, so a declared
	// single-byte encoding needs no further decoding.
	dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
			return in, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return &xmlSource{dec: dec, warns: w}
}

func (s *xmlSource) path(extra ...string) string {
	var b strings.Builder
	for i, f := range s.stack {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(f.name)
		if i > 0 {
			fmt.Fprintf(&b, "[%d]", f.index)
		}
	}
	for _, e := range extra {
		b.WriteByte('/')
		b.WriteString(e)
	}
	return b.String()
}

func (s *xmlSource) line() int {
	l, _ := s.dec.InputPos()
	return l
}

func (s *xmlSource) push(name string) {
	idx := 1
	if n := len(s.stack); n > 0 {
		p := &s.stack[n-1]
		if p.counts == nil {
			p.counts = map[string]int{}
		}
		p.counts[name]++
		idx = p.counts[name]
	}
	s.stack = append(s.stack, frame{name: name, index: idx})
}

func (s *xmlSource) pop() {
	if n := len(s.stack); n > 0 {
		s.stack = s.stack[:n-1]
	}
}

func (s *xmlSource) next() (item, error) {
	for {
		if s.qi < len(s.queue) {
			l := s.queue[s.qi]
			s.qi++
			return item{line: l}, nil
		}
		s.queue, s.qi = s.queue[:0], 0
		tok, err := s.dec.Token()
		if errors.Is(err, io.EOF) {
			if !s.found {
				return item{}, &ParseError{Path: "AmazonEnvelope", Line: s.line(), Err: errors.New("no Message/SettlementReport/SettlementData in the document")}
			}
			return item{}, io.EOF
		}
		if err != nil {
			return item{}, &ParseError{Path: s.path(), Line: s.line(), Err: err}
		}
		switch t := tok.(type) {
		case xml.EndElement:
			s.pop()
		case xml.StartElement:
			name := t.Name.Local
			s.push(name)
			if len(s.stack) == 1 && name != "AmazonEnvelope" {
				return item{}, &ParseError{Path: name, Line: s.line(), Err: errors.New("root element is not AmazonEnvelope")}
			}
			if len(s.stack) < 2 || s.stack[len(s.stack)-2].name != "SettlementReport" {
				continue
			}
			it, ok, err := s.child(&t)
			s.pop()
			if err != nil {
				return item{}, err
			}
			if ok {
				return it, nil
			}
		}
	}
}

// child decodes one child element of SettlementReport.
func (s *xmlSource) child(start *xml.StartElement) (item, bool, error) {
	line := s.line()
	if start.Name.Local == "SettlementData" {
		var d settlementData
		if err := s.dec.DecodeElement(&d, start); err != nil {
			return item{}, false, &ParseError{Path: s.path(), Line: s.line(), Err: err}
		}
		st, err := s.settlement(&d, line)
		if err != nil {
			return item{}, false, err
		}
		s.found = true
		s.cur = st
		return item{settlement: st}, true, nil
	}
	var n node
	if err := s.dec.DecodeElement(&n, start); err != nil {
		return item{}, false, &ParseError{Path: s.path(), Line: s.line(), Err: err}
	}
	if s.cur == nil {
		return item{}, false, &ParseError{Path: s.path(), Line: line, Err: errors.New("transaction before SettlementData")}
	}
	base := Line{TransactionType: n.XMLName.Local, Currency: s.cur.Currency, Line: line}
	if err := s.walk(&n, s.path(), "", base, true); err != nil {
		return item{}, false, err
	}
	return item{}, false, nil
}

func (s *xmlSource) settlement(d *settlementData, line int) (*Settlement, error) {
	path := s.path()
	st := &Settlement{ID: strings.TrimSpace(d.ID), Line: line}
	if st.ID == "" {
		return nil, &ParseError{Path: path + "/AmazonSettlementID", Line: line, Err: errors.New("missing or empty")}
	}
	if d.Total == nil {
		return nil, &ParseError{Path: path + "/TotalAmount", Line: line, Err: errors.New("missing")}
	}
	st.Currency = strings.TrimSpace(d.Total.Currency)
	exp, ok := exponent(st.Currency)
	if !ok {
		return nil, &ParseError{Path: path + "/TotalAmount", Line: line, Err: fmt.Errorf("currency attribute %q is not an ISO 4217 currency code", st.Currency)}
	}
	a, err := parseAmount(d.Total.Value, exp)
	if err != nil {
		return nil, &ParseError{Path: path + "/TotalAmount", Line: line, Err: err}
	}
	st.Total, st.HasTotal, st.TotalExact = a.minor, true, a.exact
	if a.rounded {
		s.warns.add("%s/TotalAmount: %s has more decimals than %s; rounded half-even", path, a.exact, st.Currency)
	}
	for _, f := range []struct {
		name, v string
		dst     int
	}{{"StartDate", d.Start, 0}, {"EndDate", d.End, 1}, {"DepositDate", d.Deposit, 2}} {
		if strings.TrimSpace(f.v) == "" {
			continue
		}
		t, err := parseStamp(f.v)
		if err != nil {
			return nil, &ParseError{Path: path + "/" + f.name, Line: line, Err: err}
		}
		switch f.dst {
		case 0:
			st.Start = t.at
		case 1:
			st.End = t.at
		default:
			st.DepositDate = t.date
		}
	}
	return st, nil
}

// isAmount reports whether n is a money element: a leaf with a currency
// attribute, or a leaf named Amount.
func isAmount(n *node) bool {
	if len(n.Children) > 0 {
		return false
	}
	if n.XMLName.Local == "Amount" {
		return true
	}
	for _, a := range n.Attrs {
		if a.Name.Local == "currency" {
			return true
		}
	}
	return false
}

// walk queues a line for every money element under n. The identifying
// elements (AmazonOrderID, PostedDate, SKU, Quantity, …) of n and its
// ancestors apply to the amounts below them. parent is the name of n's
// parent; top is set for the transaction element itself.
//
// Naming: an amount inside a Component, Fee or Charge takes the name of the
// group around it as amount type (ItemPrice, ItemFees, ShipmentFees, …) and
// the sibling Type as description; an amount inside any other element (Promotion,
// BaseTax, …) takes that element's name. An amount directly in the
// transaction (OtherTransaction/Amount, AdvertisingTransactionDetails/TransactionAmount)
// takes the transaction's name, with TransactionType as description.
// AdvertisingTransactionDetails' BaseAmount and TaxAmount are the breakdown
// of its TransactionAmount and are skipped when TransactionAmount is there.
func (s *xmlSource) walk(n *node, path, parent string, base Line, top bool) error {
	desc := ""
	hasTransactionAmount := false
	for i := range n.Children {
		c := &n.Children[i]
		name := c.XMLName.Local
		if isAmount(c) {
			hasTransactionAmount = hasTransactionAmount || name == "TransactionAmount"
			continue
		}
		if len(c.Children) > 0 {
			continue
		}
		v := strings.TrimSpace(c.Text)
		switch name {
		case "AmazonOrderID":
			base.OrderID = v
		case "MerchantOrderID":
			base.MerchantOrderID = v
		case "ShipmentID":
			base.ShipmentID = v
		case "AdjustmentID":
			base.AdjustmentID = v
		case "MarketplaceName":
			base.Marketplace = v
		case "SKU":
			base.SKU = v
		case "Quantity":
			if q, err := strconv.ParseInt(v, 10, 64); err == nil {
				base.Quantity, base.HasQuantity = q, true
			} else if v != "" {
				s.warns.add("%s/Quantity: %q is not an integer; taken as absent", path, v)
			}
		case "PostedDate":
			if v == "" {
				continue
			}
			t, err := parseStamp(v)
			if err != nil {
				return &ParseError{Path: path + "/PostedDate", Line: base.Line, Err: err}
			}
			base.PostedDate = t.date
		case "TransactionType":
			if top && v != "" {
				base.TransactionType = v
				desc = v
			}
		case "Type":
			desc = v
		}
	}
	self := n.XMLName.Local
	counts := map[string]int{}
	for i := range n.Children {
		c := &n.Children[i]
		name := c.XMLName.Local
		counts[name]++
		cpath := fmt.Sprintf("%s/%s[%d]", path, name, counts[name])
		if len(c.Children) > 0 {
			if err := s.walk(c, cpath, self, base, false); err != nil {
				return err
			}
			continue
		}
		if !isAmount(c) {
			continue
		}
		typ := self
		switch {
		case top && hasTransactionAmount && (name == "BaseAmount" || name == "TaxAmount"):
			continue
		case top && name != "Amount" && name != "TransactionAmount":
			typ = name
		case !top && (self == "Component" || self == "Fee" || self == "Charge") && parent != "":
			typ = parent
		}
		if err := s.amount(c, cpath, typ, desc, base); err != nil {
			return err
		}
	}
	return nil
}

// amount queues the line of one money element.
func (s *xmlSource) amount(c *node, path, typ, desc string, base Line) error {
	text := strings.TrimSpace(c.Text)
	if text == "" {
		s.warns.add("%s: empty amount; no line", path)
		return nil
	}
	l := base
	for _, a := range c.Attrs {
		if a.Name.Local == "currency" && strings.TrimSpace(a.Value) != "" {
			l.Currency = strings.TrimSpace(a.Value)
		}
	}
	exp, ok := exponent(l.Currency)
	if !ok {
		return &ParseError{Path: path, Line: base.Line, Err: fmt.Errorf("currency attribute %q is not an ISO 4217 currency code", l.Currency)}
	}
	a, err := parseAmount(text, exp)
	if err != nil {
		return &ParseError{Path: path, Line: base.Line, Err: err}
	}
	if a.rounded {
		s.warns.add("%s: %s has more decimals than %s; rounded half-even", path, a.exact, l.Currency)
	}
	l.AmountType, l.AmountDescription = typ, desc
	l.AmountMinor, l.AmountExact = a.minor, a.exact
	s.queue = append(s.queue, l)
	return nil
}
