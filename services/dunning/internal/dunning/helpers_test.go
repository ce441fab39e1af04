package dunning

import (
	"testing"
	"time"
)

func day(y int, m time.Month, d int) Date { return MakeDate(y, m, d) }

// germanDefaults is the configuration a tenant without a dunning section
// gets, in euro.
func germanDefaults(tb testing.TB) Config {
	tb.Helper()
	cfg, err := ParseConfig(nil, "dunning", "EUR")
	if err != nil {
		tb.Fatalf("default configuration: %v", err)
	}
	return cfg
}

// config parses a dunning section or fails.
func config(tb testing.TB, raw string) Config {
	tb.Helper()
	cfg, err := ParseConfig([]byte(raw), "dunning", "EUR")
	if err != nil {
		tb.Fatalf("configuration %s: %v", raw, err)
	}
	return cfg
}

// invoice is an open, dunnable principal item of debtor "d1" of 1,000.00
// EUR issued 14 days before its due date.
func invoice(id string, due Date) Item {
	return Item{
		ID: id, Debtor: "d1", Claim: id, Component: ComponentPrincipal, Currency: "EUR",
		Amount: 100000, Open: 100000, DocumentDate: due.AddDays(-14), DueDate: due, Dunnable: true,
	}
}

var (
	consumer = Debtor{ID: "d1", Kind: "b2c", Language: "de"}
	business = Debtor{ID: "d1", Kind: "b2b", Language: "de"}
)

// decide decides or fails.
func decide(tb testing.TB, cfg Config, in Input) Decision {
	tb.Helper()
	d, err := Decide(cfg, DefaultBaseRates(), in)
	if err != nil {
		tb.Fatalf("Decide: %v", err)
	}
	return d
}

// skipped returns the skip reasons by item.
func skipped(d Decision) map[string]string {
	m := map[string]string{}
	for _, s := range d.Skipped {
		m[s.Item] = s.Reason
	}
	return m
}

// noticed returns the level each notice item reaches.
func noticed(d Decision) map[string]int {
	if d.Notice == nil {
		return nil
	}
	m := map[string]int{}
	for _, it := range d.Notice.Items {
		m[it.Item] = it.Level
	}
	return m
}

// charges returns the decision's charges as kind/claim → amount.
func charges(d Decision) map[string]int64 {
	m := map[string]int64{}
	for _, c := range d.Charges {
		m[c.Kind+"/"+c.Claim] = c.Amount
	}
	return m
}
