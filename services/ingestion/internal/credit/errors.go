package credit

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrInvalid means a request is malformed: a missing field, an amount that
// is not positive, a VAT rate the invoice does not have, full and partial
// amounts at once.
var ErrInvalid = errors.New("invalid credit note request")

// ErrUnknownInvoice means the invoice to credit was never accepted.
var ErrUnknownInvoice = errors.New("invoice not known")

// ErrUnknownRequest means no credit note was requested under the id.
var ErrUnknownRequest = errors.New("credit note request not known")

// ErrOtherDebtor means the request names another debtor than the
// invoice's.
var ErrOtherDebtor = errors.New("the invoice is another debtor's")

// ErrOverCredit means the credit note would credit more than the invoice's
// gross amount minus what was credited or cancelled before (or more than
// the invoice holds at a VAT rate).
var ErrOverCredit = errors.New("credit note exceeds what is left to credit on the invoice")

// ErrOverLimit means the amount is above the limit the tenant's console
// section gives the caller's roles (for requesting or approving).
var ErrOverLimit = errors.New("amount above the caller's credit note limit")

// ErrNotApprover means the caller may not approve or reject: they
// requested it themself (four eyes), or none of their roles approves.
var ErrNotApprover = errors.New("caller may not approve this credit note")

// ErrNotPending means a request is no longer waiting for approval (it was
// issued, sent to the shop or rejected).
var ErrNotPending = errors.New("credit note is not waiting for approval")

// ErrNotIssued means a credit note has no o2c document (not issued yet, or
// the shop issues it).
var ErrNotIssued = errors.New("credit note has no o2c document")

// ErrRequestChanged means a request id was used before for another
// request.
var ErrRequestChanged = errors.New("request id used for another credit note")

// ErrUnknownShopRequest means a shop's credit note names a request id that
// was not sent to the shop for that invoice.
var ErrUnknownShopRequest = errors.New("shop credit note names no request sent to the shop for its invoice")

// Errors classifies the package's sentinels.
var Errors = fault.Table{
	{Err: ErrInvalid, Class: fault.Invalid},
	{Err: ErrUnknownInvoice, Class: fault.NotFound},
	{Err: ErrUnknownRequest, Class: fault.NotFound},
	{Err: ErrOtherDebtor, Class: fault.Precondition},
	{Err: ErrOverCredit, Class: fault.Precondition},
	{Err: ErrOverLimit, Class: fault.Forbidden},
	{Err: ErrNotApprover, Class: fault.Forbidden},
	{Err: ErrNotPending, Class: fault.Precondition},
	{Err: ErrNotIssued, Class: fault.Precondition},
	{Err: ErrRequestChanged, Class: fault.Conflict},
	{Err: ErrUnknownShopRequest, Class: fault.Invalid},
}
