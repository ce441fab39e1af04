package collections

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the domain's classification of its sentinel errors: from it
// the collections service derives its gRPC status codes and its consumers'
// verdicts.
var Errors = fault.Table{
	{Err: ErrInvalid, Class: fault.Invalid},
	{Err: ErrInvalidConfig, Class: fault.Invalid},
	{Err: ErrNotEligible, Class: fault.Precondition},
	{Err: ErrInCollection, Class: fault.Precondition},
	{Err: ErrNoAgency, Class: fault.Precondition},
	{Err: ErrState, Class: fault.Precondition},
	{Err: ErrUnknownCase, Class: fault.NotFound},
	{Err: ErrUnknownItem, Class: fault.NotFound},
	{Err: ErrUnknownQuestion, Class: fault.NotFound},
	{Err: ErrIdempotencyConflict, Class: fault.Conflict},
	{Err: ErrOverflow, Class: fault.Internal},
}
