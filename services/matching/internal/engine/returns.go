package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/o2c-platform/o2c/libs/money"
)

// isReturn reports whether the payment undoes an earlier one: money out
// with a return reason, or with a bank transaction code that marks a
// reversal.
func (m *matcher) isReturn() bool {
	if m.amount >= 0 {
		return false
	}
	if strings.TrimSpace(m.p.ReturnReason) != "" {
		return true
	}
	for _, part := range strings.FieldsFunc(strings.ToUpper(m.p.BankTxCode), func(r rune) bool {
		return r == '/' || r == '-' || r == ' ' || r == '+' || r == '.'
	}) {
		if m.e.r.reversal[part] {
			return true
		}
	}
	return false
}

type returnCand struct {
	i      int32
	pts    int
	charge int64
	why    []string
}

// matchReturn finds the earlier payment a return undoes (same end-to-end
// id, mandate, payer IBAN; its amount, or its amount plus a return charge
// the bank netted) and reverses it: the allocations are the negative of
// what that payment cleared, and the charge is the difference (bank_fee).
// A return of a payment that was not booked automatically reopens
// nothing and is proposed.
func (m *matcher) matchReturn() Decision {
	e := m.e
	p := m.p
	reason := strings.TrimSpace(p.ReturnReason)
	what := "return"
	if reason != "" {
		what = "return (" + reason + ")"
	} else {
		what = "reversal (" + p.BankTxCode + ")"
	}
	// A payment known by its amount alone scores below the threshold
	// (amount 30, payer name 10): candidates share the end-to-end id,
	// mandate or payer IBAN.
	var ids []int32
	for _, list := range [][]int32{e.byE2E[e2e(p.EndToEndID)], e.byMand[strings.TrimSpace(p.MandateID)], e.byIBAN[m.iban]} {
		for _, i := range list {
			if !slices.Contains(ids, i) {
				ids = append(ids, i)
			}
		}
	}
	var cands []returnCand
	for _, i := range ids {
		r := &e.paid[i]
		if r.reversed || r.p.Amount.Currency != p.Amount.Currency || r.p.Amount.Minor <= 0 {
			continue
		}
		charge := -m.amount - r.p.Amount.Minor
		if charge < 0 || charge > e.r.Returns.MaxBankChargeMinor {
			continue
		}
		if d0, d1 := dayOf(r.p.date()), m.day; d0 != noDay && d1 != noDay && d0 > d1 {
			continue
		}
		c := returnCand{i: i, charge: charge}
		if id := e2e(p.EndToEndID); id != "" && id == e2e(r.p.EndToEndID) {
			c.pts += 45
			c.why = append(c.why, "end-to-end id "+id)
		}
		if mid := strings.TrimSpace(p.MandateID); mid != "" && mid == strings.TrimSpace(r.p.MandateID) {
			c.pts += 40
			c.why = append(c.why, "mandate "+mid)
		}
		if m.iban != "" && m.iban == normIBAN(r.p.CounterpartyIBAN) {
			c.pts += 25
			c.why = append(c.why, "payer IBAN")
		}
		if nameSimilarity(m.payer, parseName(r.p.CounterpartyName), nil) >= 0.85 {
			c.pts += 10
			c.why = append(c.why, "payer name")
		}
		if charge == 0 {
			c.pts += 30
			c.why = append(c.why, "amount "+fmtAmount(r.p.Amount.Minor, p.Amount.Currency))
		} else {
			c.pts += 20
			c.why = append(c.why, fmt.Sprintf("amount %s + %s return charge", fmtAmount(r.p.Amount.Minor, p.Amount.Currency), fmtAmount(charge, p.Amount.Currency)))
		}
		cands = append(cands, c)
	}
	slices.SortStableFunc(cands, func(a, b returnCand) int {
		if c := cmp.Compare(b.pts, a.pts); c != 0 {
			return c
		}
		return cmp.Compare(b.i, a.i)
	})
	d := Decision{Payment: p, Kind: Unmatched}
	if len(cands) == 0 || cands[0].pts < 50 {
		d.Explanation = what + " of a payment not found among the payments decided so far"
		for _, di := range m.candidates() {
			if ev := m.evidence(di); ev.strong {
				d.Debtor = e.debtors[di].id
				d.Explanation += "; " + ev.why
				break
			}
		}
		d.Explanation += " → 0"
		return d
	}
	best := cands[0]
	orig := &e.paid[best.i]
	d.Reverses, d.Debtor = orig.p.ID, orig.debtor
	d.Score = min(100, best.pts)
	ambiguous := len(cands) > 1 && cands[1].pts >= best.pts-ambiguityMargin
	head := fmt.Sprintf("%s of %s (same %s)", what, orig.p.ID, strings.Join(best.why, ", "))
	d.ReturnCharge = m.returnCharge(best.charge, orig.debtor)
	if len(orig.allocs) == 0 {
		d.Kind = Proposed
		d.Score = min(d.Score, e.r.AutoThreshold-1)
		d.Explanation = head + ", which was not booked automatically: nothing to reopen" + m.chargeNote(best.charge, d.ReturnCharge) + fmt.Sprintf(" → %d", d.Score)
		return d
	}
	var sum int64
	var numbers []string
	fits := true
	for _, a := range orig.allocs {
		d.Allocations = append(d.Allocations, Allocation{Item: a.Item, Amount: -a.Amount})
		sum = saturate(sum, -a.Amount)
		if idx, ok := e.itemIdx[a.Item]; ok {
			after, err := money.Add(e.items[idx].open, a.Amount)
			fits = fits && err == nil && within(after, &e.items[idx])
			numbers = append(numbers, m.itemNumber(idx))
		} else {
			fits = false
			numbers = append(numbers, a.Item)
		}
	}
	if diff := m.amount - sum; diff != 0 {
		kind := DiffBankFee
		if best.charge == 0 {
			kind = DiffRounding
			if orig.diff != nil {
				kind = orig.diff.Kind
			}
		}
		d.Difference = &Difference{Kind: kind, Amount: diff}
	}
	if len(numbers) > 3 {
		numbers = append(numbers[:3], fmt.Sprintf("%d more", len(numbers)-3))
	}
	parts := head + ": reopens " + strings.Join(numbers, ", ") + m.chargeNote(best.charge, d.ReturnCharge)
	switch {
	case !fits:
		d.Kind = Proposed
		d.Score = min(d.Score, e.r.AutoThreshold-1)
		parts += ", but the items no longer take it back"
		d.Allocations, d.Difference = nil, nil
	case ambiguous:
		d.Kind = Proposed
		d.Score = min(d.Score, e.r.AutoThreshold-1)
		parts += ", but " + e.paid[cands[1].i].p.ID + " fits as well"
	case d.Score >= e.r.AutoThreshold:
		d.Kind = Auto
	default:
		d.Kind = Proposed
	}
	d.Explanation = parts + fmt.Sprintf(" → %d", d.Score)
	return d
}

// returnCharge is the part of the bank's return charge the tenant passes
// on to the debtor: never more than the bank took from a consumer (§309
// No. 5 BGB).
func (m *matcher) returnCharge(bank int64, debtor string) int64 {
	rc := m.e.r.Returns
	switch rc.ChargeDebtor {
	case ChargeNone:
		return 0
	case ChargeFixed:
		business := false
		if di, ok := m.e.debIdx[debtor]; ok {
			business = m.e.debtors[di].business
		}
		if business {
			return rc.FixedChargeMinor
		}
		return min(rc.FixedChargeMinor, bank)
	}
	return bank
}

func (m *matcher) chargeNote(bank, onward int64) string {
	if bank == 0 && onward == 0 {
		return ""
	}
	cur := m.p.Amount.Currency
	return fmt.Sprintf(", bank's return charge %s (charged on to the debtor: %s)", fmtAmount(bank, cur), fmtAmount(onward, cur))
}
