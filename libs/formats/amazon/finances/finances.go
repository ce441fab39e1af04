// Package finances reads pages of the Amazon Selling Partner API Finances
// responses: v0 listFinancialEvents, listFinancialEventsByGroupId and
// listFinancialEventsByOrderId (payload.FinancialEvents with its event lists),
// v0 listFinancialEventGroups (payload.FinancialEventGroupList) and v2024-06-19
// listTransactions (payload.transactions).
//
// Parse streams: it walks the envelope token by token and holds only one event
// (or group, or transaction) in memory at a time, handing each to a Handler as
// soon as it is complete. Keys are matched without regard to case, because
// Amazon mixes PostedDate and postedDate in the same page.
//
// Every amount is a Money: the decimal text of the JSON number converted
// exactly to int64 minor units of its ISO 4217 currency, never through
// float64. Each event is flattened into Components, one per money field that
// moves the seller's balance, and Event.Minor is their sum. Which fields count
// is decided per event type; see Event for the rules.
package finances

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Format names returned in Page.Format.
const (
	// FormatV0 is a Finances v0 page (financial events or event groups).
	FormatV0 = "spapi-finances-v0"
	// Format20240619 is a Finances 2024-06-19 listTransactions page.
	Format20240619 = "spapi-finances-2024-06-19"
)

// Component is one money field of an event.
type Component struct {
	// Kind is the charge, fee, tax, promotion, adjustment or breakdown type
	// Amazon gave the amount (ChargeType "Principal", FeeType "Commission",
	// breakdownType "Tax" …); for an amount with no type beside it, the JSON
	// key of the amount itself ("CostOfPointsGranted", "BaseTax").
	Kind string
	// Amount is the amount, signed as Amazon wrote it (money to the seller
	// positive, fees and refunded principal negative).
	Amount Money
	// Source is the JSON path of the amount relative to its event, e.g.
	// "ShipmentItemList[0].ItemChargeList[1]".
	Source string
}

// Event is one financial event of a v0 page or one transaction of a
// 2024-06-19 page.
//
// Components are the amounts that move the seller's balance:
//   - ShipmentEvent-typed lists (Shipment, ShipmentSettle, Refund,
//     GuaranteeClaim, Chargeback): every entry of the order, shipment and
//     item charge/fee/promotion/tax-withheld/direct-payment lists and their
//     Adjustment variants, plus CostOfPointsGranted/Returned;
//   - events whose parts add up to a total (ProductAdsPayment base+tax =
//     transactionValue, SellerDealPayment fee+tax = totalAmount, CouponPayment
//     and SellerReviewEnrollmentPayment fee+charge = TotalAmount,
//     AffordabilityExpense base+taxes = TotalExpense): the parts, with the
//     total kept in Details and a warning when they disagree; the total
//     itself when no part is present;
//   - amounts that only describe (AdjustmentItemList per-unit and total
//     amounts, DebtRecoveryItemList and ChargeInstrumentList of a debt
//     recovery, SAFETReimbursementItemList, TaxWithholding BaseAmount,
//     RentalInitialValue) go to Details;
//   - every other money field, including ones the model does not name, is a
//     component, so no amount is silently dropped;
//   - 2024-06-19 transactions: the leaves of the breakdowns tree (a breakdown
//     without sub-breakdowns), so that their sum equals totalAmount when
//     Amazon's data is consistent (a warning says when it is not); the
//     totalAmount itself when there are no breakdowns. Item amounts and item
//     breakdowns go to Details.
type Event struct {
	// List is the v0 list name as the model spells it (ShipmentEventList,
	// RefundEventList …), or "transactions" for 2024-06-19.
	List string
	// Type is the list name without "EventList" (Shipment, Refund,
	// ServiceFee, Adjustment …), or the transactionType for 2024-06-19.
	Type string
	// Subtype is the event's own type field where it has one
	// (AdjustmentType, TransactionType, RetrochargeEventType, FeeReason …).
	Subtype string
	// OrderID is the Amazon order id (AmazonOrderId, OrderId, or the
	// ORDER_ID related identifier).
	OrderID string
	// SellerOrderID is the seller's own order id (SellerOrderId,
	// MerchantOrderId).
	SellerOrderID string
	// AdjustmentID is the first OrderAdjustmentItemId of the event (refunds,
	// guarantee claims, chargebacks), the AdjustmentEventId of a removal
	// shipment adjustment, or the ORDER_ADJUSTMENT_ITEM_ID of a transaction
	// item.
	AdjustmentID string
	// TransactionID, Status and Description are the 2024-06-19 transactionId,
	// transactionStatus and description.
	TransactionID, Status, Description string
	// Marketplace is the marketplace name, else its id.
	Marketplace string
	// GroupID is the financial event group the event belongs to, when the
	// event says so.
	GroupID string
	// Posted is when Amazon posted the event; the zero time when absent.
	Posted time.Time
	// Currency is the currency of the first component. An event whose
	// components are in several currencies gets a warning, and Minor sums
	// only the components in Currency.
	Currency string
	// Minor is the sum of the components in Currency, in its minor unit.
	Minor int64
	// Components are the amounts, in file order; zero amounts included.
	Components []Component
	// Details are the amounts that describe the event but are not summed.
	Details []Component
	// Path is the JSON path of the event in the page.
	Path string
}

