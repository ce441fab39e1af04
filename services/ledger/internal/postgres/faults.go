package postgres

import "github.com/o2c-platform/o2c/libs/fault"

// Errors classifies the sentinel errors of the ledger's storage: the
// poster and the report queries.
var Errors = fault.Table{
	{Err: ErrStopped, Class: fault.Transient},
	{Err: ErrInvalidQuery, Class: fault.Invalid},
	{Err: ErrInvalidPageToken, Class: fault.Invalid},
	{Err: ErrUnknownInvoice, Class: fault.NotFound},
}
