package report

import (
	"fmt"
	"math/big"
	"time"
)

// MaxMonths is the longest DSO series, in months.
const MaxMonths = 120

// KeyDates returns the key dates of a monthly series from from's month to
// asOf's month: each month's last day, and asOf itself for its month. It
// returns an error wrapping ErrInvalidPeriod when from lies after asOf or
// the series would be longer than MaxMonths.
func KeyDates(from, asOf time.Time) ([]time.Time, error) {
	from = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	asOf = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
	if from.After(asOf) {
		return nil, fmt.Errorf("%w: from %s lies after as_of %s", ErrInvalidPeriod, from.Format(time.DateOnly), asOf.Format(time.DateOnly))
	}
	months := (asOf.Year()-from.Year())*12 + int(asOf.Month()-from.Month()) + 1
	if months > MaxMonths {
		return nil, fmt.Errorf("%w: %d months, at most %d", ErrInvalidPeriod, months, MaxMonths)
	}
	out := make([]time.Time, 0, months)
	for m := from; ; m = m.AddDate(0, 1, 0) {
		end := m.AddDate(0, 1, -1)
		if !end.Before(asOf) {
			return append(out, asOf), nil
		}
		out = append(out, end)
	}
}

// MonthSales is the credit sales of a month and the days they count for
// (the whole month, or up to the key date in the key date's month).
type MonthSales struct {
	Days  int
	Sales int64
}

// Month is what the DSO family of one group is computed from at a key
// date. Every amount is in the group's currency.
type Month struct {
	KeyDate time.Time
	// Receivables is the open amount of every item at the key date.
	Receivables int64
	// Current is the open amount of the items not yet due at the key date
	// (due on or after it).
	Current int64
	// Sales is the credit sales of the key date's month up to the key date:
	// the amounts of the invoices dated in it.
	Sales int64
	// Cleared is the amount payments cleared in the month up to the key
	// date, and ClearedDays the sum over those clearings of amount x days
	// from the item's document date to the payment's date.
	Cleared, ClearedDays int64
	// Decided is the part of Cleared whose payments matching decided (its
	// decision reached the ledger), and Auto the part of Decided matching
	// cleared without a person.
	Decided, Auto int64
}

// Figures is the DSO family of one month. Day figures are hundredths of a
// day, rounded half away from zero.
type Figures struct {
	// CountBack is the count-back DSO (CountBackDSO).
	CountBack int64
	// DSO is Receivables / Sales x the month's days to the key date.
	DSO int64
	// BestPossible is Current / Sales x the same days: the DSO were every
	// debtor to pay on the due date.
	BestPossible int64
	// AverageDaysDelinquent is DSO - BestPossible.
	AverageDaysDelinquent int64
	// HasSales says the month had sales; without them DSO, BestPossible
	// and AverageDaysDelinquent are undefined and zero.
	HasSales bool
	// TimeToCash is ClearedDays / Cleared: the cleared amount's average
	// days from document date to payment.
	TimeToCash int64
	// HasPayments says payments cleared something in the month; without
	// them TimeToCash is undefined and zero.
	HasPayments bool
	// MatchRate is Auto / Decided in basis points (10000 is 100 %): the
	// share of the cleared amount matching decided that it cleared without
	// a person.
	MatchRate int64
	// HasMatchRate says matching decided some of the cleared amount;
	// without that MatchRate is undefined and zero.
	HasMatchRate bool
}

// ComputeDSO returns the DSO family of m. earlier is the credit sales of
// the months before the key date's month, newest first, for the count-back.
func ComputeDSO(m Month, earlier []MonthSales) Figures {
	days := int64(m.KeyDate.Day())
	f := Figures{
		CountBack: CountBackDSO(m.Receivables, append([]MonthSales{{Days: int(days), Sales: m.Sales}}, earlier...)),
	}
	if m.Sales > 0 {
		f.HasSales = true
		f.DSO = ratio(m.Receivables, days*100, m.Sales)
		f.BestPossible = ratio(m.Current, days*100, m.Sales)
		f.AverageDaysDelinquent = f.DSO - f.BestPossible
	}
	if m.Cleared != 0 {
		f.HasPayments = true
		f.TimeToCash = ratio(m.ClearedDays, 100, m.Cleared)
	}
	if m.Decided != 0 {
		f.HasMatchRate = true
		f.MatchRate = ratio(m.Auto, 10000, m.Decided)
	}
	return f
}

// CountBackDSO is the count-back DSO of receivables in hundredths of a
// day: walking back from the newest month of history, each month whose
// sales the remaining receivables cover counts with all its days and its
// sales are taken off; the first month they do not cover counts with the
// share of its days the remainder makes of its sales. A month without
// sales counts with all its days. Receivables of zero or less give zero;
// receivables the whole history does not cover give every day of it.
func CountBackDSO(receivables int64, history []MonthSales) int64 {
	var full int64
	rest := receivables
	for _, h := range history {
		if rest <= 0 {
			break
		}
		if h.Sales > 0 && rest < h.Sales {
			return full + ratio(rest, int64(h.Days)*100, h.Sales)
		}
		full += int64(h.Days) * 100
		if h.Sales > 0 {
			rest -= h.Sales
		}
	}
	return full
}

// ratio is a x b / c rounded half away from zero, computed without
// overflow; c is not zero.
func ratio(a, b, c int64) int64 {
	num := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	den := big.NewInt(c)
	if den.Sign() < 0 {
		num.Neg(num)
		den.Neg(den)
	}
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}
