package postgres

import "github.com/o2c-platform/o2c/libs/fault"

// Errors classifies the store's own sentinel errors.
var Errors = fault.Table{
	{Err: ErrBadPageToken, Class: fault.Invalid},
}
