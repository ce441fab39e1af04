package invoice

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrInvalid means an invoice breaks the shop contract; the wrapped
// *ValidationError lists every problem with its field path.
var ErrInvalid = errors.New("invalid invoice")

// Is makes errors.Is(err, ErrInvalid) true for a *ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// ErrUndecodable means a message is not an InvoiceIssued in the encoding
// its Content-Type names.
var ErrUndecodable = errors.New("message cannot be decoded")

// ErrBadSubject means the subject names no well-formed tenant.
var ErrBadSubject = errors.New("subject names no tenant")

// ErrChanged means an invoice number that was accepted before arrives with
// other content. An issued invoice is corrected by a cancellation or a
// credit note under a new number, never by sending it again changed.
var ErrChanged = errors.New("invoice was already accepted with different content")

// ErrUnknownEventType means a message arrived on a shop subject that no
// handler reads: ingestion takes shop.<tenant>.invoice.issued and nothing
// else, so a message on shop.<tenant>.invoice.paid or
// shop.<tenant>.eu.invoice.issued is rejected with this reason instead of
// lying unread in the stream.
var ErrUnknownEventType = errors.New("no such event type")

// Errors is ingestion's classification of its domain errors.
var Errors = fault.Table{
	{Err: ErrUnknownEventType, Class: fault.Invalid},
	{Err: ErrInvalid, Class: fault.Invalid},
	{Err: ErrTenantMismatch, Class: fault.Invalid},
	{Err: ErrUndecodable, Class: fault.Invalid},
	{Err: ErrBadSubject, Class: fault.Invalid},
	{Err: ErrChanged, Class: fault.Conflict},
}
