package dunning

import (
	"strconv"
	"testing"
)

// benchInputs generates the inputs of a run over items open items of
// debtors debtors (items/debtors each), deterministically: a mix of
// consumers and businesses, items due over the last 90 days, some at
// levels already, some disputed, some of a marketplace.
func benchInputs(tb testing.TB, debtors, items int) []Input {
	tb.Helper()
	on := day(2026, 3, 1)
	per := items / debtors
	all := make([]Item, 0, items)
	ins := make([]Input, 0, debtors)
	for d := range debtors {
		id := "D" + strconv.Itoa(d)
		debtor := Debtor{ID: id, Kind: "b2c", Language: "de"}
		if d%4 == 0 {
			debtor.Kind = "b2b"
		}
		state := State{}
		var blocks []Block
		start := len(all)
		for i := range per {
			n := d*per + i
			it := Item{
				ID: "I" + strconv.Itoa(n), Debtor: id, Component: ComponentPrincipal, Currency: "EUR",
				Amount: int64(1000 + n%100000), Open: int64(1000 + n%100000), Dunnable: true,
				DueDate: on.AddDays(-(n % 90)),
			}
			it.Claim, it.DocumentDate = it.ID, it.DueDate.AddDays(-14)
			switch n % 20 {
			case 3:
				it.Marketplace = "amazon"
			case 7:
				blocks = append(blocks, Block{ID: "B" + it.ID, Debtor: id, Item: it.ID, Reason: BlockDispute, Set: it.DueDate})
			}
			if n%3 == 0 && on.DaysSince(it.DueDate) > 30 {
				if state.Levels == nil {
					state.Levels, state.DefaultSince = map[string]int{}, map[string]DefaultFact{}
					state.LastNotice = on.AddDays(-20)
				}
				state.Levels[it.ID] = 1
				state.DefaultSince[it.ID] = DefaultFact{Item: it.ID, Date: it.DueDate.AddDays(7), Basis: BasisReminder}
			}
			all = append(all, it)
		}
		ins = append(ins, Input{Debtor: debtor, Items: all[start:len(all):len(all)], Blocks: blocks, State: state, Date: on})
	}
	return ins
}

// BenchmarkDecide decides a daily run over 1,000,000 open items of 200,000
// debtors (issue #17's bench scale) and reports items per second.
func BenchmarkDecide(b *testing.B) {
	const debtors, items = 200_000, 1_000_000
	cfg := germanDefaults(b)
	rates := DefaultBaseRates()
	ins := benchInputs(b, debtors, items)
	b.ReportAllocs()
	b.ResetTimer()
	notices := 0
	for b.Loop() {
		notices = 0
		for i := range ins {
			d, err := Decide(cfg, rates, ins[i])
			if err != nil {
				b.Fatal(err)
			}
			if d.Notice != nil {
				notices++
			}
		}
	}
	b.ReportMetric(float64(items)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(notices), "notices/run")
}
