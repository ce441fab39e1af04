package sepa

import (
	"errors"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErrIBAN means a string is not an IBAN: wrong characters, an unknown
// country or a length other than the one the IBAN registry gives the
// country.
var ErrIBAN = errors.New("invalid IBAN")

// ErrIBANChecksum means an IBAN is well formed but its check digits (ISO
// 7064 MOD 97-10) do not match: most likely a typing error.
var ErrIBANChecksum = errors.New("IBAN check digits do not match")

// ErrBIC means a string is not a BIC (ISO 9362: 8 or 11 characters, four
// letters or digits for the institution, a country code, two for the
// location and optionally three for the branch).
var ErrBIC = errors.New("invalid BIC")

// ErrCreditorID means a string is not a SEPA creditor identifier: wrong
// characters or length, or check digits that do not match.
var ErrCreditorID = errors.New("invalid creditor identifier")

// Errors classifies the package's errors: each is a malformed input that
// sending again does not change.
var Errors = fault.Table{
	{Err: ErrIBAN, Class: fault.Invalid},
	{Err: ErrIBANChecksum, Class: fault.Invalid},
	{Err: ErrBIC, Class: fault.Invalid},
	{Err: ErrCreditorID, Class: fault.Invalid},
}
