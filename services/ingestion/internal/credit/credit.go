// Package credit decides the credit notes people request in the console:
// the requester's limit by role, four-eyes approval above the tenant's
// threshold, never crediting more than the invoice has left to credit, the
// number from the tenant's gap-free range (drawn only when issued), and
// whether o2c issues the credit note or asks the shop to. The rules are the
// "credit_notes" object of the tenant's console section (ParseConfig).
//
// A request is a stream of its own (credit-note-request/<request id>):
// CreditNoteRequested, then CreditNoteApproved or CreditNoteRejected, then,
// when o2c issues it, CreditNoteNumbered. Issuing appends in one atomic
// group: the CreditNoteNumbered on the request's stream and on the range's
// (credit-note-range/<prefix>, whose version counts the numbers drawn, so
// two issues racing for one number cannot both commit and no number is
// skipped), a CreditNoteIngested on the invoice's stream at the version the
// check read (so two credit notes racing on one invoice cannot both pass
// the check), which the ledger books as it books a shop's credit note, and
// the status fact CreditNoteAnnounced for the shop. Every event id derives
// from the request id, so a retried append is a replay that books nothing
// twice.
package credit

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// Stream types of the package's events.
const (
	// RequestStream holds one request's events; its id is the request id.
	RequestStream = "credit-note-request"
	// RangeStream holds one CreditNoteNumbered per number drawn from a
	// range; its id is the range's prefix.
	RangeStream = "credit-note-range"
)

// Amount is the gross amount credited at one VAT rate.
type Amount struct {
	RateBP int32
	Gross  int64
}

// Input is what a person asks for.
type Input struct {
	Tenant        string
	RequestID     string
	DebtorID      string
	InvoiceNumber string
	// Full credits everything of the invoice (Amounts empty).
	Full    bool
	Amounts []Amount
	Reason  shopv1.CreditNoteReason
	Note    string
}

var requestIDRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// State is a request's stream folded.
type State struct {
	Requested *ingestionv1.CreditNoteRequested
	// RequestedAt is when it was requested; DecidedAt when it was
	// approved, rejected or issued.
	RequestedAt, DecidedAt time.Time
	Approved               *ingestionv1.CreditNoteApproved
	Rejected               *ingestionv1.CreditNoteRejected
	Numbered               *ingestionv1.CreditNoteNumbered
	// Version is the stream's version (0: no such request).
	Version int64
}

// Fold reads a request's events, oldest first.
func Fold(events []es.Event) State {
	var s State
	for _, ev := range events {
		s.Version = ev.Version
		switch e := ev.Payload.(type) {
		case *ingestionv1.CreditNoteRequested:
			s.Requested, s.RequestedAt = e, ev.OccurredAt
		case *ingestionv1.CreditNoteApproved:
			s.Approved, s.DecidedAt = e, ev.OccurredAt
		case *ingestionv1.CreditNoteRejected:
			s.Rejected, s.DecidedAt = e, ev.OccurredAt
		case *ingestionv1.CreditNoteNumbered:
			s.Numbered, s.DecidedAt = e, ev.OccurredAt
		}
	}
	return s
}

// Status is where the request stands. A request sent to the shop stays
// SENT_TO_SHOP here; its stream does not learn of the shop's answer (the
// read model does).
func (s State) Status() ingestionv1.CreditNoteState {
	switch {
	case s.Requested == nil:
		return ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_UNSPECIFIED
	case s.Rejected != nil:
		return ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_REJECTED
	case s.Numbered != nil:
		return ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_ISSUED
	case s.Requested.GetIssuedByShop() && (s.Approved != nil || !s.Requested.GetNeedsApproval()):
		return ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_SENT_TO_SHOP
	default:
		return ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_PENDING_APPROVAL
	}
}