// EventGroup is one v0 financial event group: the events of a settlement
// period, closed by one fund transfer (payout).
type EventGroup struct {
	ID                 string
	ProcessingStatus   string // Open or Closed
	FundTransferStatus string // e.g. Succeeded
	// OriginalTotal is in the currency of the marketplace of the events;
	// ConvertedTotal in the currency paid out. Nil when absent.
	OriginalTotal, ConvertedTotal, BeginningBalance *Money
	// FundTransferDate (only once closed), Start and End are zero when absent.
	FundTransferDate, Start, End time.Time
	TraceID, AccountTail         string
	// Path is the JSON path of the group in the page.
	Path string
}

// Handler receives the events and groups of a page as they are read. A
// non-nil error from a callback stops Parse and is returned, wrapped. The
// pointers are only valid during the call.
type Handler struct {
	Event func(*Event) error
	Group func(*EventGroup) error
}

// Page is what Parse learned about a page besides its events and groups.
type Page struct {
	// Format is FormatV0 or Format20240619; empty when the page shows neither.
	Format string
	// NextToken is the token for the next page; empty on the last page.
	NextToken string
	// Events and Groups count what was handed to the Handler.
	Events, Groups int
	// Warnings lists what was odd but did not stop parsing, at most
	// maxWarnings of them.
	Warnings []string
}

// ParseError is a page that cannot be read. Path is the JSON path of the
// value at fault (e.g.
// payload.FinancialEvents.ShipmentEventList[3].ShipmentItemList[0].ItemChargeList[1].ChargeAmount.CurrencyAmount),
// Offset the byte offset in the input at which the reader stood.
type ParseError struct {
	Path   string
	Offset int64
	Msg    string
	Err    error
}

func (e *ParseError) Error() string {
	path := e.Path
	if path == "" {
		path = "top level"
	}
	return fmt.Sprintf("at %s (byte %d): %s", path, e.Offset, e.Msg)
}

// Unwrap returns the underlying error, e.g. an *APIError.
func (e *ParseError) Unwrap() error { return e.Err }

// APIError is an SP-API error response ({"errors":[{"code","message",
// "details"}]}) instead of a page: the request failed, there is no data.
type APIError struct {
	Code, Message, Details string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("Amazon returned error %s: %s", e.Code, e.Message)
	if e.Details != "" && e.Details != e.Message {
		s += " (" + e.Details + ")"
	}
	return s
}

// maxWarnings caps Page.Warnings so that a huge odd page stays in bounded
// memory; the last warning says how many were left out.
const maxWarnings = 100

// ErrHandler wraps an error returned by a Handler callback.
var ErrHandler = errors.New("handler failed")

type parser struct {
	dec     *json.Decoder
	h       Handler
	page    Page
	dropped int
	once    map[string]bool
	version string
	hint    string
	results int
}

// Parse reads one page from r and hands each event and group to h. It
// returns a *ParseError (possibly wrapping an *APIError) when the page cannot
// be read; Page.Format is set even then when it was already known.
func Parse(r io.Reader, h Handler) (Page, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	p := &parser{dec: json.NewDecoder(br), h: h, once: map[string]bool{}}
	p.dec.UseNumber()
	err := p.top()
	p.page.Format = p.version
	if p.page.Format == "" {
		p.page.Format = p.hint
	}
	if err == nil && p.page.Format == "" {
		p.page.Format = FormatV0
	}
	if p.dropped > 0 {
		p.page.Warnings = append(p.page.Warnings, fmt.Sprintf("%d more warnings left out", p.dropped))
	}
	return p.page, err
}

