package dunning

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/o2c-platform/o2c/libs/money"
)

// Day-count conventions for default interest. The law fixes none; German
// courts mostly count actual days over 365, which is the default.
const (
	DayCountAct365 = "act/365"
	DayCountAct360 = "act/360"
	DayCount30360  = "30/360"
)

// InterestPart is default interest over one period at one rate: from From
// to To, both inclusive, Days counted by the day-count convention, on
// Principal (minor units) at RateBP, the base rate plus the surcharge. A
// rate at or below zero gives an Amount of zero: a creditor owes no
// interest to a debtor in default. Item is the open item the principal
// belongs to, set by Decide.
type InterestPart struct {
	Item      string
	From, To  Date
	Days      int
	RateBP    int
	Principal int64
	Amount    int64
}

// Interest returns default interest on principal (minor units, not
// negative) for the days from to to, both inclusive, at the base rate of r
// plus pointsBP, split at each change of the base rate, and the total. Each
// part is rounded half away from zero to the minor unit on its own, as a
// statement of interest prints it. It fails with ErrNoBaseRate when r has
// no rate for from, ErrInvalidInput for a negative principal or an unknown
// day count, and ErrOverflow when an amount does not fit.
func Interest(principal int64, from, to Date, r BaseRates, pointsBP int, dayCount string) ([]InterestPart, int64, error) {
	if principal < 0 {
		return nil, 0, fmt.Errorf("interest on %d: %w: negative principal", principal, ErrInvalidInput)
	}
	denom, ok := dayCountDenominator(dayCount)
	if !ok {
		return nil, 0, fmt.Errorf("day count %q: %w: want act/365, act/360 or 30/360", dayCount, ErrInvalidInput)
	}
	if from.After(to) {
		return nil, 0, nil
	}
	if !r.Covers(from) {
		return nil, 0, fmt.Errorf("interest from %s: %w (table %s starts later)", from, ErrNoBaseRate, r.Version)
	}
	var parts []InterestPart
	var total int64
	for start := from; !start.After(to); {
		end := to
		if next, ok := r.nextChange(start); ok && !next.After(to) {
			end = next.AddDays(-1)
		}
		rate := r.At(start) + pointsBP
		days := countDays(start, end, dayCount)
		amount, err := interestAmount(principal, rate, days, denom)
		if err != nil {
			return nil, 0, fmt.Errorf("interest on %d from %s to %s: %w", principal, start, end, err)
		}
		if total, err = money.Add(total, amount); err != nil {
			return nil, 0, fmt.Errorf("interest total: %w: %w", ErrOverflow, err)
		}
		parts = append(parts, InterestPart{From: start, To: end, Days: days, RateBP: rate, Principal: principal, Amount: amount})
		start = end.AddDays(1)
	}
	return parts, total, nil
}

func dayCountDenominator(dayCount string) (uint64, bool) {
	switch dayCount {
	case DayCountAct365, "":
		return 365, true
	case DayCountAct360, DayCount30360:
		return 360, true
	}
	return 0, false
}

// countDays counts the days from from to to, both inclusive: actual days,
// or for 30/360 the German 30E/360 count from the day before from.
func countDays(from, to Date, dayCount string) int {
	if dayCount != DayCount30360 {
		return to.DaysSince(from) + 1
	}
	a := from.AddDays(-1)
	d1, d2 := min(a.Day, 30), min(to.Day, 30)
	return 360*(to.Year-a.Year) + 30*(int(to.Month)-int(a.Month)) + d2 - d1
}

// interestAmount is principal·rateBP·days / (10000·denom), rounded half
// away from zero, computed in 128 bits; zero for a rate at or below zero.
func interestAmount(principal int64, rateBP, days int, denom uint64) (int64, error) {
	if rateBP <= 0 || days <= 0 || principal == 0 {
		return 0, nil
	}
	factor := uint64(rateBP) * uint64(days) // both far below 2^32
	hi, lo := bits.Mul64(uint64(principal), factor)
	d := 10000 * denom
	if hi >= d {
		return 0, fmt.Errorf("%w: %w", ErrOverflow, money.ErrOverflow)
	}
	q, rem := bits.Div64(hi, lo, d)
	if rem >= d-rem {
		q++
	}
	if q > math.MaxInt64 {
		return 0, fmt.Errorf("%w: %w", ErrOverflow, money.ErrOverflow)
	}
	return int64(q), nil
}