// View is the request as the CreditNoteService answers it.
func (s State) View() *ingestionv1.CreditNote {
	r := s.Requested
	if r == nil {
		return nil
	}
	v := &ingestionv1.CreditNote{
		Tenant: r.GetTenant(), RequestId: r.GetRequestId(), State: s.Status(), DebtorId: r.GetDebtorId(),
		InvoiceNumber: r.GetInvoiceNumber(), Gross: r.GetGross(), Vat: r.GetVat(), Reason: r.GetReason(), Note: r.GetNote(),
		RequestedBy: r.GetRequestedBy(), RequestedAt: timestamppb.New(s.RequestedAt),
	}
	if !s.DecidedAt.IsZero() {
		v.DecidedAt = timestamppb.New(s.DecidedAt)
	}
	switch {
	case s.Rejected != nil:
		v.DecidedBy, v.RejectionReason = s.Rejected.GetRejectedBy(), s.Rejected.GetReason()
	case s.Approved != nil:
		v.DecidedBy = s.Approved.GetApprovedBy()
	}
	if s.Numbered != nil {
		v.CreditNoteNumber, v.IssueDate = s.Numbered.GetCreditNoteNumber(), s.Numbered.GetIssueDate()
	}
	return v
}

// Request checks in against the invoice's stream (inv, see shop.Fold), the
// tenant's rules and the requester p, and returns the CreditNoteRequested
// to store: ErrInvalid for a malformed request, ErrUnknownInvoice,
// ErrOtherDebtor, ErrOverCredit, and ErrOverLimit above p's limit.
func Request(cfg Config, inv shop.InvoiceState, in Input, p identity.Principal) (*ingestionv1.CreditNoteRequested, error) {
	var problems []string
	if !requestIDRe.MatchString(in.RequestID) {
		problems = append(problems, fmt.Sprintf("request_id %q: want 1 to 64 letters, digits, '.', '_' or '-'", in.RequestID))
	}
	if err := CheckKey("debtor_id", in.DebtorID, 64); err != nil {
		problems = append(problems, err.Error())
	}
	if err := CheckKey("invoice_number", in.InvoiceNumber, 36); err != nil {
		problems = append(problems, err.Error())
	}
	if in.Reason == shopv1.CreditNoteReason_CREDIT_NOTE_REASON_UNSPECIFIED || shopv1.CreditNoteReason_name[int32(in.Reason)] == "" {
		problems = append(problems, "reason: required (RETURN, GOODWILL or PRICE_CORRECTION)")
	}
	if err := checkText("note", in.Note); err != nil {
		problems = append(problems, err.Error())
	}
	switch {
	case in.Full && len(in.Amounts) > 0:
		problems = append(problems, "amounts: give none for a full credit note")
	case !in.Full && len(in.Amounts) == 0:
		problems = append(problems, "amounts: give at least one VAT rate's amount, or ask for a full credit note")
	}
	for i, a := range in.Amounts {
		if a.Gross <= 0 {
			problems = append(problems, fmt.Sprintf("amounts[%d].gross: %d is not positive", i, a.Gross))
		}
		for _, b := range in.Amounts[:i] {
			if b.RateBP == a.RateBP {
				problems = append(problems, fmt.Sprintf("amounts[%d].rate_bp: %d given twice", i, a.RateBP))
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
	}
	invoice := inv.Invoice
	if invoice == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownInvoice, in.InvoiceNumber)
	}
	if invoice.GetDebtorId() != in.DebtorID {
		return nil, fmt.Errorf("%w: invoice %s is not debtor %s's", ErrOtherDebtor, in.InvoiceNumber, in.DebtorID)
	}
	cur := invoice.GetCurrency()
	var vat []*shopv1.VatTotal
	if in.Full {
		if inv.Credited > 0 || inv.Cancelled != "" {
			return nil, fmt.Errorf("%w: invoice %s was credited %s before; credit the rest with amounts per rate", ErrOverCredit,
				in.InvoiceNumber, format(inv.Credited, cur))
		}
		for _, v := range invoice.GetVat() {
			vat = append(vat, proto.Clone(v).(*shopv1.VatTotal))
		}
	} else {
		for i, a := range in.Amounts {
			line := rateLine(invoice, a.RateBP)
			if line == nil {
				return nil, fmt.Errorf("%w: amounts[%d].rate_bp: invoice %s has no VAT rate %d (it has %s)", ErrInvalid, i,
					in.InvoiceNumber, a.RateBP, rates(invoice))
			}
			if lineGross := line.GetNet().GetMinorUnits() + line.GetVat().GetMinorUnits(); a.Gross > lineGross {
				return nil, fmt.Errorf("%w: amounts[%d]: %s at %s exceeds the invoice's %s at that rate", ErrOverCredit, i,
					format(a.Gross, cur), percent(a.RateBP), format(lineGross, cur))
			}
			net := netOf(a.Gross, a.RateBP)
			vat = append(vat, &shopv1.VatTotal{RateBp: a.RateBP, Net: minor(net, cur), Vat: minor(a.Gross-net, cur),
				TaxTreatment: line.GetTaxTreatment(), TaxCountry: line.GetTaxCountry()})
		}
	}
	var gross int64
	for _, v := range vat {
		gross += v.GetNet().GetMinorUnits() + v.GetVat().GetMinorUnits()
	}
	if err := checkLeft(inv, gross); err != nil {
		return nil, err
	}
	if limit := cfg.Limit(p, cur); gross > limit {
		return nil, fmt.Errorf("%w: %s credits %s, above %s's limit of %s (the tenant's console section, credit_notes.limits)",
			ErrOverLimit, in.InvoiceNumber, format(gross, cur), p.Actor, format(limit, cur))
	}
	return &ingestionv1.CreditNoteRequested{
		Tenant: in.Tenant, RequestId: in.RequestID, DebtorId: in.DebtorID, InvoiceNumber: in.InvoiceNumber, Currency: cur,
		Vat: vat, Gross: minor(gross, cur), Reason: in.Reason, Note: strings.TrimSpace(in.Note), RequestedBy: p.RecordedActor(),
		NeedsApproval: cfg.NeedsApproval(gross, cur), IssuedByShop: cfg.IssuedBy == ByShop, Channel: invoice.GetChannel(),
	}, nil
}

