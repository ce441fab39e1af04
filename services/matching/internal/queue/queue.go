// Package queue is the exception queue of cash application as a pure
// domain: the states a payment passes through (open, parked, matched,
// split), which decision a person may take in which state, the checks of a
// confirmed proposal, a manual match, a split and a manual return against
// the open items and the tenant's limits, and the ledger commands that
// book a match (booking.go). It knows neither storage nor transport: the
// matching service loads an Entry, asks this package, and stores what it
// answers as events with the commands, atomically.
//
// A payment enters the queue when the engine does not book it itself
// (proposed or unmatched). From OPEN or PARKED a person confirms a
// proposal, matches by hand, splits, or parks again; a MATCHED payment
// (the engine's automatic matches included) can be unmatched, which
// reverses its booking and makes it OPEN again. A SPLIT payment is done:
// its parts are payments of their own. Every booking of a payment gets a
// ledger payment id of its own (LedgerPaymentID), since the ledger derives
// the journal entry from it and a reversed entry cannot be booked again.
package queue

import (
	"fmt"
	"slices"
	"strings"
	"time"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// State is where a payment stands in the queue.
type State string

// The states of a payment.
const (
	// Open: waits for a person.
	Open State = "open"
	// Parked: set aside with a note; still waits.
	Parked State = "parked"
	// Matched: booked (sent to the ledger), by the engine or a person.
	Matched State = "matched"
	// Split: split into parts, which are payments of their own.
	Split State = "split"
)

// Pending reports whether a payment in state s waits for a person.
func (s State) Pending() bool { return s == Open || s == Parked }

// Entry is a payment as the queue knows it: the fold of its stream
// (Fold), and what the ledger's events told about its booking.
type Entry struct {
	Tenant string
	// Payment is the payment, without its payer; its ID is the payment id.
	Payment engine.Payment
	// Stored is the payment as stored in its PaymentDecided event.
	Stored *matchingv1.Payment
	// Parent is the payment a split part was split from, "" otherwise.
	Parent string
	State  State
	// Version is the version of the payment's stream: the number of
	// events stored for it.
	Version int64
	// Decision, Score and Explanation are what the engine decided on
	// arrival (or when the payment was last put back in the queue).
	Decision    engine.Kind
	Score       int
	Explanation string
	// Proposals are the engine's, best first.
	Proposals []Proposal
	// Match is what was booked, for a matched payment.
	Match *Proposal
	// Resolution says how a person matched it (ResolutionConfirmed,
	// ResolutionManual), "" for the engine.
	Resolution string
	// Learned is, for a payment the engine matched, the counterparty id
	// its decision taught the engine for Match.Debtor
	// (PaymentDecided.learned_counterparty_id); "" when it taught nothing
	// or a person matched it (Stored's counterparty then).
	Learned string
	// LedgerPaymentID is the payment id of the current booking.
	LedgerPaymentID string
	// Bookings counts the bookings of the payment so far (unmatched ones
	// included); the next one is LedgerPaymentID(id, Bookings+1).
	Bookings int
	// EntryID is the ledger's journal entry of the current booking, once
	// the ledger's events reported it (not part of the stream).
	EntryID string
	// Returned is set when a return of this payment was booked (not part
	// of the stream).
	Returned bool
	// Parts are the payment ids of the parts of a split payment.
	Parts []string
	// ReceivedAt is when the payment arrived, UpdatedAt when it last
	// changed, by Actor ("matching" for the engine), with Note.
	ReceivedAt, UpdatedAt time.Time
	Actor, Note           string
}

// How a person matched a payment.
const (
	ResolutionConfirmed = "confirmed"
	ResolutionManual    = "manual"
)

// Return reports whether the payment is money out (a return or reversal).
func (e Entry) Return() bool { return e.Payment.Amount.Minor < 0 }

// Proposal is one way to apply a payment, as the queue shows and books it.
// For every proposal the allocations, less the settlement's fees, refunds,
// reserve and other lines, plus the difference, equal the payment's
// amount.
type Proposal struct {
	Score       int
	Debtor      string
	Allocations []engine.Allocation
	Difference  *engine.Difference
	Explanation string
	// Reverses is, for a return, the ledger payment id of the payment it
	// undoes.
	Reverses string
	// ReturnCharge is, for a return, what of the bank's return charge is
	// passed on to the debtor.
	ReturnCharge int64
	// Settlement is, for a marketplace payout, how its settlement report
	// is applied beyond the order items.
	Settlement *Settlement
}

// Settlement is the part of a marketplace payout beyond the order items
// it clears: fees and refunds deducted, a reserve held back.
type Settlement struct {
	ID          string
	Marketplace string
	Fees        []Fee
	Refunds     []Refund
	// Reserve is held back (positive) or released (negative).
	Reserve int64
	// Other is what other lines of the report add up to (positive: less
	// paid out).
	Other int64
	// Items are the engine's allocations to the report's own items (fee,
	// refund, reserve and other lines: negative), which the fields above
	// book; the engine needs them to apply the proposal.
	Items []engine.Allocation
}

// Fee is a marketplace fee deducted from a payout (positive).
type Fee struct {
	Kind   string
	Amount int64
}

// Refund is a marketplace refund deducted from a payout (positive).
type Refund struct {
	AdjustmentID string
	// Item is the order's open item, "" when it is not known.
	Item    string
	OrderID string
	Amount  int64
	// Posted is the day the marketplace posted the refund, the credit
	// note's issue date; zero when not known (then the payout's booking
	// date).
	Posted time.Time
	// Decision is what refund import decided about the refund, when that
	// keeps matching from crediting it (linked, held, booked).
	Decision RefundDecision
}

// deducted is what the settlement takes from the payout beyond the order
// items: fees, refunds, reserve and other lines.
func (s *Settlement) deducted() (int64, error) {
	if s == nil {
		return 0, nil
	}
	parts := []int64{s.Reserve, s.Other}
	for _, f := range s.Fees {
		parts = append(parts, f.Amount)
	}
	for _, r := range s.Refunds {
		parts = append(parts, r.Amount)
	}
	return money.Sum(parts...)
}

// ProposalOf turns an engine decision's best proposal into the queue's
// (nil for a decision without a debtor or allocations and without a
// return to reverse).
func ProposalOf(d engine.Decision) *Proposal {
	if d.Debtor == "" && len(d.Allocations) == 0 && d.Reverses == "" {
		return nil
	}
	return &Proposal{
		Score: d.Score, Debtor: d.Debtor, Allocations: slices.Clone(d.Allocations), Difference: cloneDiff(d.Difference),
		Explanation: d.Explanation, Reverses: d.Reverses, ReturnCharge: d.ReturnCharge,
	}
}

// ProposalsOf returns a decision's proposals, best first: its own, then its
// alternatives.
func ProposalsOf(d engine.Decision) []Proposal {
	var out []Proposal
	if p := ProposalOf(d); p != nil {
		out = append(out, *p)
	}
	for _, a := range d.Alternatives {
		out = append(out, Proposal{
			Score: a.Score, Debtor: a.Debtor, Allocations: slices.Clone(a.Allocations),
			Difference: cloneDiff(a.Difference), Explanation: a.Explanation,
		})
	}
	return out
}

func cloneDiff(d *engine.Difference) *engine.Difference {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

// LedgerPaymentID is the payment id the ledger books the n-th booking
// (1-based) of payment id under: id itself first, then "id#n".
func LedgerPaymentID(id string, n int) string {
	if n <= 1 {
		return id
	}
	return fmt.Sprintf("%s#%d", id, n)
}

// CheckVersion fails with ErrChanged when expected is set (not 0) and is
// not the entry's version.
func (e Entry) CheckVersion(expected int64) error {
	if expected != 0 && expected != e.Version {
		return fmt.Errorf("%w version %d: it is at version %d", ErrChanged, expected, e.Version)
	}
	return nil
}

func (e Entry) pending() error {
	if !e.State.Pending() {
		return fmt.Errorf("payment %s is %s: %w", e.Payment.ID, e.State, ErrNotPending)
	}
	return nil
}

// Item is what the queue needs of an open item to check an allocation.
type Item struct {
	ID       string
	Debtor   string
	Currency string
	// Open is what is open on it now (matching's view: the ledger's less
	// what matching sent and the ledger has not booked yet).
	Open int64
	// DiscountBP is the cash discount of its payment terms in basis points
	// (0 when none).
	DiscountBP int32
	// VAT are the VAT lines of the item (net and tax per rate), by which a
	// credit note on it is split.
	VAT []*ledgerv1.VatAmount
}

// Items looks up open items.
type Items interface {
	// Item returns the open item with the id, or false.
	Item(id string) (Item, bool)
}

// Limits are the tenant's bounds of the differences a person may book
// (from its matching configuration, engine.Config).
type Limits struct {
	// ToleranceMinor and TolerancePercentBP bound a bank fee: at most the
	// lower of the two (0 is no bound when the other is set).
	ToleranceMinor     int64
	TolerancePercentBP int32
	// RoundingMinor bounds a rounding difference either way.
	RoundingMinor int64
	// FXPercentBP bounds an FX difference either way, of the allocated
	// amount.
	FXPercentBP int32
	// WriteOffMinor bounds a written-off underpayment.
	WriteOffMinor int64
	// MaxReturnChargeMinor bounds the charge a bank nets into a return.
	MaxReturnChargeMinor int64
}

// LimitsOf returns the limits of a tenant's matching configuration.
func LimitsOf(c engine.Config) Limits {
	return Limits{
		ToleranceMinor: c.Tolerance.AbsoluteMinor, TolerancePercentBP: c.Tolerance.PercentBP,
		RoundingMinor: c.Tolerance.RoundingMinor, FXPercentBP: c.Tolerance.FXPercentBP,
		WriteOffMinor: c.WriteOffLimitMinor, MaxReturnChargeMinor: c.Returns.MaxBankChargeMinor,
	}
}

// Confirm checks that proposal index of a pending payment can be booked as
// it stands: every allocation fits what is open now, and a receipt names
// a debtor. It returns the proposal to book.
func Confirm(e Entry, index int, items Items) (Proposal, error) {
	if err := e.pending(); err != nil {
		return Proposal{}, err
	}
	if index < 0 || index >= len(e.Proposals) {
		return Proposal{}, fmt.Errorf("%w %d: payment %s has %d", ErrNoProposal, index, e.Payment.ID, len(e.Proposals))
	}
	p := e.Proposals[index]
	if p.Debtor == "" && p.Reverses == "" {
		return Proposal{}, fmt.Errorf("proposal %d names no debtor: %w", index, ErrProposalStale)
	}
	if e.Return() && p.Reverses == "" {
		return Proposal{}, fmt.Errorf("proposal %d names no payment the return undoes: %w", index, ErrProposalStale)
	}
	left := map[string]int64{}
	for _, a := range p.Allocations {
		it, ok := items.Item(a.Item)
		if !ok {
			return Proposal{}, fmt.Errorf("proposal %d: %w %s", index, ErrUnknownItem, a.Item)
		}
		open, seen := left[a.Item]
		if !seen {
			open = it.Open
		}
		after := open - a.Amount
		// A return reopens what its payment cleared; that it can is the
		// ledger's to check.
		if a.Amount > 0 && after < 0 {
			return Proposal{}, fmt.Errorf("proposal %d allocates %s to item %s with %s open: %w", index,
				amountText(a.Amount, it.Currency), a.Item, amountText(open, it.Currency), ErrProposalStale)
		}
		left[a.Item] = after
	}
	return p, nil
}

// Manual is a match a person chose: items and amounts of a debtor, and
// what the rest of the payment is.
type Manual struct {
	Debtor      string
	Allocations []engine.Allocation
	// DifferenceKind says what the payment less the allocations is;
	// required when they differ, empty when they do not.
	DifferenceKind engine.DifferenceKind
}

// CheckManual checks a manual match of a pending receipt and returns the
// proposal to book: the allocations must be positive, in the payment's
// currency, of open items of the debtor, each at most what is open and
// together at most the payment plus the difference the tenant allows; the
// difference must have a kind that fits its sign and stay within the
// tenant's limit for that kind (Limits).
func CheckManual(e Entry, m Manual, items Items, lim Limits) (Proposal, error) {
	if err := e.pending(); err != nil {
		return Proposal{}, err
	}
	cur := e.Payment.Amount.Currency
	if e.Return() {
		return Proposal{}, fmt.Errorf("%w: payment %s is a return of %s: name the payment it undoes", ErrInvalidAllocation, e.Payment.ID, amountText(e.Payment.Amount.Minor, cur))
	}
	if strings.TrimSpace(m.Debtor) == "" {
		return Proposal{}, fmt.Errorf("%w: no debtor", ErrInvalidAllocation)
	}
	var sum, discountable int64
	seen := map[string]bool{}
	for i, a := range m.Allocations {
		if a.Amount <= 0 {
			return Proposal{}, fmt.Errorf("%w: allocations[%d] to %s is %s, not positive", ErrInvalidAllocation, i, a.Item, amountText(a.Amount, cur))
		}
		if seen[a.Item] {
			return Proposal{}, fmt.Errorf("%w: allocations[%d] names item %s a second time", ErrInvalidAllocation, i, a.Item)
		}
		seen[a.Item] = true
		it, ok := items.Item(a.Item)
		if !ok {
			return Proposal{}, fmt.Errorf("allocations[%d]: %w %s", i, ErrUnknownItem, a.Item)
		}
		if it.Debtor != m.Debtor {
			return Proposal{}, fmt.Errorf("%w: allocations[%d]: item %s belongs to debtor %s, not %s", ErrInvalidAllocation, i, a.Item, it.Debtor, m.Debtor)
		}
		if it.Currency != cur {
			return Proposal{}, fmt.Errorf("%w: allocations[%d]: item %s is in %s, the payment in %s", ErrInvalidAllocation, i, a.Item, it.Currency, cur)
		}
		if a.Amount > it.Open {
			return Proposal{}, fmt.Errorf("allocations[%d]: %s to item %s with %s open: %w", i, amountText(a.Amount, cur), a.Item, amountText(it.Open, cur), ErrExceedsOpen)
		}
		var err error
		if sum, err = money.Add(sum, a.Amount); err != nil {
			return Proposal{}, fmt.Errorf("%w: allocations: %v", ErrInvalidAllocation, err)
		}
		if it.DiscountBP > 0 {
			d, err := money.ApplyRateBP(a.Amount, it.DiscountBP)
			if err != nil {
				return Proposal{}, fmt.Errorf("%w: allocations[%d]: %v", ErrInvalidAllocation, i, err)
			}
			discountable += d
		}
	}
	diff, err := money.Sub(e.Payment.Amount.Minor, sum)
	if err != nil {
		return Proposal{}, fmt.Errorf("%w: %v", ErrInvalidAllocation, err)
	}
	p := Proposal{Score: 100, Debtor: m.Debtor, Allocations: slices.Clone(m.Allocations)}
	if diff == 0 {
		if m.DifferenceKind != "" {
			return Proposal{}, fmt.Errorf("%w: %s given, but the allocations equal the payment", ErrDifferenceKind, m.DifferenceKind)
		}
		p.Explanation = "matched by hand"
		return p, nil
	}
	if err := checkDifference(m.DifferenceKind, diff, sum, discountable, cur, lim); err != nil {
		return Proposal{}, err
	}
	p.Difference = &engine.Difference{Kind: m.DifferenceKind, Amount: diff}
	p.Explanation = fmt.Sprintf("matched by hand, %s %s", amountText(diff, cur), strings.ReplaceAll(string(m.DifferenceKind), "_", " "))
	return p, nil
}

// checkDifference checks that diff (the payment less the allocated sum) may
// be booked as kind under the limits; discountable is what the allocated
// items' cash discount terms allow.
func checkDifference(kind engine.DifferenceKind, diff, allocated, discountable int64, cur string, lim Limits) error {
	over := func(limit int64, what string) error {
		if abs(diff) > limit {
			return fmt.Errorf("%w: %s of %s exceeds %s (%s)", ErrBeyondLimit, kind, amountText(abs(diff), cur), what, amountText(limit, cur))
		}
		return nil
	}
	sign := func(neg bool) error {
		if (diff < 0) != neg {
			want := "a shortfall (less paid than allocated)"
			if !neg {
				want = "a surplus (more paid than allocated)"
			}
			return fmt.Errorf("%w: %s must be %s, the payment is %s %s", ErrDifferenceKind, kind, want, amountText(abs(diff), cur), map[bool]string{true: "short", false: "over"}[diff < 0])
		}
		return nil
	}
	switch kind {
	case "":
		return fmt.Errorf("%w: the payment differs from the allocations by %s: say what the difference is", ErrDifferenceKind, amountText(diff, cur))
	case engine.DiffCashDiscount:
		if err := sign(true); err != nil {
			return err
		}
		return over(discountable, "the items' cash discount terms")
	case engine.DiffBankFee:
		if err := sign(true); err != nil {
			return err
		}
		return over(tolerance(lim, allocated), "the tolerance")
	case engine.DiffUnderpayment:
		if err := sign(true); err != nil {
			return err
		}
		return over(lim.WriteOffMinor, "the write-off limit")
	case engine.DiffOverpayment:
		return sign(false)
	case engine.DiffRounding:
		return over(lim.RoundingMinor, "the rounding limit")
	case engine.DiffFX:
		limit, err := money.ApplyRateBP(allocated, lim.FXPercentBP)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBeyondLimit, err)
		}
		return over(limit, "the FX limit")
	}
	return fmt.Errorf("%w: %q is not one of cash_discount, bank_fee, underpayment, overpayment, rounding, fx", ErrDifferenceKind, kind)
}

