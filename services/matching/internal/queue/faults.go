package queue

import "github.com/o2c-platform/o2c/libs/fault"

// Errors is the exception queue's classification of its sentinel errors:
// from it the matching service derives the gRPC codes of its queue RPCs.
var Errors = fault.Table{
	{Err: ErrUnknownPayment, Class: fault.NotFound},
	{Err: ErrUnknownItem, Class: fault.NotFound},
	{Err: ErrNotPending, Class: fault.Precondition},
	{Err: ErrNotMatched, Class: fault.Precondition},
	{Err: ErrNotBooked, Class: fault.Precondition},
	{Err: ErrReturnUnmatch, Class: fault.Precondition},
	{Err: ErrPayoutUnmatch, Class: fault.Precondition},
	{Err: ErrChanged, Class: fault.Precondition},
	{Err: ErrNoNote, Class: fault.Invalid},
	{Err: ErrNoProposal, Class: fault.Invalid},
	{Err: ErrProposalStale, Class: fault.Precondition},
	{Err: ErrInvalidAllocation, Class: fault.Invalid},
	{Err: ErrExceedsOpen, Class: fault.Precondition},
	{Err: ErrDifferenceKind, Class: fault.Invalid},
	{Err: ErrBeyondLimit, Class: fault.Precondition},
	{Err: ErrInvalidSplit, Class: fault.Invalid},
	{Err: ErrInvalidReturn, Class: fault.Precondition},
	{Err: ErrRefundHeld, Class: fault.Precondition},
}
