package engine

import (
	"fmt"
	"math"

	"github.com/o2c-platform/o2c/libs/money"
)

// fitKind is how a payment's amount fits a set of open items.
type fitKind uint8

const (
	fitExact fitKind = iota
	fitDiscount
	fitRounding
	fitFX
	fitFee
	fitUnder
	fitOver
	fitPartial
)

// amountPoints is what each kind of fit adds to a score.
var amountPoints = [...]int{
	fitExact: 25, fitDiscount: 22, fitRounding: 22, fitFX: 12, fitFee: 12, fitUnder: 5, fitOver: 0, fitPartial: -5,
}

// close reports whether the fit leaves nothing open and books at most a
// small difference: exact, cash discount or rounding.
func (k fitKind) close() bool { return k == fitExact || k == fitDiscount || k == fitRounding }

// alloc is an allocation to an item index.
type alloc struct {
	item   int32
	amount int64
}

// fitResult is a set of items with the amounts the payment allocates to
// them and the difference.
type fitResult struct {
	kind   fitKind
	allocs []alloc
	// diff is the difference from the payment's view (payment minus
	// allocations), 0 when there is none.
	diff int64
	// open is what the items have open together (signed like the payment).
	open int64
	note string
	// termsExact is set for a cash discount equal to the items' terms to
	// the minor unit: the amount then fits as surely as an exact one.
	termsExact bool
	// onNet is set for a cash discount worked out on the net amount: it
	// fits less surely than the terms' own (netDiscountPoints fewer).
	onNet bool
}

// netDiscountPoints is what a cash discount worked out on the net amount
// scores below one that follows the terms: enough that an item set
// fitting exactly or by the terms is not a rival reading.
const netDiscountPoints = 8

// points is what the fit adds to a score.
func (r fitResult) points() int {
	switch {
	case r.kind == fitDiscount && r.termsExact:
		return amountPoints[fitExact]
	case r.kind == fitDiscount && r.onNet:
		return amountPoints[fitDiscount] - netDiscountPoints
	}
	return amountPoints[r.kind]
}

// diffKind is the contract's name of the difference kind, "" for none.
func (r fitResult) diffKind() DifferenceKind {
	switch r.kind {
	case fitDiscount:
		return DiffCashDiscount
	case fitRounding:
		return DiffRounding
	case fitFX:
		return DiffFX
	case fitFee:
		return DiffBankFee
	case fitUnder:
		return DiffUnderpayment
	case fitOver:
		return DiffOverpayment
	}
	return ""
}

// feeLimit is the largest shortfall on an open total booked as a bank fee:
// the lower of the absolute and the relative limit (a zero limit counts as
// none when the other is set).
func (r *rules) feeLimit(open int64) int64 {
	abs, bp := r.Tolerance.AbsoluteMinor, r.Tolerance.PercentBP
	pct, err := money.ApplyRateBP(open, bp)
	if err != nil {
		pct = money.MaxAbs
	}
	switch {
	case abs > 0 && bp > 0:
		return min(abs, pct)
	case abs > 0:
		return abs
	case bp > 0:
		return pct
	}
	return 0
}

func (r *rules) fxLimit(open int64) int64 {
	v, err := money.ApplyRateBP(open, r.Tolerance.FXPercentBP)
	if err != nil {
		return money.MaxAbs
	}
	return v
}

