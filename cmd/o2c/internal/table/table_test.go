package table

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
)

func TestCount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "open item", "0 open items"},
		{1, "open item", "1 open item"},
		{2, "open item", "2 open items"},
		{1, "rejection", "1 rejection"},
		{3, "rejection", "3 rejections"},
		{1, "line", "1 line"},
		{0, "line", "0 lines"},
		{2, "entry", "2 entries"},
		{2, "day", "2 days"},
		{2, "box", "2 boxes"},
		{1, "opening item", "1 opening item"},
	} {
		if got := Count(tc.n, tc.noun); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}

func TestTaxKeySaysWhatItMeansOnTheDate(t *testing.T) {
	t.Parallel()
	d := func(y, m, day int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: day} }
	for _, tc := range []struct {
		key  string
		date *commonv1.Date
		want string
	}{
		{"3", d(2026, 11, 2), "3 (19 % VAT)"},
		{"2", d(2026, 11, 2), "2 (7 % VAT)"},
		{"3", d(2020, 8, 1), "3 (16 % VAT)"},
		{"5", d(2026, 11, 2), "5 (16 % VAT)"},
		{"1", d(2026, 11, 2), "1 (tax-free intra-EU supply or export)"},
		{"", d(2026, 11, 2), ""},
		{"40", d(2026, 11, 2), "40"},
	} {
		if got := TaxKey(tc.key, tc.date); got != tc.want {
			t.Errorf("TaxKey(%q, %s) = %q, want %q", tc.key, Date(tc.date), got, tc.want)
		}
	}
}

func TestCountsAreSingularForOne(t *testing.T) {
	t.Parallel()
	d := &commonv1.Date{Year: 2026, Month: 11, Day: 2}
	tests := []struct {
		name  string
		write func(*bytes.Buffer)
		want  string
	}{
		{"open items", func(b *bytes.Buffer) {
			OpenItems(b, []*ledgerv1.OpenItem{{DebtorId: "K-1", DocumentNumber: "RE-1", Amount: eur(100), OpenAmount: eur(100), DocumentDate: d, DueDate: d}})
		}, "1 open item, total 1.00 EUR\n"},
		{"no open items", func(b *bytes.Buffer) { OpenItems(b, nil) }, "0 open items\n"},
		{"rejections", func(b *bytes.Buffer) {
			Rejections(b, []*rejectionv1.Rejection{{Id: "r1", Service: "ingestion", RejectedAt: timestamppb.Now()}})
		}, "1 rejection\n"},
		{"journal", func(b *bytes.Buffer) {
			Journal(b, []*ledgerv1.JournalListingLine{{Account: "8400", TaxKey: "3", Amount: eur(-10000), EffectiveDate: d, RecordedAt: timestamppb.Now()}})
		}, "1 line\n"},
		{"statement", func(b *bytes.Buffer) {
			Statement(b, "K-1", "10000", nil, []*ledgerv1.StatementLine{{EffectiveDate: d, Debit: eur(100), Credit: eur(0), RunningBalance: eur(100)}}, nil)
		}, "1 line\n"},
		{"trial balance", func(b *bytes.Buffer) {
			TrialBalance(b, []*ledgerv1.TrialBalanceRow{{Account: "1400", Opening: eur(0), Debit: eur(0), Credit: eur(0), Closing: eur(0)}}, nil)
		}, "1 row; balances in every currency\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			tt.write(&b)
			if !strings.HasSuffix(b.String(), tt.want) {
				t.Errorf("output ends %q, want %q:\n%s", lastLine(b.String()), tt.want, b.String())
			}
		})
	}
}

func TestJournalShowsTaxKeyMeaning(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	d := &commonv1.Date{Year: 2026, Month: 11, Day: 2}
	Journal(&b, []*ledgerv1.JournalListingLine{
		{Account: "8400", DocumentNumber: "RE-1", TaxKey: "3", Amount: eur(-41933), EffectiveDate: d, RecordedAt: timestamppb.Now()},
		{Account: "8300", DocumentNumber: "RE-1", TaxKey: "2", Amount: eur(-4485), EffectiveDate: d, RecordedAt: timestamppb.Now()},
	})
	for _, want := range []string{"3 (19 % VAT)", "2 (7 % VAT)", "2 lines"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("journal lacks %q:\n%s", want, b.String())
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestRejectionsShowTheSummary: the list shows what went wrong; the ids and
// hashes on the reason's later lines are left to `o2c rejected show`.
func TestRejectionsShowTheSummary(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	Rejections(&b, []*rejectionv1.Rejection{{Id: "r-1", Reason: "invoice RE-1 differs in gross\ndetails: event 1234 stored with hash abcd"}})
	if out := b.String(); !strings.Contains(out, "differs in gross") || strings.Contains(out, "abcd") {
		t.Errorf("table:\n%s", out)
	}
}
