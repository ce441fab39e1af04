package datev

import "errors"

// ErrNotConfigured means the tenant's reports section has no datev part:
// without consultant and client numbers there is no DATEV file to write.
var ErrNotConfigured = errors.New("no DATEV settings (reports.datev in the tenants file)")

// ErrInvalidSettings means the reports.datev part of the tenants file is
// malformed; the wrapping error names the field.
var ErrInvalidSettings = errors.New("invalid DATEV settings")

// ErrInvalidPeriod means a period that is no calendar month of the years
// 1 to 9999, or one outside the fiscal year the header names.
var ErrInvalidPeriod = errors.New("invalid DATEV export period")

// ErrNotExportable means a booking breaks a DATEV field rule (a document
// number DATEV cannot take as Belegfeld 1, an account longer than DATEV's
// account length, ...) or an entry's VAT cannot be expressed the way DATEV
// computes it; the wrapping error names the document and the field.
var ErrNotExportable = errors.New("booking cannot be exported to DATEV")
