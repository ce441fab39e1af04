package offline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// files writes the named files into a temporary directory and returns
// their paths.
func files(tb testing.TB, contents map[string]string) map[string]string {
	tb.Helper()
	dir := tb.TempDir()
	paths := map[string]string{}
	for name, body := range contents {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			tb.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

const (
	itemsJSONL = `{"id":"I1","debtor":"D1","kind":"invoice","document_number":"RE-2026-0001","amount_minor":11900,"open_minor":11900,"currency":"EUR","issue_date":"2026-10-01","due_date":"2026-10-15","channel":"shop"}
{"id":"I2","debtor":"D1","kind":"invoice","document_number":"RE-2026-0002","amount_minor":5000,"open_minor":5000,"currency":"EUR","issue_date":"2026-10-02","due_date":"2026-10-16","cash_discount":{"until":"2026-10-20","percent_bp":200},"channel":"shop","unknown":"ignored"}

{"id":"I3","debtor":"D2","kind":"credit","document_number":"GS-2026-0001","amount_minor":-1000,"open_minor":-1000,"currency":"EUR","issue_date":"2026-10-03","due_date":"2026-10-03","channel":"shop"}
`
	debtorsJSONL = `{"debtor":"D1","name":"Anna Müller","ibans":["DE89370400440532013000"],"mandate_ids":[],"customer_number":"K-1"}
`
	historyJSONL = `{"id":"H1","amount_minor":100,"currency":"EUR","booking_date":"2026-09-01","counterparty_iban":"DE02120300000000202051","confirmed_debtor":"D2"}
`
	paymentsJSONL = `{"id":"P1","amount_minor":11900,"currency":"EUR","booking_date":"2026-10-20","value_date":"2026-10-20","remittance":"RE-2026-0001","end_to_end_id":"NOTPROVIDED","mandate_id":"","creditor_references":[],"counterparty_name":"Anna Müller","counterparty_iban":"DE89370400440532013000","return_reason":"","bank_tx_code":"PMNT/RCDT/ESCT"}
{"id":"P2","amount_minor":4900,"currency":"EUR","booking_date":"2026-10-20","remittance":"RE-2026-0002 abzgl. Skonto","counterparty_iban":"DE89370400440532013000"}
{"id":"P3","amount_minor":777,"currency":"EUR","booking_date":"2026-10-20","remittance":"?","counterparty_name":"Niemand"}
`
)

// TestRunDecidesEveryPayment: one line per payment in input order, in the
// contract's shape (allocations a list, debtor and difference null when
// there are none).
func TestRunDecidesEveryPayment(t *testing.T) {
	t.Parallel()
	f := files(t, map[string]string{"items.jsonl": itemsJSONL, "debtors.jsonl": debtorsJSONL, "history.jsonl": historyJSONL, "payments.jsonl": paymentsJSONL})
	var out bytes.Buffer
	sum, err := Run(context.Background(), Options{Items: f["items.jsonl"], Payments: f["payments.jsonl"], Debtors: f["debtors.jsonl"], History: f["history.jsonl"]}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Payments != 3 || sum.Items != 3 || sum.Debtors != 1 || sum.History != 1 {
		t.Errorf("summary %+v", sum)
	}
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, m)
	}
	want := []map[string]any{
		{"payment": "P1", "decision": "auto", "debtor": "D1", "allocations": []any{map[string]any{"open_item": "I1", "amount_minor": 11900.0}}, "difference": nil, "reverses": nil},
		{"payment": "P2", "decision": "auto", "debtor": "D1", "allocations": []any{map[string]any{"open_item": "I2", "amount_minor": 5000.0}},
			"difference": map[string]any{"kind": "cash_discount", "amount_minor": -100.0}, "reverses": nil},
		{"payment": "P3", "decision": "unmatched", "debtor": nil, "allocations": []any{}, "difference": nil, "reverses": nil},
	}
	for i := range got {
		for _, k := range []string{"score", "explanation", "alternatives"} {
			if _, ok := got[i][k]; !ok {
				t.Errorf("line %d has no %q", i+1, k)
			}
			delete(got[i], k)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
}

// TestRunNamesFileAndLine: unreadable input is an *InputError naming the
// file and line; the decisions before a broken payment line are written.
func TestRunNamesFileAndLine(t *testing.T) {
	t.Parallel()
	good := `{"id":"I1","debtor":"D1","kind":"invoice","amount_minor":100,"open_minor":100,"currency":"EUR"}`
	for _, tc := range []struct {
		name, file, body string
		line             int
		says             string
		written          int
	}{
		{"not JSON", "items.jsonl", good + "\n" + good[:20] + "\n", 2, "not JSON", 0},
		{"duplicate item", "items.jsonl", good + "\n" + good + "\n", 2, "already known", 0},
		{"missing open", "items.jsonl", `{"id":"I1","debtor":"D1","currency":"EUR"}`, 1, "open_minor: missing", 0},
		{"amount not an integer", "items.jsonl", `{"id":"I1","debtor":"D1","open_minor":1.5,"currency":"EUR"}`, 1, "open_minor", 0},
		{"unknown kind", "items.jsonl", strings.Replace(good, "invoice", "voucher", 1), 1, "kind", 0},
		{"unknown currency", "items.jsonl", strings.Replace(good, "EUR", "EURO", 1), 1, "currency", 0},
		{"bad date", "items.jsonl", strings.Replace(good, `"currency"`, `"due_date":"15.10.2026","currency"`, 1), 1, "due_date", 0},
		{"payment without id", "payments.jsonl", `{"id":"P1","amount_minor":100,"currency":"EUR"}` + "\n" + `{"amount_minor":100,"currency":"EUR"}`, 2, "id: missing", 1},
		{"payment id twice", "payments.jsonl", `{"id":"P1","amount_minor":1,"currency":"EUR"}` + "\n" + `{"id":"P1","amount_minor":2,"currency":"EUR"}`, 2, "line 1", 1},
		{"history without debtor", "history.jsonl", `{"id":"H1","amount_minor":1,"currency":"EUR"}`, 1, "confirmed_debtor", 0},
		{"debtor without id", "debtors.jsonl", `{"name":"x"}`, 1, "debtor: missing", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			contents := map[string]string{"items.jsonl": good, "payments.jsonl": `{"id":"P1","amount_minor":100,"currency":"EUR"}`,
				"history.jsonl": "", "debtors.jsonl": ""}
			contents[tc.file] = tc.body
			f := files(t, contents)
			var out bytes.Buffer
			_, err := Run(context.Background(), Options{Items: f["items.jsonl"], Payments: f["payments.jsonl"], History: f["history.jsonl"], Debtors: f["debtors.jsonl"]}, &out)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Run = %v, want an *InputError", err)
			}
			if ie.File != f[tc.file] || ie.Line != tc.line || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Run = %q (file %s, line %d), want %s line %d saying %q", err, ie.File, ie.Line, tc.file, tc.line, tc.says)
			}
			if got := strings.Count(out.String(), "\n"); got != tc.written {
				t.Errorf("%d decision lines written, want %d", got, tc.written)
			}
		})
	}
	if _, err := Run(context.Background(), Options{Items: "/nonexistent/items.jsonl", Payments: "/nonexistent/p.jsonl"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "/nonexistent/items.jsonl") {
		t.Errorf("a missing file: %v", err)
	}
}

// TestLoadConfig: the rules file is YAML or JSON with the tenants file's
// matching keys, checked as strictly as the service checks them.
func TestLoadConfig(t *testing.T) {
	t.Parallel()
	f := files(t, map[string]string{
		"rules.yaml": "auto_threshold: 95\ntolerance:\n  absolute_minor: 300\nmarketplaces:\n  - channel: amazon\n    payer_patterns: ['(?i)amazon']\n",
		"rules.json": `{"auto_threshold": 95, "tolerance": {"absolute_minor": 300}}`,
		"typo.yaml":  "auto_threshold: 95\ntolerance:\n  absolut_minor: 300\n",
		"bad.yaml":   "auto_threshold: [\n",
	})
	want := engine.DefaultConfig()
	want.AutoThreshold, want.Tolerance.AbsoluteMinor = 95, 300
	for _, name := range []string{"rules.yaml", "rules.json"} {
		got, err := LoadConfig(f[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if _, err := LoadConfig(f["typo.yaml"]); err == nil || !strings.Contains(err.Error(), "tolerance.absolut_minor") || !strings.Contains(err.Error(), f["typo.yaml"]) {
		t.Errorf("typo.yaml: %v, want the file and tolerance.absolut_minor named", err)
	}
	if _, err := LoadConfig(f["bad.yaml"]); err == nil || !strings.Contains(err.Error(), f["bad.yaml"]) {
		t.Errorf("bad.yaml: %v, want the file named", err)
	}
}
