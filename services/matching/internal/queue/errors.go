package queue

import "errors"

// ErrUnknownPayment means no payment of the tenant has the id given.
var ErrUnknownPayment = errors.New("unknown payment")

// ErrUnknownItem means an allocation names an open item matching does not
// know (never opened, or closed long ago).
var ErrUnknownItem = errors.New("unknown open item")

// ErrNotPending means the payment is not waiting for a person (OPEN or
// PARKED): it was matched or split already.
var ErrNotPending = errors.New("payment is not waiting in the queue")

// ErrNotMatched means the payment is not matched, so there is no booking
// to undo.
var ErrNotMatched = errors.New("payment is not matched")

// ErrNotBooked means the ledger has not booked the payment's match yet (or
// the booking did not reach matching), so its journal entry is not known.
var ErrNotBooked = errors.New("the ledger has not booked the payment yet")

// ErrReturnUnmatch means an unmatch of a return was asked for: a return is
// booked as the reversal of its payment and cannot be undone here.
var ErrReturnUnmatch = errors.New("a return cannot be unmatched")

// ErrPayoutUnmatch means an unmatch of a marketplace payout was asked for:
// its refunds were booked as credit notes of their own, which the refund
// import books too, so the payout is corrected in the ledger instead.
var ErrPayoutUnmatch = errors.New("a marketplace payout cannot be unmatched")

// ErrChanged means the payment changed since the version the caller saw
// (expected_version), or a colleague's decision was stored first.
var ErrChanged = errors.New("payment changed since")

// ErrNoNote means a note or reason is required and was not given.
var ErrNoNote = errors.New("note required")

// ErrNoProposal means the proposal index is outside the payment's
// proposals.
var ErrNoProposal = errors.New("no such proposal")

// ErrProposalStale means a proposal no longer fits: one of its items has
// less open than it allocates (another payment or a credit note came
// first), or it names no debtor.
var ErrProposalStale = errors.New("proposal no longer fits the open items")

// ErrInvalidAllocation means a manual allocation is not positive, in
// another currency, names an item of another debtor or twice, or the
// allocations exceed the payment.
var ErrInvalidAllocation = errors.New("invalid allocation")

// ErrExceedsOpen means a manual allocation is more than is open on its
// item.
var ErrExceedsOpen = errors.New("allocation exceeds the open amount")

// ErrDifferenceKind means the difference between a payment and its
// allocations has no kind, a kind that is not allowed with its sign, or a
// kind given where there is no difference.
var ErrDifferenceKind = errors.New("invalid difference kind")

// ErrBeyondLimit means the difference exceeds the tenant's limit for its
// kind (tolerance, rounding, FX, write-off limit, the items' cash discount
// terms, the bank's largest return charge).
var ErrBeyondLimit = errors.New("difference beyond the tenant's limit")

// ErrInvalidSplit means a split has fewer than two or more than MaxParts
// parts, a part that is zero, of the wrong sign or currency, or parts that
// do not sum to the payment.
var ErrInvalidSplit = errors.New("invalid split")

// ErrInvalidReturn means a manual return names a payment that is not a
// booked receipt, is in another currency, or was returned already, or the
// return is smaller than the payment it undoes.
var ErrInvalidReturn = errors.New("invalid return")

// ErrRefundHeld means a payout's settlement deducts a refund that refund
// import held for a person to decide (an over-refund, a currency that
// differs from the order's): matching does not credit it, and the payout
// waits in the queue (see HeldRefundError).
var ErrRefundHeld = errors.New("refund held by refund import")
