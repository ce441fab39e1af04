package refund

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/o2c-platform/o2c/libs/creditnote"
	"github.com/o2c-platform/o2c/libs/formats/amazon/finances"
	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
	"github.com/o2c-platform/o2c/libs/money"
)

// Kind is what the marketplace paid back and why.
type Kind int

// The kinds of refund.
const (
	KindRefund Kind = iota + 1
	KindGuaranteeClaim
	KindChargeback
	KindReversal
)

func (k Kind) String() string {
	switch k {
	case KindRefund:
		return "refund"
	case KindGuaranteeClaim:
		return "guarantee_claim"
	case KindChargeback:
		return "chargeback"
	case KindReversal:
		return "reversal"
	}
	return "unknown"
}

// Source is where a refund was seen.
type Source int

// The sources.
const (
	SourceAPI Source = iota + 1
	SourceSettlement
)

func (s Source) String() string {
	switch s {
	case SourceAPI:
		return "api"
	case SourceSettlement:
		return "settlement"
	}
	return "unknown"
}

// Charge is one component of a refund as the marketplace stated it.
type Charge struct {
	// Type is the charge, fee or promotion type ("Principal", "Tax",
	// "Commission"…).
	Type string
	// AmountType is its settlement amount type (creditnote.ItemPrice,
	// ItemFees…).
	AmountType string
	// Minor is signed as the marketplace wrote it: money to the merchant
	// positive.
	Minor int64
}

// Refund is one order item's refund as a source shows it.
type Refund struct {
	AdjustmentID string
	OrderID      string
	SKU          string
	OrderItemID  string
	Kind         Kind
	Source       Source
	// Currency and Amount: what the buyer got back, positive (for a
	// reversal: what was taken back, positive).
	Currency string
	Amount   int64
	Posted   time.Time
	// SellerAccount and Marketplace say where it was seen.
	SellerAccount string
	Marketplace   string
	Charges       []Charge
}

// Key identifies the refund across sources and sights:
// "<adjustment id>|<order id>|<sku, else order item id>".
func (r Refund) Key() string {
	item := r.SKU
	if item == "" {
		item = r.OrderItemID
	}
	k := r.AdjustmentID + "|" + r.OrderID + "|" + item
	if r.Kind == KindReversal {
		// A reversal may carry the adjustment id of the refund it takes
		// back; it is a sight of its own.
		k = "reversal:" + k
	}
	return k
}

// Item is the SKU, else the order item id.
func (r Refund) Item() string {
	if r.SKU != "" {
		return r.SKU
	}
	return r.OrderItemID
}

func (r Refund) check() error {
	switch {
	case r.OrderID == "":
		return fmt.Errorf("%w: a %s without order id", ErrInvalidRefund, r.Kind)
	case r.AdjustmentID == "":
		return fmt.Errorf("%w: %s of order %s without adjustment id", ErrInvalidRefund, r.Kind, r.OrderID)
	case r.Currency == "":
		return fmt.Errorf("%w: %s %s of order %s without currency", ErrInvalidRefund, r.Kind, r.AdjustmentID, r.OrderID)
	case !money.InBounds(r.Amount):
		return fmt.Errorf("%w: %s %s of order %s: amount beyond the bounds of money", ErrInvalidRefund, r.Kind, r.AdjustmentID, r.OrderID)
	}
	for _, f := range []struct{ name, value string }{{"order id", r.OrderID}, {"adjustment id", r.AdjustmentID}, {"SKU", r.SKU},
		{"order item id", r.OrderItemID}, {"currency", r.Currency}, {"marketplace", r.Marketplace}} {
		if p := textProblem(f.value); p != "" {
			return fmt.Errorf("%w: a %s whose %s %s", ErrInvalidRefund, r.Kind, f.name, p)
		}
	}
	return nil
}

// maxText is the longest id or name a refund may carry, in bytes: far
// above Amazon's (an order id has 19 characters, a SKU at most 40), and
// what every store and message header of o2c takes (storable.MaxStringBytes).
const maxText = 1000

// textProblem says what keeps s from being stored and sent on, or "": a
// NUL byte or invalid UTF-8 (PostgreSQL's text refuses both) or more than
// maxText bytes (an id that long does not fit a NATS header). The value
// itself is not repeated, so that the error stays printable.
func textProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "contains a NUL byte"
	case !utf8.ValidString(s):
		return "is not UTF-8"
	case len(s) > maxText:
		return fmt.Sprintf("has %d bytes, more than %d", len(s), maxText)
	}
	return ""
}

