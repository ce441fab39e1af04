package mt940

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stmtWant summarises one statement of a fixture.
type stmtWant struct {
	ref, seq, account, currency string
	entries                     int
	opening, closing            int64
	check                       string
}

func summarize(p parsed) []stmtWant {
	var out []stmtWant
	for i, s := range p.statements {
		w := stmtWant{ref: s.Reference, seq: s.Sequence, account: s.Account, currency: s.Currency, entries: len(p.entries[i]), check: s.BalanceCheck}
		if s.Opening != nil {
			w.opening = s.Opening.Amount
		}
		if s.Closing != nil {
			w.closing = s.Closing.Amount
		}
		out = append(out, w)
	}
	return out
}

// TestFixtures checks statement counts, balances and the balance check of
// every public sample file. Where a statement does not reconcile, SOURCES.md
// says so for the same statement.
func TestFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []stmtWant
		warn string // a warning that must be present, if any
	}{
		{"mt940_CH_PostFinance.sta", []stmtWant{
			{"2014040708285927", "999/1", "123456789", "CHF", 2, 0, 22920, CheckOK},
			{"2014040708285928", "999/2", "123456789", "CHF", 2, 22920, 15960, CheckMismatch},
		}, "balance mismatch"},
		{"mt940_DE_SEPA-structured_returns.sta", []stmtWant{
			{"T089414086000001", "00004/00001", "50880050/0194787400888", "EUR", 4, 76665649, 112525040, CheckOK},
			{"T089414096000001", "00004/00001", "50880050/0194791600888", "EUR", 7, -197043187, -447204909, CheckMismatch},
		}, ""},
		{"mt940_DE_Sparkasse_utf8-umlauts.sta", []stmtWant{
			{"STARTUMSE", "00000/001", "20752041/0291593375", "EUR", 3, 1356413, 1352309, CheckMismatch},
		}, ""},
		{"mt940_HU_Raiffeisen-CMI_cp852.sta", []stmtWant{
			{"STARTUMS", "0072", "UBRTHUHB/123456789150ABCDEF002", "HUF", 7, 2517063710, 2528168760, CheckMismatch},
		}, "decoded as Windows-1252"},
		// The :61: after the closing "-" has no :20: of its own; it is kept
		// in the statement before it (as wolph/mt940 does), with a warning.
		{"mt940_LU_BIL_multiline-86.sta", []stmtWant{
			{"BILMT940", "00115/001", `BILLLULLXXX/"NUMERO DE COMPTE IBAN 2"`, "EUR", 2, 1640, 1140, CheckMismatch},
		}, "without a new :20:"},
		{"mt940_NL_ABN-AMRO.sta", []stmtWant{
			{"ABN AMRO BANK NV", "19321/1", "517852257", "EUR", 8, 323628, 87684, CheckMismatch},
			{"ABN AMRO BANK NV", "19322/1", "517852257", "EUR", 2, 287684, 184975, CheckMismatch},
		}, ""},
		{"mt940_NL_Triodos.sta", []stmtWant{
			{"1308728725026/1", "1", "TRIODOSBANK/0390123456", "EUR", 2, 497509, 437079, CheckMismatch},
		}, ""},
		{"mt940_PL_mBank_SOH-ETX.sta", []stmtWant{
			{"ST170119CYC/1", "1/1", "PL29114010810000267002001002", "PLN", 3, 40, 43, CheckOK},
		}, ""},
		{"mt940_DE_DeutscheBank_SDD-return_crlf.txt", []stmtWant{
			{"DEUTDEMMXXX", "00143/1", "20070000/0123456601", "EUR", 1, 0, 0, CheckMismatch},
		}, ""},
		{"mt940_DE_Kontist.txt", []stmtWant{
			{"KONTISTEXPORT", "2021/02", "DE85110101002482488293", "EUR", 6, 15, 39591, CheckOK},
		}, ""},
		{"mt940_DE_LBBW_crlf.txt", []stmtWant{
			{"LBBW", "1", "12345678/1324357", "EUR", 2, 0, 0, CheckOK},
		}, ""},
		{"mt940_DE_crlf_swift-blocks.txt", []stmtWant{
			{"1234567", "5/1", "10020030/1234567", "EUR", 2, 218795, 438795, CheckOK},
		}, ""},
		{"mt940_DE_iso8859-1.txt", []stmtWant{
			{"1234567", "5/1", "10020030/1234567", "EUR", 2, 218795, 438795, CheckOK},
		}, "decoded as Windows-1252"},
		{"mt940_HK_HSBC_crlf.txt", []stmtWant{
			{"AIU0006362100017", "00001/00001", "808XXXXXX292", "HKD", 1, 0, 0, CheckMismatch},
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p := readAll(t, readFixture(t, tt.file), Options{})
			if diff := cmp.Diff(tt.want, summarize(p), cmp.AllowUnexported(stmtWant{})); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
			if p.format != "mt940" {
				t.Errorf("format = %q, want mt940", p.format)
			}
			if tt.warn != "" && !hasWarning(p.warnings, tt.warn) {
				t.Errorf("warnings %q lack %q", p.warnings, tt.warn)
			}
		})
	}
}

// TestFixturesAllReconcile covers the long files whose statements all
// reconcile according to SOURCES.md.
func TestFixturesAllReconcile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file       string
		statements int
		entries    int
		account    string
	}{
		{"mt940_DK_DanskeBank_preamble.sta", 15, 89, "DABADKKK/1234567890"},
		{"mt940_NL_ASN_swift-blocks.txt", 31, 8, "NL81ASNB9999999999"},
		{"mt940_NL_bunq_structured-86.txt", 1, 111, "NL10BUNQ2290325473"},
		{"mt940_DE_Volksbank_multi-statement_crlf.txt", 8, 12, "66642399/93387"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			p := readAll(t, readFixture(t, tt.file), Options{})
			n := 0
			for i, s := range p.statements {
				n += len(p.entries[i])
				if s.BalanceCheck != CheckOK {
					t.Errorf("statement %d (%s): balance check %q, want ok", i, s.Sequence, s.BalanceCheck)
				}
				if s.Account != tt.account {
					t.Errorf("statement %d: account %q, want %q", i, s.Account, tt.account)
				}
			}
			if len(p.statements) != tt.statements || n != tt.entries {
				t.Errorf("got %d statements, %d entries; want %d, %d", len(p.statements), n, tt.statements, tt.entries)
			}
			if len(p.warnings) != 0 {
				t.Errorf("unexpected warnings %q", p.warnings)
			}
		})
	}
}
