package engine

import "fmt"

// SetOpen sets what is open on item id, for a change the engine did not
// make itself: the ledger booked a credit note, a write-off, a reversal or
// a payment from elsewhere. It fails with ErrUnknownItem for an item the
// engine does not hold and with ErrExceedsOpen for an amount beyond the
// item's (between zero and its original amount, with its sign), and then
// changes nothing.
func (e *Engine) SetOpen(id string, open int64) error {
	idx, ok := e.itemIdx[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownItem, id)
	}
	if !within(open, &e.items[idx]) {
		return fmt.Errorf("item %s: open %d: %w", id, open, ErrExceedsOpen)
	}
	e.setOpen(idx, open)
	return nil
}

// Remember records a payment decided before this engine was built (the
// service replays its recent decisions at start), so that a later return
// finds it, without changing any open amount: the items were loaded with
// what is open after it. A decision of kind Auto or Confirmed keeps its
// allocations (a return of it reopens them); a return (Reverses set) marks
// the payment it undid as returned. A payment remembered before is left
// as it is.
func (e *Engine) Remember(d Decision) {
	if d.Reverses != "" {
		if i, ok := e.paidIdx[d.Reverses]; ok {
			e.paid[i].reversed = true
		}
	}
	if d.Payment.Amount.Minor <= 0 || d.Payment.ID == "" {
		return
	}
	if _, seen := e.paidIdx[d.Payment.ID]; seen {
		return
	}
	e.remember(d)
}