// fit says how the payment fits the items S (in allocation order):
// exactly, with a cash discount, a rounding, FX or bank-fee difference, an
// underpayment within the write-off limit, an overpayment kept as credit,
// or (when allowPartial) as a partial payment that leaves the rest open.
// Cash discounts: each eligible item's discount is its open amount times
// its rate, summed exactly in 1/10000 minor units and rounded once, half
// away from zero. A payer's own rounding is accepted: a deduction up to the
// per-item discounts rounded up and summed, and down to one minor unit per
// eligible item below the total. An item is eligible when the payment's
// booking date is on or before its discount date plus the grace days.
func (m *matcher) fit(S []int32, allowPartial bool) (fitResult, bool) {
	e := m.e
	var open int64
	var err error
	for _, idx := range S {
		it := &e.items[idx]
		if it.removed || it.cur != m.cur || it.open == 0 {
			return fitResult{}, false
		}
		if open, err = money.Add(open, m.sign*it.open); err != nil {
			return fitResult{}, false
		}
	}
	if open <= 0 {
		return fitResult{}, false
	}
	a := m.target
	d := a - open
	r := fitResult{open: open}
	disc, discMost, discN, discUntil, discBP := m.discountRange(S, true)
	late, lateN, lateUntil, _ := m.discount(S, false)
	cur := e.currencies[m.cur]
	tol := &e.r.Tolerance
	lateDiscount := lateN > 0 && late > tol.RoundingMinor && abs(d+late) <= int64(lateN)
	switch {
	case d == 0:
		r.kind, r.note = fitExact, "amount equal"
	case discN > 0 && disc > 0 && -d <= discMost && -d >= disc-int64(discN):
		r.kind, r.termsExact = fitDiscount, -d == disc
		r.note = fmt.Sprintf("%s cash discount (%s until %s)", fmtAmount(-d, cur), fmtBP(discBP), dayString(discUntil))
	case discN > 0 && disc > 0 && onNet(disc, -d, int64(discN)):
		r.kind, r.onNet = fitDiscount, true
		r.note = fmt.Sprintf("%s cash discount worked out on the net amount (%s until %s)", fmtAmount(-d, cur), fmtBP(discBP), dayString(discUntil))
	case lateDiscount:
		// A cash discount taken after its period is not granted: the
		// payment is a partial one and the discount stays open.
		if !allowPartial {
			return fitResult{}, false
		}
		r.kind = fitPartial
		r.note = fmt.Sprintf("partial payment: %s cash discount deducted after its period (until %s) stays open", fmtAmount(-d, cur), dayString(lateUntil))
	case abs(d) <= tol.RoundingMinor:
		r.kind, r.note = fitRounding, fmtAmount(abs(d), cur)+" rounding difference"
	case cur != e.r.HomeCurrency && abs(d) <= e.r.fxLimit(open):
		r.kind, r.note = fitFX, fmtAmount(abs(d), cur)+" FX difference"
	case d < 0 && -d <= e.r.feeLimit(open):
		r.kind, r.note = fitFee, fmtAmount(-d, cur)+" short, booked as bank fee"
	case d < 0 && -d <= e.r.WriteOffLimitMinor:
		r.kind, r.note = fitUnder, fmtAmount(-d, cur)+" short, written off as underpayment"
	case d < 0:
		if !allowPartial {
			return fitResult{}, false
		}
		r.kind, r.note = fitPartial, "partial payment, "+fmtAmount(-d, cur)+" stays open"
	default:
		r.kind, r.note = fitOver, fmtAmount(d, cur)+" more, kept as credit balance"
	}
	if r.kind == fitPartial {
		remaining := a
		for _, idx := range S {
			if v := m.sign * e.items[idx].open; v < 0 {
				r.allocs = append(r.allocs, alloc{idx, e.items[idx].open})
				remaining -= v
			}
		}
		for _, idx := range S {
			v := m.sign * e.items[idx].open
			if v <= 0 || remaining == 0 {
				continue
			}
			take := min(v, remaining)
			r.allocs = append(r.allocs, alloc{idx, m.sign * take})
			remaining -= take
		}
		return r, true
	}
	for _, idx := range S {
		r.allocs = append(r.allocs, alloc{idx, e.items[idx].open})
	}
	r.diff = m.sign * d
	return r, true
}

// netVATRates are the VAT rates, in percent, whose net amounts payers
// work a cash discount out on: Germany's and Austria's.
var netVATRates = [...]int64{19, 7, 20, 10}

// onNet reports whether taken is the cash discount full (worked out on
// gross amounts) worked out on the net amounts instead, at one of
// netVATRates, within n minor units (one per item): a business payer
// deducts its discount from the net and pays the VAT in full. That is less
// than the terms allow, inside the period, and a clerk grants it.
func onNet(full, taken, n int64) bool {
	if full <= 0 || taken <= 0 || taken >= full || full > math.MaxInt64/100 {
		return false
	}
	for _, rate := range netVATRates {
		net := (full*100 + (100+rate)/2) / (100 + rate)
		if abs(taken-net) <= n {
			return true
		}
	}
	return false
}

// discount returns the cash discount the items S offer (eligible: those
// whose period the payment is in; otherwise those whose period is over):
// the total, rounded once, how many items offer one, the latest discount
// date and the rate of the first.
func (m *matcher) discount(S []int32, eligible bool) (total int64, n int, until int32, bp int32) {
	total, _, n, until, bp = m.discountRange(S, eligible)
	return total, n, until, bp
}

// discountRange is discount with the most a payer's own rounding may
// deduct: each item's discount rounded up, summed.
func (m *matcher) discountRange(S []int32, eligible bool) (total, most int64, n int, until int32, bp int32) {
	e := m.e
	var exact int64
	until = noDay
	for _, idx := range S {
		it := &e.items[idx]
		v := m.sign * it.open
		if it.discBP <= 0 || v <= 0 || it.until == noDay {
			continue
		}
		in := m.day != noDay && m.day <= it.until+int32(e.r.CashDiscountGraceDays)
		if in != eligible {
			continue
		}
		x, err := money.Mul(v, int64(it.discBP))
		if err != nil {
			return 0, 0, 0, noDay, 0
		}
		if exact, err = money.Add(exact, x); err != nil {
			return 0, 0, 0, noDay, 0
		}
		most += (x + 9999) / 10000
		if n == 0 {
			bp = it.discBP
		}
		n++
		until = max(until, it.until)
	}
	total = exact / 10000
	if exact%10000 >= 5000 {
		total++
	}
	return total, most, n, until, bp
}

// fmtAmount formats minor units with the currency's decimals: "2.50 EUR".
func fmtAmount(minor int64, cur string) string {
	exp, _ := money.ExponentOrTwo(cur)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := fmt.Sprintf("%0*d", exp+1, minor)
	if exp > 0 {
		s = s[:len(s)-exp] + "." + s[len(s)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s + " " + cur
}

// fmtBP formats basis points as a percentage: "2 %", "2.5 %".
func fmtBP(bp int32) string {
	if bp%100 == 0 {
		return fmt.Sprintf("%d %%", bp/100)
	}
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	if s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s + " %"
}
