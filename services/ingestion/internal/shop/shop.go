// Package shop is ingestion's domain for the shop messages besides the
// invoice itself (package invoice): customers, orders, cancellations,
// credit notes, payment captures and chargebacks. It validates each, turns
// it into the normalized event ingestion stores (without personal data),
// and derives where the event goes and its id.
//
// Identity: every event id is a UUID (version 5) of (kind, tenant, natural
// key), so a re-sent or replayed message maps to the same event and is
// stored once, while a changed message under the same key carries another
// source hash and is refused by the event store as a conflict. Customer
// data is the exception: each distinct version of a customer is its own
// event (its key includes the source hash), since a change of customer
// data is an update, never a conflict.
//
// Documents that refer to an invoice (cancellations, credit notes) are
// checked against the invoice's stream: the invoice must be there, for the
// same debtor and currency, and what is credited or cancelled in total may
// not exceed its gross amount.
package shop

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/debtor"
	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/storable"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
)

// Stream types of the events of this package. Cancellations and credit
// notes go to the stream of their invoice (type "invoice").
const (
	CustomerStream = "customer"
	OrderStream    = "order"
	PaymentStream  = "payment"
	InvoiceStream  = "invoice"
)

// Event is what an accepted shop message becomes: the normalized payload,
// its id, the stream it goes to and when it happened.
type Event struct {
	Stream     es.StreamID
	ID         uuid.UUID
	OccurredAt time.Time
	Payload    proto.Message
	// Document is the natural key a rejection names (a document number, a
	// customer number, a provider reference).
	Document string
	// Kind names the document in messages: "order", "credit note".
	Kind string
}

// namespace is the UUID namespace of the event ids of this package.
var namespace = uuid.MustParse("8b1f4e52-2c6a-5d0e-a3b7-6f9c0d1e2a34")

// EventID returns the event id of the message of kind with the natural key
// parts of tenant.
func EventID(kind, tenant string, key ...string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(kind+"\x00"+tenant+"\x00"+strings.Join(key, "\x00")))
}

