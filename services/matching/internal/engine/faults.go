package engine

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the engine's classification of its sentinel errors: from it the
// matching service derives its gRPC status codes and its consumers'
// verdicts.
var Errors = fault.Table{
	{Err: ErrInvalidConfig, Class: fault.Invalid},
	{Err: ErrInvalidItem, Class: fault.Invalid},
	{Err: ErrInvalidDebtor, Class: fault.Invalid},
	{Err: ErrInvalidPayment, Class: fault.Invalid},
	{Err: ErrUnbalanced, Class: fault.Invalid},
	{Err: ErrDuplicateItem, Class: fault.Conflict},
	{Err: ErrUnknownItem, Class: fault.NotFound},
	{Err: ErrExceedsOpen, Class: fault.Precondition},
}
