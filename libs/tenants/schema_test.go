package tenants_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

// schemaCases are files the schema and Parse must agree on.
var schemaCases = []struct {
	name  string
	data  string
	valid bool
}{
	{"minimal", `{"tenants": {"demo": {}}}`, true},
	{"name and empty ledger", `{"$schema": "x", "tenants": {"demo": {"name": "Demo", "ledger": {}}}}`, true},
	{"defaults only", `{"tenants": {"a": {}, "b-2": {}}, "defaults": {"ledger": {"chart": "SKR04"}}}`, true},
	{"full tax rule", `{"tenants": {"fr": {"ledger": {"accounts": {"revenue-oss-fr": "8321", "output-vat-oss-fr": "1768"},
		"tax": [{"country": "FR", "rate_bp": 2000, "treatment": "OSS", "from": "2022-01-01", "to": "2030-12-31",
		"revenue": "revenue-oss-fr", "output_vat": "output-vat-oss-fr", "cash_discount": "cash-discount-tax-free",
		"sales_deduction": "sales-deduction-oss", "bad_debt": "bad-debt-tax-free", "tax_key": "10", "tax_key_outside": "11"}]}}}}`, true},

	{"holding period", `{"tenants": {"a": {"ingestion": {"holding_period": "168h"}}}, "defaults": {"ingestion": {"holding_period": "36h30m"}}}`, true},
	{"empty ingestion", `{"tenants": {"a": {"ingestion": {}}}}`, true},
	{"bank", `{"tenants": {"a": {"ledger": {"banks": {"DE89370400440532013000": "1200"}}, "bank": {
		"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1200", "name": "Hausbank"}],
		"outgoing_rules": [{"name": "salaries", "counterparty_iban": "CH9300762011623852957", "counterparty_name": "Lohnbüro",
		"remittance": "LOHN", "bank_tx_code": "PMNT/ICDT", "account": "4120"}, {"name": "tax", "remittance": "Finanzamt", "account": "1780"}],
		"incoming_rules": [{"name": "inkasso-payout", "counterparty_iban": "DE75512108001245126199", "account": "1362"}]}}}}`, true},
	{"empty bank", `{"tenants": {"a": {"bank": {}}}}`, true},
	{"matching", `{"tenants": {"a": {"matching": {"auto_threshold": 90, "anything": [1]}}, "b": {}}, "defaults": {"matching": {}}}`, true},

	{"array", `[]`, false},
	{"no tenants", `{}`, false},
	{"empty tenants", `{"tenants": {}}`, false},
	{"top-level typo", `{"tenants": {"a": {}}, "tenant": {}}`, false},
	{"upper-case tenant", `{"tenants": {"Acme": {}}}`, false},
	{"tenant with a dot", `{"tenants": {"ac.me": {}}}`, false},
	{"tenant with a double dash", `{"tenants": {"ac--me": {}}}`, false},
	{"64-character tenant", `{"tenants": {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": {}}}`, false},
	{"tenant is a string", `{"tenants": {"a": "acme"}}`, false},
	{"tenant field typo", `{"tenants": {"a": {"legder": {}}}}`, false},
	{"empty name", `{"tenants": {"a": {"name": ""}}}`, false},
	{"ledger is null", `{"tenants": {"a": {"ledger": null}}}`, false},
	{"chart", `{"tenants": {"a": {"ledger": {"chart": "SKR05"}}}}`, false},
	{"account length 9", `{"tenants": {"a": {"ledger": {"account_length": 9}}}}`, false},
	{"account length as string", `{"tenants": {"a": {"ledger": {"account_length": "4"}}}}`, false},
	{"account length fraction", `{"tenants": {"a": {"ledger": {"account_length": 4.5}}}}`, false},
	{"logical account name", `{"tenants": {"a": {"ledger": {"accounts": {"Revenue 19": "8400"}}}}}`, false},
	{"account number", `{"tenants": {"a": {"ledger": {"accounts": {"revenue-19": "84a0"}}}}}`, false},
	{"IBAN with spaces", `{"tenants": {"a": {"ledger": {"banks": {"DE02 1203 0000 0000 2020 51": "1200"}}}}}`, false},
	{"clearing with a space", `{"tenants": {"a": {"ledger": {"clearing": {"pay pal": "1361"}}}}}`, false},
	{"marketplace without currency", `{"tenants": {"a": {"ledger": {"marketplaces": {"amazon.de": "69001"}}}}}`, false},
	{"period actors not unique", `{"tenants": {"a": {"ledger": {"period_actors": ["x", "x"]}}}}`, false},
	{"period actor empty", `{"tenants": {"a": {"ledger": {"period_actors": [""]}}}}`, false},
	{"allocation order", `{"tenants": {"a": {"ledger": {"allocation_order": "random"}}}}`, false},
	{"ledger field typo", `{"tenants": {"a": {"ledger": {"bankz": {}}}}}`, false},
	{"tax not an array", `{"tenants": {"a": {"ledger": {"tax": {}}}}}`, false},
	{"tax treatment", `{"tenants": {"a": {"ledger": {"tax": [{"treatment": "SOMETIMES"}]}}}}`, false},
	{"tax rate", `{"tenants": {"a": {"ledger": {"tax": [{"rate_bp": 20000}]}}}}`, false},
	{"tax country", `{"tenants": {"a": {"ledger": {"tax": [{"country": "at"}]}}}}`, false},
	{"tax date", `{"tenants": {"a": {"ledger": {"tax": [{"from": "1.1.2026"}]}}}}`, false},
	{"tax field typo", `{"tenants": {"a": {"ledger": {"tax": [{"rate": 1900}]}}}}`, false},
	{"tax key", `{"tenants": {"a": {"ledger": {"tax": [{"tax_key": "A"}]}}}}`, false},
	{"defaults typo", `{"tenants": {"a": {}}, "defaults": {"legder": {}}}`, false},
	{"bad default", `{"tenants": {"a": {}}, "defaults": {"ledger": {"chart": 3}}}`, false},
	{"holding period in days", `{"tenants": {"a": {"ingestion": {"holding_period": "14d"}}}}`, false},
	{"holding period a number", `{"tenants": {"a": {"ingestion": {"holding_period": 336}}}}`, false},
	{"holding period negative", `{"tenants": {"a": {"ingestion": {"holding_period": "-1h"}}}}`, false},
	{"ingestion field typo", `{"tenants": {"a": {"ingestion": {"holding": "1h"}}}}`, false},
	{"bad default ingestion", `{"tenants": {"a": {}}, "defaults": {"ingestion": {"holding_period": ""}}}`, false},
	{"bank under defaults", `{"tenants": {"a": {}}, "defaults": {"bank": {}}}`, false},
	{"bank field typo", `{"tenants": {"a": {"bank": {"account": []}}}}`, false},
	{"bank accounts not an array", `{"tenants": {"a": {"bank": {"accounts": {}}}}}`, false},
	{"bank account without IBAN", `{"tenants": {"a": {"bank": {"accounts": [{"currency": "EUR", "account": "1200"}]}}}}`, false},
	{"bank account without currency", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "account": "1200"}]}}}}`, false},
	{"bank account without account", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR"}]}}}}`, false},
	{"bank IBAN in lower case", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "de89370400440532013000", "currency": "EUR", "account": "1200"}]}}}}`, false},
	{"bank currency", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "Euro", "account": "1200"}]}}}}`, false},
	{"bank G/L account", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "12"}]}}}}`, false},
	{"bank account field typo", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1200", "bic": "COBADEFFXXX"}]}}}}`, false},
	{"bank account empty name", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1200", "name": ""}]}}}}`, false},
	{"incoming rule without condition", `{"tenants": {"a": {"bank": {"incoming_rules": [{"name": "inkasso", "account": "1362"}]}}}}`, false},
	{"incoming rule without account", `{"tenants": {"a": {"bank": {"incoming_rules": [{"name": "inkasso", "remittance": "Inkasso"}]}}}}`, false},
	{"outgoing rule without condition", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"name": "salaries", "account": "4120"}]}}}}`, false},
	{"outgoing rule without name", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"remittance": "LOHN", "account": "4120"}]}}}}`, false},
	{"outgoing rule without account", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"name": "salaries", "remittance": "LOHN"}]}}}}`, false},
	{"outgoing rule name", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"name": "Salaries", "remittance": "LOHN", "account": "4120"}]}}}}`, false},
	{"outgoing rule empty condition", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"name": "salaries", "remittance": "", "account": "4120"}]}}}}`, false},
	{"outgoing rule counterparty IBAN", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"name": "tax", "counterparty_iban": "DE89 3704", "account": "1780"}]}}}}`, false},
	{"outgoing rule field typo", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"name": "tax", "remitance": "x", "account": "1780"}]}}}}`, false},
	{"matching not an object", `{"tenants": {"a": {"matching": [90]}}}`, false},
	{"default matching not an object", `{"tenants": {"a": {}}, "defaults": {"matching": "strict"}}`, false},
}

// goOnly are files the schema accepts and Parse rejects: what JSON Schema
// cannot express. The list documents the difference; each entry must stay
// accepted by the schema, or it belongs in schemaCases.
var goOnly = []struct{ name, data string }{
	{"tenant listed twice", `{"tenants": {"a": {}, "a": {"name": "x"}}}`},
	{"IBAN check digits", `{"tenants": {"a": {"ledger": {"banks": {"DE03120300000000202051": "1200"}}}}}`},
	{"not a calendar date", `{"tenants": {"a": {"ledger": {"tax": [{"from": "2026-02-30"}]}}}}`},
	{"domestic rule abroad", `{"tenants": {"a": {"ledger": {"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "DOMESTIC"}]}}}}`},
	{"overlapping rules", `{"tenants": {"a": {"ledger": {"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "OSS"}, {"country": "AT", "rate_bp": 2000, "treatment": "OSS"}]}}}}`},
	{"integer written with a fraction", `{"tenants": {"a": {"ledger": {"account_length": 4.0}}}}`},
	{"zero holding period", `{"tenants": {"a": {"ingestion": {"holding_period": "0h"}}}}`},
	{"holding period beyond ten years", `{"tenants": {"a": {"ingestion": {"holding_period": "87601h"}}}}`},
	{"bank IBAN check digits", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE88370400440532013000", "currency": "EUR", "account": "1200"}]}}}}`},
	{"bank IBAN listed twice", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1200"},
		{"iban": "DE89370400440532013000", "currency": "USD", "account": "1201"}]}}}}`},
	{"bank account differs from the ledger's", `{"tenants": {"a": {"ledger": {"banks": {"DE89370400440532013000": "1200"}},
		"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1201"}]}}}}`},
	{"bank account differs from the default ledger's", `{"tenants": {"a": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1201"}]}}},
		"defaults": {"ledger": {"banks": {"DE89370400440532013000": "1200"}}}}`},
	{"outgoing rule names not unique", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"name": "tax", "remittance": "a", "account": "1780"},
		{"name": "tax", "remittance": "b", "account": "1781"}]}}}}`},
	{"matching key written twice", `{"tenants": {"a": {"matching": {"x": {"y": 1, "y": 2}}}}}`},
	{"outgoing rule counterparty IBAN check digits", `{"tenants": {"a": {"bank": {"outgoing_rules": [{"name": "tax", "counterparty_iban": "DE88370400440532013000", "account": "1780"}]}}}}`},
}

