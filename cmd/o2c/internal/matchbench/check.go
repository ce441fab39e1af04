package matchbench

import (
	"fmt"
	"slices"
)

// The rules of shared/contracts/o2c-match.md the checker enforces, as they
// appear in Violation.Rule.
const (
	RuleDecision     = "decision"      // decision is auto, proposed or unmatched
	RuleScore        = "score"         // score within 0-100
	RuleUnmatched    = "unmatched"     // an unmatched decision allocates nothing
	RuleArithmetic   = "arithmetic"    // allocations plus difference equal the payment
	RuleDifference   = "difference"    // the difference is of a known kind
	RuleUnknownItem  = "unknown_item"  // an allocation names an item of ITEMS.jsonl
	RuleOpenAmount   = "open_amount"   // an allocation fits within what is still open
	RuleAlternatives = "alternatives"  // at most four alternatives
	RuleReverses     = "reverses"      // a reversal names an earlier payment of the run
	RuleCashDiscount = "cash_discount" // a discount only on items within their period, at most their percentage
)

// discountSlack is the rounding, in minor units, a cash discount may carry
// beyond the items' percentages: a decision has one difference, so a
// payment a few cents off after its discount books them with it.
const discountSlack = 5

var differenceKinds = []string{"cash_discount", "bank_fee", "underpayment", "overpayment", "rounding", "fx"}

// Violation is a decision line breaking a rule of the contract.
type Violation struct {
	Payment string `json:"payment"`
	Rule    string `json:"rule"`
	Detail  string `json:"detail"`
}

// itemState is what the checker keeps of an open item: its open amount at
// the start, how much auto decisions have consumed so far, and its cash
// discount terms.
type itemState struct {
	open, consumed int64
	until          string
	bp             int64
}

// checker replays decisions in input order and reports every line that
// breaks the contract's arithmetic and open-amount rules.
type checker struct {
	items     map[string]*itemState
	seen      map[string]bool
	graceDays int
}

func newChecker(items []Item, graceDays int) *checker {
	c := &checker{items: make(map[string]*itemState, len(items)), seen: map[string]bool{}, graceDays: graceDays}
	for _, it := range items {
		c.addItem(it)
	}
	return c
}

func (c *checker) addItem(it Item) {
	st := &itemState{open: it.OpenMinor}
	if it.CashDiscount != nil {
		st.until, st.bp = it.CashDiscount.Until, it.CashDiscount.PercentBP
	}
	c.items[it.ID] = st
}

// check checks d, the decision for p, and consumes open amounts when d is
// auto and breaks none of the allocation rules.
func (c *checker) check(p Payment, d Decision) []Violation {
	var vs []Violation
	bad := func(rule, format string, args ...any) {
		vs = append(vs, Violation{Payment: p.ID, Rule: rule, Detail: fmt.Sprintf(format, args...)})
	}
	defer func() { c.seen[p.ID] = true }()
	if !slices.Contains([]string{"auto", "proposed", "unmatched"}, d.Decision) {
		bad(RuleDecision, "decision %q", d.Decision)
	}
	if d.Score < 0 || d.Score > 100 {
		bad(RuleScore, "score %d", d.Score)
	}
	if d.Decision == "unmatched" && len(d.Allocations) > 0 {
		bad(RuleUnmatched, "unmatched with %d allocations", len(d.Allocations))
	}
	if len(d.Alternatives) > 4 {
		bad(RuleAlternatives, "%d alternatives", len(d.Alternatives))
	}
	if d.Reverses != nil && !c.seen[*d.Reverses] {
		bad(RuleReverses, "reverses %s, which is no earlier payment of the run", *d.Reverses)
	}
	fits := c.proposal(p, "", d.Allocations, d.Difference, bad)
	for i, a := range d.Alternatives {
		c.proposal(p, fmt.Sprintf("alternative %d: ", i+1), a.Allocations, a.Difference, bad)
	}
	if d.Decision == "auto" && fits {
		for _, a := range d.Allocations {
			c.items[a.OpenItem].consumed += a.AmountMinor
		}
	}
	return vs
}

// proposal checks one set of allocations with its difference and reports
// whether every allocation fits what is open.
func (c *checker) proposal(p Payment, where string, allocs []Allocation, diff *Difference, bad func(string, string, ...any)) bool {
	if diff != nil && !slices.Contains(differenceKinds, diff.Kind) {
		bad(RuleDifference, "%sdifference kind %q", where, diff.Kind)
	}
	if len(allocs) == 0 {
		return true
	}
	var sum int64
	per := map[string]int64{}
	var order []string
	for _, a := range allocs {
		sum += a.AmountMinor
		if _, ok := per[a.OpenItem]; !ok {
			order = append(order, a.OpenItem)
		}
		per[a.OpenItem] += a.AmountMinor
	}
	if diff != nil {
		sum += diff.AmountMinor
	}
	if sum != p.AmountMinor {
		bad(RuleArithmetic, "%sallocations and difference make %d, the payment is %d", where, sum, p.AmountMinor)
	}
	fits := true
	var allowed int64
	discounted := false
	for _, id := range order {
		st, ok := c.items[id]
		if !ok {
			bad(RuleUnknownItem, "%sitem %s is not in the open items", where, id)
			fits = false
			continue
		}
		after := st.consumed + per[id]
		if st.open >= 0 && (after < 0 || after > st.open) || st.open < 0 && (after > 0 || after < st.open) {
			bad(RuleOpenAmount, "%s%d on item %s, of which %d of %d are open", where, per[id], id, st.open-st.consumed, st.open)
			fits = false
		}
		if st.bp > 0 && withinPeriod(p.BookingDate, st.until, c.graceDays) {
			discounted = true
			// The most any rounding rule can give: rounded up.
			allowed += (abs(per[id])*st.bp + 9999) / 10000
		}
	}
	if diff != nil && diff.Kind == "cash_discount" {
		switch {
		case !discounted:
			bad(RuleCashDiscount, "%scash discount without an item in its discount period on %s", where, p.BookingDate)
		case diff.AmountMinor > 0 || -diff.AmountMinor > allowed+discountSlack:
			bad(RuleCashDiscount, "%scash discount %d, the items allow at most %d", where, -diff.AmountMinor, allowed)
		}
	}
	return fits
}

func withinPeriod(booking, until string, graceDays int) bool {
	if graceDays == 0 {
		return booking <= until
	}
	return booking <= addDays(until, graceDays)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
