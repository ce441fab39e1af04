package report

import "github.com/o2c-platform/o2c/libs/fault"

// Errors classifies the reports' sentinel errors: an unknown issued report
// is not found, every other one a malformed request.
var Errors = fault.Table{
	{Err: ErrInvalidBuckets, Class: fault.Invalid},
	{Err: ErrInvalidDimension, Class: fault.Invalid},
	{Err: ErrInvalidPeriod, Class: fault.Invalid},
	{Err: ErrFutureKnownAt, Class: fault.Invalid},
	{Err: ErrUnknownReport, Class: fault.NotFound},
}
