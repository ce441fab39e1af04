package engine

import (
	"errors"
	"fmt"
)

// ErrInvalidConfig means the matching configuration (the tenants file's
// matching section, or the file `o2c match --config` reads) is malformed or
// breaks a rule: an unknown key, a threshold outside 0-100, a negative
// tolerance, a pattern that does not compile. The wrapped *FieldError names
// the field.
var ErrInvalidConfig = errors.New("invalid matching configuration")

// ErrInvalidItem means an open item cannot be matched against: its id or
// debtor is empty, its currency unknown, an amount beyond ±money.MaxAbs or
// its kind not one of invoice, fee, interest and credit. The wrapped
// *FieldError names the field.
var ErrInvalidItem = errors.New("invalid open item")

// ErrInvalidDebtor means a debtor's master data cannot be used: its id is
// empty. The wrapped *FieldError names the field.
var ErrInvalidDebtor = errors.New("invalid debtor")

// ErrInvalidPayment means a payment cannot be matched: its id is empty, its
// currency unknown or its amount beyond ±money.MaxAbs. The wrapped
// *FieldError names the field.
var ErrInvalidPayment = errors.New("invalid payment")

// ErrDuplicateItem means an open item id is given twice.
var ErrDuplicateItem = errors.New("open item already known")

// ErrUnknownItem means a decision allocates to an open item the engine does
// not hold.
var ErrUnknownItem = errors.New("unknown open item")

// ErrExceedsOpen means a decision allocates more to an open item than is
// still open on it (or reopens more than was cleared), or in another
// currency: applying it would break the open amounts.
var ErrExceedsOpen = errors.New("allocation exceeds the open amount")

// ErrUnbalanced means a decision's allocations and difference do not add up
// to its payment's amount.
var ErrUnbalanced = errors.New("allocations and difference do not add up to the payment")

// FieldError says which field of a configuration, item, debtor or payment
// is wrong and why. Err is the sentinel (ErrInvalidConfig, ErrInvalidItem,
// ErrInvalidDebtor, ErrInvalidPayment) that errors.Is finds.
type FieldError struct {
	Field  string
	Reason string
	Err    error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%v: %s: %s", e.Err, e.Field, e.Reason)
}

// Unwrap returns the sentinel.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(sentinel error, field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}
