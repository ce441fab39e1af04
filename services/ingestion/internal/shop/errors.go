package shop

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrUnknownInvoice means a cancellation or credit note refers to an
// invoice o2c has not accepted (yet). It comes as a *WaitError: the
// consumer holds the document until the invoice arrives.
var ErrUnknownInvoice = errors.New("invoice not known (yet)")

// ErrUnknownCapture means a chargeback refers to a payment capture o2c has
// not accepted (yet). It comes as a *WaitError: the chargeback is held
// until the capture arrives.
var ErrUnknownCapture = errors.New("capture not known (yet)")

// ErrUnknownCustomer means an invoice names only debtor.customer_id and
// o2c holds no data of that customer (yet). It comes as a *WaitError: the
// invoice is held until the customer's data arrives.
var ErrUnknownCustomer = errors.New("customer data not known (yet)")

// ErrHeldTooLong means a held message's fact did not arrive within the
// tenant's holding period; the message goes to the rejection store.
var ErrHeldTooLong = errors.New("held too long")

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
	{Err: ErrUnknownCapture, Class: fault.NotFound},
	{Err: ErrUnknownCustomer, Class: fault.NotFound},
	{Err: ErrHeldTooLong, Class: fault.NotFound},
	{Err: ErrOtherDebtor, Class: fault.Conflict},
	{Err: ErrBelowZero, Class: fault.Conflict},
	{Err: ErrOtherCurrency, Class: fault.Conflict},
	{Err: ErrChanged, Class: fault.Conflict},
}
