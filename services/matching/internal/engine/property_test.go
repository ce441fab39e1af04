package engine

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/o2c-platform/o2c/libs/money"
)

// TestDecisionsKeepTheContract: for random items and payments (exact,
// combined, partial, over- and underpaid, returns, noise), every decision
// adds up (allocations plus difference equal the payment), every
// allocation fits what is open when it is made, and the automatic
// allocations to an item never total more than it had open; an
// independent model of the open amounts agrees with the engine's.
func TestDecisionsKeepTheContract(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		nDebtors := rapid.IntRange(1, 4).Draw(t, "debtors")
		var items []OpenItem
		var debtors []Debtor
		for d := range nDebtors {
			id := fmt.Sprintf("D%d", d)
			debtors = append(debtors, Debtor{ID: id, Name: rapid.SampledFrom([]string{"Anna Müller", "Peter Schmidt", "Müller GmbH", ""}).Draw(t, "name"),
				IBANs: []string{fmt.Sprintf("DE%020d", d)}})
			for k := range rapid.IntRange(1, 8).Draw(t, "items") {
				minor := rapid.Int64Range(1, 50000).Draw(t, "amount")
				it := inv(fmt.Sprintf("I%d-%d", d, k), id, fmt.Sprintf("RE-2026-%05d", d*100+k), minor)
				if rapid.IntRange(0, 9).Draw(t, "credit") == 0 {
					it.Kind, it.Amount.Minor, it.Open = ItemCredit, -minor, -minor
				} else if rapid.Bool().Draw(t, "partly open") {
					it.Open = rapid.Int64Range(1, minor).Draw(t, "open")
				}
				if rapid.IntRange(0, 3).Draw(t, "discount") == 0 {
					it.CashDiscount = &CashDiscount{Until: day0.AddDate(0, 0, rapid.IntRange(-5, 5).Draw(t, "until")), PercentBP: 200}
				}
				items = append(items, it)
			}
		}
		cfg := DefaultConfig()
		cfg.WriteOffLimitMinor = rapid.Int64Range(0, 1000).Draw(t, "write-off")
		cfg.AutoThreshold = rapid.IntRange(60, 100).Draw(t, "auto")
		cfg.ProposeThreshold = rapid.IntRange(0, cfg.AutoThreshold).Draw(t, "propose")
		e, err := New(cfg, items, debtors, nil)
		if err != nil {
			t.Fatal(err)
		}
		model := map[string]int64{}
		bound := map[string]int64{}
		for _, it := range items {
			model[it.ID], bound[it.ID] = it.Open, it.Amount.Minor
		}
		var paid []Payment
		for n := range rapid.IntRange(1, 12).Draw(t, "payments") {
			p := randomPayment(t, n, items, debtors, paid)
			d := e.Match(p)
			checkDecision(t, e, d)
			if err := e.Apply(d); err != nil {
				t.Fatalf("apply %s: %v (%s)", p.ID, err, d.Explanation)
			}
			if d.Kind == Auto {
				for _, a := range d.Allocations {
					model[a.Item] -= a.Amount
					if o, b := model[a.Item], bound[a.Item]; b >= 0 && (o < 0 || o > b) || b < 0 && (o > 0 || o < b) {
						t.Fatalf("%s: item %s open %d after auto decisions, original %d", p.ID, a.Item, o, b)
					}
				}
			}
			for id, want := range model {
				if got, _ := e.Open(id); got != want {
					t.Fatalf("after %s: engine has %d open on %s, model %d", p.ID, got, id, want)
				}
			}
			if p.Amount.Minor > 0 {
				paid = append(paid, p)
			}
		}
	})
}

func randomPayment(t *rapid.T, n int, items []OpenItem, debtors []Debtor, paid []Payment) Payment {
	p := pay(fmt.Sprintf("P%d", n), 0, "")
	pick := func() OpenItem { return rapid.SampledFrom(items).Draw(t, "item") }
	switch rapid.IntRange(0, 6).Draw(t, "shape") {
	case 0: // one item, named
		it := pick()
		p.Amount.Minor, p.Remittance = abs(it.Open), it.DocumentNumber
	case 1: // one item, shifted by a little or a lot
		it := pick()
		p.Amount.Minor = max(1, abs(it.Open)+rapid.Int64Range(-3000, 3000).Draw(t, "shift"))
		p.Remittance = rapid.SampledFrom([]string{it.DocumentNumber, "", "RE 2026 " + it.DocumentNumber[len(it.DocumentNumber)-5:]}).Draw(t, "text")
	case 2: // several items together
		var sum int64
		for range rapid.IntRange(2, 4).Draw(t, "k") {
			sum += abs(pick().Open)
		}
		p.Amount.Minor = max(1, sum)
	case 3: // a return of an earlier payment
		if len(paid) == 0 {
			p.Amount.Minor = 1234
			break
		}
		orig := rapid.SampledFrom(paid).Draw(t, "returned")
		p.Amount.Minor = -orig.Amount.Minor - rapid.Int64Range(0, 500).Draw(t, "charge")
		p.EndToEndID, p.MandateID, p.ReturnReason = orig.EndToEndID, orig.MandateID, "MD06"
		p.CounterpartyIBAN = orig.CounterpartyIBAN
	case 4: // money out
		p.Amount.Minor = -rapid.Int64Range(1, 50000).Draw(t, "out")
	default: // anything
		p.Amount.Minor = rapid.Int64Range(1, 100000).Draw(t, "any")
	}
	if p.Amount.Minor == 0 {
		p.Amount.Minor = 1
	}
	if rapid.Bool().Draw(t, "payer known") {
		d := rapid.SampledFrom(debtors).Draw(t, "payer")
		p.CounterpartyIBAN, p.CounterpartyName = d.IBANs[0], d.Name
	}
	if p.EndToEndID == "NOTPROVIDED" {
		p.EndToEndID = fmt.Sprintf("E2E-%d", n)
		p.MandateID = fmt.Sprintf("M-%d", rapid.IntRange(0, 3).Draw(t, "mandate"))
	}
	p.Amount = money.MustNew(p.Amount.Minor, "EUR")
	return p
}
