package notice

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the notice package's classification of its sentinel errors:
// from it the dunning service derives its gRPC status codes and its
// consumers' verdicts.
var Errors = fault.Table{
	{Err: ErrInvalidLetter, Class: fault.Invalid},
	{Err: ErrInvalidKey, Class: fault.Invalid},
	{Err: ErrNoticeConflict, Class: fault.Conflict},
	{Err: ErrNoticeNotFound, Class: fault.NotFound},
}
