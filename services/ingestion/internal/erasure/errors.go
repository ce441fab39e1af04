package erasure

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrOpenItems means the debtor still has open items in the ledger, so its
// data is needed to collect them; the wrapped *OpenItemsError says how many.
var ErrOpenItems = errors.New("debtor has open items")

// ErrRetention means a statutory retention period for the debtor's booking
// documents still runs; the wrapped *RetentionError says when it ends.
var ErrRetention = errors.New("statutory retention period runs")

// ErrUnknownDebtor means the tenant has no master data for the debtor id.
var ErrUnknownDebtor = errors.New("no such debtor")

// ErrLedgerUnreachable means the ledger could not be asked for the
// debtor's open items; nothing was erased, and the same request may
// succeed once the ledger answers.
var ErrLedgerUnreachable = errors.New("ledger cannot be reached to check open items")

// Errors is the classification of the erasure rules' errors.
var Errors = fault.Table{
	{Err: ErrOpenItems, Class: fault.Precondition},
	{Err: ErrRetention, Class: fault.Precondition},
	{Err: ErrUnknownDebtor, Class: fault.NotFound},
	{Err: ErrLedgerUnreachable, Class: fault.Transient},
}