func (p *parser) warn(format string, args ...any) {
	if len(p.page.Warnings) >= maxWarnings {
		p.dropped++
		return
	}
	p.page.Warnings = append(p.page.Warnings, fmt.Sprintf(format, args...))
}

// warnOnce warns the first time key is seen.
func (p *parser) warnOnce(key, format string, args ...any) {
	if p.once[key] {
		return
	}
	if len(p.once) < 1000 {
		p.once[key] = true
	}
	p.warn(format, args...)
}

func (p *parser) errorf(path, format string, args ...any) error {
	return &ParseError{Path: path, Offset: p.dec.InputOffset(), Msg: fmt.Sprintf(format, args...)}
}

// tokenErr turns a decoder error into a ParseError at path.
func tokenErr(dec *json.Decoder, path string, err error) error {
	var pe *ParseError
	if errors.As(err, &pe) {
		return err
	}
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	msg := err.Error()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of file (truncated JSON)"
	}
	return &ParseError{Path: path, Offset: off, Msg: "invalid JSON: " + msg, Err: err}
}

// decodeErr turns an error of Decoder.Decode for the value at path, which
// starts near byte off, into a ParseError.
func decodeErr(err error, path string, off int64) error {
	msg := err.Error()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off += se.Offset
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of file (truncated JSON)"
	}
	return &ParseError{Path: path, Offset: off, Msg: "invalid JSON: " + msg, Err: err}
}

// token reads the next token, turning EOF into a truncation error.
func (p *parser) token(path string) (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, tokenErr(p.dec, path, err)
	}
	return tok, nil
}

// key reads an object key.
func (p *parser) key(path string) (string, error) {
	tok, err := p.token(path)
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", p.errorf(path, "expected an object key, found %v", tok)
	}
	return k, nil
}

// openValue reads the first token of a value that must be the delimiter
// open or null; it reports whether the value is null.
func (p *parser) openValue(path string, open json.Delim, what string) (isNull bool, err error) {
	tok, err := p.token(path)
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if d, ok := tok.(json.Delim); ok && d == open {
		return false, nil
	}
	return false, p.errorf(path, "expected %s, found %s", what, describe(tok))
}

// describe names a token for error messages.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return fmt.Sprintf("the string %q", t)
	case json.Number:
		return "the number " + string(t)
	case bool:
		return fmt.Sprintf("%t", t)
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (p *parser) top() error {
	tok, err := p.dec.Token()
	if errors.Is(err, io.EOF) {
		return &ParseError{Msg: "empty input: expected a JSON object"}
	}
	if err != nil {
		return tokenErr(p.dec, "", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return p.errorf("", "expected a JSON object, found %s", describe(tok))
	}
	sawPayload := false
	for p.dec.More() {
		k, err := p.key("")
		if err != nil {
			return err
		}
		switch {
		case strings.EqualFold(k, "payload"):
			sawPayload = true
			err = p.payload(k)
		case strings.EqualFold(k, "errors"):
			err = p.apiErrors(k)
		case isResultKey(k):
			// A page saved without the payload wrapper.
			sawPayload = true
			err = p.payloadMember("", k)
		case strings.EqualFold(k, "NextToken"):
			err = p.payloadMember("", k)
		default:
			err = skipValue(p.dec, k)
		}
		if err != nil {
			return err
		}
	}
	if _, err := p.token(""); err != nil {
		return err
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return p.errorf("", "unexpected data after the JSON object")
	}
	if !sawPayload {
		return p.errorf("", "no payload: not an SP-API Finances page (expected payload.FinancialEvents, payload.FinancialEventGroupList or payload.transactions)")
	}
	return nil
}

func isResultKey(k string) bool {
	return strings.EqualFold(k, "FinancialEvents") || strings.EqualFold(k, "FinancialEventGroupList") || strings.EqualFold(k, "transactions")
}

func (p *parser) payload(path string) error {
	isNull, err := p.openValue(path, '{', "an object")
	if err != nil {
		return err
	}
	if isNull {
		p.warn("%s is null: empty page", path)
		return nil
	}
	for p.dec.More() {
		k, err := p.key(path)
		if err != nil {
			return err
		}
		if err := p.payloadMember(path, k); err != nil {
			return err
		}
	}
	_, err = p.token(path)
	return err
}

func (p *parser) payloadMember(prefix, k string) error {
	path := join(prefix, k)
	switch {
	case strings.EqualFold(k, "NextToken"):
		tok, err := p.token(path)
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case string:
			p.page.NextToken = t
		case nil:
		default:
			return p.errorf(path, "expected a string, found %s", describe(tok))
		}
		if k == "NextToken" {
			p.hint = FormatV0
		} else if k == "nextToken" {
			p.hint = Format20240619
		}
		return nil
	case strings.EqualFold(k, "FinancialEvents"):
		if err := p.setVersion(path, FormatV0); err != nil {
			return err
		}
		return p.financialEvents(path)
	case strings.EqualFold(k, "FinancialEventGroupList"):
		if err := p.setVersion(path, FormatV0); err != nil {
			return err
		}
		return p.eachElement(path, p.group)
	case strings.EqualFold(k, "transactions"):
		if err := p.setVersion(path, Format20240619); err != nil {
			return err
		}
		return p.eachElement(path, p.transaction)
	}
	p.warnOnce("member "+path, "%s: unknown member ignored", path)
	return skipValue(p.dec, path)
}