// SameRequest reports whether in asks again, by actor, for the stored
// request r (the same idempotency key with the same content), so a
// retried request answers what the first one did. A full credit note
// matches the amounts it was stored with, which were the invoice's.
func SameRequest(r *ingestionv1.CreditNoteRequested, in Input, actor string) bool {
	if r.GetRequestedBy() != actor || r.GetInvoiceNumber() != in.InvoiceNumber || r.GetDebtorId() != in.DebtorID ||
		r.GetReason() != in.Reason || r.GetNote() != strings.TrimSpace(in.Note) {
		return false
	}
	if in.Full {
		return true
	}
	if len(in.Amounts) != len(r.GetVat()) {
		return false
	}
	for i, a := range in.Amounts {
		v := r.GetVat()[i]
		if v.GetRateBp() != a.RateBP || v.GetNet().GetMinorUnits()+v.GetVat().GetMinorUnits() != a.Gross {
			return false
		}
	}
	return true
}

// SourcePrefix starts the source_hash of the CreditNoteIngested of a
// credit note o2c issued, followed by the request id: no shop's credit
// note has it (theirs is a hash of the message).
const SourcePrefix = "console:"

// checkLeft refuses a credit of gross that takes the invoice below zero.
func checkLeft(inv shop.InvoiceState, gross int64) error {
	cur := inv.Invoice.GetCurrency()
	if inv.Cancelled != "" {
		return fmt.Errorf("%w: invoice %s was cancelled by %s", ErrOverCredit, inv.Invoice.GetInvoiceNumber(), inv.Cancelled)
	}
	if left := inv.Invoice.GetGross().GetMinorUnits() - inv.Credited; gross > left {
		return fmt.Errorf("%w: it credits %s, but invoice %s has %s left to credit of %s", ErrOverCredit, format(gross, cur),
			inv.Invoice.GetInvoiceNumber(), format(left, cur), format(inv.Invoice.GetGross().GetMinorUnits(), cur))
	}
	return nil
}

// Approve checks that p may approve the pending request s: not its
// requester (four eyes: ErrNotApprover), with a role of Approvers
// (ErrNotApprover) and a limit that covers the amount (ErrOverLimit); the
// request must be pending (ErrNotPending).
func Approve(cfg Config, s State, p identity.Principal) error {
	if err := decider(s, p); err != nil {
		return err
	}
	r := s.Requested
	if limit := cfg.Limit(p, r.GetCurrency()); r.GetGross().GetMinorUnits() > limit {
		return fmt.Errorf("%w: request %s credits %s, above %s's limit of %s", ErrOverLimit, r.GetRequestId(),
			format(r.GetGross().GetMinorUnits(), r.GetCurrency()), p.Actor, format(limit, r.GetCurrency()))
	}
	return nil
}

// Reject checks that p may reject the pending request s (as Approve,
// without the limit) with reason.
func Reject(s State, p identity.Principal, reason string) error {
	if err := checkText("reason", reason); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return decider(s, p)
}

