package intake

import "errors"

// ErrUnreadable means a file could not be read as the format it was
// detected (or declared) as: the wrapped parser error names the line or
// element path. The whole file is rejected and nothing from it is emitted.
var ErrUnreadable = errors.New("file cannot be read")

// ErrUnsupportedFormat means a file is none of the formats the import
// takes (camt.052/053/054, MT940/MT942, Amazon settlement reports), such as
// a DATEV export, an SP-API page or a file of unknown content, or a
// declared format is unknown.
var ErrUnsupportedFormat = errors.New("not a bank statement or settlement report")

// ErrUnknownAccount means a statement is for an account that is not in the
// tenant's bank.accounts: the whole file is rejected, naming the account
// and the statement.
var ErrUnknownAccount = errors.New("bank account not configured for the tenant")

// ErrCurrencyMismatch means a statement's currency differs from the
// currency configured for its account; the whole file is rejected.
var ErrCurrencyMismatch = errors.New("statement currency differs from the configured account's")

// ErrTooLarge means a file exceeds the import's size limit; the message
// names the limit.
var ErrTooLarge = errors.New("file too large")
