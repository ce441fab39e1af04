package pain

import (
	"errors"
	"fmt"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/sepa"
)

// ErrMissing means a field the SEPA rulebook requires is empty.
var ErrMissing = errors.New("required field missing")

// ErrIdentifier means an identifier is longer than 35 characters, holds a
// character outside the SEPA set or a space, or begins or ends with "/" or
// contains "//".
var ErrIdentifier = errors.New("invalid identifier")

// ErrAmount means an amount is not positive or exceeds 999,999,999.99 EUR,
// the largest a SEPA payment may carry.
var ErrAmount = errors.New("invalid amount")

// ErrOverflow means a control sum or count does not fit: the file must be
// split.
var ErrOverflow = errors.New("control sum overflow")

// ErrScheme means a collection names a scheme other than CORE or B2B.
var ErrScheme = errors.New("unknown direct debit scheme")

// ErrSequence means a sequence type other than FRST, RCUR, OOFF or FNAL,
// or a debit whose sequence differs from its batch's.
var ErrSequence = errors.New("invalid sequence type")

// ErrAmendment means an amendment the rulebook does not allow: nothing
// changed, or a change of bank together with a change of IBAN at the old
// bank.
var ErrAmendment = errors.New("invalid mandate amendment")

// ErrEmpty means a message or batch without any transaction.
var ErrEmpty = errors.New("no transactions")

// ErrDuplicate means an end-to-end or payment information identification
// used twice in one message.
var ErrDuplicate = errors.New("duplicate identifier")

// ErrAddress means an address without town or country, with more than two
// lines, or missing where the rulebook requires one (an account outside
// the EEA).
var ErrAddress = errors.New("invalid address")

// ErrDate means a date missing or out of order: a mandate signed after the
// collection date, or a collection or execution date before the message
// was created.
var ErrDate = errors.New("invalid date")

// ErrNotSEPA means an account (IBAN) of a country outside the SEPA
// schemes' geographical scope.
var ErrNotSEPA = errors.New("account outside SEPA")

// Errors classifies the package's errors (the writers' and
// ReadStatusReport's) and those of package sepa it passes on: all are
// input the caller must correct.
var Errors = append(fault.Table{
	{Err: ErrMissing, Class: fault.Invalid},
	{Err: ErrIdentifier, Class: fault.Invalid},
	{Err: ErrAmount, Class: fault.Invalid},
	{Err: ErrOverflow, Class: fault.Invalid},
	{Err: ErrScheme, Class: fault.Invalid},
	{Err: ErrSequence, Class: fault.Invalid},
	{Err: ErrAmendment, Class: fault.Invalid},
	{Err: ErrEmpty, Class: fault.Invalid},
	{Err: ErrDuplicate, Class: fault.Invalid},
	{Err: ErrAddress, Class: fault.Invalid},
	{Err: ErrDate, Class: fault.Invalid},
	{Err: ErrNotSEPA, Class: fault.Invalid},
	{Err: ErrStatusReport, Class: fault.Invalid},
	{Err: ErrReportTooLarge, Class: fault.Invalid},
}, sepa.Errors...)

// FieldError is a refusal of one field of the input: Err is one of the
// sentinels of this package or of package sepa.
type FieldError struct {
	// EndToEndID names the debit or transfer as the input has it, empty
	// for a field of the message or a batch (or when it is the end-to-end
	// identification that is missing).
	EndToEndID string
	// Index is the position of the debit or transfer in its batch,
	// counted from 1; 0 for a field of the message or a batch.
	Index int
	// Batch is the payment information identification of the batch, when
	// the field belongs to one.
	Batch string
	// Field is the element path below the transaction, batch or message,
	// e.g. "DbtrAcct/Id/IBAN".
	Field string
	Err   error
}

func (e *FieldError) Error() string {
	switch {
	case e.EndToEndID != "":
		return fmt.Sprintf("transaction %q: %s: %v", e.EndToEndID, e.Field, e.Err)
	case e.Index > 0:
		return fmt.Sprintf("batch %q transaction %d: %s: %v", e.Batch, e.Index, e.Field, e.Err)
	case e.Batch != "":
		return fmt.Sprintf("batch %q: %s: %v", e.Batch, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Field, e.Err)
}

func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrors returns every FieldError in err's tree, in the order the
// checks found them, so that a caller can hold back the debits or
// transfers they name and write the rest.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *FieldError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}