// tolerance is the largest bank fee on an allocated amount: the lower of
// the absolute and the relative limit, a zero limit counting as none when
// the other is set.
func tolerance(lim Limits, allocated int64) int64 {
	rel, err := money.ApplyRateBP(allocated, lim.TolerancePercentBP)
	if err != nil {
		rel = 0
	}
	switch {
	case lim.TolerancePercentBP == 0:
		return lim.ToleranceMinor
	case lim.ToleranceMinor == 0:
		return rel
	}
	return min(lim.ToleranceMinor, rel)
}

// CheckManualReturn checks that a pending return undoes the booked receipt
// orig and returns the proposal to book: orig's allocations reversed, the
// charge the bank netted as a bank fee (at most the tenant's largest
// return charge), nothing passed on to the debtor.
func CheckManualReturn(e Entry, orig Entry, lim Limits) (Proposal, error) {
	if err := e.pending(); err != nil {
		return Proposal{}, err
	}
	cur := e.Payment.Amount.Currency
	switch {
	case !e.Return():
		return Proposal{}, fmt.Errorf("%w: payment %s is a receipt, not a return", ErrInvalidReturn, e.Payment.ID)
	case orig.State != Matched || orig.Match == nil || orig.Return():
		return Proposal{}, fmt.Errorf("%w: payment %s is not a booked receipt", ErrInvalidReturn, orig.Payment.ID)
	case orig.Returned:
		return Proposal{}, fmt.Errorf("%w: payment %s was returned already", ErrInvalidReturn, orig.Payment.ID)
	case orig.Payment.Amount.Currency != cur:
		return Proposal{}, fmt.Errorf("%w: payment %s is in %s, the return in %s", ErrInvalidReturn, orig.Payment.ID, orig.Payment.Amount.Currency, cur)
	case orig.Match.Settlement != nil:
		return Proposal{}, fmt.Errorf("%w: payment %s is a marketplace payout", ErrInvalidReturn, orig.Payment.ID)
	}
	charge := -e.Payment.Amount.Minor - orig.Payment.Amount.Minor
	if charge < 0 {
		return Proposal{}, fmt.Errorf("%w: the return of %s is less than payment %s of %s", ErrInvalidReturn,
			amountText(-e.Payment.Amount.Minor, cur), orig.Payment.ID, amountText(orig.Payment.Amount.Minor, cur))
	}
	if charge > lim.MaxReturnChargeMinor {
		return Proposal{}, fmt.Errorf("%w: a return charge of %s exceeds the largest a bank nets (%s)", ErrBeyondLimit,
			amountText(charge, cur), amountText(lim.MaxReturnChargeMinor, cur))
	}
	p := Proposal{Score: 100, Debtor: orig.Match.Debtor, Reverses: orig.LedgerPaymentID,
		Explanation: "return of " + orig.Payment.ID + " matched by hand"}
	var sum int64
	for _, a := range orig.Match.Allocations {
		p.Allocations = append(p.Allocations, engine.Allocation{Item: a.Item, Amount: -a.Amount})
		sum -= a.Amount
	}
	if diff := e.Payment.Amount.Minor - sum; diff != 0 {
		p.Difference = &engine.Difference{Kind: engine.DiffBankFee, Amount: diff}
	}
	return p, nil
}

