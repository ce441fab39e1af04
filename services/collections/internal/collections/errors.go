package collections

import "errors"

// ErrInvalid means a command is malformed: a field missing, an amount
// negative or in another currency, parts of a payment beyond the payment.
// The message names the field.
var ErrInvalid = errors.New("invalid collections command")

// ErrInvalidConfig means the tenants file's collections section is
// malformed; the message names the field.
var ErrInvalidConfig = errors.New("invalid collections configuration")

// ErrNotEligible means nothing of a release may go to collections: every
// item is settled, blocked, disputed, time-barred or in another case, or
// the total is below the tenant's minimum.
var ErrNotEligible = errors.New("not eligible for collections")

// ErrInCollection means an item named for a release is in an open case
// or was collected in full by a case (whatever the ledger's open amount,
// which follows collections' bookings later); the message names the item
// and the case.
var ErrInCollection = errors.New("item already in collection")

// ErrNoAgency means no agency of the tenant's rules takes the case (or the
// agency named is not configured).
var ErrNoAgency = errors.New("no agency takes the case")

// ErrState means the case's state does not allow the command: accepting a
// closed case, reporting a payment on a rejected one, closing as paid in
// full while money is open.
var ErrState = errors.New("case state does not allow this")

// ErrUnknownCase means the case does not exist, or is not the calling
// agency's (an agency cannot tell the two apart).
var ErrUnknownCase = errors.New("unknown case")

// ErrUnknownItem means an open item named is not in the case, or not known
// at all.
var ErrUnknownItem = errors.New("unknown open item")

// ErrUnknownQuestion means a question or recall id is not one of the
// case's.
var ErrUnknownQuestion = errors.New("unknown question or recall")

// ErrIdempotencyConflict means an agency reused an idempotency key of the
// case for a write with other content.
var ErrIdempotencyConflict = errors.New("idempotency key reused with other content")

// ErrOverflow means an amount overflows int64 minor units: broken data.
var ErrOverflow = errors.New("amount overflow")
