package engine

import (
	"strings"
	"testing"
)

// TestForget: given a payer IBAN and name confirmed for debtor K-1001 by
// two decisions, when one is taken back, then the IBAN still identifies
// K-1001; when the other is taken back too, then neither the IBAN nor the
// payer's name does, and the payer's next payment is not booked to K-1001.
// The debtor's master data and Forget of an unknown debtor are left alone.
func TestForget(t *testing.T) {
	t.Parallel()
	const iban = "DE02120300000000202051"
	from := func(id string, minor int64) Payment {
		p := pay(id, minor, "Zahlung")
		p.CounterpartyIBAN, p.CounterpartyName = iban, "Erika Musterfrau"
		return p
	}
	items := []OpenItem{inv("I-1", "K-1001", "RE-1", 5000), inv("I-2", "K-2002", "RE-2", 8000)}
	debtors := []Debtor{{ID: "K-1001", Name: "Hans Beispiel"}, {ID: "K-2002", Name: "Otto Normal"}}
	confirmed := Confirmation{Payment: from("C-1", 1000), Debtor: "K-1001"}
	e := newEngine(t, DefaultConfig(), items, debtors, []Confirmation{confirmed, confirmed})

	for i, tc := range []struct {
		forget string
		taught bool
	}{
		{"", true},
		{"nobody", true},
		{"K-1001", true},
		{"K-1001", false},
		{"K-1001", false},
	} {
		if tc.forget != "" {
			e.Forget(from("C-1", 1000), tc.forget)
		}
		d := e.Match(from("P-1", 5000))
		why := d.Explanation
		for _, p := range d.Alternatives {
			why += "; " + p.Explanation
		}
		got := strings.Contains(why, "confirmed for debtor K-1001")
		if got != tc.taught {
			t.Errorf("step %d (forget %q): taught %v, want %v: %v %s", i, tc.forget, got, tc.taught, d.Kind, why)
		}
		if !tc.taught && d.Kind == Auto && d.Debtor == "K-1001" {
			t.Errorf("step %d: booked to K-1001 after everything was forgotten: %s", i, why)
		}
	}
	if r := e.ibans[iban]; r != nil {
		t.Errorf("the IBAN is still known: %+v", *r)
	}
	if di := e.debIdx["K-1001"]; e.debtors[di].master.key() != parseName("Hans Beispiel").key() || len(e.debtors[di].aliases) != 0 {
		t.Errorf("K-1001 after forgetting: master %v aliases %v", e.debtors[di].master.tokens, e.debtors[di].aliases)
	}
}
