package refund

import (
	"fmt"
	"slices"
	"strings"

	"github.com/o2c-platform/o2c/libs/creditnote"
)

// Action is what a reviewer decides about a held refund.
type Action int

// The review actions.
const (
	// Book books the refund's credit note as the import would have.
	Book Action = iota + 1
	// Dismiss books nothing: the refund's deduction stays with the
	// marketplace's debtor.
	Dismiss
	// Keep leaves a booked refund and the shop credit notes that credited
	// its order again as they are (KeepReview).
	Keep
)

func (a Action) String() string {
	switch a {
	case Book:
		return "book"
	case Dismiss:
		return "dismiss"
	case Keep:
		return "keep"
	}
	return "unknown"
}

// Review decides held refund s.Prior on a reviewer's word: Book sends
// the credit note libs/creditnote builds for it (the command and key the
// import and matching send for the same refund, so the ledger books it
// once), Dismiss records it as Linked without a credit note (matching
// then books its payout with the deduction left on the marketplace's
// debtor, as for a refund the shop credited). Either decision names the
// reviewer (actor) and carries reason. Errors: ErrNotHeld for a refund
// not held, ErrNotBookable for Book of a refund that has no credit note
// to book, ErrInvalidReview for a missing action, actor or reason.
func Review(tenant string, s Situation, a Action, actor, reason string) (Decision, error) {
	p := s.Prior
	switch {
	case a == Keep:
		return keep(s, actor, reason)
	case p == nil:
		return Decision{}, fmt.Errorf("%w: nothing decided about it", ErrNotHeld)
	case a != Book && a != Dismiss:
		return Decision{}, fmt.Errorf("%w: action %d is neither book nor dismiss", ErrInvalidReview, a)
	case actor == "":
		return Decision{}, fmt.Errorf("%w: no reviewer", ErrInvalidReview)
	case reason == "":
		return Decision{}, fmt.Errorf("%w: no reason", ErrInvalidReview)
	case p.State != Held:
		who := ""
		if p.ReviewedBy != "" {
			who = ", reviewed by " + p.ReviewedBy
		}
		return Decision{}, fmt.Errorf("%w: refund %s is %s%s", ErrNotHeld, p.Key(), p.State, who)
	}
	if a == Dismiss {
		return Decision{State: Linked, OpenItemID: p.OpenItemID, ReversedAdjustmentID: p.ReversedAdjustmentID, ReviewedBy: actor, Store: true,
			Reason: fmt.Sprintf("dismissed on review by %s: %s (held: %s); no credit note, the deduction stays with the marketplace's debtor",
				actor, reason, p.Reason)}, nil
	}
	it := s.Item
	switch {
	case p.Kind == KindReversal:
		return Decision{}, fmt.Errorf("%w: refund %s is a reversal; it has no credit note of its own", ErrNotBookable, p.Key())
	case it == nil:
		return Decision{}, fmt.Errorf("%w: order %s is not in the ledger", ErrNotBookable, p.OrderID)
	case it.Currency != p.Currency:
		return Decision{}, fmt.Errorf("%w: refund in %s, order %s invoiced in %s", ErrNotBookable, p.Currency, p.OrderID, it.Currency)
	case p.Amount <= 0:
		return Decision{}, fmt.Errorf("%w: refund %s refunds nothing to the buyer", ErrNotBookable, p.Key())
	}
	cmd, err := creditnote.ForRefund(tenant, it.Debtor, p.AdjustmentID, p.Amount, creditnote.Item{ID: it.ID, Currency: it.Currency, VAT: it.VAT}, p.Posted)
	if err != nil {
		return Decision{}, fmt.Errorf("%w: %v", ErrNotBookable, err)
	}
	return Decision{State: Booked, OpenItemID: it.ID, CreditNoteNumber: cmd.GetCreditNoteNumber(), Command: cmd, ReviewedBy: actor, Store: true,
		Reason: fmt.Sprintf("booked on review by %s: %s (held: %s); credit note %s on order %s's item",
			actor, reason, p.Reason, cmd.GetCreditNoteNumber(), p.OrderID)}, nil
}

// Pick is the refund a review of an adjustment id means among those
// stored under it (ds, already narrowed to the order and item the
// reviewer gave): the one held, or the only one. Errors: ErrUnknownRefund
// for none, ErrAmbiguousRefund when several are held, or several are
// stored and none is held.
func Pick(adjustmentID string, ds []Decided) (Decided, error) {
	var held []Decided
	for _, d := range ds {
		if d.State == Held {
			held = append(held, d)
		}
	}
	c := ds
	if len(held) > 0 {
		c = held
	}
	switch len(c) {
	case 0:
		return Decided{}, fmt.Errorf("%w: no refund with adjustment id %s", ErrUnknownRefund, adjustmentID)
	case 1:
		return c[0], nil
	}
	keys := make([]string, len(c))
	for i, d := range c {
		keys[i] = d.Key()
	}
	return Decided{}, fmt.Errorf("%w: adjustment id %s names %d refunds (%v); give the order id and SKU", ErrAmbiguousRefund, adjustmentID, len(c), keys)
}

// keep is the Keep review of s.Prior: a booked refund whose order shop
// credit notes credited again (s.CreditedAgain) keeps its credit note, and
// the reviewer's word that the order is to be credited by both is
// recorded with the shop credit notes it covers (KeptCreditedAgain, added
// to those kept before). The decision changes nothing else: same state,
// item, credit note and entry, no command. Errors: ErrNotFlagged for a
// refund not booked or with no shop credit note left to keep,
// ErrInvalidReview for a missing actor or reason.
func keep(s Situation, actor, reason string) (Decision, error) {
	p := s.Prior
	switch {
	case actor == "":
		return Decision{}, fmt.Errorf("%w: no reviewer", ErrInvalidReview)
	case reason == "":
		return Decision{}, fmt.Errorf("%w: no reason", ErrInvalidReview)
	case p == nil:
		return Decision{}, fmt.Errorf("%w: nothing decided about it", ErrNotFlagged)
	case p.State != Booked:
		return Decision{}, fmt.Errorf("%w: refund %s is %s, not booked", ErrNotFlagged, p.Key(), p.State)
	}
	kept := slices.Clone(p.KeptCreditedAgain)
	var added []string
	for _, n := range s.CreditedAgain {
		if !slices.Contains(kept, n) {
			kept, added = append(kept, n), append(added, n)
		}
	}
	if len(added) == 0 {
		return Decision{}, fmt.Errorf("%w: no shop credit note credits order %s again beside refund %s", ErrNotFlagged, p.OrderID, p.Key())
	}
	return Decision{State: Booked, OpenItemID: p.OpenItemID, CreditNoteNumber: p.CreditNoteNumber, EntryID: p.EntryID,
		ReversedAdjustmentID: p.ReversedAdjustmentID, ReviewedBy: actor, KeptCreditedAgain: kept, Store: true,
		Reason: fmt.Sprintf("kept on review by %s: %s; the shop's %s credited order %s as well as credit note %s",
			actor, reason, strings.Join(added, ", "), p.OrderID, p.CreditNoteNumber)}, nil
}
