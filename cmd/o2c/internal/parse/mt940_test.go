package parse

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/detect"
)

func writeTemp(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// runMT940 runs o2c parse on one file and decodes its JSON line.
func runMT940(tb testing.TB, content string, opt Options) (map[string]any, int) {
	tb.Helper()
	path := writeTemp(tb, "statement.sta", content)
	var stdout, stderr bytes.Buffer
	code := Run([]string{path}, opt, &stdout, &stderr)
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		tb.Fatalf("output %q is not one JSON object: %v", stdout.String(), err)
	}
	return out, code
}

func TestMT940Detect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, head string
		want       bool
	}{
		{"plain", ":20:STARTUMS\r\n:25:10020030/1234567\r\n", true},
		{"SWIFT blocks", "{1:F01ASNBNL21XXXX0000000000}{2:O940ASNBNL21XXXXN}{3:}{4:\n:20:0\n:25:NL81ASNB9999999999\n", true},
		{"tag on the block 4 line", "{1:F01X}{2:O940X}{4::20:A\n:25:B\n", true},
		{"SOH", "\x01\n:20:ST170119CYC/1\n:25:PL29114010810000267002001002\n", true},
		{"bank header lines", "ABNANL2A\n940\nABNANL2A\n:20:ABN AMRO BANK NV\n:25:517852257\n", true},
		{"preamble", "This is an examplefile\r\n\r\n------\r\n:20:3996-1234567890\r\n:25:DABADKKK/1234567890\r\n", true},
		{"camt", `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">`, false},
		{"csv", "settlement-id\tsettlement-start-date\n1\t2\n", false},
		{":20: only", ":20:just text\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := detect.IsMT940([]byte(tt.head)); got != tt.want {
				t.Errorf("detect = %v, want %v", got, tt.want)
			}
		})
	}
}

const handlerSample = "{1:F01BANKDEFFAXXX0000000000}{2:O940BANKDEFFXXXXN}{4:\r\n" +
	":20:STMT1\r\n:25:DE89370400440532013000\r\n:28C:00004/00001\r\n:60F:C210104EUR100,00\r\n" +
	":61:2101040104DR53,00NDDTNONREF//BANKREF1\r\n" +
	":86:105?00SEPA-BASISLASTSCHRIFT?20EREF+E2E-42?21MREF+MANDATE-7?22CRED+DE98ZZZ09999999999?23SVWZ+Invoice 4\r\n" +
	"2?30COBADEFFXXX?31DE02120300000000202051?32Acme GmbH\r\n" +
	":61:2101040104RCR10,00NRTINONREF\r\n" +
	":86:159?00RETOURE?20EREF+E2E-9?34903\r\n" +
	":62F:C210104EUR37,00\r\n-}\r\n" +
	"{1:F01BANKDEFFAXXX0000000000}{2:O940BANKDEFFXXXXN}{4:\r\n" +
	":20:STMT2\r\n:25:DE89370400440532013000 EUR\r\n:28C:00005/00001\r\n" +
	":61:2101050105C1,NTRFNONREF\r\n:86:/EREF/X/NAME/Jan/REMI/Thanks/\r\n-}\r\n"

