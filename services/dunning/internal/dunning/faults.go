package dunning

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the dunning engine's classification of its sentinel errors:
// from it the dunning service derives its gRPC status codes and its
// consumers' verdicts.
var Errors = fault.Table{
	{Err: ErrInvalidConfig, Class: fault.Invalid},
	{Err: ErrInvalidInput, Class: fault.Invalid},
	{Err: ErrNoProcedure, Class: fault.Precondition},
	{Err: ErrNoBaseRate, Class: fault.Precondition},
	// Amounts that overflow int64 are beyond anything the ledger accepts:
	// broken data, never a passing condition.
	{Err: ErrOverflow, Class: fault.Internal},
}
