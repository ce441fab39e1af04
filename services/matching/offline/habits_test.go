package offline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"testing"
)

// TestPayerHabits runs o2c match over the payments of fifteen payer
// habits (habits_gen_test.go), for two seeds, and checks what the engine
// promises whatever the habit: the contract's arithmetic, no automatic
// booking to a debtor other than the one a clerk would book, and a
// proposal offering the clerk's booking among its readings. For the
// habits the engine masters (number spellings, bank formats, duplicates)
// every payment must be booked automatically and right. For the others it
// logs per habit how the decisions compare with the clerk's bookings
// (go test -v), without holding the engine to today's numbers.
func TestPayerHabits(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			shop := newHabitShop(seed)
			opt, err := shop.write(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if _, err := Run(t.Context(), opt, &out); err != nil {
				t.Fatal(err)
			}
			decisions, err := decodeDecisions(&out)
			if err != nil {
				t.Fatal(err)
			}
			if len(decisions) != len(shop.payments) {
				t.Fatalf("%d decisions for %d payments", len(decisions), len(shop.payments))
			}
			for i, d := range decisions {
				if d.Payment != shop.payments[i].ID {
					t.Fatalf("decision %d is for payment %s, want %s (input order)", i+1, d.Payment, shop.payments[i].ID)
				}
			}
			checkArithmetic(t, shop, decisions)
			checkHabits(t, shop, decisions)
		})
	}
}

func decodeDecisions(r io.Reader) ([]decisionLine, error) {
	var decisions []decisionLine
	dec := json.NewDecoder(r)
	for {
		var d decisionLine
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return decisions, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decision %d: %w", len(decisions)+1, err)
		}
		decisions = append(decisions, d)
	}
}

// checkArithmetic checks the contract's arithmetic for every decision and
// alternative with allocations: they and the difference make the payment's
// amount, and each allocation takes no more than is still open of its item
// after the automatic decisions before it, so the automatic allocations to
// an item never exceed its open amount. (A credit note's allocation is
// negative and takes no more than its negative open amount.)
func checkArithmetic(t *testing.T, shop *habitShop, decisions []decisionLine) {
	t.Helper()
	open := map[string]int64{}
	for _, it := range shop.items {
		open[it.ID] = it.OpenMinor
	}
	for i, d := range decisions {
		p := shop.payments[i]
		check := func(what string, allocs []allocLine, diff *diffLine) {
			if len(allocs) == 0 {
				return
			}
			var sum int64
			for _, a := range allocs {
				sum += a.AmountMinor
				left, ok := open[a.OpenItem]
				switch {
				case !ok:
					t.Errorf("payment %s, %s: allocation to %s, which is no open item", p.ID, what, a.OpenItem)
				case a.AmountMinor > 0 && a.AmountMinor > left, a.AmountMinor < 0 && a.AmountMinor < left:
					t.Errorf("payment %s, %s: allocates %d to %s, of which %d is open", p.ID, what, a.AmountMinor, a.OpenItem, left)
				}
			}
			if diff != nil {
				sum += diff.AmountMinor
			}
			if sum != p.AmountMinor {
				t.Errorf("payment %s, %s: allocations and difference make %d, the payment is %d", p.ID, what, sum, p.AmountMinor)
			}
		}
		check(d.Decision, d.Allocations, d.Difference)
		for j, alt := range d.Alternatives {
			check(fmt.Sprintf("alternative %d", j+1), alt.Allocations, alt.Difference)
		}
		if d.Decision == "auto" {
			for _, a := range d.Allocations {
				open[a.OpenItem] -= a.AmountMinor
			}
		}
	}
}

// promisedHabits are the habits whose every payment the engine books
// automatically and right.
var promisedHabits = map[string]bool{habitNumberSpelling: true, habitBankFormat: true, habitDuplicate: true}

// habitTally counts a habit's decisions against the clerk's bookings.
type habitTally struct {
	payments                                   int
	autoRight, autoWrongItems, autoWrongDebtor int
	proposed, proposedRight, unmatched         int
}

// checkHabits compares each decision with the clerk's booking: an
// automatic decision for another debtor is an error in every habit, any
// other outcome than automatic and right is one in the promised habits.
// It logs a line per habit.
func checkHabits(t *testing.T, shop *habitShop, decisions []decisionLine) {
	t.Helper()
	byPayment := map[string]decisionLine{}
	for _, d := range decisions {
		byPayment[d.Payment] = d
	}
	tallies := map[string]*habitTally{}
	var habits []string
	for _, truth := range shop.truths {
		p := truth.payment
		d := byPayment[p.ID]
		tally := tallies[truth.habit]
		if tally == nil {
			tally = &habitTally{}
			tallies[truth.habit] = tally
			habits = append(habits, truth.habit)
		}
		tally.payments++
		var debtor string
		if d.Debtor != nil {
			debtor = *d.Debtor
		}
		right := debtor == truth.debtor && truth.accepts(d.Allocations)
		switch d.Decision {
		case "auto":
			switch {
			case debtor != truth.debtor:
				tally.autoWrongDebtor++
				t.Errorf("payment %s (%s %s, remittance %q): booked automatically to debtor %s, the payer is %s: %s",
					p.ID, truth.habit, truth.variant, p.Remittance, debtor, truth.debtor, d.Explanation)
				continue
			case right:
				tally.autoRight++
			default:
				tally.autoWrongItems++
			}
		case "proposed":
			tally.proposed++
			if right {
				tally.proposedRight++
			} else if truth.habit != habitCouple && !truth.offered(d.Alternatives) {
				// A person confirms one of the readings offered: the
				// clerk's must be among them (two people's invoices in
				// one transfer are no single decision's).
				t.Errorf("payment %s (%s %s, remittance %q): proposed for %s with %v, and the clerk's booking (%s %v) is not among the alternatives: %s",
					p.ID, truth.habit, truth.variant, p.Remittance, debtor, d.Allocations, truth.debtor, truth.accept[0], d.Explanation)
			}
		default:
			tally.unmatched++
		}
		if promisedHabits[truth.habit] && (d.Decision != "auto" || !right) {
			t.Errorf("payment %s (%s %s, remittance %q): %s for debtor %q with %v, want auto for %s with %v: %s",
				p.ID, truth.habit, truth.variant, p.Remittance, d.Decision, debtor, d.Allocations, truth.debtor, truth.accept[0], d.Explanation)
		}
	}
	for _, h := range habits {
		n := tallies[h]
		t.Logf("%-28s %2d payments: auto %2d right, %2d wrong items, %d wrong debtor; proposed %2d (%2d right); unmatched %d",
			h, n.payments, n.autoRight, n.autoWrongItems, n.autoWrongDebtor, n.proposed, n.proposedRight, n.unmatched)
	}
}

// offered reports whether one of the proposals books what the clerk does.
func (tr habitTruth) offered(ps []proposalLine) bool {
	for _, p := range ps {
		if p.Debtor != nil && *p.Debtor == tr.debtor && tr.accepts(p.Allocations) {
			return true
		}
	}
	return false
}

// accepts reports whether allocs book what one of the clerk's acceptable
// bookings books: the same items with the same amounts.
func (tr habitTruth) accepts(allocs []allocLine) bool {
	got := amountPerItem(allocs)
	for _, want := range tr.accept {
		if maps.Equal(amountPerItem(want), got) {
			return true
		}
	}
	return false
}

func amountPerItem(allocs []allocLine) map[string]int64 {
	m := map[string]int64{}
	for _, a := range allocs {
		m[a.OpenItem] += a.AmountMinor
	}
	return m
}