// MaxParts is the most parts a payment may be split into.
const MaxParts = 100

// Part is one part of a split.
type Part struct {
	PaymentID string
	Amount    int64
}

// CheckSplit checks a split of a pending payment into parts of the given
// amounts (each non-zero, with the payment's sign, together the payment)
// and returns the parts, numbered "<id>/1", "<id>/2", ...
func CheckSplit(e Entry, amounts []int64) ([]Part, error) {
	if err := e.pending(); err != nil {
		return nil, err
	}
	if len(amounts) < 2 || len(amounts) > MaxParts {
		return nil, fmt.Errorf("%w: %d parts, want 2 to %d", ErrInvalidSplit, len(amounts), MaxParts)
	}
	cur := e.Payment.Amount.Currency
	var sum int64
	parts := make([]Part, len(amounts))
	for i, a := range amounts {
		if a == 0 || (a < 0) != (e.Payment.Amount.Minor < 0) {
			return nil, fmt.Errorf("%w: part %d is %s, it must be non-zero with the payment's sign", ErrInvalidSplit, i+1, amountText(a, cur))
		}
		var err error
		if sum, err = money.Add(sum, a); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidSplit, err)
		}
		parts[i] = Part{PaymentID: fmt.Sprintf("%s/%d", e.Payment.ID, i+1), Amount: a}
	}
	if sum != e.Payment.Amount.Minor {
		return nil, fmt.Errorf("%w: the parts sum to %s, the payment is %s", ErrInvalidSplit, amountText(sum, cur), amountText(e.Payment.Amount.Minor, cur))
	}
	return parts, nil
}