// sourceHash is the hex SHA-256 of the deterministic protobuf encoding of
// m's known fields (see invoice.SourceHash).
func sourceHash(m proto.Message) (string, error) {
	c := proto.Clone(m)
	storable.DiscardUnknown(c)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", m.ProtoReflect().Descriptor().Name(), err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// known returns a copy of m without unknown fields, at any depth.
func known[M proto.Message](m M) M {
	c := proto.Clone(m).(M)
	storable.DiscardUnknown(c)
	return c
}

// checkTenant returns invoice.ErrTenantMismatch (wrapped) when the payload
// names another tenant than the subject (or the gRPC request).
func checkTenant(payload, subjectTenant string) error {
	if payload != subjectTenant {
		return fmt.Errorf("%w: subject says %q, payload says %q", invoice.ErrTenantMismatch, subjectTenant, payload)
	}
	return nil
}

// Customer validates a customer registration or update (both carry the
// whole customer) and returns its event. The personal data is not in the
// event: the caller keeps it in master data.
func Customer(tenant, subjectTenant string, c *shopv1.Customer, updatedAt *timestamppb.Timestamp, msg proto.Message) (Event, error) {
	if err := checkTenant(tenant, subjectTenant); err != nil {
		return Event{}, err
	}
	v := newValidator("customer", msg)
	n := c.GetCustomerNumber()
	v.key("customer.customer_number", n, 64)
	v.check(!debtor.Reserved(n), "customer.customer_number: %q is reserved: ids starting with %q name o2c's own marketplace debtors", n, debtor.MarketplacePrefix)
	v.check(c.GetKind() != shopv1.DebtorKind_DEBTOR_KIND_UNSPECIFIED, "customer.kind: required (CONSUMER or BUSINESS)")
	v.check(c.GetName() != "", "customer.name: required")
	v.check(c.GetEmail() == "" || strings.Count(c.GetEmail(), "@") == 1, "customer.email: %q is not an e-mail address", c.GetEmail())
	if l := c.GetPreferredLanguage(); l != "" {
		v.check(len(l) == 2 && strings.ToLower(l) == l && l[0] >= 'a' && l[0] <= 'z' && l[1] >= 'a' && l[1] <= 'z',
			"customer.preferred_language: %q is not an ISO 639-1 code such as \"de\"", l)
	}
	if dd := c.GetDirectDebit(); dd != nil {
		v.check(ValidIBAN(dd.GetIban()), "customer.direct_debit.iban: not a valid IBAN (country, check digits, no spaces)")
		m := dd.GetMandateId()
		v.check(m != "" && len(m) <= 35, "customer.direct_debit.mandate_id: must be 1 to 35 characters, got %d", len(m))
		v.date(dd.GetSignedOn(), "customer.direct_debit.signed_on")
		v.check(dd.GetSequenceType() != shopv1.SequenceType_SEQUENCE_TYPE_UNSPECIFIED, "customer.direct_debit.sequence_type: required (FIRST, RECURRING, ONE_OFF or FINAL)")
	}
	v.check(updatedAt.IsValid(), "updated_at: required")
	if err := v.err(); err != nil {
		return Event{}, err
	}
	h, err := sourceHash(c)
	if err != nil {
		return Event{}, err
	}
	return Event{
		Stream:     es.StreamID{Tenant: tenant, Type: CustomerStream, ID: n},
		Kind:       "customer",
		ID:         EventID("customer", tenant, n, h),
		OccurredAt: updatedAt.AsTime(),
		Document:   n,
		Payload: &ingestionv1.CustomerIngested{
			Tenant: tenant, DebtorId: n, DebtorKind: c.GetKind(), CustomerGroup: c.GetCustomerGroup(),
			PreferredLanguage: c.GetPreferredLanguage(), DirectDebit: c.GetDirectDebit() != nil,
			UpdatedAt: updatedAt, SourceHash: h,
		},
	}, nil
}

// Order validates an OrderPlaced and returns its event.
func Order(o *shopv1.OrderPlaced, subjectTenant string) (Event, error) {
	if err := checkTenant(o.GetTenant(), subjectTenant); err != nil {
		return Event{}, err
	}
	o = known(o)
	v := newValidator("order", o)
	v.key("order_id", o.GetOrderId(), 64)
	v.key("customer_id", o.GetCustomerId(), 64)
	market := o.GetChannel().GetKind() == shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE
	switch o.GetChannel().GetKind() {
	case shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP:
		v.check(o.GetMarketplaceOrderId() == "", "marketplace_order_id: only for marketplace orders")
	case shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE:
		v.check(o.GetChannel().GetMarketplace() != "", "channel.marketplace: required for a marketplace order")
		v.check(o.GetMarketplaceOrderId() != "", "marketplace_order_id: required for a marketplace order")
	default:
		v.problem("channel.kind: required (OWN_SHOP or MARKETPLACE)")
	}
	switch pm := o.GetPaymentMethod(); {
	case pm == shopv1.PaymentMethod_PAYMENT_METHOD_UNSPECIFIED:
		v.problem("payment_method: required")
	case (pm == shopv1.PaymentMethod_PAYMENT_METHOD_MARKETPLACE) != market:
		v.problem(fmt.Sprintf("payment_method: %s does not fit channel %s (MARKETPLACE exactly for marketplace orders)", pm, o.GetChannel().GetKind()))
	}
	cur := v.currency(o.GetCurrency())
	v.check(len(o.GetLines()) > 0, "lines: at least one line is required")
	for i, l := range o.GetLines() {
		path := fmt.Sprintf("lines[%d]", i)
		v.check(l.GetDescription() != "", "%s.description: required", path)
		v.money(l.GetNetAmount(), cur, path+".net_amount", false)
		v.check(l.GetVatRateBp() >= 0 && l.GetVatRateBp() <= 10000, "%s.vat_rate_bp: %d out of range", path, l.GetVatRateBp())
	}
	v.money(o.GetExpectedAmount(), cur, "expected_amount", true)
	v.check(o.GetPlacedAt().IsValid(), "placed_at: required")
	if err := v.err(); err != nil {
		return Event{}, err
	}
	h, err := sourceHash(o)
	if err != nil {
		return Event{}, err
	}
	return Event{
		Stream:     es.StreamID{Tenant: o.GetTenant(), Type: OrderStream, ID: o.GetOrderId()},
		Kind:       "order",
		ID:         EventID("order", o.GetTenant(), o.GetOrderId()),
		OccurredAt: o.GetPlacedAt().AsTime(),
		Document:   o.GetOrderId(),
		Payload: &ingestionv1.OrderIngested{
			Tenant: o.GetTenant(), OrderId: o.GetOrderId(), Channel: o.GetChannel(), MarketplaceOrderId: o.GetMarketplaceOrderId(),
			DebtorId: o.GetCustomerId(), PaymentMethod: o.GetPaymentMethod(), ExpectedAmount: o.GetExpectedAmount(),
			PlacedAt: o.GetPlacedAt(), LineCount: int32(len(o.GetLines())), SourceHash: h,
		},
	}, nil
}

// Capture validates a PaymentCaptured and returns its event.
func Capture(p *shopv1.PaymentCaptured, subjectTenant string) (Event, error) {
	if err := checkTenant(p.GetTenant(), subjectTenant); err != nil {
		return Event{}, err
	}
	p = known(p)
	v := newValidator("payment capture", p)
	v.provider(p.GetProvider())
	v.key("provider_reference", p.GetProviderReference(), 128)
	v.check(p.GetOrderId() != "" || p.GetInvoiceNumber() != "", "order_id, invoice_number: at least one is required")
	cur := p.GetAmount().GetCurrency()
	v.currency(cur)
	v.money(p.GetAmount(), cur, "amount", true)
	if p.GetFee() != nil {
		v.fee(p.GetFee(), cur, "fee")
	}
	v.check(p.GetCapturedAt().IsValid(), "captured_at: required")
	if err := v.err(); err != nil {
		return Event{}, err
	}
	h, err := sourceHash(p)
	if err != nil {
		return Event{}, err
	}
	ref := p.GetProvider() + "/" + p.GetProviderReference()
	return Event{
		Stream:     es.StreamID{Tenant: p.GetTenant(), Type: PaymentStream, ID: ref},
		Kind:       "payment capture",
		ID:         EventID("payment.captured", p.GetTenant(), p.GetProvider(), p.GetProviderReference()),
		OccurredAt: p.GetCapturedAt().AsTime(),
		Document:   ref,
		Payload: &ingestionv1.PaymentCaptureIngested{
			Tenant: p.GetTenant(), Provider: p.GetProvider(), ProviderReference: p.GetProviderReference(),
			OrderId: p.GetOrderId(), InvoiceNumber: p.GetInvoiceNumber(), Amount: p.GetAmount(), Fee: p.GetFee(),
			CapturedAt: p.GetCapturedAt(), SourceHash: h,
		},
	}, nil
}

// Chargeback validates a ChargebackNotified and returns its event, which
// goes to the stream of the capture it reverses.
func Chargeback(c *shopv1.ChargebackNotified, subjectTenant string) (Event, error) {
	if err := checkTenant(c.GetTenant(), subjectTenant); err != nil {
		return Event{}, err
	}
	c = known(c)
	v := newValidator("chargeback", c)
	v.provider(c.GetProvider())
	v.key("provider_reference", c.GetProviderReference(), 128)
	v.key("capture_reference", c.GetCaptureReference(), 128)
	v.check(c.GetKind() != shopv1.ChargebackKind_CHARGEBACK_KIND_UNSPECIFIED, "kind: required (CHARGEBACK or DIRECT_DEBIT_RETURN)")
	v.check(c.GetReasonCode() != "", "reason_code: required")
	cur := c.GetAmount().GetCurrency()
	v.currency(cur)
	v.money(c.GetAmount(), cur, "amount", true)
	if c.GetFee() != nil {
		v.fee(c.GetFee(), cur, "fee")
	}
	v.check(c.GetNotifiedAt().IsValid(), "notified_at: required")
	if err := v.err(); err != nil {
		return Event{}, err
	}
	h, err := sourceHash(c)
	if err != nil {
		return Event{}, err
	}
	return Event{
		Stream:     es.StreamID{Tenant: c.GetTenant(), Type: PaymentStream, ID: c.GetProvider() + "/" + c.GetCaptureReference()},
		Kind:       "chargeback",
		ID:         EventID("payment.charged_back", c.GetTenant(), c.GetProvider(), c.GetProviderReference()),
		OccurredAt: c.GetNotifiedAt().AsTime(),
		Document:   c.GetProvider() + "/" + c.GetProviderReference(),
		Payload: &ingestionv1.ChargebackIngested{
			Tenant: c.GetTenant(), Provider: c.GetProvider(), ProviderReference: c.GetProviderReference(),
			CaptureReference: c.GetCaptureReference(), Kind: c.GetKind(), ReasonCode: c.GetReasonCode(),
			Amount: c.GetAmount(), Fee: c.GetFee(), NotifiedAt: c.GetNotifiedAt(), SourceHash: h,
		},
	}, nil
}

// ValidIBAN reports whether s is an IBAN with valid check digits (ISO
// 13616: upper-case letters and digits, 15 to 34 characters, mod 97 = 1).
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if !letter && !digit || i < 2 && !letter || i >= 2 && i < 4 && !digit {
			return false
		}
	}
	rem := 0
	for _, c := range s[4:] + s[:4] {
		if c >= 'A' {
			rem = (rem*100 + int(c-'A'+10)) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	return rem == 1
}

// sortVAT orders VAT totals by tax key, so that two encodings of one
// document normalize the same.
func sortVAT(vat []*shopv1.VatTotal) {
	sort.Slice(vat, func(i, j int) bool {
		a, b := vat[i], vat[j]
		if a.GetTaxCountry() != b.GetTaxCountry() {
			return a.GetTaxCountry() < b.GetTaxCountry()
		}
		if a.GetTaxTreatment() != b.GetTaxTreatment() {
			return a.GetTaxTreatment() < b.GetTaxTreatment()
		}
		return a.GetRateBp() < b.GetRateBp()
	})
}

type validator struct {
	doc      string
	problems []string
}

// newValidator starts with what o2c cannot store of msg (see package
// storable).
func newValidator(doc string, msg proto.Message) *validator {
	v := &validator{doc: doc}
	if msg != nil {
		for _, p := range storable.Problems(msg) {
			v.problem(p.Error())
		}
	}
	return v
}

func (v *validator) problem(p string) { v.problems = append(v.problems, p) }

func (v *validator) check(ok bool, format string, args ...any) {
	if !ok {
		v.problem(fmt.Sprintf(format, args...))
	}
}

// key checks a natural key: 1 to max characters without surrounding
// spaces.
func (v *validator) key(path, s string, max int) {
	v.check(s != "" && len(s) <= max && strings.TrimSpace(s) == s, "%s: must be 1 to %d characters without surrounding spaces, got %q", path, max, s)
}

func (v *validator) provider(p string) {
	ok := p != "" && len(p) <= 64
	for _, c := range p {
		ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-')
	}
	v.check(ok, "provider: %q is not a provider name (lowercase letters, digits, dots, dashes)", p)
}

func (v *validator) currency(cur string) string {
	if _, ok := money.Exponent(cur); !ok {
		v.problem(fmt.Sprintf("currency: %q is not an ISO 4217 currency", cur))
	}
	return cur
}

func (v *validator) date(d *commonv1.Date, path string) {
	if d == nil {
		v.problem(path + ": required")
		return
	}
	t := invoice.ToTime(d)
	if d.GetYear() < 1 || d.GetYear() > 9999 || int32(t.Month()) != d.GetMonth() || int32(t.Day()) != d.GetDay() {
		v.problem(fmt.Sprintf("%s: %04d-%02d-%02d is not a calendar date", path, d.GetYear(), d.GetMonth(), d.GetDay()))
	}
}

// money checks an amount in currency; positive says it must be above zero.
func (v *validator) money(m *commonv1.Money, currency, path string, positive bool) {
	switch {
	case m == nil:
		v.problem(path + ": required")
	case m.GetCurrency() != currency:
		v.problem(fmt.Sprintf("%s.currency: %q differs from the currency %q", path, m.GetCurrency(), currency))
	case !money.InBounds(m.GetMinorUnits()):
		v.problem(fmt.Sprintf("%s.minor_units: %d is beyond the ±%d minor units o2c accepts for one amount", path, m.GetMinorUnits(), money.MaxAbs))
	case positive && m.GetMinorUnits() <= 0:
		v.problem(fmt.Sprintf("%s.minor_units: must be positive, got %d", path, m.GetMinorUnits()))
	}
}

// fee checks a fee: in currency, zero or positive.
func (v *validator) fee(m *commonv1.Money, currency, path string) {
	v.money(m, currency, path, false)
	v.check(m.GetMinorUnits() >= 0, "%s.minor_units: must not be negative, got %d", path, m.GetMinorUnits())
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &invoice.ValidationError{Document: v.doc, Problems: v.problems}
}
