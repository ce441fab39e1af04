package notice

import "errors"

// ErrInvalidLetter means a Letter cannot be rendered: its language or
// template is unknown, a required field (number, date, currency, debtor
// name) is missing, a currency is not three letters, or its total does not
// equal the sum of its lines, interest and fees. The error names the field.
var ErrInvalidLetter = errors.New("invalid dunning letter")

// ErrInvalidKey means a tenant, debtor or notice number given to the outbox
// is empty or cannot be a file name (a path separator, "." or "..", a
// control character), so no file is read or written for it.
var ErrInvalidKey = errors.New("invalid outbox key")

// ErrNoticeConflict means the outbox already holds a notice under the same
// tenant, debtor and number with different content: a notice number is used
// once, and a sent notice is never replaced.
var ErrNoticeConflict = errors.New("notice number already used for a different notice")

// ErrNoticeNotFound means the outbox holds no notice under the tenant,
// debtor and number asked for.
var ErrNoticeNotFound = errors.New("notice not found")
