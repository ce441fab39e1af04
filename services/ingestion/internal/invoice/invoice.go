// Package invoice is ingestion's domain: it validates the invoices shops
// publish, turns them into the normalized InvoiceIngested event without
// personal data, and derives the identities that make ingestion idempotent.
//
// Identity: an invoice is (tenant, invoice number). Its event id is a UUID
// (version 5) of that pair, so a re-sent or replayed invoice maps to the same
// event and is booked once. Its content is identified by SourceHash, the
// SHA-256 of the deterministic protobuf encoding of the validated message, so
// the same invoice sent as protobuf or as JSON hashes the same, while any
// change under the same number is detected and rejected.
package invoice

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/debtor"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/storable"
	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/tenant"
)

// ValidationError lists everything wrong with an invoice, each problem with
// the field path it concerns. It is a permanent failure: sending the same
// message again cannot succeed.
type ValidationError struct {
	// Document names what was invalid ("order", "credit note"); empty
	// means "invoice".
	Document string
	Problems []string
}

func (e *ValidationError) Error() string {
	doc := e.Document
	if doc == "" {
		doc = "invoice"
	}
	return "invalid " + doc + ": " + strings.Join(e.Problems, "; ")
}

// ErrTenantMismatch means the tenant in the subject and in the payload differ.
var ErrTenantMismatch = errors.New("tenant in subject and payload differ")

// ValidTenant reports whether s is a well-formed tenant id (see tenant.Valid).
func ValidTenant(s string) bool { return tenant.Valid(s) }

// namespace is the UUID namespace of ingestion's derived event ids.
var namespace = uuid.MustParse("3f4c2b1e-8a6d-5c7b-9e0f-1a2b3c4d5e6f")

// EventID returns the event id of the invoice (tenant, number).
func EventID(tenant, invoiceNumber string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte("invoice\x00"+tenant+"\x00"+invoiceNumber))
}