// CheckKey checks a document number or id a person typed: 1 to max
// characters of valid UTF-8 without control characters (it names a
// stream and travels to the shop).
func CheckKey(field, v string, max int) error {
	switch {
	case v == "":
		return fmt.Errorf("%s: required", field)
	case !utf8.ValidString(v) || utf8.RuneCountInString(v) > max:
		return fmt.Errorf("%s: want at most %d characters of UTF-8", field, max)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return fmt.Errorf("%s: %q holds a control character", field, v)
	}
	return nil
}

// maxTextBytes is the most bytes an explanation may have: what
// libs/storable lets an event's string hold (500 characters of four
// bytes each would be 2,000).
const maxTextBytes = 1000

// checkText checks a person's explanation: 1 to 500 characters and at
// most maxTextBytes bytes of valid UTF-8, without control characters
// other than line breaks and tabs (a NUL is one).
func checkText(field, v string) error {
	switch {
	case !utf8.ValidString(v):
		return fmt.Errorf("%s: is not valid UTF-8", field)
	case len(v) > maxTextBytes:
		return fmt.Errorf("%s: %d bytes, at most %d", field, len(v), maxTextBytes)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(v)); n == 0 || n > 500 {
		return fmt.Errorf("%s: say why, in 1 to 500 characters", field)
	}
	if strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0 {
		return fmt.Errorf("%s: holds a control character", field)
	}
	return nil
}

func decider(s State, p identity.Principal) error {
	if s.Requested == nil {
		return ErrUnknownRequest
	}
	r := s.Requested
	if st := s.Status(); st != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_PENDING_APPROVAL {
		return fmt.Errorf("%w: request %s is %s", ErrNotPending, r.GetRequestId(), StateName(st))
	}
	if r.GetRequestedBy() == p.RecordedActor() {
		return fmt.Errorf("%w: %s requested %s; a second person approves it (four eyes)", ErrNotApprover, p.Actor, r.GetRequestId())
	}
	if !slices.ContainsFunc(Approvers, p.Has) {
		return fmt.Errorf("%w: approving takes one of the roles %s", ErrNotApprover, roleNames(Approvers))
	}
	return nil
}

// Ready reports whether the request is to be issued (o2c) or sent to the
// shop now: requested below the threshold, or approved.
func Ready(s State) bool {
	return s.Requested != nil && s.Rejected == nil && s.Numbered == nil && (!s.Requested.GetNeedsApproval() || s.Approved != nil)
}

// Issued is what issuing a request stores (see the package comment).
type Issued struct {
	// Numbered goes to the request's stream and the range's.
	Numbered *ingestionv1.CreditNoteNumbered
	// Ingested goes to the invoice's stream; the ledger books it.
	Ingested *ingestionv1.CreditNoteIngested
	// Announced goes to the request's stream, for the status feed.
	Announced *statusv1.CreditNoteAnnounced
}

// Issue numbers the ready request r as the drawn-th number of the
// tenant's range (drawn is the range stream's version), checks it once
// more against the invoice's stream inv (a credit note may have arrived
// since it was requested: ErrOverCredit), and returns what to store,
// issued at now.
func Issue(cfg Config, r *ingestionv1.CreditNoteRequested, inv shop.InvoiceState, drawn int64, now time.Time) (Issued, error) {
	if inv.Invoice == nil {
		return Issued{}, fmt.Errorf("%w: %s", ErrUnknownInvoice, r.GetInvoiceNumber())
	}
	if err := checkLeft(inv, r.GetGross().GetMinorUnits()); err != nil {
		return Issued{}, err
	}
	number := cfg.Range.Number(drawn)
	day := date(now)
	return Issued{
		Numbered: &ingestionv1.CreditNoteNumbered{Tenant: r.GetTenant(), RequestId: r.GetRequestId(), CreditNoteNumber: number, IssueDate: day},
		Ingested: &ingestionv1.CreditNoteIngested{
			Tenant: r.GetTenant(), CreditNoteNumber: number, InvoiceNumber: r.GetInvoiceNumber(), DebtorId: r.GetDebtorId(),
			IssueDate: day, Currency: r.GetCurrency(), Vat: r.GetVat(), Gross: r.GetGross(), Reason: r.GetReason(),
			LineCount: int32(len(r.GetVat())), SourceHash: SourcePrefix + r.GetRequestId(), Channel: r.GetChannel(), RequestId: r.GetRequestId(),
		},
		Announced: &statusv1.CreditNoteAnnounced{
			Tenant: r.GetTenant(), CreditNoteNumber: number, InvoiceNumber: r.GetInvoiceNumber(), DebtorId: r.GetDebtorId(),
			Gross: r.GetGross(), IssueDate: day, Reason: ReasonName(r.GetReason()), RequestId: r.GetRequestId(), IssuedAt: timestamppb.New(now),
		},
	}, nil
}