// TestSchemaAgreesWithParse runs every case through the published schema
// (with an independent validator) and through Parse.
func TestSchemaAgreesWithParse(t *testing.T) {
	t.Parallel()
	s := tenantstest.Schema(t)
	for _, tt := range schemaCases {
		schemaErr := tenantstest.ValidateSchema(s, []byte(tt.data))
		_, parseErr := tenants.Parse("t.json", []byte(tt.data))
		if (schemaErr == nil) != tt.valid {
			t.Errorf("%s: schema says %v, want valid=%v", tt.name, schemaErr, tt.valid)
		}
		if (parseErr == nil) != tt.valid {
			t.Errorf("%s: Parse says %v, want valid=%v", tt.name, parseErr, tt.valid)
		}
	}
	for _, tt := range goOnly {
		if err := tenantstest.ValidateSchema(s, []byte(tt.data)); err != nil {
			t.Errorf("%s: the schema rejects it now (%v); move it to schemaCases", tt.name, err)
		}
		if _, err := tenants.Parse("t.json", []byte(tt.data)); err == nil {
			t.Errorf("%s: Parse accepts it", tt.name)
		}
	}
	for _, name := range []string{filepath.Join("testdata", "example.json"), filepath.Join("..", "..", "deploy", "tenants.json")} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		tenantstest.CheckBoth(t, name, data)
	}
}

