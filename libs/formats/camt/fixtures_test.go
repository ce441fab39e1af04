package camt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type stmtSummary struct {
	ID           string
	Entries      int
	Transactions int
	Opening      *int64
	Closing      *int64
	Check        string
}

func ptr(v int64) *int64 { return &v }

func summarize(p parsed) []stmtSummary {
	var out []stmtSummary
	for _, s := range p.Statements {
		sum := stmtSummary{ID: s.Statement.ID, Entries: len(s.Entries), Check: s.Statement.BalanceCheck}
		for _, e := range s.Entries {
			sum.Transactions += len(e.Transactions)
		}
		if s.Statement.OpeningBooked != nil {
			sum.Opening = ptr(s.Statement.OpeningBooked.Minor)
		}
		if s.Statement.ClosingBooked != nil {
			sum.Closing = ptr(s.Statement.ClosingBooked.Minor)
		}
		out = append(out, sum)
	}
	return out
}

// TestFixtures parses every public sample and checks the statement-level
// results. The mismatches are real: the ING, PostFinance intraday and
// five-decimals samples do not reconcile as published (FORMATS.md 3.2), and
// the multi-currency statement books an EUR entry on a CHF account.
func TestFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		format string
		want   []stmtSummary
	}{
		{"camt052.001.02_DE_VR-Bank_DK-codes.xml", "camt.052.001.02", []stmtSummary{{"0352C5220131227110203", 2, 2, ptr(850), ptr(1350), "ok"}}},
		{"camt052.001.02_FI_FFFS-sample.xml", "camt.052.001.02", []stmtSummary{{"BANKFILEID00001NTR00001", 1, 1, nil, nil, "incomplete"}, {"BANKRPTID1972009", 1, 1, nil, ptr(100000), "incomplete"}}},
		{"camt052.001.04_CH_PostFinance_intraday.xml", "camt.052.001.04", []stmtSummary{{"20190424375204223062174", 2, 2, ptr(20850919), ptr(20759619), "mismatch"}}},
		{"camt052.001.06_LT_balance-only_proprietary-types.xml", "camt.052.001.06", []stmtSummary{{"MSG71036772-IGNBRX", 0, 0, nil, nil, "incomplete"}}},
		{"camt052.001.08_CH_genkgo.xml", "camt.052.001.08", []stmtSummary{{"AAAASESS-FP-ACCR001", 1, 1, nil, nil, "incomplete"}}},
		{"camt053.001.02_BE_monthly_268-entries.xml", "camt.053.001.02", []stmtSummary{{"MSG56562708-QMXIUR", 268, 268, ptr(5937037), ptr(8753912), "ok"}}},
		{"camt053.001.02_DE_VR-Bank_DK-codes.xml", "camt.053.001.02", []stmtSummary{{"0352C5320131227220503", 4, 5, ptr(3306), ptr(2306), "ok"}}},
		{"camt053.001.02_FI_FFFS-sample_RF-refs.xml", "camt.053.001.02", []stmtSummary{{"BANKSTMTID0972009", 10, 13, ptr(1000000), ptr(2364483), "ok"}}},
		{"camt053.001.02_NL_ING_batch.xml", "camt.053.001.02", []stmtSummary{{"2019062434566666666666666", 3, 3, ptr(732980), ptr(2303820), "mismatch"}}},
		{"camt053.001.02_NL_five-decimals.xml", "camt.053.001.02", []stmtSummary{{"253EURNL26VAYB8060476890", 1, 1, ptr(1815), ptr(2705), "mismatch"}}},
		{"camt053.001.03_NL_genkgo.xml", "camt.053.001.03", []stmtSummary{{"253EURNL26VAYB8060476890", 1, 1, ptr(1815), ptr(-2700), "mismatch"}}},
		{"camt053.001.04_CH_PostFinance_reversals-returns-ESR.xml", "camt.053.001.04", []stmtSummary{{"20160430375204000008574", 13, 32, ptr(32215216), ptr(32268977), "ok"}}},
		{"camt053.001.08_CH_multi-currency_not-reconciling.xml", "camt.053.001.08", []stmtSummary{{"R30B4SA880HMZ9XA", 3, 3, ptr(8272195), ptr(8451525), "mismatch"}}},
		{"camt053.001.08_LT_two-statements_Bal-without-CdtDbtInd.xml", "camt.053.001.08", []stmtSummary{{"MSG38496105-GXBPHF", 14, 14, ptr(2404502950), ptr(2088858683), "ok"}, {"MSG32705315-YPSBPU", 0, 0, ptr(480155), ptr(480155), "ok"}}},
		{"camt053.001.10_Wise_USD_datetime.xml", "camt.053.001.10", []stmtSummary{{"7301750-38631543-1688639227213", 1, 1, nil, ptr(60680), "incomplete"}}},
		{"camt054.001.02_FI_FFFS-sample_RF-refs_returns.xml", "camt.054.001.02", []stmtSummary{{"BANKFILEID00001NTR00001", 6, 13, nil, nil, "incomplete"}}},
		{"camt054.001.04_CH_PostFinance_ESR-batches.xml", "camt.054.001.04", []stmtSummary{{"20190424375204228750931", 2, 6, nil, nil, "incomplete"}}},
		{"camt054.001.04_CH_PostFinance_direct-debit-returns.xml", "camt.054.001.04", []stmtSummary{{"20160410375204000131032", 4, 5, nil, nil, "incomplete"}}},
		{"camt054.001.04_CH_PostFinance_return-AC01-reversal.xml", "camt.054.001.04", []stmtSummary{{"20201124375204228763930", 1, 1, nil, nil, "incomplete"}}},
		{"camt054.001.04_CH_reversal-pending-mismatch.xml", "camt.054.001.04", []stmtSummary{{"NtfctnId20170726", 3, 3, nil, nil, "incomplete"}}},
		{"camt054.001.08_CH_QRR-references_batch.xml", "camt.054.001.08", []stmtSummary{{"20200618375204295372465", 1, 2, nil, nil, "incomplete"}}},
		{"camt054.001.10_LT_INFO-status_28-tx.xml", "camt.054.001.10", []stmtSummary{{"1401007", 1, 28, nil, nil, "incomplete"}}},
	}
	if len(tests) != len(fixtureNames(t)) {
		t.Fatalf("table has %d fixtures, testdata has %d", len(tests), len(fixtureNames(t)))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p := parseAll(t, openFixture(t, tt.file))
			if p.Message != tt.format {
				t.Errorf("message = %q, want %q", p.Message, tt.format)
			}
			if diff := cmp.Diff(tt.want, summarize(p)); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
			for _, s := range p.Statements {
				for _, e := range s.Entries {
					if e.Amount.Currency == "" || len(e.Transactions) == 0 {
						t.Errorf("entry %+v has no currency or no transactions", e)
					}
				}
				if s.Statement.BalanceCheck == CheckMismatch && !hasWarning(p.Warnings, s.Statement.ID) && !hasWarning(p.Warnings, "mismatch") && !hasWarning(p.Warnings, "one currency") {
					t.Errorf("mismatch without warning")
				}
			}
		})
	}
}

