package report

import "github.com/o2c-platform/o2c/libs/fault"

// Errors classifies the report computations' sentinel errors: each is a
// malformed request.
var Errors = fault.Table{
	{Err: ErrInvalidBuckets, Class: fault.Invalid},
	{Err: ErrInvalidDimension, Class: fault.Invalid},
	{Err: ErrInvalidPeriod, Class: fault.Invalid},
}
