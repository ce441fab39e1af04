package books

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidCommand means a command is malformed: a required field is
// missing, an amount is negative, zero where it must not be, in another
// currency or beyond ±money.MaxAbs, a sum of its amounts overflows, a date
// is not a calendar date, a value cannot be stored (storable.ErrNotStorable)
// or a debtor id is reserved (ErrReservedDebtor). The wrapped
// *InvalidCommandError names the field.
var ErrInvalidCommand = errors.New("invalid command")

// InvalidCommandError says which field of a command is wrong and why. Err,
// when set, is the more specific cause (money.ErrOverflow,
// storable.ErrNotStorable, ErrReservedDebtor, ErrVATSplit), so errors.Is
// finds both it and ErrInvalidCommand.
type InvalidCommandError struct {
	Field  string
	Reason string
	Err    error
}

func (e *InvalidCommandError) Error() string {
	return fmt.Sprintf("invalid command: %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidCommand) true.
func (e *InvalidCommandError) Is(target error) bool { return target == ErrInvalidCommand }

// Unwrap returns the cause, if any.
func (e *InvalidCommandError) Unwrap() error { return e.Err }

// ErrReservedDebtor means a command names, as a debtor of its own, an id in
// the namespace the ledger derives for marketplace debtors (debtor.Reserved):
// only RegisterInvoice's marketplace field leads to those debtors. It comes
// wrapped in an *InvalidCommandError.
var ErrReservedDebtor = errors.New("debtor id is reserved for marketplace debtors")

// ErrVATSplit means an amount could not be divided in proportion to an open
// item's VAT lines (the lines are negative, carry nothing, or their sum or
// the amount is beyond the ledger's bound), so the VAT that the amount
// corrects cannot be determined. The command is refused rather than booked
// without VAT. It comes wrapped in an *InvalidCommandError.
var ErrVATSplit = errors.New("amount cannot be split over the item's VAT lines")

func invalid(field, format string, args ...any) error {
	return &InvalidCommandError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ErrIdempotencyConflict means a command reuses an idempotency key that
// already booked a command with different content.
var ErrIdempotencyConflict = errors.New("idempotency key already used for a different command")

// ErrDuplicateDocument means a document (invoice, credit note, payment id,
// write-off id, ...) was already booked under another idempotency key.
var ErrDuplicateDocument = errors.New("document already booked")

// ErrPeriodClosed means an entry is dated inside a closed period. The
// wrapped *PeriodClosedError names the period and date.
var ErrPeriodClosed = errors.New("period is closed")

// PeriodClosedError is the typed form of ErrPeriodClosed.
type PeriodClosedError struct {
	Period Period
	Date   Date
}

func (e *PeriodClosedError) Error() string {
	return fmt.Sprintf("period %s is closed: entry dated %s rejected", e.Period, e.Date)
}

// Is makes errors.Is(err, ErrPeriodClosed) true.
func (e *PeriodClosedError) Is(target error) bool { return target == ErrPeriodClosed }

// ErrPeriodState means a period is already closed (ClosePeriod) or not
// closed (ReopenPeriod).
var ErrPeriodState = errors.New("period is already in that state")

// ErrNotAuthorised means the actor may not close or reopen periods.
var ErrNotAuthorised = errors.New("actor is not authorised")

// ErrSenderNotEntitled means a service sent a command over JetStream that
// the entitlement table (Senders) does not let it send: matching may apply
// payments but not register invoices. The wrapped *SenderError names the
// sender and the command.
var ErrSenderNotEntitled = errors.New("sender is not entitled to send this command")

// SenderError is the typed form of ErrSenderNotEntitled. Entitled lists
// the services that may send Command; it is empty for a command that no
// service sends.
type SenderError struct {
	Sender   string
	Command  string
	Entitled []string
}

func (e *SenderError) Error() string {
	switch {
	case e.Command == "RegisterInvoice":
		return fmt.Sprintf("service %s may not send RegisterInvoice: invoices are booked only from ingestion's validated invoices", e.Sender)
	case e.Command == "RecordBankTransaction" || e.Command == "RecordStatementBalance":
		return fmt.Sprintf("service %s may not send %s: bank transactions and statements are booked only from ingestion's bank events", e.Sender, e.Command)
	case len(e.Entitled) == 0:
		return fmt.Sprintf("service %s may not send %s: no service may, it is taken over gRPC only", e.Sender, e.Command)
	}
	return fmt.Sprintf("service %s may not send %s: only %s may", e.Sender, e.Command, strings.Join(e.Entitled, ", "))
}

// Is makes errors.Is(err, ErrSenderNotEntitled) true.
func (e *SenderError) Is(target error) bool { return target == ErrSenderNotEntitled }

// ErrUnknownDebtor means a command names a debtor the books have no
// personal account for, and the caller supplied none.
var ErrUnknownDebtor = errors.New("unknown debtor")

// ErrUnknownOpenItem means a command names an open item the books do not hold.
var ErrUnknownOpenItem = errors.New("unknown open item")

// ErrUnknownEntry means a command names a journal entry or payment the books
// do not hold.
var ErrUnknownEntry = errors.New("unknown journal entry")

// ErrInvalidAllocation means an allocation of a payment or credit does not
// fit: the item belongs to another debtor or currency, is a credit balance,
// gets more than is open, or the allocations sum to more than the payment.
// The wrapped *AllocationError names the item.
var ErrInvalidAllocation = errors.New("invalid allocation")

// AllocationError is the typed form of ErrInvalidAllocation.
type AllocationError struct {
	OpenItemID string
	Reason     string
}

func (e *AllocationError) Error() string {
	return fmt.Sprintf("invalid allocation to open item %q: %s", e.OpenItemID, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidAllocation) true.
func (e *AllocationError) Is(target error) bool { return target == ErrInvalidAllocation }

// ErrExceedsOpen means a write-off, recovery or payout is larger than what
// is open, written off or in credit.
var ErrExceedsOpen = errors.New("amount exceeds what is open")

// ErrAlreadyReversed means an entry was reversed already, or is itself a
// reversal (a reversal is corrected by booking the original again).
var ErrAlreadyReversed = errors.New("entry already reversed or is a reversal")

// ErrItemSettled means an entry cannot be reversed because an open item it
// opened was settled by something other than a credit offset (reverse the
// payment, credit note or write-off first), a credit balance it created was
// paid out, or a written-off amount was recovered.
var ErrItemSettled = errors.New("open item has settlements that must be reversed first")