// TestFixtureDetails checks the fields the fixtures were chosen for.
func TestFixtureDetails(t *testing.T) {
	t.Parallel()
	t.Run("RF references in order, debtor as counterparty", func(t *testing.T) {
		t.Parallel()
		p := parseAll(t, openFixture(t, "camt054.001.02_FI_FFFS-sample_RF-refs_returns.xml"))
		tx := p.Statements[0].Entries[2].Transactions[0]
		if diff := cmp.Diff([]string{"RF7812345", "RF0812344"}, tx.CreditorReferences); diff != "" {
			t.Error(diff)
		}
		if tx.EndToEndID != "EndToEndIdAT-41-001" || tx.CounterpartyName != "AT-02 DEBTOR NAME 01" || tx.Amount.Minor != 250000 {
			t.Errorf("tx = %+v", tx)
		}
	})
	t.Run("credit reversal keeps CRDT sign, AC01 return reason", func(t *testing.T) {
		t.Parallel()
		p := parseAll(t, openFixture(t, "camt054.001.04_CH_PostFinance_return-AC01-reversal.xml"))
		e := p.Statements[0].Entries[0]
		if !e.Reversal || e.Amount.Minor != 50000 || e.BankTxCode != "PMNT/ICDT/RRTN" || e.Transactions[0].ReturnReason != "AC01" {
			t.Errorf("entry = %+v", e)
		}
	})
	t.Run("debit reversal MD06 with charges", func(t *testing.T) {
		t.Parallel()
		p := parseAll(t, openFixture(t, "camt054.001.04_CH_PostFinance_direct-debit-returns.xml"))
		var got []int64
		for _, e := range p.Statements[0].Entries {
			for _, tx := range e.Transactions {
				if tx.ReturnReason == "MD06" {
					if !e.Reversal || tx.Charges != 70 {
						t.Errorf("MD06 tx = %+v in entry %+v", tx, e)
					}
					got = append(got, tx.Amount.Minor)
				}
			}
		}
		if diff := cmp.Diff([]int64{-600, -1553}, got); diff != "" {
			t.Errorf("MD06 returns (-want +got):\n%s", diff)
		}
	})
	t.Run("QRR references in a batch", func(t *testing.T) {
		t.Parallel()
		p := parseAll(t, openFixture(t, "camt054.001.08_CH_QRR-references_batch.xml"))
		e := p.Statements[0].Entries[0]
		got := []string{e.Transactions[0].CreditorReferences[0], e.Transactions[1].CreditorReferences[0]}
		want := []string{"539115429773825311971477453", "662437765447746478179744715"}
		if diff := cmp.Diff(want, got); diff != "" || e.Status != "BOOK" {
			t.Errorf("refs (-want +got) %s, status %q", diff, e.Status)
		}
		if e.Transactions[0].Amount.Minor+e.Transactions[1].Amount.Minor != e.Amount.Minor {
			t.Errorf("batch does not add up: %+v", e)
		}
	})
	t.Run("balance without CdtDbtInd is a credit with a warning", func(t *testing.T) {
		t.Parallel()
		p := parseAll(t, openFixture(t, "camt053.001.08_LT_two-statements_Bal-without-CdtDbtInd.xml"))
		if !hasWarning(p.Warnings, "no CdtDbtInd") || *summarize(p)[0].Opening <= 0 {
			t.Errorf("warnings %q", p.Warnings)
		}
	})
	t.Run("plain INFO status in 054.001.10", func(t *testing.T) {
		t.Parallel()
		p := parseAll(t, openFixture(t, "camt054.001.10_LT_INFO-status_28-tx.xml"))
		e := p.Statements[0].Entries[0]
		var sum int64
		for _, tx := range e.Transactions {
			sum += tx.Amount.Minor
		}
		if e.Status != "INFO" || sum != e.Amount.Minor {
			t.Errorf("status %q, tx sum %d, entry %d", e.Status, sum, e.Amount.Minor)
		}
	})
	t.Run("date times give the date as written", func(t *testing.T) {
		t.Parallel()
		p := parseAll(t, openFixture(t, "camt052.001.08_CH_genkgo.xml"))
		e := p.Statements[0].Entries[0]
		if e.BookingDate != "2007-10-18" || e.ValueDate != "2007-10-18" || e.Status != "BOOK" {
			t.Errorf("entry %+v", e)
		}
	})
}

