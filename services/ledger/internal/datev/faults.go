package datev

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the DATEV export's classification of its sentinel errors: a
// missing or broken configuration and a booking DATEV cannot take are the
// tenant's to fix (a failed precondition); a bad period is the caller's.
var Errors = fault.Table{
	{Err: ErrNotConfigured, Class: fault.Precondition},
	{Err: ErrInvalidSettings, Class: fault.Precondition},
	{Err: ErrNotExportable, Class: fault.Precondition},
	{Err: ErrInvalidPeriod, Class: fault.Invalid},
}
