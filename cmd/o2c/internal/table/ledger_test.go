package table

import (
	"bytes"
	"strings"
	"testing"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func TestTrialBalanceSaysWhetherItBalances(t *testing.T) {
	t.Parallel()
	row := func(account string, closing int64) *ledgerv1.TrialBalanceRow {
		return &ledgerv1.TrialBalanceRow{Account: account, Opening: eur(0), Debit: eur(max(closing, 0)), Credit: eur(max(-closing, 0)), Closing: eur(closing)}
	}
	tests := []struct {
		name   string
		totals []*ledgerv1.TrialBalanceRow
		want   string
	}{
		{"balanced", []*ledgerv1.TrialBalanceRow{row("", 0)}, "2 rows; balances in every currency\n"},
		{"off by a cent", []*ledgerv1.TrialBalanceRow{row("", 1)}, "2 rows; DOES NOT BALANCE: 0.01 EUR\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			TrialBalance(&b, []*ledgerv1.TrialBalanceRow{row("10000", 11900), row("8400", -11900)}, tt.totals)
			out := b.String()
			if !strings.HasSuffix(out, tt.want) || !strings.Contains(out, "-119.00") || !strings.Contains(out, "Total") {
				t.Errorf("trial balance:\n%s\nwant rows, a total line and %q", out, tt.want)
			}
		})
	}
}

func TestStatementShowsDebitCreditAndRunningBalance(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	d := &commonv1.Date{Year: 2026, Month: 3, Day: 5}
	Statement(&b, "K-1", "10000", []*commonv1.Money{eur(1000)}, []*ledgerv1.StatementLine{
		{EffectiveDate: d, DocumentNumber: "RE-1", Text: "Rechnung", Debit: eur(11900), Credit: eur(0), RunningBalance: eur(12900)},
		{EffectiveDate: d, DocumentNumber: "ZA-1", Text: "Zahlung", Debit: eur(0), Credit: eur(5000), RunningBalance: eur(7900)},
	}, []*commonv1.Money{eur(7900)})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{"Debtor K-1, account 10000", "DATE", "Opening balance", "RE-1", "ZA-1", "Closing balance", "2 lines"}
	if len(lines) != len(want) {
		t.Fatalf("statement has %d lines, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d %q lacks %q", i, lines[i], w)
		}
	}
	if f := strings.Fields(lines[4]); len(f) != 6 || f[3] != "50.00" || f[4] != "79.00" {
		t.Errorf("payment line %q: want the credit 50.00 and balance 79.00 with no debit", lines[4])
	}
}