// refundLists maps the v0 event lists that carry refunds to their kind.
var refundLists = map[string]Kind{
	"RefundEventList":         KindRefund,
	"GuaranteeClaimEventList": KindGuaranteeClaim,
	"ChargebackEventList":     KindChargeback,
}

// rawItem is what the Finances model says of an adjusted item beyond its
// amounts (finances.Parse gives the amounts).
type rawItem struct {
	SellerSKU             string
	OrderItemID           string `json:"OrderItemId"`
	OrderAdjustmentItemID string `json:"OrderAdjustmentItemId"`
}

type rawEvent struct {
	ShipmentItemAdjustmentList []rawItem
	ShipmentItemList           []rawItem
	MarketplaceID              string `json:"MarketplaceId"`
}

type rawPage struct {
	Payload struct {
		FinancialEvents map[string]json.RawMessage
	}
}

var elementIndex = regexp.MustCompile(`^([A-Za-z]+)\[(\d+)\]`)

// Page holds the refunds of one page of listFinancialEvents and what the
// page said besides.
type Page struct {
	// Refunds in the order of the page.
	Refunds []Refund
	// Events counts every financial event of the page, refunds or not.
	Events int
	// NextToken is the page's next token.
	NextToken string
	// Warnings are the parser's.
	Warnings []string
}

// FromEvents reads the refunds of a v0 listFinancialEvents page (one per
// adjusted item of every RefundEvent, GuaranteeClaimEvent and
// ChargebackEvent) for a seller account. An event whose buyer's money
// flows back to the merchant is a reversal (the marketplace took a refund
// back). The error wraps ErrInvalidPage or ErrInvalidRefund.
func FromEvents(body []byte, sellerAccount string) (Page, error) {
	var raw rawPage
	// Keys of the object are matched without regard to case below.
	if err := json.Unmarshal(body, &raw); err != nil {
		return Page{}, fmt.Errorf("%w: %v", ErrInvalidPage, err)
	}
	lists := map[string][]rawEvent{}
	for k, v := range raw.Payload.FinancialEvents {
		for name := range refundLists {
			if strings.EqualFold(k, name) {
				var evs []rawEvent
				if err := json.Unmarshal(v, &evs); err != nil {
					return Page{}, fmt.Errorf("%w: %s: %v", ErrInvalidPage, k, err)
				}
				lists[name] = evs
			}
		}
	}
	var out Page
	p, err := finances.Parse(bytes.NewReader(body), finances.Handler{Event: func(e *finances.Event) error {
		out.Events++
		kind, ok := refundLists[e.List]
		if !ok {
			return nil
		}
		idx := -1
		if i := strings.LastIndexByte(e.Path, '['); i >= 0 {
			idx, _ = strconv.Atoi(strings.TrimSuffix(e.Path[i+1:], "]"))
		}
		var ev rawEvent
		if evs := lists[e.List]; idx >= 0 && idx < len(evs) {
			ev = evs[idx]
		}
		items := ev.ShipmentItemAdjustmentList
		if len(items) == 0 {
			items = ev.ShipmentItemList
		}
		rs, err := eventRefunds(e, kind, items, sellerAccount, ev.MarketplaceID)
		if err != nil {
			return err
		}
		out.Refunds = append(out.Refunds, rs...)
		return nil
	}})
	if err != nil {
		if errors.Is(err, ErrInvalidRefund) {
			return Page{}, err
		}
		return Page{}, fmt.Errorf("%w: %v", ErrInvalidPage, err)
	}
	out.NextToken, out.Warnings = p.NextToken, p.Warnings
	return out, nil
}