func (p *parser) setVersion(path, v string) error {
	p.results++
	if p.results > 1 {
		return p.errorf(path, "a page carries one result (FinancialEvents, FinancialEventGroupList or transactions), this one has several")
	}
	p.version = v
	return nil
}

// eachElement reads the array at path one element at a time and passes each
// to fn. A null array is an empty one.
func (p *parser) eachElement(path string, fn func(n *node, path string, offset int64) error) error {
	isNull, err := p.openValue(path, '[', "an array")
	if err != nil || isNull {
		return err
	}
	return p.elements(path, fn)
}

// elements is eachElement after the array's '[' was read.
func (p *parser) elements(path string, fn func(n *node, path string, offset int64) error) error {
	for i := 0; p.dec.More(); i++ {
		ep := fmt.Sprintf("%s[%d]", path, i)
		off := p.dec.InputOffset()
		n, err := p.readValue(ep)
		if err != nil {
			return err
		}
		if err := fn(n, ep, off); err != nil {
			return err
		}
	}
	_, err := p.token(path)
	return err
}

// skipRest reads and discards the rest of an object or array whose opening
// delimiter was read.
func (p *parser) skipRest(path string) error {
	for depth := 1; depth > 0; {
		tok, err := p.token(path)
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// readValue reads the next complete value at path into a node tree.
func (p *parser) readValue(path string) (*node, error) {
	off := p.dec.InputOffset()
	var raw json.RawMessage
	if err := p.dec.Decode(&raw); err != nil {
		return nil, decodeErr(err, path, off)
	}
	return parseRaw(raw, path, off)
}

func (p *parser) apiErrors(path string) error {
	n, err := p.readValue(path)
	if err != nil {
		return err
	}
	if n.kind == kindNull || (n.kind == kindArray && len(n.vals) == 0) {
		return nil
	}
	first := n
	fp := path
	if n.kind == kindArray {
		first, fp = n.vals[0], path+"[0]"
	}
	ae := &APIError{Code: first.str("code"), Message: first.str("message"), Details: first.str("details")}
	if ae.Code == "" && ae.Message == "" {
		ae.Message = "(no code or message)"
	}
	return &ParseError{Path: fp, Offset: p.dec.InputOffset(), Msg: ae.Error(), Err: ae}
}

// emitEvent hands e to the Handler.
func (p *parser) emitEvent(e *Event) error {
	p.page.Events++
	if p.h.Event == nil {
		return nil
	}
	if err := p.h.Event(e); err != nil {
		return fmt.Errorf("%s: %w: %w", e.Path, ErrHandler, err)
	}
	return nil
}

// instant parses an Amazon date-time (ISO 8601 with Z or an offset, with or
// without fractional seconds). An absent or empty value is the zero time.
func instant(n *node, path string, off int64) (time.Time, error) {
	if n == nil || n.kind == kindNull || (n.kind == kindString && n.text == "") {
		return time.Time{}, nil
	}
	if n.kind != kindString {
		return time.Time{}, atErr(path, off, "expected a date-time string")
	}
	// RFC 3339 allows the separator and the zone designator in lower
	// case; Go's layouts want them upper.
	text := strings.Map(func(r rune) rune {
		if r == 't' || r == 'z' {
			return r - ('a' - 'A')
		}
		return r
	}, n.text)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, atErr(path, off, "%q is not an ISO 8601 date-time with a time zone", n.text)
}

// atErr is a ParseError about a value inside the event that starts at byte
// off.
func atErr(path string, off int64, format string, args ...any) *ParseError {
	return &ParseError{Path: path, Offset: off, Msg: fmt.Sprintf(format, args...)}
}
