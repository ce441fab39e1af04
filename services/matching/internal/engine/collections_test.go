package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// debits is a fake of the tenant's submitted direct debits.
type debits map[string]string

func (d debits) Collected(e2e string) (string, bool) {
	item, ok := d[e2e]
	return item, ok
}

// TestCollectionClearedByEndToEndID: given the tenant's direct debit
// O2CDEBIT1 of I-2 and two invoices of the same amount and debtor (so no
// text or amount tells them apart), when the statement shows a receipt
// with that end-to-end id and no text, then the engine clears I-2 with
// score 100; another amount, an unknown id or no Collections leave it to
// the usual rules.
func TestCollectionClearedByEndToEndID(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I-1", "D-1", "RE-1", 5000), inv("I-2", "D-1", "RE-2", 5000)}
	collected := func(id string, minor int64) Payment {
		p := pay("P-1", minor, "")
		p.EndToEndID = id
		return p
	}
	cfg := DefaultConfig()
	cfg.Collections = debits{"O2CDEBIT1": "I-2"}
	for _, c := range []struct {
		name string
		cfg  Config
		p    Payment
		// want nil: not decided by the debit, and so (two equal items,
		// no text) never booked automatically.
		want *outcome
	}{
		{"the debit's id clears its item", cfg, collected("O2CDEBIT1", 5000),
			&outcome{Kind: Auto, Debtor: "D-1", Allocations: []Allocation{{Item: "I-2", Amount: 5000}}}},
		{"another amount is matched as any payment", cfg, collected("O2CDEBIT1", 4000), nil},
		{"an unknown id is matched as any payment", cfg, collected("O2CDEBIT2", 5000), nil},
		{"without Collections", DefaultConfig(), collected("O2CDEBIT1", 5000), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEngine(t, c.cfg, items, []Debtor{{ID: "D-1", Name: "Beispiel GmbH"}}, nil)
			d := e.Match(c.p)
			got := outcomeOf(d)
			if c.want == nil {
				if d.Kind == Auto {
					t.Errorf("booked automatically: %+v (%s)", got, d.Explanation)
				}
				return
			}
			if diff := cmp.Diff(*c.want, got); diff != "" || d.Score != 100 {
				t.Errorf("decision (-want +got):\n%s score %d (%s)", diff, d.Score, d.Explanation)
			}
		})
	}
}
