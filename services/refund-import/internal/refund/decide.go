package refund

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/creditnote"
	"github.com/o2c-platform/o2c/libs/money"
)

// State is what became of a refund.
type State int

// The states.
const (
	// Booked: sent to the ledger as a credit note.
	Booked State = iota + 1
	// Linked: the shop had credited the order already; nothing booked.
	Linked
	// Held for review: booking it would credit more than was invoiced.
	Held
	// Waiting for its order (or, for a reversal, for its refund's credit
	// note) to reach the ledger.
	Waiting
	// Reversed: for a reversal, its refund's credit note was reversed;
	// for a booked refund, its credit note was reversed.
	Reversed
	// Duplicate: seen before under the same key; nothing booked.
	Duplicate
)

func (s State) String() string {
	switch s {
	case Booked:
		return "booked"
	case Linked:
		return "linked"
	case Held:
		return "held"
	case Waiting:
		return "waiting"
	case Reversed:
		return "reversed"
	case Duplicate:
		return "duplicate"
	}
	return "unknown"
}

// Item is the ledger's open item of an order, as the ledger's item events
// describe it.
type Item struct {
	ID       string
	OrderID  string
	Debtor   string
	Currency string
	// Amount is the invoiced gross (positive).
	Amount int64
	// VAT are the item's VAT lines (OpenItemClassified.vat).
	VAT []*ledgerv1.VatAmount
	// Marketplace collects the order ("" for a shop's own invoice).
	Marketplace string
	// CreditNotes are the credit notes that cleared (part of) it and were
	// not undone since.
	CreditNotes []CreditNote
}

// CreditNote is a credit note the ledger booked.
type CreditNote struct {
	// Number is the credit note number ("amazon-refund:<adjustment id>"
	// for a marketplace refund's).
	Number string
	// Amount is what it credited on the item (positive).
	Amount int64
	// EntryID is the ledger's journal entry.
	EntryID string
}

// Decided is what was decided about a refund before.
type Decided struct {
	Refund
	State State
	// Version is the version of the refund's stream.
	Version int64
	// Reason is why, in one line.
	Reason string
	// OpenItemID is the item it credits.
	OpenItemID string
	// CreditNoteNumber is the credit note booked, or the shop's one it was
	// linked to.
	CreditNoteNumber string
	// EntryID is the journal entry of its credit note, once the ledger
	// reported it.
	EntryID string
	// ReversedAdjustmentID is, for a reversal, the refund it takes back.
	ReversedAdjustmentID string
	// ReviewedBy is the actor who decided the held refund on review;
	// empty for the import's own decisions.
	ReviewedBy string
	// KeptCreditedAgain are the shop credit notes a reviewer kept beside
	// this booked refund (Keep).
	KeptCreditedAgain []string
}

// Situation is what is known when a refund is decided.
type Situation struct {
	// Prior is what was decided under the refund's key before; nil for a
	// first sight.
	Prior *Decided
	// Item is the order's open item; nil while the ledger does not know
	// the order or has not classified its item.
	Item *Item
	// CreditedAgain are the shop credit notes that credited the order's
	// item again after the prior decision booked the refund
	// (CreditedAgain, as stored); the Keep review needs them.
	CreditedAgain []string
	// Others are the decisions on the same order (other keys), for what
	// this import booked on the item and the shop credit notes already
	// linked; for a reversal, the refund it takes back is among them.
	Others []Decided
}

// Decision is what to store about a refund: the state and the ledger
// command to send with it (nil when none).
type Decision struct {
	State                State
	Reason               string
	OpenItemID           string
	CreditNoteNumber     string
	EntryID              string
	ReversedAdjustmentID string
	Command              proto.Message
	// ReviewedBy is the reviewer of a decision made by Review.
	ReviewedBy string
	// KeptCreditedAgain, for a Keep review, are the shop credit notes kept.
	KeptCreditedAgain []string
	// Store is false when nothing changed (a duplicate, a refund still
	// waiting or held): nothing is stored.
	Store bool
}

// ReversalKey is the idempotency key of the ReverseEntry that cancels the
// credit note of the refund with the adjustment id.
func ReversalKey(adjustmentID string) string { return "refund-import:reverse:" + adjustmentID }

