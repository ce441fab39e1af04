package refund

import (
	"errors"
	"fmt"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrInvalidConfig means a tenant's refunds section cannot be used: a
// seller account without id or with an id given twice, a region other than
// eu, na and fe, no marketplaces, a credentials_ref that is neither
// "env:NAME" nor "secret:NAME/KEY", a schedule or overlap that is not a
// positive duration, a start that is not a date. The wrapped *FieldError
// names the field.
var ErrInvalidConfig = errors.New("invalid refunds configuration")

// ErrUnknownSellerAccount means a request names a seller account the
// tenant's refunds section does not list.
var ErrUnknownSellerAccount = errors.New("unknown seller account")

// ErrNotConfigured means a tenant has no refunds section, so there is
// nothing to import for it.
var ErrNotConfigured = errors.New("refund import not configured for the tenant")

// ErrInvalidPage means a page of the Finances API or a settlement report
// cannot be read (the parser's error is wrapped).
var ErrInvalidPage = errors.New("unreadable financial events")

// ErrInvalidRefund means a refund cannot be decided: no order id, no
// adjustment id, no currency, or amounts beyond ±money.MaxAbs.
var ErrInvalidRefund = errors.New("invalid refund")

// ErrInvalidSince means an import was asked to start in the future.
var ErrInvalidSince = errors.New("import start in the future")

// ErrNotHeld means a review names a refund that is not held for review:
// never held, or decided (on review or otherwise) since.
var ErrNotHeld = errors.New("refund not held for review")

// ErrNotFlagged means a Keep review names a refund that is not booked, or
// that no shop credit note credits again beyond those kept before.
var ErrNotFlagged = errors.New("refund not credited again")

// ErrNotBookable means a review asks to book a held refund that has no
// credit note to book: refunded in another currency than its order was
// invoiced in, nothing refunded to the buyer (fees only), a reversal, or
// an order the ledger does not know. Such a refund can only be dismissed.
var ErrNotBookable = errors.New("held refund cannot be booked")

// ErrInvalidReview means a review lacks its action, reviewer or reason.
var ErrInvalidReview = errors.New("invalid review")

// ErrUnknownRefund means a review names a refund the import never saw.
var ErrUnknownRefund = errors.New("unknown refund")

// ErrAmbiguousRefund means a review's adjustment id (with the order id
// and SKU given) names more than one refund; the order id and SKU single
// it out.
var ErrAmbiguousRefund = errors.New("refund not singled out")

// Errors classifies the domain's sentinels.
var Errors = fault.Table{
	{Err: ErrInvalidConfig, Class: fault.Invalid},
	{Err: ErrUnknownSellerAccount, Class: fault.NotFound},
	{Err: ErrNotConfigured, Class: fault.Precondition},
	{Err: ErrInvalidPage, Class: fault.Invalid},
	{Err: ErrInvalidRefund, Class: fault.Invalid},
	{Err: ErrInvalidSince, Class: fault.Invalid},
	{Err: ErrNotHeld, Class: fault.Precondition},
	{Err: ErrNotBookable, Class: fault.Precondition},
	{Err: ErrNotFlagged, Class: fault.Precondition},
	{Err: ErrInvalidReview, Class: fault.Invalid},
	{Err: ErrUnknownRefund, Class: fault.NotFound},
	{Err: ErrAmbiguousRefund, Class: fault.Precondition},
}

// FieldError says which field of a refunds section is wrong and why; it
// is an ErrInvalidConfig.
type FieldError struct {
	// Field is the path within the section, e.g. "seller_accounts[0].region".
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Is makes errors.Is(err, ErrInvalidConfig) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidConfig }
