package shop

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrUnknownInvoice means a cancellation or credit note refers to an
// invoice o2c has not accepted (yet). Out-of-order arrival is not held
// back for now: the document is rejected, and an operator can replay it
// once the invoice is there.
var ErrUnknownInvoice = errors.New("invoice not known (yet)")

// ErrOtherDebtor means a cancellation or credit note names another
// customer than the invoice it refers to.
var ErrOtherDebtor = errors.New("document is for another debtor than its invoice")

// ErrBelowZero means a cancellation or credit note would credit more than
// the invoice's gross amount minus what was credited or cancelled before.
var ErrBelowZero = errors.New("document would take the invoice below zero")

// ErrOtherCurrency means a credit note is in another currency than its
// invoice.
var ErrOtherCurrency = errors.New("document is in another currency than its invoice")

// ErrChanged means a document (an order, a credit note, a capture, …)
// whose natural key was accepted before arrives with other content. A
// document is corrected by a new one under a new key, never by sending it
// again changed.
var ErrChanged = errors.New("was already accepted with different content")

// Errors classifies the sentinels of the shop documents that refer to
// other documents; validation problems are invoice.ErrInvalid.
var Errors = fault.Table{
	{Err: ErrUnknownInvoice, Class: fault.NotFound},
	{Err: ErrOtherDebtor, Class: fault.Conflict},
	{Err: ErrBelowZero, Class: fault.Conflict},
	{Err: ErrOtherCurrency, Class: fault.Conflict},
	{Err: ErrChanged, Class: fault.Conflict},
}