// genkgoEntry is what we compare with the genkgo/camt dumps.
type genkgoEntry struct {
	Amount      int64
	Currency    string
	CreditDebit string
	Status      string
	Reversal    bool
	AcctSvcrRef string
	BookingDate string
	ValueDate   string
	TxAmount    *int64 // first TxDtls amount, unsigned as genkgo prints it
}

// TestGenkgoExpected compares with the genkgo/camt (PHP) results shipped
// beside three fixtures. Deliberate differences:
//   - genkgo gives an entry without TxDtls no transaction detail; the
//     contract gives it exactly one, built from the entry (052.001.08 CH),
//     so the transaction count is not compared there.
//   - genkgo gives 18.150 as 1815 without comment; we also keep the text
//     "18.150" in Amount.Exact and warn, as the contract asks.
//   - genkgo returns times in UTC; we compare only the date part, which is
//     the date as written in these files (no offsets).
func TestGenkgoExpected(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob(filepath.Join("testdata", "*.expected.json"))
	if len(files) != 3 {
		t.Fatalf("found %d expected files", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".expected.json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Entries []map[string]any `json:"getEntries"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			var want []genkgoEntry
			var wantOpen, wantClose []int64
			for i, e := range doc.Entries {
				ge := genkgoEntry{
					Amount:      money(t, e["getAmount"]),
					Currency:    dig(e, "getAmount", "getCurrency", "getCode").(string),
					CreditDebit: e["getCreditDebitIndicator"].(string),
					Status:      e["getStatus"].(string),
					Reversal:    e["getReversalIndicator"].(bool),
					BookingDate: dateString(dig(e, "getBookingDate", "0")),
					ValueDate:   dateString(dig(e, "getValueDate", "0")),
				}
				if ref, ok := e["getAccountServicerReference"].(string); ok {
					ge.AcctSvcrRef = ref
				}
				if td, ok := e["getTransactionDetail"].(map[string]any); ok && td["getAmount"] != nil {
					ge.TxAmount = ptr(money(t, td["getAmount"]))
				}
				want = append(want, ge)
				if i == 0 {
					bals, _ := dig(e, "getRecord", "getBalances").([]any)
					for _, b := range bals {
						bm := b.(map[string]any)
						switch bm["getType"] {
						case "opening":
							wantOpen = append(wantOpen, money(t, bm["getAmount"]))
						case "closing":
							wantClose = append(wantClose, money(t, bm["getAmount"]))
						}
					}
				}
			}
			p := parseAll(t, openFixture(t, name+".xml"))
			var got []genkgoEntry
			var gotOpen, gotClose []int64
			for _, s := range p.Statements {
				if s.Statement.OpeningBooked != nil {
					gotOpen = append(gotOpen, s.Statement.OpeningBooked.Minor)
				}
				if s.Statement.ClosingBooked != nil {
					gotClose = append(gotClose, s.Statement.ClosingBooked.Minor)
				}
				for _, e := range s.Entries {
					ge := genkgoEntry{
						Amount: e.Amount.Minor, Currency: e.Amount.Currency, CreditDebit: e.CreditDebit,
						Status: e.Status, Reversal: e.Reversal, AcctSvcrRef: e.AcctSvcrRef,
						BookingDate: e.BookingDate, ValueDate: e.ValueDate,
					}
					// genkgo gives no amount for a TxDtls without one
					// (053.001.02 five-decimals); we give the entry amount.
					if len(e.Transactions) > 0 && name != "camt052.001.08_CH_genkgo" && name != "camt053.001.02_NL_five-decimals" {
						a := e.Transactions[0].Amount.Minor
						if a < 0 {
							a = -a
						}
						ge.TxAmount = ptr(a)
					}
					got = append(got, ge)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries (-genkgo +ours):\n%s", diff)
			}
			if diff := cmp.Diff(wantOpen, gotOpen); diff != "" {
				t.Errorf("opening (-genkgo +ours):\n%s", diff)
			}
			if diff := cmp.Diff(wantClose, gotClose); diff != "" {
				t.Errorf("closing (-genkgo +ours):\n%s", diff)
			}
		})
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func money(tb testing.TB, v any) int64 {
	tb.Helper()
	s, _ := dig(v, "getAmount").(string)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		tb.Fatalf("genkgo amount %v: %v", v, err)
	}
	return n
}

func dateString(v any) string {
	s, _ := v.(string)
	if len(s) >= 10 {
		return s[:10]
	}
	return ""
}