// SourceHash is the hex SHA-256 of the deterministic protobuf encoding of
// inv's known fields: unknown fields (from a shop on a newer schema) are not
// part of the content, so the same invoice as JSON and as protobuf hashes
// the same.
func SourceHash(inv *shopv1.InvoiceIssued) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(known(inv))
	if err != nil {
		return "", fmt.Errorf("encode invoice: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Validate checks inv as published on a subject of subjectTenant. Besides
// the shop contract it refuses what o2c cannot store (see package storable:
// NUL bytes, invalid UTF-8, over-long strings, unknown enum values), a
// customer id in the namespace reserved for marketplace debtors
// (debtor.Reserved), any amount beyond ±money.MaxAbs minor units, and sums
// that overflow. Like the ledger it needs every line's tax key (country,
// rate, treatment) mapped by the tenant's tax table on the issue date (see
// WithTaxTable), the lines of each key to sum to zero or more, and the due
// date, given or derived, in the years 1-9999. It returns ErrTenantMismatch
// (wrapped) or a *ValidationError.
func Validate(inv *shopv1.InvoiceIssued, subjectTenant string, opts ...Option) error {
	if inv.GetTenant() != subjectTenant {
		return fmt.Errorf("%w: subject says %q, payload says %q", ErrTenantMismatch, subjectTenant, inv.GetTenant())
	}
	v := &validator{}
	for _, p := range storable.Problems(inv) {
		v.problem(p.Error())
	}
	v.check(ValidTenant(inv.GetTenant()), "tenant: %q is not a tenant id (lowercase letters, digits, dashes)", inv.GetTenant())
	n := inv.GetInvoiceNumber()
	v.check(n != "" && len(n) <= 36 && strings.TrimSpace(n) == n, "invoice_number: must be 1 to 36 characters without surrounding spaces, got %q", n)
	v.check(inv.GetOrderId() != "", "order_id: required")
	switch inv.GetChannel().GetKind() {
	case shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP:
	case shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE:
		v.check(inv.GetChannel().GetMarketplace() != "", "channel.marketplace: required for a marketplace order")
	default:
		v.problem("channel.kind: required (OWN_SHOP or MARKETPLACE)")
	}
	d := inv.GetDebtor()
	v.check(d.GetCustomerId() != "", "debtor.customer_id: required")
	v.check(!debtor.Reserved(d.GetCustomerId()), "debtor.customer_id: %q is reserved: ids starting with %q name o2c's own marketplace debtors", d.GetCustomerId(), debtor.MarketplacePrefix)
	v.check(d.GetName() != "", "debtor.name: required")
	v.check(d.GetKind() != shopv1.DebtorKind_DEBTOR_KIND_UNSPECIFIED, "debtor.kind: required (CONSUMER or BUSINESS)")

	issue, ok := v.date(inv.GetIssueDate(), "issue_date")
	if inv.GetDueDate() != nil {
		due, dok := v.date(inv.GetDueDate(), "due_date")
		if ok && dok {
			v.check(!due.Before(issue), "due_date: %s is before issue_date %s", due.Format(time.DateOnly), issue.Format(time.DateOnly))
		}
	} else if t := inv.GetPaymentTerms(); t == nil {
		v.problem("due_date: required unless payment_terms are given")
	}
	if t := inv.GetPaymentTerms(); t != nil {
		v.check(t.GetNetDays() >= 0 && t.GetNetDays() <= 3650, "payment_terms.net_days: %d out of range 0..3650", t.GetNetDays())
		v.check(t.GetDiscountDays() >= 0 && t.GetDiscountDays() <= t.GetNetDays(), "payment_terms.discount_days: %d must be between 0 and net_days", t.GetDiscountDays())
		v.check(t.GetDiscountBp() >= 0 && t.GetDiscountBp() < 10000, "payment_terms.discount_bp: %d out of range", t.GetDiscountBp())
	}
	v.dueDate(inv, issue, ok)
	if inv.GetDeliveredOn() != nil {
		if del, dok := v.date(inv.GetDeliveredOn(), "delivered_on"); dok && ok {
			v.check(!del.Before(issue), "delivered_on: %s is before issue_date %s", del.Format(time.DateOnly), issue.Format(time.DateOnly))
		}
	}

	if u := inv.GetDocumentUrl(); u != "" {
		v.check(documentURL(u), "document_url: %q is not an https URL (https://host/path, without user or password)", u)
	}

	cur := inv.GetCurrency()
	if _, known := money.Exponent(cur); !known {
		v.problem(fmt.Sprintf("currency: %q is not an ISO 4217 currency", cur))
		return v.err()
	}
	v.check(len(inv.GetLines()) > 0, "lines: at least one line is required")
	exp, _ := money.Exponent(cur)
	amount := func(minor int64) string { return money.FormatMinor(minor, exp) + " " + cur }
	var net int64
	byKey := map[tax.Key]*vatGroup{}
	var keys []tax.Key
	for i, l := range inv.GetLines() {
		path := fmt.Sprintf("lines[%d]", i)
		v.check(l.GetDescription() != "", "%s.description: required", path)
		amt, aok := v.money(l.GetNetAmount(), cur, path+".net_amount")
		v.check(l.GetVatRateBp() >= 0 && l.GetVatRateBp() <= 10000, "%s.vat_rate_bp: %d out of range", path, l.GetVatRateBp())
		if !aok {
			continue
		}
		v.add(&net, amt, "lines: the sum of net_amount")
		k := lineKey(l)
		g := byKey[k]
		if g == nil {
			g = &vatGroup{first: i}
			byKey[k] = g
			keys = append(keys, k)
		}
		v.add(&g.net, amt, fmt.Sprintf("lines: the sum of net_amount at rate %d%s", l.GetVatRateBp(), qualifier(k)))
		lineVAT, err := VAT(amt, l.GetVatRateBp())
		if err != nil {
			v.problem(fmt.Sprintf("%s: VAT on net_amount: %v", path, err))
			continue
		}
		v.add(&g.lineVAT, lineVAT, fmt.Sprintf("lines: the sum of VAT at rate %d%s", l.GetVatRateBp(), qualifier(k)))
	}
	tot := inv.GetTotals()
	if tot == nil {
		v.problem("totals: required")
		return v.err()
	}
	if tn, ok := v.money(tot.GetNet(), cur, "totals.net"); ok {
		v.check(tn == net, "totals.net: %s does not equal the sum of the lines, %s", amount(tn), amount(net))
	}
	seen := map[tax.Key]bool{}
	vatSum := int64(0)
	for i, vt := range tot.GetVat() {
		path := fmt.Sprintf("totals.vat[%d]", i)
		r, k := vt.GetRateBp(), totalKey(vt)
		if seen[k] {
			v.problem(fmt.Sprintf("%s.rate_bp: rate %d %s listed twice", path, r, k))
			continue
		}
		seen[k] = true
		g := byKey[k]
		vn, nok := v.money(vt.GetNet(), cur, path+".net")
		vv, vok := v.money(vt.GetVat(), cur, path+".vat")
		if g == nil {
			v.problem(fmt.Sprintf("%s.rate_bp: no line has rate %d %s", path, r, k))
			continue
		}
		if nok {
			v.check(vn == g.net, "%s.net: %s does not equal the lines at this rate, %s", path, amount(vn), amount(g.net))
		}
		if vok {
			want, err := VAT(g.net, r)
			if err != nil {
				v.problem(fmt.Sprintf("%s.vat: VAT on the rate's net amount: %v", path, err))
				continue
			}
			v.check(vv == want || vv == g.lineVAT, "%s.vat: %s is neither the VAT on the rate's net amount (%s) nor the sum of per-line VAT (%s)", path, amount(vv), amount(want), amount(g.lineVAT))
			v.check(vv >= 0, "%s.vat: %s is negative; the books take no negative VAT in an invoice (use a credit note)", path, amount(vv))
			v.add(&vatSum, vv, "totals.vat: the sum of vat")
		}
	}
	for _, k := range keys {
		v.check(seen[k], "totals.vat: rate %d %s of the lines has no VAT total", k.RateBP, k)
	}
	v.taxRules(optionsOf(opts).table, keys, byKey, issue, ok, exp, cur)
	if g, ok := v.money(tot.GetGross(), cur, "totals.gross"); ok {
		if want, err := money.Add(net, vatSum); err != nil {
			v.problem(fmt.Sprintf("totals.gross: net plus VAT: %v", err))
		} else {
			v.check(g == want, "totals.gross: %s does not equal net plus VAT, %s", amount(g), amount(want))
		}
		v.check(g > 0, "totals.gross: must be positive (use a credit note for negative amounts)")
	}
	return v.err()
}

// VAT returns the VAT on net at rateBP basis points, rounded half away from
// zero to the minor unit (kaufmännische Rundung). It fails with
// money.ErrOverflow only for a rate above 100 % whose VAT does not fit into
// int64; net·rate itself is never formed.
func VAT(net int64, rateBP int32) (int64, error) {
	return money.ApplyRateBP(net, rateBP)
}

// DueDate returns the invoice's due date: the one given, else the issue date
// plus the net days of the payment terms. inv must be valid.
func DueDate(inv *shopv1.InvoiceIssued) *commonv1.Date {
	if inv.GetDueDate() != nil {
		return inv.GetDueDate()
	}
	d := ToTime(inv.GetIssueDate()).AddDate(0, 0, int(inv.GetPaymentTerms().GetNetDays()))
	return FromTime(d)
}

// Normalize turns a valid invoice into the event ingestion publishes. The
// event holds only inv's known fields (see SourceHash).
func Normalize(inv *shopv1.InvoiceIssued) (*ingestionv1.InvoiceIngested, error) {
	inv = known(inv)
	h, err := SourceHash(inv)
	if err != nil {
		return nil, err
	}
	vat := make([]*shopv1.VatTotal, len(inv.GetTotals().GetVat()))
	for i, v := range inv.GetTotals().GetVat() {
		vat[i] = proto.Clone(v).(*shopv1.VatTotal)
		vat[i].TaxCountry, vat[i].TaxTreatment = totalKey(v).Compact()
	}
	sort.Slice(vat, func(i, j int) bool { return vatBefore(vat[i], vat[j]) })
	return &ingestionv1.InvoiceIngested{
		Tenant:           inv.GetTenant(),
		InvoiceNumber:    inv.GetInvoiceNumber(),
		OrderId:          inv.GetOrderId(),
		Channel:          inv.GetChannel(),
		DebtorId:         inv.GetDebtor().GetCustomerId(),
		DebtorKind:       inv.GetDebtor().GetKind(),
		IssueDate:        inv.GetIssueDate(),
		DueDate:          DueDate(inv),
		PaymentTerms:     inv.GetPaymentTerms(),
		Currency:         inv.GetCurrency(),
		Vat:              vat,
		Gross:            inv.GetTotals().GetGross(),
		PaymentReference: inv.GetPaymentReference(),
		LineCount:        int32(len(inv.GetLines())),
		SourceHash:       h,

		ConsumerDefaultNotice: inv.GetConsumerDefaultNotice(),
		DeliveredOn:           inv.GetDeliveredOn(),
		DocumentUrl:           inv.GetDocumentUrl(),
	}, nil
}

// documentURL reports whether u is a link the console may offer: an
// absolute https URL with a host and without user or password.
func documentURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Scheme == "https" && p.Host != "" && p.User == nil
}

// known returns a copy of inv without unknown fields, at any depth.
func known(inv *shopv1.InvoiceIssued) *shopv1.InvoiceIssued {
	c := proto.Clone(inv).(*shopv1.InvoiceIssued)
	storable.DiscardUnknown(c)
	return c
}

// ToTime converts a Date to midnight UTC.
func ToTime(d *commonv1.Date) time.Time {
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

// FromTime converts the calendar date of t to a Date.
func FromTime(t time.Time) *commonv1.Date {
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

type validator struct {
	problems   []string
	overflowed map[string]bool
}

func (v *validator) problem(p string) { v.problems = append(v.problems, p) }

func (v *validator) check(ok bool, format string, args ...any) {
	if !ok {
		v.problem(fmt.Sprintf(format, args...))
	}
}

func (v *validator) date(d *commonv1.Date, path string) (time.Time, bool) {
	if d == nil {
		v.problem(path + ": required")
		return time.Time{}, false
	}
	t := ToTime(d)
	if d.GetYear() < 1 || d.GetYear() > 9999 || int32(t.Month()) != d.GetMonth() || int32(t.Day()) != d.GetDay() {
		v.problem(fmt.Sprintf("%s: %04d-%02d-%02d is not a calendar date", path, d.GetYear(), d.GetMonth(), d.GetDay()))
		return time.Time{}, false
	}
	return t, true
}

func (v *validator) money(m *commonv1.Money, currency, path string) (int64, bool) {
	if m == nil {
		v.problem(path + ": required")
		return 0, false
	}
	if m.GetCurrency() != currency {
		v.problem(fmt.Sprintf("%s.currency: %q differs from the invoice currency %q", path, m.GetCurrency(), currency))
		return 0, false
	}
	if !money.InBounds(m.GetMinorUnits()) {
		exp, _ := money.Exponent(currency)
		v.problem(fmt.Sprintf("%s.minor_units: %d minor units (%s %s) are beyond the %s %s o2c accepts for one amount", path,
			m.GetMinorUnits(), money.FormatMinor(m.GetMinorUnits(), exp), currency, money.FormatMinor(money.MaxAbs, exp), currency))
		return 0, false
	}
	return m.GetMinorUnits(), true
}

// add adds x to *total. An overflow is a problem of what, recorded once;
// *total then keeps the last sum that fitted.
func (v *validator) add(total *int64, x int64, what string) {
	s, err := money.Add(*total, x)
	if err == nil {
		*total = s
		return
	}
	if v.overflowed == nil {
		v.overflowed = map[string]bool{}
	}
	if !v.overflowed[what] {
		v.overflowed[what] = true
		v.problem(fmt.Sprintf("%s overflows int64 minor units", what))
	}
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems}
}