func TestMT940Run(t *testing.T) {
	t.Parallel()
	out, code := runMT940(t, handlerSample, Options{})
	if code != 0 {
		t.Fatalf("exit %d, output %v", code, out)
	}
	if out["format"] != "mt940" {
		t.Errorf("format %v", out["format"])
	}
	stmts := out["statements"].([]any)
	if len(stmts) != 2 {
		t.Fatalf("%d statements", len(stmts))
	}
	s1 := stmts[0].(map[string]any)
	e1 := s1["entries"].([]any)[0].(map[string]any)
	tx := e1["transactions"].([]any)[0].(map[string]any)
	fp := tx["fingerprint"]
	if s, ok := fp.(string); !ok || len(s) != 32 {
		t.Errorf("fingerprint %v", fp)
	}
	e2 := s1Entries(t, stmts[0])[1]
	delete(tx, "fingerprint")
	delete(s1, "entries")
	wantStmt := map[string]any{
		"id": "STMT1", "sequence": "00004/00001", "account": "DE89370400440532013000", "account_currency": "",
		"related_reference": "", "line": float64(2), "currency": "EUR",
		"opening_booked_minor": float64(10000), "closing_booked_minor": float64(3700), "closing_available_minor": nil,
		"balance_check": "ok", "entry_count": float64(2), "info": "",
	}
	if diff := cmp.Diff(wantStmt, s1); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
	wantTx := map[string]any{
		"amount_minor": float64(-5300), "end_to_end_id": "E2E-42", "mandate_id": "MANDATE-7", "creditor_id": "DE98ZZZ09999999999",
		"remittance": "Invoice 42", "creditor_references": []any{}, "counterparty_name": "Acme GmbH",
		"counterparty_iban": "DE02120300000000202051", "counterparty_bic": "COBADEFFXXX", "return_reason": "",
		"charges_minor": float64(0), "purpose": "EREF+E2E-42MREF+MANDATE-7CRED+DE98ZZZ09999999999SVWZ+Invoice 42",
		"customer_ref": "", "ultimate_party": "", "counterparty_account": "", "counterparty_bank_code": "", "return_code": "",
	}
	if diff := cmp.Diff(wantTx, tx); diff != "" {
		t.Errorf("transaction (-want +got):\n%s", diff)
	}
	for k, want := range map[string]any{
		"amount_minor": float64(-5300), "currency": "EUR", "booking_date": "2021-01-04", "value_date": "2021-01-04",
		"reversal": false, "status": "BOOK", "bank_reference": "BANKREF1", "bank_tx_code": "105", "booking_text": "SEPA-BASISLASTSCHRIFT",
	} {
		if e1[k] != want {
			t.Errorf("entry %s = %v, want %v", k, e1[k], want)
		}
	}
	tx2 := e2["transactions"].([]any)[0].(map[string]any)
	if e2["amount_minor"] != float64(-1000) || e2["reversal"] != true || tx2["return_reason"] != "AC06" || tx2["return_code"] != "903" {
		t.Errorf("reversal entry %v", e2)
	}
	s2 := stmts[1].(map[string]any)
	if s2["account"] != "DE89370400440532013000" || s2["account_currency"] != "EUR" || s2["currency"] != "EUR" ||
		s2["opening_booked_minor"] != nil || s2["closing_booked_minor"] != nil || s2["balance_check"] != "incomplete" {
		t.Errorf("second statement %v", s2)
	}
	if tx := s1Entries(t, s2)[0]["transactions"].([]any)[0].(map[string]any); tx["remittance"] != "Thanks" || tx["counterparty_name"] != "Jan" {
		t.Errorf("slash :86: transaction %v", tx)
	}
	if w, ok := out["warnings"].([]any); !ok || len(w) != 0 {
		t.Errorf("warnings %v", out["warnings"])
	}
}

func s1Entries(tb testing.TB, stmt any) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, e := range stmt.(map[string]any)["entries"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func TestMT940RunMT942AndEncoding(t *testing.T) {
	t.Parallel()
	out, code := runMT940(t, ":20:I1\n:25:DE89370400440532013000\n:34F:EURD0,\n:13D:2101151200+0100\n:61:2101150115C1,NTRF\n:90C:1EUR1,\n-\n", Options{})
	if code != 0 || out["format"] != "mt942" {
		t.Errorf("exit %d, format %v", code, out["format"])
	}
	hu := ":20:A\n:25:X/HUF\n:60F:C180417HUF0,\n:61:180417CF1,00N527\nCsoportos \xa0tutal\xa0s\n:62F:C180417HUF1,00\n"
	out, _ = runMT940(t, hu, Options{Encoding: "cp852"})
	e := s1Entries(t, out["statements"].([]any)[0])[0]
	if e["supplementary_details"] != "Csoportos átutalás" {
		t.Errorf("cp852: %v", e["supplementary_details"])
	}
	out, _ = runMT940(t, hu, Options{})
	if w := out["warnings"].([]any); len(w) != 1 || !strings.Contains(w[0].(string), "Windows-1252") {
		t.Errorf("warnings %v", w)
	}
}

func TestMT940RunError(t *testing.T) {
	t.Parallel()
	out, code := runMT940(t, ":20:A\n:25:B\n:60F:C200101EUR1,\n:61:200101X1,NTRF\n", Options{Format: "mt940"})
	msg, _ := out["error"].(string)
	if code != 1 || !strings.Contains(msg, "line 4") || out["format"] != "mt940" {
		t.Errorf("exit %d, output %v", code, out)
	}
	if _, ok := out["statements"]; ok {
		t.Error("a failed file must carry no statements")
	}
}
