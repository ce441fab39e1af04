package intake

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the import's classification of its sentinel errors. A file
// that is rejected is answered, not failed (Result.Status), so these
// classes matter where an error is returned instead: ErrTooLarge for an
// upload over the limit (the RPC answers RESOURCE_EXHAUSTED, see
// services/ingestion/internal/rpc).
var Errors = fault.Table{
	{Err: ErrUnreadable, Class: fault.Invalid},
	{Err: ErrUnsupportedFormat, Class: fault.Invalid},
	{Err: ErrUnknownAccount, Class: fault.Precondition},
	{Err: ErrCurrencyMismatch, Class: fault.Precondition},
	{Err: ErrTooLarge, Class: fault.Invalid},
}
