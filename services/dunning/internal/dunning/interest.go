package dunning

import "errors"

// InterestPart is default interest over one period at one rate: from From
// to To inclusive, Days counted by the day-count convention, on Principal
// at RateBP (base rate plus surcharge; it may be negative, then Amount is
// zero, as no interest is owed below zero).
type InterestPart struct {
	From, To  Date
	Days      int
	RateBP    int
	Principal int64
	Amount    int64
}

// Interest returns default interest on principal for the days from to to,
// both inclusive, at the base rate plus pointsBP, split at each change of
// the base rate, and the total.
func Interest(principal int64, from, to Date, r BaseRates, pointsBP int, dayCount string) ([]InterestPart, int64, error) {
	return nil, 0, errors.New("not implemented")
}
