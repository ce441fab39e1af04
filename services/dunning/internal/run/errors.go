package run

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrInvalidRequest means a request to the run is malformed: no tenant or
// debtor, an invalid date or period, an unknown block reason, an expiry
// before the day a block is set. The error names the field.
var ErrInvalidRequest = errors.New("invalid dunning request")

// ErrBlockNotFound means no block of the tenant and debtor has the id
// given.
var ErrBlockNotFound = errors.New("dunning block not found")

// ErrBlockLifted means the block was lifted before: a block is lifted once.
var ErrBlockLifted = errors.New("dunning block already lifted")

// ErrNoticeNotFound means the tenant has no notice of the id given, or its
// files left the outbox.
var ErrNoticeNotFound = errors.New("dunning notice not found")

// ErrRunFailed means the run stored some debtors' decisions and not
// others: the error names the first debtor that failed; a second run on the
// same date decides only the ones that are missing.
var ErrRunFailed = errors.New("dunning run failed for some debtors")

// Errors classifies the run's sentinel errors.
var Errors = fault.Table{
	{Err: ErrInvalidRequest, Class: fault.Invalid},
	{Err: ErrBlockNotFound, Class: fault.NotFound},
	{Err: ErrBlockLifted, Class: fault.Precondition},
	{Err: ErrNoticeNotFound, Class: fault.NotFound},
	{Err: ErrRunFailed, Class: fault.Transient},
}