// Decide decides refund r of tenant given s. See the package comment for
// the rules; Store says whether anything is to be stored.
func Decide(tenant string, r Refund, s Situation) (Decision, error) {
	if err := r.check(); err != nil {
		return Decision{}, err
	}
	if p := s.Prior; p != nil && p.State != Waiting {
		return Decision{State: Duplicate, Reason: fmt.Sprintf("seen before (%s, %s)", p.Source, p.State), OpenItemID: p.OpenItemID,
			CreditNoteNumber: p.CreditNoteNumber}, nil
	}
	d := decide(tenant, r, s)
	if p := s.Prior; p != nil && d.State == Waiting && d.Reason == p.Reason {
		// Still waiting for the same: nothing new to store.
		d.Store = false
	}
	return d, nil
}

func decide(tenant string, r Refund, s Situation) Decision {
	if r.Kind == KindReversal {
		return reverse(tenant, r, s)
	}
	it := s.Item
	if it == nil {
		return Decision{State: Waiting, Reason: fmt.Sprintf("order %s is not in the ledger yet; booked when its invoice arrives", r.OrderID), Store: true}
	}
	if it.Currency != r.Currency {
		return Decision{State: Held, OpenItemID: it.ID, Store: true,
			Reason: fmt.Sprintf("refund in %s, order %s invoiced in %s", r.Currency, r.OrderID, it.Currency)}
	}
	if r.Amount <= 0 {
		return Decision{State: Held, OpenItemID: it.ID, Store: true, Reason: "refunds nothing to the buyer (fees only)"}
	}
	for _, cn := range it.CreditNotes {
		if cn.Number == creditnote.Key(r.AdjustmentID) {
			// Matching credited it with the settlement's payout before the
			// API showed it. Counting that credit note as credited would
			// call the refund an over-refund of itself; the command is the
			// same under the same key (libs/creditnote), so the ledger
			// answers it with what it booked then and books nothing.
			cmd, err := creditnote.ForRefund(tenant, it.Debtor, r.AdjustmentID, r.Amount, creditnote.Item{ID: it.ID, Currency: it.Currency, VAT: it.VAT}, r.Posted)
			if err != nil {
				return Decision{State: Held, OpenItemID: it.ID, Store: true, Reason: err.Error()}
			}
			return Decision{State: Booked, OpenItemID: it.ID, CreditNoteNumber: cn.Number, Command: cmd, Store: true,
				Reason: fmt.Sprintf("credit note %s on order %s's item, booked with the settlement's payout", cn.Number, r.OrderID)}
		}
	}
	linked := map[string]bool{}
	booked := map[string]int64{} // credit note number -> amount, this import's
	for _, o := range s.Others {
		switch o.State {
		case Linked:
			linked[o.CreditNoteNumber] = true
		case Booked:
			if o.OpenItemID == it.ID {
				booked[o.CreditNoteNumber] = o.Amount
			}
		}
	}
	for _, cn := range it.CreditNotes {
		if !strings.HasPrefix(cn.Number, creditnote.KeyPrefix) && !linked[cn.Number] && cn.Amount == r.Amount {
			return Decision{State: Linked, OpenItemID: it.ID, CreditNoteNumber: cn.Number, Store: true,
				Reason: fmt.Sprintf("the shop credited order %s with credit note %s of the same amount", r.OrderID, cn.Number)}
		}
	}
	// Credited so far: every credit note on the item, and what this import
	// booked that the ledger has not reported yet.
	parts := []int64{}
	seen := map[string]bool{}
	for _, cn := range it.CreditNotes {
		seen[cn.Number] = true
		parts = append(parts, cn.Amount)
	}
	for num, a := range booked {
		if !seen[num] {
			parts = append(parts, a)
		}
	}
	credited, err := money.Sum(parts...)
	if err == nil {
		var after int64
		if after, err = money.Add(credited, r.Amount); err == nil && after > it.Amount {
			return Decision{State: Held, OpenItemID: it.ID, Store: true,
				Reason: fmt.Sprintf("over-refund: %s of order %s invoiced, %s credited already, this refund of %s would credit %s more than invoiced",
					text(it.Amount, it.Currency), r.OrderID, text(credited, it.Currency), text(r.Amount, r.Currency), text(after-it.Amount, it.Currency))}
		}
	}
	if err != nil {
		return Decision{State: Held, OpenItemID: it.ID, Store: true, Reason: fmt.Sprintf("credited total of order %s: %v", r.OrderID, err)}
	}
	cn, err := creditnote.ForRefund(tenant, it.Debtor, r.AdjustmentID, r.Amount, creditnote.Item{ID: it.ID, Currency: it.Currency, VAT: it.VAT}, r.Posted)
	if err != nil {
		return Decision{State: Held, OpenItemID: it.ID, Store: true, Reason: err.Error()}
	}
	return Decision{State: Booked, OpenItemID: it.ID, CreditNoteNumber: cn.GetCreditNoteNumber(), Command: cn, Store: true,
		Reason: fmt.Sprintf("credit note %s on order %s's item", cn.GetCreditNoteNumber(), r.OrderID)}
}

