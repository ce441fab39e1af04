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

// camtFixtures are the camt samples kept by libs/formats/camt.
func camtFixtures(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "libs", "formats", "camt", "testdata", "*.xml"))
	if err != nil || len(files) < 20 {
		tb.Fatalf("camt fixtures: %v (%d files)", err, len(files))
	}
	return files
}

func runCamt(tb testing.TB, files []string, format string) (int, []map[string]any, string) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(files, Options{Format: format}, &stdout, &stderr)
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			tb.Fatalf("output line is not JSON: %v\n%s", err, l)
		}
		lines = append(lines, m)
	}
	return code, lines, stderr.String()
}

func writeCamtTemp(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestCamtContractShape runs every camt sample through auto-detection and
// checks each statement, entry and transaction against the contract's
// field list, types and missing-value rules.
func TestCamtContractShape(t *testing.T) {
	t.Parallel()
	files := camtFixtures(t)
	code, lines, stderr := runCamt(t, files, "auto")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if len(lines) != len(files) {
		t.Fatalf("%d lines for %d files", len(lines), len(files))
	}
	stmtFields := map[string]string{"id": "string", "sequence": "string", "account": "string", "currency": "string",
		"opening_booked_minor": "number|null", "closing_booked_minor": "number|null", "balance_check": "string", "entries": "array"}
	entryFields := map[string]string{"amount_minor": "number", "currency": "string", "booking_date": "string|null", "value_date": "string|null",
		"reversal": "bool", "status": "string", "bank_reference": "string", "bank_tx_code": "string", "booking_text": "string",
		"transactions": "array", "fingerprint": "string"}
	txFields := map[string]string{"amount_minor": "number", "end_to_end_id": "string", "mandate_id": "string", "creditor_id": "string",
		"remittance": "string", "creditor_references": "array", "counterparty_name": "string", "counterparty_iban": "string",
		"counterparty_bic": "string", "return_reason": "string", "charges_minor": "number", "fingerprint": "string"}
	for i, l := range lines {
		name := filepath.Base(files[i])
		format, _ := l["format"].(string)
		if !strings.HasPrefix(format, "camt.05") || !strings.HasPrefix(name, strings.ReplaceAll(format[:8], ".", "")) {
			t.Errorf("%s: format %q", name, format)
		}
		if _, ok := l["warnings"].([]any); !ok {
			t.Errorf("%s: warnings is not a list", name)
		}
		stmts, _ := l["statements"].([]any)
		if len(stmts) == 0 {
			t.Errorf("%s: no statements", name)
		}
		for _, s := range stmts {
			sm := s.(map[string]any)
			checkFields(t, name, sm, stmtFields)
			switch sm["balance_check"] {
			case "ok", "mismatch", "incomplete":
			default:
				t.Errorf("%s: balance_check %v", name, sm["balance_check"])
			}
			if strings.HasPrefix(format, "camt.054") && (sm["opening_booked_minor"] != nil || sm["balance_check"] != "incomplete") {
				t.Errorf("%s: a notification has balances: %v", name, sm)
			}
			for _, e := range sm["entries"].([]any) {
				em := e.(map[string]any)
				checkFields(t, name, em, entryFields)
				txs := em["transactions"].([]any)
				if len(txs) == 0 {
					t.Errorf("%s: entry without transactions", name)
				}
				for _, tx := range txs {
					checkFields(t, name, tx.(map[string]any), txFields)
				}
			}
		}
	}
}

func checkFields(t *testing.T, file string, m map[string]any, fields map[string]string) {
	t.Helper()
	for k, want := range fields {
		v, ok := m[k]
		if !ok {
			t.Errorf("%s: field %q missing in %v", file, k, m)
			continue
		}
		var got string
		switch v.(type) {
		case nil:
			got = "null"
		case string:
			got = "string"
		case float64:
			got = "number"
		case bool:
			got = "bool"
		case []any:
			got = "array"
		default:
			got = "object"
		}
		if !strings.Contains("|"+want+"|", "|"+got+"|") {
			t.Errorf("%s: field %q is %s, want %s", file, k, got, want)
		}
	}
}

func TestCamtValues(t *testing.T) {
	t.Parallel()
	doc := `<?xml version='1.0' encoding='utf-8'?>
<!-- exported by a bank -->
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>
<Stmt><Id>S1</Id><LglSeqNb>12</LglSeqNb><Acct><Id><Othr><Id>0035-2915203-10-000</Id></Othr></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2024-01-30</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-31</Dt></Dt></Bal>
<Ntry><NtryRef>N1</NtryRef><Amt Ccy="EUR">10.004</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-01-31</Dt></BookgDt>
<NtryDtls><TxDtls><RmtInf><Ustrd>a "quoted"	text</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>`
	code, lines, _ := runCamt(t, []string{writeCamtTemp(t, "stmt.dat", doc)}, "auto")
	if code != 0 {
		t.Fatalf("exit %d: %v", code, lines)
	}
	l := lines[0]
	s := l["statements"].([]any)[0].(map[string]any)
	e := s["entries"].([]any)[0].(map[string]any)
	tx := e["transactions"].([]any)[0].(map[string]any)
	got := map[string]any{
		"format": l["format"], "id": s["id"], "sequence": s["sequence"], "account": s["account"], "currency": s["currency"],
		"opening": s["opening_booked_minor"], "closing": s["closing_booked_minor"], "check": s["balance_check"],
		"amount": e["amount_minor"], "exact": e["amount_exact"], "value_date": e["value_date"], "bank_reference": e["bank_reference"],
		"tx_amount": tx["amount_minor"], "tx_exact": tx["amount_exact"], "remittance": tx["remittance"], "refs": tx["creditor_references"],
	}
	want := map[string]any{
		"format": "camt.053.001.02", "id": "S1", "sequence": "12", "account": "0035-2915203-10-000", "currency": "EUR",
		"opening": -1000.0, "closing": 0.0, "check": "ok",
		"amount": 1000.0, "exact": "10.004", "value_date": nil, "bank_reference": "N1",
		"tx_amount": 1000.0, "tx_exact": "10.004", "remittance": "a \"quoted\"\ttext", "refs": []any{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	ws := l["warnings"].([]any)
	if len(ws) != 1 || !strings.Contains(ws[0].(string), "Ntry[1]/Amt: amount 10.004 has more decimals than EUR has (2); rounded half-even") {
		t.Errorf("warnings %q", ws)
	}
}

func TestCamtErrors(t *testing.T) {
	t.Parallel()
	broken := `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.04"><BkToCstmrDbtCdtNtfctn><Ntfctn><Id>X</Id>
<Ntry><Amt Ccy="CHF">12,30</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>`
	code, lines, stderr := runCamt(t, []string{writeCamtTemp(t, "b.xml", broken)}, "auto")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	want := map[string]any{
		"format": "camt.054.001.04",
		"error":  `/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt: "12,30" is not a decimal amount`,
	}
	got := map[string]any{"format": lines[0]["format"], "error": lines[0]["error"]}
	if diff := cmp.Diff(want, got); diff != "" || lines[0]["statements"] != nil {
		t.Errorf("(-want +got):\n%s\nline %v", diff, lines[0])
	}
	if !strings.Contains(stderr, "Ntry[1]/Amt") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestDetectCamt(t *testing.T) {
	t.Parallel()
	long := "<!--" + strings.Repeat("x", 40<<10) + "-->"
	tests := []struct {
		name string
		head string
		want bool
	}{
		{"namespace", `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"><BkToCstmrAcctRpt>`, true},
		{"prefixed namespace", `<ns2:Document xmlns:ns2="urn:iso:std:iso:20022:tech:xsd:camt.054.001.04">`, true},
		{"BOM and long comment", "\xEF\xBB\xBF" + long + `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">`, true},
		{"no namespace, message element", `<Document><BkToCstmrStmtV01>`, true},
		{"pain.001", `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn>`, false},
		{"amazon xml", `<?xml version="1.0"?><AmazonEnvelope><Message>`, false},
		{"mt940", ":20:STARTUMS\r\n:25:50880050/0194774600888\r\n", false},
		{"json", `{"payload":{}}`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		if got := detect.IsCamt([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: detect = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAppendString(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plain", "quote\" back\\ ctl\x01\n\r\t", "ümlaut €", "bad \xff utf8", "sep \u2028 \u2029", "<html>&"} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := string(appendString(nil, s)) + "\n"; got != want.String() {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want.String())
		}
	}
}
