package spapi

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the classification of the client's errors: a window the
// client refuses and a request SP-API refuses are Invalid; credentials
// that are missing or refused are Precondition (the seller account's
// configuration must change, not the caller's rights: not Forbidden);
// throttling and SP-API's failures after the retries are Transient (the
// next scheduled run tries again).
var Errors = fault.Table{
	{Err: ErrInvalidWindow, Class: fault.Invalid},
	{Err: ErrThrottled, Class: fault.Transient},
	{Err: ErrUnauthorized, Class: fault.Precondition},
	{Err: ErrUpstream, Class: fault.Transient},
	{Err: ErrBadRequest, Class: fault.Invalid},
	{Err: ErrConfig, Class: fault.Precondition},
}
