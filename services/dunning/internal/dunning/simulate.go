package dunning

import "errors"

// Day is one day of a replay: the inputs of every debtor on that date.
type Day struct {
	Date   Date
	Inputs []Input
}

// Difference is where two replays decided differently for a debtor on a
// date; Was or Would is nil when only one decided something.
type Difference struct {
	Debtor string
	Date   Date
	Was    *Decision
	Would  *Decision
}

// Simulate replays days under cfg.
func Simulate(cfg Config, rates BaseRates, days []Day) ([]Decision, error) {
	return nil, errors.New("not implemented")
}
