package dunning

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
)

// Day is one day of a replay: the inputs of every debtor on that date.
type Day struct {
	Date   Date
	Inputs []Input
}

// Difference is where two replays decided differently for a debtor on a
// date; Was or Would is nil when only one of them decided something.
type Difference struct {
	Debtor string
	Date   Date
	Was    *Decision
	Would  *Decision
}

// Simulate replays days under cfg and rates, in date order and per day in
// debtor order: a debtor's state is taken from its first input and from
// then on is what the replayed decisions leave (State.Apply), so a
// procedure change shows its effect on later days too. Each input's Date
// is the day's. It returns every decision that does something (a notice,
// a charge, a release, a lifted block, a default, a settlement or the
// end).
func Simulate(cfg Config, rates BaseRates, days []Day) ([]Decision, error) {
	ordered := slices.Clone(days)
	slices.SortStableFunc(ordered, func(a, b Day) int { return a.Date.Compare(b.Date) })
	states := map[string]State{}
	var out []Decision
	for _, day := range ordered {
		inputs := slices.Clone(day.Inputs)
		slices.SortStableFunc(inputs, func(a, b Input) int { return cmp.Compare(a.Debtor.ID, b.Debtor.ID) })
		for _, in := range inputs {
			in.Date = day.Date
			if s, ok := states[in.Debtor.ID]; ok {
				in.State = s
			}
			d, err := Decide(cfg, rates, in)
			if err != nil {
				return nil, fmt.Errorf("simulate %s: %w", day.Date, err)
			}
			states[in.Debtor.ID] = in.State.Apply(d)
			if d.acts() {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// acts reports whether a decision does anything beyond skipping.
func (d Decision) acts() bool {
	return d.Notice != nil || len(d.Charges) > 0 || len(d.Released) > 0 || len(d.LiftedBlocks) > 0 ||
		len(d.Defaults) > 0 || len(d.Settled) > 0 || d.Ended
}

// Differences compares two replays (Simulate's results under two
// configurations) and lists, by date and debtor, where they differ in
// what reaches the debtor or the books: the notice (level and items), the
// charges and the releases. Rules and warnings alone are no difference.
func Differences(was, would []Decision) []Difference {
	type key struct {
		date   Date
		debtor string
	}
	index := func(ds []Decision) map[key]*Decision {
		m := make(map[key]*Decision, len(ds))
		for i := range ds {
			m[key{ds[i].Date, ds[i].Debtor}] = &ds[i]
		}
		return m
	}
	a, b := index(was), index(would)
	keys := make([]key, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y key) int { return cmp.Or(x.date.Compare(y.date), cmp.Compare(x.debtor, y.debtor)) })
	var out []Difference
	for _, k := range keys {
		x, y := a[k], b[k]
		if !reflect.DeepEqual(outcome(x), outcome(y)) {
			out = append(out, Difference{Debtor: k.debtor, Date: k.date, Was: x, Would: y})
		}
	}
	return out
}

type decisionOutcome struct {
	level    int
	items    []NoticeItem
	charges  []Charge
	released []string
}

func outcome(d *Decision) decisionOutcome {
	if d == nil {
		return decisionOutcome{}
	}
	o := decisionOutcome{level: d.Level, charges: d.Charges, released: d.Released}
	if d.Notice != nil {
		o.items = d.Notice.Items
	}
	if len(o.charges) == 0 {
		o.charges = nil
	}
	if len(o.released) == 0 {
		o.released = nil
	}
	if len(o.items) == 0 {
		o.items = nil
	}
	return o
}