// reverse decides a reversal: the refund of the same order and item it
// takes back (of its adjustment id, else the latest booked one of the same
// amount) has its credit note reversed.
func reverse(tenant string, r Refund, s Situation) Decision {
	var target *Decided
	for i := range s.Others {
		o := &s.Others[i]
		if o.Kind == KindReversal || o.OrderID != r.OrderID || o.Item() != r.Item() {
			continue
		}
		if o.AdjustmentID == r.AdjustmentID {
			target = o
			break
		}
		if o.Amount == r.Amount && (o.State == Booked || o.State == Reversed) && (target == nil || o.Posted.After(target.Posted)) {
			target = o
		}
	}
	if target == nil {
		return Decision{State: Held, Store: true,
			Reason: fmt.Sprintf("reversal of %s on order %s: no refund of this order and item to take back", text(r.Amount, r.Currency), r.OrderID)}
	}
	d := Decision{OpenItemID: target.OpenItemID, CreditNoteNumber: target.CreditNoteNumber, ReversedAdjustmentID: target.AdjustmentID, Store: true}
	switch target.State {
	case Booked:
		if target.EntryID == "" {
			d.State, d.Reason = Waiting, fmt.Sprintf("the credit note %s of refund %s is not booked in the ledger yet", target.CreditNoteNumber, target.AdjustmentID)
			return d
		}
		d.State, d.EntryID = Reversed, target.EntryID
		d.Reason = fmt.Sprintf("refund %s taken back: credit note %s reversed", target.AdjustmentID, target.CreditNoteNumber)
		d.Command = &ledgerv1.ReverseEntry{Tenant: tenant, IdempotencyKey: ReversalKey(target.AdjustmentID), EntryId: target.EntryID,
			Reason: fmt.Sprintf("marketplace took refund %s of order %s back", target.AdjustmentID, r.OrderID)}
		return d
	case Reversed:
		d.State, d.Reason = Duplicate, fmt.Sprintf("refund %s was taken back before", target.AdjustmentID)
		d.Store = false
		return d
	case Waiting, Held:
		// Never booked: nothing to reverse. The refund stays where it is
		// for a person to see; the reversal is recorded beside it.
		d.State = Held
		d.Reason = fmt.Sprintf("refund %s is taken back but was never booked (%s)", target.AdjustmentID, target.State)
		return d
	default:
		d.State = Held
		d.Reason = fmt.Sprintf("refund %s is taken back but was %s, not booked", target.AdjustmentID, target.State)
		return d
	}
}

// AfterReversal is the decision on the refund whose credit note a
// reversal reversed: its state becomes Reversed.
func AfterReversal(target Decided, reversal Refund) Decision {
	return Decision{State: Reversed, OpenItemID: target.OpenItemID, CreditNoteNumber: target.CreditNoteNumber, EntryID: target.EntryID,
		Reason: fmt.Sprintf("taken back by the marketplace on %s: credit note reversed", reversal.Posted.UTC().Format(time.DateOnly)), Store: true}
}

func text(minor int64, cur string) string {
	return money.Amount{Minor: minor, Currency: cur}.String()
}