// TestSchemaMatchesValidator compares the schema's patterns, enumerations
// and object fields with the lists the Go validator uses, so that neither
// can change alone.
func TestSchemaMatchesValidator(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(tenants.Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	var schemaPatterns []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if p, ok := v["pattern"].(string); ok {
				schemaPatterns = append(schemaPatterns, p)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	if diff := cmp.Diff(set(tenants.Patterns()), set(schemaPatterns)); diff != "" {
		t.Errorf("patterns (-validator +schema):\n%s", diff)
	}

	defs := doc["$defs"].(map[string]any)
	props := func(obj map[string]any) []string {
		var keys []string
		for k := range obj["properties"].(map[string]any) {
			keys = append(keys, k)
		}
		return set(keys)
	}
	ledger := defs["ledger"].(map[string]any)
	lp := ledger["properties"].(map[string]any)
	enum := func(v any) []string {
		var out []string
		for _, e := range v.(map[string]any)["enum"].([]any) {
			out = append(out, e.(string))
		}
		return out
	}
	taxProps := defs["taxRule"].(map[string]any)["properties"].(map[string]any)
	for _, c := range []struct {
		name            string
		schema, checked []string
	}{
		{"file fields", props(doc), set(tenants.FileKeys)},
		{"defaults fields", props(doc["properties"].(map[string]any)["defaults"].(map[string]any)), set(tenants.DefaultKeys)},
		{"tenant fields", props(defs["tenant"].(map[string]any)), set(tenants.TenantKeys)},
		{"ledger fields", props(ledger), set(tenants.LedgerKeys)},
		{"ingestion fields", props(defs["ingestion"].(map[string]any)), set(tenants.IngestionKeys)},
		{"tax rule fields", props(defs["taxRule"].(map[string]any)), set(tenants.TaxKeys)},
		{"bank fields", props(defs["bank"].(map[string]any)), set(tenants.BankKeys)},
		{"bank account fields", props(defs["bankAccount"].(map[string]any)), set(tenants.BankAccountKeys)},
		{"bank rule fields", props(defs["bankRule"].(map[string]any)), set(tenants.BankRuleKeys)},
		{"charts", enum(lp["chart"]), tenants.Charts},
		{"allocation orders", enum(lp["allocation_order"]), tenants.AllocationOrders},
		{"treatments", enum(taxProps["treatment"]), tenants.Treatments},
	} {
		if diff := cmp.Diff(c.checked, c.schema); diff != "" {
			t.Errorf("%s (-validator +schema):\n%s", c.name, diff)
		}
	}
}

func set(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return slices.Compact(out)
}

// FuzzParse checks that Parse never panics, and that every file it
// accepts the schema accepts too (Parse is the stricter of the two).
func FuzzParse(f *testing.F) {
	for _, tt := range schemaCases {
		f.Add([]byte(tt.data))
	}
	for _, tt := range goOnly {
		f.Add([]byte(tt.data))
	}
	if data, err := os.ReadFile(filepath.Join("testdata", "example.json")); err == nil {
		f.Add(data)
	}
	s := tenantstest.Schema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := tenants.Parse("fuzz.json", data)
		if err != nil {
			return
		}
		if err := tenantstest.ValidateSchema(s, data); err != nil {
			t.Fatalf("Parse accepts what the schema rejects: %v\n%s", err, data)
		}
		for _, id := range file.IDs() {
			if err := file.Check(id); err != nil {
				t.Fatalf("listed tenant %q: %v", id, err)
			}
		}
	})
}
