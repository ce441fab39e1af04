package books

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the books' classification of their sentinel errors: from it the
// ledger derives its gRPC status codes and its consumers' verdicts.
var Errors = fault.Table{
	{Err: ErrInvalidCommand, Class: fault.Invalid},
	{Err: ErrInvalidAllocation, Class: fault.Invalid},
	{Err: ErrReservedDebtor, Class: fault.Invalid},
	{Err: ErrIncompatibleDebtors, Class: fault.Invalid},
	{Err: ErrVATSplit, Class: fault.Invalid},
	{Err: ErrUnsupportedRate, Class: fault.Invalid},
	{Err: ErrUnbalanced, Class: fault.Invalid},
	{Err: ErrIdempotencyConflict, Class: fault.Conflict},
	{Err: ErrDuplicateDocument, Class: fault.Conflict},
	{Err: ErrNotAuthorised, Class: fault.Forbidden},
	{Err: ErrSenderNotEntitled, Class: fault.Forbidden},
	{Err: ErrUnknownDebtor, Class: fault.NotFound},
	{Err: ErrUnknownOpenItem, Class: fault.NotFound},
	{Err: ErrUnknownEntry, Class: fault.NotFound},
	{Err: ErrPeriodClosed, Class: fault.Precondition},
	{Err: ErrPeriodState, Class: fault.Precondition},
	{Err: ErrItemSettled, Class: fault.Precondition},
	{Err: ErrAlreadyReversed, Class: fault.Precondition},
	{Err: ErrExceedsOpen, Class: fault.Precondition},
	{Err: ErrDebtorMerged, Class: fault.Precondition},
	{Err: ErrUnknownAccount, Class: fault.Precondition},
	{Err: ErrDebtorRangeFull, Class: fault.Precondition},
	{Err: ErrUnsupportedCommand, Class: fault.Invalid},
	// Contention passes: the same command again is decided afresh.
	{Err: ErrContended, Class: fault.Transient},
	// A tenant's chart configured with an impossible account length, an
	// event that does not fit the books, a broken invariant: bugs or broken
	// data, never the caller's fault.
	{Err: ErrAccountLength, Class: fault.Internal},
	{Err: ErrUnknownEvent, Class: fault.Internal},
	{Err: ErrInconsistentEvent, Class: fault.Internal},
	{Err: ErrInvariant, Class: fault.Internal},
}
