package sepa

import "errors"

// ErrInvalidConfig means a tenant's sepa section breaks a rule (a bad
// IBAN, BIC or creditor identifier, a negative number of days).
var ErrInvalidConfig = errors.New("invalid sepa configuration")

// ErrNoCreditorAccount means the tenant has no creditor account to collect
// to or pay out from (its sepa section lists none).
var ErrNoCreditorAccount = errors.New("no creditor account configured")

// ErrInvalidMandate means a mandate breaks a rule: no reference or one
// longer than 35 characters, a bad IBAN or BIC, no signature date or one in
// the future, an unknown scheme.
var ErrInvalidMandate = errors.New("invalid mandate")

// ErrUnknownMandate means no mandate of the tenant has the reference.
var ErrUnknownMandate = errors.New("unknown mandate")

// ErrMandateRevoked means the mandate was revoked and cannot be changed or
// used again.
var ErrMandateRevoked = errors.New("mandate revoked")

// ErrMandateConflict means a mandate reference already belongs to another
// debtor of the tenant.
var ErrMandateConflict = errors.New("mandate reference belongs to another debtor")

// ErrInvalidRun means a collection or payout run was asked for without a
// tenant or date.
var ErrInvalidRun = errors.New("invalid run")

// ErrUnknownFile means no file of the tenant has the name.
var ErrUnknownFile = errors.New("unknown file")

// ErrStaleMandate means the mandate changed since the version the caller
// saw.
var ErrStaleMandate = errors.New("mandate changed since it was read")

// ErrRunConflict means another run of the tenant submitted the same debits
// at the same time; the run stored nothing and may be run again.
var ErrRunConflict = errors.New("a concurrent run submitted these debits")