// CheckPark checks that a pending payment may be parked with note.
func CheckPark(e Entry, note string) error {
	if err := e.pending(); err != nil {
		return err
	}
	if strings.TrimSpace(note) == "" {
		return fmt.Errorf("%w: say why the payment is parked", ErrNoNote)
	}
	return nil
}

// CheckUnmatch checks that the booking of a matched payment may be undone
// for reason: it must be a receipt whose journal entry the ledger
// reported, and not returned since.
func CheckUnmatch(e Entry, reason string) error {
	switch {
	case strings.TrimSpace(reason) == "":
		return fmt.Errorf("%w: say why the payment is unmatched", ErrNoNote)
	case e.State != Matched:
		return fmt.Errorf("payment %s is %s: %w", e.Payment.ID, e.State, ErrNotMatched)
	case e.Return():
		return fmt.Errorf("payment %s: %w", e.Payment.ID, ErrReturnUnmatch)
	case e.Match != nil && e.Match.Settlement != nil:
		return fmt.Errorf("payment %s pays settlement %s: %w", e.Payment.ID, e.Match.Settlement.ID, ErrPayoutUnmatch)
	case e.Returned:
		return fmt.Errorf("payment %s was returned since: %w", e.Payment.ID, ErrNotMatched)
	case e.EntryID == "":
		return fmt.Errorf("payment %s (ledger payment %s): %w", e.Payment.ID, e.LedgerPaymentID, ErrNotBooked)
	}
	return nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// amountText formats minor units of cur for a message.
func amountText(minor int64, cur string) string {
	exp, _ := money.ExponentOrTwo(cur)
	return money.FormatMinor(minor, exp) + " " + cur
}
