package table

import (
	"strings"
	"testing"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// TestBankReconciliationTable checks the table of o2c ledger
// bank-reconciliation and the demo: one row per statement with the bank's and the
// books' balance and the difference, a statement that does not reconcile
// marked and counted, and the verdict.
func TestBankReconciliationTable(t *testing.T) {
	t.Parallel()
	eur := func(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }
	rec := func(id string, d int32, expected, booked int64) *ledgerv1.BankReconciliation {
		return &ledgerv1.BankReconciliation{
			StatementKey: "final/DE89370400440532013000/" + id, StatementId: id, Sequence: "1", Iban: "DE89370400440532013000",
			Account: "1200", ClosingDate: &commonv1.Date{Year: 2026, Month: 5, Day: d},
			Expected: eur(expected), Booked: eur(booked), Difference: eur(booked - expected),
		}
	}
	tests := []struct {
		name   string
		recs   []*ledgerv1.BankReconciliation
		ok     bool
		want   []string
		absent string
	}{
		{"all reconciled", []*ledgerv1.BankReconciliation{rec("S-04", 4, 256900, 256900), rec("S-05", 5, 273900, 273900)}, true,
			[]string{"BANK SAYS", "S-04", "2026-05-04", "2569.00", "S-05", "2 statements, all reconciled"}, "!"},
		{"one off", []*ledgerv1.BankReconciliation{rec("S-04", 4, 256900, 256900), rec("S-05", 5, 273900, 274900)}, false,
			[]string{"10.00 !", "2 statements, 1 NOT RECONCILED"}, "all reconciled"},
		{"none", nil, true, []string{"no bank statement recorded"}, "NOT RECONCILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			if ok := BankReconciliations(&b, tt.recs); ok != tt.ok {
				t.Errorf("reconciled %v, want %v", ok, tt.ok)
			}
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, tt.absent) {
				t.Errorf("output has %q:\n%s", tt.absent, out)
			}
		})
	}
}
