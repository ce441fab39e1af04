package sepa

import "github.com/o2c-platform/o2c/libs/fault"

// Errors classifies the SEPA domain's sentinel errors, from which the
// matching service derives its gRPC status codes.
var Errors = fault.Table{
	{Err: ErrInvalidConfig, Class: fault.Invalid},
	{Err: ErrNoCreditorAccount, Class: fault.Precondition},
	{Err: ErrInvalidMandate, Class: fault.Invalid},
	{Err: ErrUnknownMandate, Class: fault.NotFound},
	{Err: ErrMandateRevoked, Class: fault.Precondition},
	{Err: ErrMandateConflict, Class: fault.Conflict},
	{Err: ErrInvalidRun, Class: fault.Invalid},
	{Err: ErrUnknownFile, Class: fault.NotFound},
	{Err: ErrStaleMandate, Class: fault.Precondition},
	{Err: ErrRunConflict, Class: fault.Conflict},
}