// eventRefunds splits one event into a refund per adjusted item; amounts
// outside the items (order-level charges) go to the first.
func eventRefunds(e *finances.Event, kind Kind, items []rawItem, account, marketplaceID string) ([]Refund, error) {
	n := max(len(items), 1)
	rs := make([]Refund, n)
	for i := range rs {
		r := Refund{AdjustmentID: e.AdjustmentID, OrderID: e.OrderID, Kind: kind, Source: SourceAPI, Currency: e.Currency,
			Posted: e.Posted, SellerAccount: account, Marketplace: marketplaceID}
		if r.Marketplace == "" {
			r.Marketplace = e.Marketplace
		}
		if i < len(items) {
			it := items[i]
			r.SKU, r.OrderItemID = it.SellerSKU, it.OrderItemID
			if it.OrderAdjustmentItemID != "" {
				r.AdjustmentID = it.OrderAdjustmentItemID
			}
		}
		rs[i] = r
	}
	for _, c := range e.Components {
		i := 0
		if m := elementIndex.FindStringSubmatch(c.Source); m != nil && strings.HasPrefix(strings.ToLower(m[1]), "shipmentitem") {
			if j, err := strconv.Atoi(m[2]); err == nil && j < n {
				i = j
			}
		}
		if c.Amount.Currency != rs[i].Currency {
			continue
		}
		at := creditnote.AmountType(c.Source, c.Kind)
		rs[i].Charges = append(rs[i].Charges, Charge{Type: c.Kind, AmountType: at, Minor: c.Amount.Minor})
	}
	for i := range rs {
		if err := rs[i].total(); err != nil {
			return nil, err
		}
		if err := rs[i].check(); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// total sets Amount from the buyer's charges and turns a refund whose
// buyer's money flows to the merchant into a reversal.
func (r *Refund) total() error {
	var parts []int64
	for _, c := range r.Charges {
		if creditnote.Buyer(c.AmountType) {
			parts = append(parts, c.Minor)
		}
	}
	s, err := money.Sum(parts...)
	if err != nil {
		return fmt.Errorf("%w: %s of order %s: %v", ErrInvalidRefund, r.AdjustmentID, r.OrderID, err)
	}
	if s > 0 {
		r.Kind, r.Amount = KindReversal, s
		return nil
	}
	r.Amount = -s
	return nil
}

// settlementKind is the kind of a settlement report's transaction type,
// and false for one that is no refund.
func settlementKind(tt string) (Kind, bool) {
	t := strings.ToLower(tt)
	switch {
	case strings.Contains(t, "chargeback"):
		return KindChargeback, true
	case strings.Contains(t, "guarantee"), strings.Contains(t, "a-to-z"):
		return KindGuaranteeClaim, true
	case strings.Contains(t, "refund"):
		return KindRefund, true
	}
	return 0, false
}

// FromSettlement reads the refunds of a settlement report (Amazon's flat
// file V1, V2 or XML): one per adjustment, order and SKU of its Refund,
// Chargeback Refund and A-to-z Guarantee lines, posted on the line's posted
// date (midnight UTC). The error wraps ErrInvalidPage or ErrInvalidRefund.
func FromSettlement(r io.Reader, sellerAccount string) ([]Refund, error) {
	rd, err := settlement.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPage, err)
	}
	type key struct{ adj, order, sku string }
	var out []Refund
	at := map[key]int{}
	for {
		if _, err := rd.NextSettlement(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%w: %v", ErrInvalidPage, err)
		}
		for {
			l, err := rd.NextLine()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrInvalidPage, err)
			}
			kind, ok := settlementKind(l.TransactionType)
			if !ok || l.OrderID == "" {
				continue
			}
			k := key{l.AdjustmentID, l.OrderID, l.SKU}
			i, seen := at[k]
			if !seen {
				i = len(out)
				at[k] = i
				posted, _ := time.Parse(time.DateOnly, l.PostedDate)
				out = append(out, Refund{AdjustmentID: l.AdjustmentID, OrderID: l.OrderID, SKU: l.SKU, Kind: kind,
					Source: SourceSettlement, Currency: l.Currency, Posted: posted, SellerAccount: sellerAccount, Marketplace: l.Marketplace})
			}
			if l.Currency != out[i].Currency {
				return nil, fmt.Errorf("%w: line %d: refund %s in %s and %s", ErrInvalidRefund, l.Line, l.AdjustmentID, out[i].Currency, l.Currency)
			}
			out[i].Charges = append(out[i].Charges, Charge{Type: l.AmountDescription, AmountType: l.AmountType, Minor: l.AmountMinor})
		}
	}
	for i := range out {
		if err := out[i].total(); err != nil {
			return nil, err
		}
		if err := out[i].check(); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Posted.Before(out[j].Posted) })
	return out, nil
}
