// Package report computes the ledger's month-end reports from rows the
// read models stream: the aging of receivables (buckets of days overdue x
// dunning level x channel x customer group x currency), days overdue, and
// the DSO family (count-back DSO, DSO, best possible DSO, average days
// delinquent, time to cash, match rate). It is pure: no storage, no clock
// (every function takes its key date), and every amount is int64 minor
// units of one currency; nothing is converted or added across currencies.
//
// The dunning level, dunning block, collection status and customer group of
// an item are carried as the read models give them (fed by dunning's,
// collections' and ingestion's events, on both time axes); an item nothing
// is known about has the empty value, and the aging groups it there.
package report

import "errors"

// ErrInvalidBuckets means aging bucket limits that are not positive and
// strictly increasing, or more than MaxBuckets of them.
var ErrInvalidBuckets = errors.New("invalid aging buckets")

// ErrInvalidDimension means a dimension a report cannot group by: an
// unknown one, one given twice, or the dunning level for the DSO.
var ErrInvalidDimension = errors.New("invalid report dimension")

// ErrInvalidPeriod means a report period whose first day lies after its
// last, or a DSO series longer than MaxMonths.
var ErrInvalidPeriod = errors.New("invalid report period")

// ErrUnknownReport means the tenant issued no report with the id asked
// for.
var ErrUnknownReport = errors.New("no such issued report")

// ErrFutureKnownAt means a recorded-time cut that lies in the future: a
// report cannot count what the ledger has not recorded yet, and the same
// report asked again later would show other figures.
var ErrFutureKnownAt = errors.New("known_at lies in the future")