// ToShop is the status fact that asks the shop to issue the ready request
// r itself, sent at now.
func ToShop(r *ingestionv1.CreditNoteRequested, now time.Time) *statusv1.ShopCreditNoteRequested {
	m := &statusv1.ShopCreditNoteRequested{
		Tenant: r.GetTenant(), RequestId: r.GetRequestId(), InvoiceNumber: r.GetInvoiceNumber(), DebtorId: r.GetDebtorId(),
		Gross: r.GetGross(), Reason: ReasonName(r.GetReason()), Note: r.GetNote(), RequestedAt: timestamppb.New(now),
	}
	for _, v := range r.GetVat() {
		m.Vat = append(m.Vat, &statusv1.VatCredit{RateBp: v.GetRateBp(), Net: v.GetNet(), Vat: v.GetVat()})
	}
	return m
}

// CheckShopAnswer checks a shop's credit note that names request s (its
// request_id): the request must have been sent to the shop for the same
// invoice (ErrUnknownShopRequest) and the shop may not credit more than
// was approved (ErrOverCredit).
func CheckShopAnswer(s State, invoiceNumber string, gross int64) error {
	r := s.Requested
	if r == nil || s.Status() != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_SENT_TO_SHOP || r.GetInvoiceNumber() != invoiceNumber {
		return fmt.Errorf("%w: request_id does not name a request sent to the shop for invoice %s", ErrUnknownShopRequest, invoiceNumber)
	}
	if gross > r.GetGross().GetMinorUnits() {
		return fmt.Errorf("%w: the shop's credit note credits %s, the request %s approved %s", ErrOverCredit,
			format(gross, r.GetCurrency()), r.GetRequestId(), format(r.GetGross().GetMinorUnits(), r.GetCurrency()))
	}
	return nil
}

// namespace is the UUID namespace of the package's event ids.
var namespace = uuid.MustParse("4f0b7c2e-9a55-5d1c-8e3a-2b6d7f1c0a91")

// EventID is the id of the event of kind about request id of tenant: the
// same every time, so a retried append replays instead of storing twice.
func EventID(kind, tenant, requestID string) uuid.UUID {
	return uuid.NewSHA1(namespace, []byte(kind+"\x00"+tenant+"\x00"+requestID))
}

// ReasonName is the reason's name without its prefix ("GOODWILL").
func ReasonName(r shopv1.CreditNoteReason) string {
	return strings.TrimPrefix(r.String(), "CREDIT_NOTE_REASON_")
}

// StateName is the state's name without its prefix ("PENDING_APPROVAL").
func StateName(s ingestionv1.CreditNoteState) string {
	return strings.TrimPrefix(s.String(), "CREDIT_NOTE_STATE_")
}

// netOf is the net amount of gross at rateBP, rounded half up; the VAT is
// the rest, so net and VAT always add up to gross.
func netOf(gross int64, rateBP int32) int64 {
	d := int64(10000 + rateBP)
	return (gross*10000*2 + d) / (2 * d)
}

func rateLine(inv *ingestionv1.InvoiceIngested, rate int32) *shopv1.VatTotal {
	var found *shopv1.VatTotal
	for _, v := range inv.GetVat() {
		if v.GetRateBp() == rate {
			if found != nil { // two treatments at one rate: credit the first
				continue
			}
			found = v
		}
	}
	return found
}

func rates(inv *ingestionv1.InvoiceIngested) string {
	var s []string
	for _, v := range inv.GetVat() {
		s = append(s, fmt.Sprint(v.GetRateBp()))
	}
	return strings.Join(s, ", ")
}

func percent(bp int32) string { return fmt.Sprintf("%d.%02d %%", bp/100, bp%100) }

func format(m int64, cur string) string {
	exp, _ := money.ExponentOrTwo(cur)
	return money.FormatMinor(m, exp) + " " + cur
}

func minor(m int64, cur string) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: cur} }

func date(t time.Time) *commonv1.Date {
	t = t.UTC()
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}
