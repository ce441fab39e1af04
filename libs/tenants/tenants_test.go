package tenants_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

func readExample(tb testing.TB) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "example.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestParseExample reads the documented example: three tenants, one with
// every ledger field, one with a name only, one empty, and defaults.
func TestParseExample(t *testing.T) {
	t.Parallel()
	f, err := tenants.Parse("example.json", readExample(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"acme", "beta-shop", "gamma"}, f.IDs()); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
	acme, _ := f.Tenant("acme")
	want := tenants.Ledger{
		Chart: "SKR04", AccountLength: 5,
		Accounts:     map[string]string{"revenue-19": "44010", "output-vat-oss-at": "38170"},
		Banks:        map[string]string{"DE02120300000000202051": "18000"},
		Clearing:     map[string]string{"amazon": "13610", "paypal": "13620"},
		Marketplaces: map[string]string{"amazon.de/EUR": "690001"},
		PeriodActors: []string{"finance:anna", "finance:ben"}, AllocationOrder: "due-date",
		Tax:  []tax.Setting{{Country: "AT", RateBP: 2000, Treatment: "OSS", OutputVAT: "output-vat-oss-at"}},
		Path: "ledger",
	}
	if diff := cmp.Diff(want, acme.Ledger); diff != "" {
		t.Errorf("acme ledger (-want +got):\n%s", diff)
	}
	if acme.Name != "ACME GmbH" {
		t.Errorf("acme name %q", acme.Name)
	}
	// A tenant without a ledger section takes the default one as a whole.
	for _, id := range []string{"beta-shop", "gamma"} {
		tn, ok := f.Tenant(id)
		if !ok {
			t.Fatalf("%s missing", id)
		}
		wantDefault := tenants.Ledger{Banks: map[string]string{"DE89370400440532013000": "1200"}, PeriodActors: []string{"finance:ops"}, Path: "defaults.ledger"}
		if diff := cmp.Diff(wantDefault, tn.Ledger); diff != "" {
			t.Errorf("%s ledger (-want +got):\n%s", id, diff)
		}
		if !strings.Contains(string(tn.JSON()), "DE89370400440532013000") {
			t.Errorf("%s JSON lacks the default ledger section: %s", id, tn.JSON())
		}
	}
	// The holding period: acme's own, the default section's for beta-shop
	// and gamma.
	for id, want := range map[string]tenants.Ingestion{
		"acme":      {HoldingPeriod: 7 * 24 * time.Hour, Path: "ingestion"},
		"beta-shop": {HoldingPeriod: 30 * 24 * time.Hour, Path: "defaults.ingestion"},
		"gamma":     {HoldingPeriod: 30 * 24 * time.Hour, Path: "defaults.ingestion"},
	} {
		tn, _ := f.Tenant(id)
		if diff := cmp.Diff(want, tn.Ingestion); diff != "" {
			t.Errorf("%s ingestion (-want +got):\n%s", id, diff)
		}
	}
	// The bank section is acme's own; the others have none, since there is
	// no default one.
	wantBank := tenants.Bank{
		Accounts: []tenants.BankAccount{
			{IBAN: "DE02120300000000202051", Currency: "EUR", Account: "18000", Name: "Hausbank"},
			{IBAN: "CH9300762011623852957", Currency: "CHF", Account: "18100"},
		},
		OutgoingRules: []tenants.BankRule{
			{Name: "salaries", Remittance: "LOHN", BankTxCode: "PMNT/ICDT", Account: "41200"},
			{Name: "tax-office", CounterpartyIBAN: "DE89370400440532013000", Account: "37000"},
		},
		IncomingRules: []tenants.BankRule{{Name: "inkasso-payout", CounterpartyIBAN: "DE75512108001245126199", Account: "13620"}},
		Path:          "bank",
	}
	if diff := cmp.Diff(wantBank, acme.Bank); diff != "" {
		t.Errorf("acme bank (-want +got):\n%s", diff)
	}
	// The matching section is kept as written: acme's own, the default
	// one for the others, and in the tenant's JSON either way.
	type section struct{ Raw, Path string }
	for id, want := range map[string]section{
		"acme":      {`{"auto_threshold": 95}`, "matching"},
		"beta-shop": {`{}`, "defaults.matching"},
		"gamma":     {`{}`, "defaults.matching"},
	} {
		tn, _ := f.Tenant(id)
		if diff := cmp.Diff(want, section{string(tn.Matching), tn.MatchingPath}); diff != "" {
			t.Errorf("%s matching (-want +got):\n%s", id, diff)
		}
		if id != "acme" && (tn.Bank.Path != "" || len(tn.Bank.Accounts) > 0) {
			t.Errorf("%s has a bank section: %+v", id, tn.Bank)
		}
		if !strings.Contains(string(tn.JSON()), `"matching"`) {
			t.Errorf("%s JSON lacks the matching section: %s", id, tn.JSON())
		}
	}
	// Ingestion's tax table of a tenant is the ledger's: OSS Austria for
	// acme, the German defaults for the others.
	at := tax.KeyOf("AT", 2000, tax.OSS)
	on := tax.Date{Year: 2026, Month: 3, Day: 2}
	if a, err := f.Tax("acme").Supply(at, on); err != nil || a.OutputVAT != "output-vat-oss-at" {
		t.Errorf("acme: OSS Austria = %+v, %v", a, err)
	}
	if _, err := f.Tax("gamma").Supply(at, on); !errors.Is(err, tax.ErrUnmapped) {
		t.Errorf("gamma: OSS Austria = %v, want tax.ErrUnmapped", err)
	}
	if f.Tax("nosuch") != tax.Default() {
		t.Error("an unknown tenant's table is not tax.Default()")
	}
}

// TestCheck tells configured, unknown and malformed tenants apart, and a
// nil file has no tenants.
func TestCheck(t *testing.T) {
	t.Parallel()
	f := tenantstest.File(t, "demo")
	var none *tenants.File
	tests := []struct {
		name    string
		f       *tenants.File
		id      string
		want    error
		message string
	}{
		{"configured", f, "demo", nil, ""},
		{"unknown", f, "acme", tenants.ErrUnknownTenant, "tenant acme does not exist (not in the tenants file)"},
		{"malformed", f, "Not A Tenant", tenants.ErrInvalidTenantID, `not a tenant id: "Not A Tenant": want lowercase letters, digits and single dashes, at most 63 characters`},
		{"no file", none, "demo", tenants.ErrUnknownTenant, "tenant demo does not exist (not in the tenants file)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.f.Check(tt.id)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Check(%q) = %v, want %v", tt.id, err, tt.want)
			}
			if err != nil && err.Error() != tt.message {
				t.Errorf("message %q, want %q", err, tt.message)
			}
		})
	}
	if err := f.Check("acme"); tenants.Errors.Classify(err).String() != "not_found" {
		t.Errorf("unknown tenant classed %v, want not_found", tenants.Errors.Classify(err))
	}
}

// TestParseProblems checks that each problem names the file, line, tenant
// and field, and that every problem of a file is reported at once.
func TestParseProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"not JSON", "{\n  \"tenants\": {\n    \"acme\": {,}\n  }\n}",
			[]string{`t.json:3: not JSON: invalid character ','`}},
		{"truncated", `{"tenants": {"acme": {}`, []string{`t.json:1: not JSON: unexpected end of the file`}},
		{"two objects", `{"tenants": {"a": {}}} {}`, []string{`t.json:1: not JSON: more data after the JSON object; the file holds exactly one`}},
		{"array", `[]`, []string{`t.json:1: the file is an array, want an object with "tenants"`}},
		{"no tenants", `{}`, []string{`t.json: tenants: missing: list the tenants o2c keeps books for, e.g. {"tenants": {"acme": {"name": "ACME GmbH"}}}`}},
		{"empty tenants", `{"tenants": {}}`, []string{`t.json:1: tenants: no tenants: list at least one`}},
		{"top-level typo", `{"tenant": {"acme": {}}, "tenants": {"acme": {}}}`,
			[]string{`t.json:1: tenant: unknown field (did you mean "tenants"?); want $schema, tenants, defaults`}},
		{"bad tenant id", `{"tenants": {"Acme": {}}}`,
			[]string{`t.json:1: tenant "Acme": not a tenant id (lowercase letters and digits in groups joined by single dashes, at most 63 characters)`}},
		{"tenant twice", "{\"tenants\": {\n\"acme\": {},\n\"acme\": {\"name\": \"x\"}}}", []string{`t.json:3: tenant acme: listed twice; keep one`}},
		{"field typo", "{\"tenants\": {\"acme\": {\n  \"legder\": {}}}}",
			[]string{`t.json:2: tenant acme: legder: unknown field (did you mean "ledger"?); want name, ledger, ingestion, bank, matching, dunning, refunds, sepa, collections, reports, console`}},
		{"every problem at once", `{"tenants": {
  "acme": {"ledger": {
    "chart": "SKR05",
    "account_length": 9,
    "bankz": {},
    "banks": {"DE02 1203 0000 0000 2020 51": "1200", "DE03120300000000202051": "12a0"},
    "allocation_order": "random",
    "period_actors": ["anna", "anna"]}},
  "beta": {"name": "", "ledger": {"account_length": "4", "marketplaces": {"amazon.de": "69001"}}}}}`,
			[]string{
				`t.json:5: tenant acme: ledger.bankz: unknown field (did you mean "banks"?); want chart, account_length, accounts, banks, clearing, marketplaces, period_actors, allocation_order, tax`,
				`t.json:3: tenant acme: ledger.chart: "SKR05" is not a chart; want SKR03, SKR04`,
				`t.json:4: tenant acme: ledger.account_length: 9: want 4 to 8`,
				`t.json:6: tenant acme: ledger.banks["DE02 1203 0000 0000 2020 51"]: "DE02 1203 0000 0000 2020 51" is not an IBAN (country code, check digits, account; upper case, no spaces)`,
				`t.json:6: tenant acme: ledger.banks["DE03120300000000202051"]: "DE03120300000000202051" has wrong check digits: not an IBAN (a typo?)`,
				`t.json:6: tenant acme: ledger.banks["DE03120300000000202051"]: "12a0" is not an account number (4 to 9 digits)`,
				`t.json:8: tenant acme: ledger.period_actors[1]: "anna" is listed twice`,
				`t.json:7: tenant acme: ledger.allocation_order: "random" is not an allocation order; want bgb, due-date, document-date`,
				`t.json:9: tenant beta: name: 0 characters; want 1 to 200`,
				`t.json:9: tenant beta: ledger.account_length: is a string, want a whole number from 4 to 8`,
				`t.json:9: tenant beta: ledger.marketplaces["amazon.de"]: "amazon.de" is not a marketplace and currency (e.g. amazon.de/EUR)`,
			}},
		{"tax rules", `{"tenants": {"acme": {"ledger": {"tax": [
  {"country": "AT", "rate_bp": 2000, "treatment": "SOMETIMES", "rate": 1},
  {"from": "2026-02-30"}]}}}}`,
			[]string{
				`t.json:2: tenant acme: ledger.tax[0].rate: unknown field (did you mean "rate_bp"?); want country, rate_bp, treatment, from, to, revenue, output_vat, cash_discount, sales_deduction, bad_debt, tax_key, tax_key_outside`,
				`t.json:2: tenant acme: ledger.tax[0].treatment: "SOMETIMES" is not a tax treatment; want DOMESTIC, INTRA_EU_SUPPLY, EXPORT, EXEMPT, OSS`,
				`t.json:3: tenant acme: ledger.tax[1].from: "2026-02-30" is not a calendar date`,
			}},
		{"tax rule meaning", `{"tenants": {"acme": {"ledger": {"tax": [
  {"country": "AT", "rate_bp": 2000, "treatment": "DOMESTIC"}]}}}}`,
			[]string{`t.json:2: tenant acme: ledger.tax[0]: invalid tax key: a domestic supply is taxed in DE, not AT`}},
		{"overlapping tax rules", `{"tenants": {"acme": {"ledger": {"tax": [
  {"country": "AT", "rate_bp": 2000, "treatment": "OSS"},
  {"country": "AT", "rate_bp": 2000, "treatment": "OSS", "from": "2025-01-01"}]}}}}`,
			[]string{`t.json:1: tenant acme: ledger.tax: tax rules 0 and 1 both map (AT, 20.00 %, OSS) on some dates: (AT, 20.00 %, OSS) 2021-07-01..… and (AT, 20.00 %, OSS) 2025-01-01..…`}},
		{"holding periods", `{"tenants": {"acme": {"ingestion": {"holding_period": "14d"}},
  "beta": {"ingestion": {"holding_period": "0s", "holding": "1h"}}},
  "defaults": {"ingestion": {"holding_period": "100000h"}}}`,
			[]string{
				`t.json:3: defaults.ingestion.holding_period: "100000h": want at most 87600h0m0s (ten years)`,
				`t.json:1: tenant acme: ingestion.holding_period: "14d" is not a duration in whole hours, minutes and seconds (e.g. 336h for 14 days, 36h30m)`,
				`t.json:2: tenant beta: ingestion.holding: unknown field (did you mean "holding_period"?); want holding_period`,
				`t.json:2: tenant beta: ingestion.holding_period: "0s": want a positive duration (the default is 336h, 14 days)`,
			}},
		{"bank", `{"tenants": {"acme": {
  "ledger": {"banks": {"DE89370400440532013000": "1200"}},
  "bank": {
    "accounts": [
      {"iban": "DE89370400440532013000", "currency": "EUR", "account": "1201", "name": "Hausbank"},
      {"iban": "DE89370400440532013000", "currency": "eur", "account": "1200"},
      {"iban": "DE88370400440532013000", "currency": "EUR", "acount": "1300"},
      {"iban": "DE89 3704 0044 0532 0130 00", "currency": "USD", "account": "1300"}],
    "outgoing_rules": [
      {"name": "salaries", "remittance": "LOHN", "account": "4120"},
      {"name": "salaries", "counterparty_name": "", "account": "41x0"},
      {"name": "Tax Office", "account": "1780"},
      {"counterparty_iban": "DE88370400440532013000", "bank_tx_cod": "PMNT"}],
    "incoming_rules": [{"name": "salaries", "account": "1362"}, {"name": "salaries", "counterparty_iban": "DE75512108001245126199"}],
    "rules": []}},
  "beta": {"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1300"}], "outgoing_rules": {}, "incoming_rules": "x"}}},
  "defaults": {"ledger": {"banks": {"DE89370400440532013000": "1200"}}, "bank": {}}}`,
			[]string{
				`t.json:17: defaults.bank: not allowed here: bank accounts belong to one tenant, so there is no default bank section; write it under each tenant`,
				`t.json:15: tenant acme: bank.rules: unknown field; want accounts, outgoing_rules, incoming_rules`,
				`t.json:5: tenant acme: bank.accounts[0].account: "1201" here, but ledger.banks["DE89370400440532013000"] books this IBAN to "1200"; give both the same G/L account`,
				`t.json:6: tenant acme: bank.accounts[1].iban: "DE89370400440532013000" is listed twice (also accounts[0]); keep one`,
				`t.json:6: tenant acme: bank.accounts[1].currency: "eur" is not a currency (ISO 4217: three upper-case letters, e.g. EUR)`,
				`t.json:7: tenant acme: bank.accounts[2].acount: unknown field (did you mean "account"?); want iban, currency, account, name`,
				`t.json:7: tenant acme: bank.accounts[2].account: missing; want the ledger's G/L account for this bank account (4 to 9 digits)`,
				`t.json:7: tenant acme: bank.accounts[2].iban: "DE88370400440532013000" has wrong check digits: not an IBAN (a typo?)`,
				`t.json:8: tenant acme: bank.accounts[3].iban: "DE89 3704 0044 0532 0130 00" is not an IBAN (country code, check digits, account; upper case, no spaces)`,
				`t.json:11: tenant acme: bank.outgoing_rules[1].name: "salaries" is the name of outgoing_rules[0] too; names are unique`,
				`t.json:11: tenant acme: bank.outgoing_rules[1].counterparty_name: 0 characters; want 1 to 140`,
				`t.json:11: tenant acme: bank.outgoing_rules[1].account: "41x0" is not an account number (4 to 9 digits)`,
				`t.json:12: tenant acme: bank.outgoing_rules[2]: no condition: a rule without one would take every debit; want at least one of counterparty_iban, counterparty_name, remittance, bank_tx_code`,
				`t.json:12: tenant acme: bank.outgoing_rules[2].name: "Tax Office" is not a logical account name (lowercase letters and digits joined by dashes, e.g. revenue-19)`,
				`t.json:13: tenant acme: bank.outgoing_rules[3].bank_tx_cod: unknown field (did you mean "bank_tx_code"?); want name, counterparty_iban, counterparty_name, remittance, bank_tx_code, account`,
				`t.json:13: tenant acme: bank.outgoing_rules[3].name: missing; want a logical-account name for the rule, e.g. salaries`,
				`t.json:13: tenant acme: bank.outgoing_rules[3].account: missing; want the G/L account the debit is booked to (4 to 9 digits)`,
				`t.json:13: tenant acme: bank.outgoing_rules[3].counterparty_iban: "DE88370400440532013000" has wrong check digits: not an IBAN (a typo?)`,
				`t.json:14: tenant acme: bank.incoming_rules[0]: no condition: a rule without one would take every credit; want at least one of counterparty_iban, counterparty_name, remittance, bank_tx_code`,
				`t.json:14: tenant acme: bank.incoming_rules[1].account: missing; want the G/L account the credit is booked against (4 to 9 digits), e.g. the agency's clearing account`,
				`t.json:14: tenant acme: bank.incoming_rules[1].name: "salaries" is the name of incoming_rules[0] too; names are unique`,
				`t.json:16: tenant beta: bank.accounts[0].account: "1300" here, but defaults.ledger.banks["DE89370400440532013000"] books this IBAN to "1200"; give both the same G/L account`,
				`t.json:16: tenant beta: bank.outgoing_rules: is an object, want an array of outgoing rules`,
				`t.json:16: tenant beta: bank.incoming_rules: is a string, want an array of incoming rules`,
			}},
		{"matching", `{"tenants": {"acme": {"matching": 90}, "beta": {"matching": {"anything": "goes",
  "patterns": [{"re": "a", "re": "b"}], "anything": "else"}}},
  "defaults": {"matching": []}}`,
			[]string{
				`t.json:3: defaults.matching: is an array, want an object (the matching service documents its fields)`,
				`t.json:1: tenant acme: matching: is a number, want an object (the matching service documents its fields)`,
				`t.json:2: tenant beta: matching.anything: written twice; keep one`,
				`t.json:2: tenant beta: matching.patterns[0].re: written twice; keep one`,
			}},
		{"bad default", `{"tenants": {"acme": {}}, "defaults": {"ledger": {"chart": 3}, "dunnig": {}, "refunds": []}}`,
			[]string{
				`t.json:1: defaults.dunnig: unknown field (did you mean "dunning"?); want ledger, ingestion, matching, dunning, refunds, sepa, collections, reports, console`,
				`t.json:1: defaults.ledger.chart: is a number, want a string`,
				`t.json:1: defaults.refunds: is an array, want an object (the refund-import service documents its fields)`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tenants.Parse("t.json", []byte(tt.data))
			var fe *tenants.FileError
			if !errors.As(err, &fe) || !errors.Is(err, tenants.ErrInvalidFile) {
				t.Fatalf("Parse = %v, want a *FileError", err)
			}
			got := make([]string, len(fe.Problems))
			for i, p := range fe.Problems {
				got[i] = p.String()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultHoldingPeriod gives a tenant 14 days when neither its own
// section nor the defaults set a holding period.
func TestDefaultHoldingPeriod(t *testing.T) {
	t.Parallel()
	f := tenantstest.Parse(t, []byte(`{"tenants": {"a": {}, "b": {"ingestion": {}}, "c": {"ingestion": {"holding_period": "1h30m"}}}}`))
	for id, want := range map[string]tenants.Ingestion{
		"a": {HoldingPeriod: 336 * time.Hour},
		"b": {HoldingPeriod: 336 * time.Hour, Path: "ingestion"},
		"c": {HoldingPeriod: 90 * time.Minute, Path: "ingestion"},
	} {
		tn, _ := f.Tenant(id)
		if diff := cmp.Diff(want, tn.Ingestion); diff != "" {
			t.Errorf("%s (-want +got):\n%s", id, diff)
		}
	}
}

// TestNoMatchingSection leaves Matching nil when neither the tenant nor
// the defaults have one.
func TestNoMatchingSection(t *testing.T) {
	t.Parallel()
	f := tenantstest.Parse(t, []byte(`{"tenants": {"a": {}}, "defaults": {"ledger": {}}}`))
	a, _ := f.Tenant("a")
	if a.Matching != nil || a.MatchingPath != "" {
		t.Errorf("Matching = %q at %q, want nil at \"\"", a.Matching, a.MatchingPath)
	}
	if a.Bank.Path != "" || a.Bank.Accounts != nil || a.Bank.OutgoingRules != nil {
		t.Errorf("Bank = %+v, want the zero value", a.Bank)
	}
}

// TestBankAccount finds a configured account by its IBAN as a bank file
// may write it: with spaces, in lower case.
func TestBankAccount(t *testing.T) {
	t.Parallel()
	f := tenantstest.Parse(t, []byte(`{"tenants": {"a": {"bank": {"accounts": [
		{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1200", "name": "Hausbank"},
		{"iban": "CH9300762011623852957", "currency": "CHF", "account": "1210"}]}}, "b": {}}}`))
	a, _ := f.Tenant("a")
	b, _ := f.Tenant("b")
	hausbank := tenants.BankAccount{IBAN: "DE89370400440532013000", Currency: "EUR", Account: "1200", Name: "Hausbank"}
	tests := []struct {
		name   string
		tenant tenants.Tenant
		iban   string
		want   tenants.BankAccount
		found  bool
	}{
		{"as written", a, "DE89370400440532013000", hausbank, true},
		{"grouped in fours", a, "DE89 3704 0044 0532 0130 00", hausbank, true},
		{"lower case with a tab", a, "de89 3704\t0044 0532 0130 00", hausbank, true},
		{"second account", a, "CH9300762011623852957", tenants.BankAccount{IBAN: "CH9300762011623852957", Currency: "CHF", Account: "1210"}, true},
		{"another IBAN", a, "DE02120300000000202051", tenants.BankAccount{}, false},
		{"a prefix only", a, "DE8937040044", tenants.BankAccount{}, false},
		{"empty", a, "", tenants.BankAccount{}, false},
		{"tenant without bank section", b, "DE89370400440532013000", tenants.BankAccount{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, found := tt.tenant.BankAccount(tt.iban)
			if found != tt.found {
				t.Errorf("BankAccount(%q) found = %v, want %v", tt.iban, found, tt.found)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("BankAccount(%q) (-want +got):\n%s", tt.iban, diff)
			}
		})
	}
}

// TestClassify picks the first rule, in file order, whose conditions all
// hold: names and remittances as substrings, the bank transaction code as
// a prefix, the counterparty IBAN exactly, all ignoring case.
func TestClassify(t *testing.T) {
	t.Parallel()
	f := tenantstest.Parse(t, []byte(`{"tenants": {"a": {"bank": {"outgoing_rules": [
		{"name": "tax-office", "counterparty_iban": "DE89370400440532013000", "account": "1780"},
		{"name": "salaries", "remittance": "Lohn", "bank_tx_code": "PMNT/ICDT", "account": "4120"},
		{"name": "supplier-acme", "counterparty_name": "ACME Lieferant", "remittance": "Rechnung", "account": "3300"},
		{"name": "fees", "bank_tx_code": "ACMT", "account": "4970"},
		{"name": "any-salary", "remittance": "lohn", "account": "4121"}]}}}}`))
	a, _ := f.Tenant("a")
	tests := []struct {
		name                         string
		iban, cpName, remittance, tx string
		want                         string // rule name, "" for none
	}{
		{"IBAN exact", "DE89370400440532013000", "Finanzamt", "USt 03/2026", "PMNT/ICDT/ESCT", "tax-office"},
		{"IBAN with spaces and lower case", "de89 3704 0044 0532 0130 00", "", "", "", "tax-office"},
		{"IBAN that only starts alike", "DE8937040044053201300", "", "", "", ""},
		{"every condition of salaries", "DE02120300000000202051", "Anna", "LOHN 03/2026", "PMNT/ICDT/ESCT", "salaries"},
		{"bank code case-insensitive", "", "", "lohn märz", "pmnt/icdt", "salaries"},
		{"bank code not a prefix: next rule", "", "", "Lohn März", "XPMNT/ICDT", "any-salary"},
		{"remittance inside a longer text", "", "", "Gehalt und LOHNsteuer", "", "any-salary"},
		{"both substrings of supplier", "", "Die ACME LIEFERANT GmbH", "rechnung 4711", "PMNT/ICDT", "supplier-acme"},
		{"supplier name without remittance", "", "ACME Lieferant GmbH", "Gutschrift", "", ""},
		{"prefix alone", "", "Bank", "Kontoführung", "ACMT/MDOP/CHRG", "fees"},
		{"nothing holds", "CH9300762011623852957", "Someone", "Invoice RE-1", "PMNT/RCDT", ""},
		{"all empty", "", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := a.Bank.Classify(tt.iban, tt.cpName, tt.remittance, tt.tx)
			if ok != (tt.want != "") || r.Name != tt.want {
				t.Errorf("Classify = %q, %v; want %q", r.Name, ok, tt.want)
			}
		})
	}
	// A rule built in code without conditions takes nothing.
	empty := tenants.Bank{OutgoingRules: []tenants.BankRule{{Name: "all", Account: "1000"}},
		IncomingRules: []tenants.BankRule{{Name: "all", Account: "1000"}}}
	if r, ok := empty.Classify("DE89370400440532013000", "x", "y", "z"); ok {
		t.Errorf("a rule without conditions classified a debit: %+v", r)
	}
	if r, ok := empty.ClassifyIncoming("DE89370400440532013000", "x", "y", "z"); ok {
		t.Errorf("a rule without conditions classified a credit: %+v", r)
	}
}

// TestClassifyIncoming: credits are classified by the incoming rules
// alone, in file order; an outgoing rule never takes a credit, nor an
// incoming rule a debit.
func TestClassifyIncoming(t *testing.T) {
	t.Parallel()
	f := tenantstest.Parse(t, []byte(`{"tenants": {"a": {"bank": {
		"outgoing_rules": [{"name": "tax-office", "counterparty_iban": "DE89370400440532013000", "account": "1780"}],
		"incoming_rules": [
			{"name": "inkasso-payout", "counterparty_iban": "DE75512108001245126199", "account": "1362"},
			{"name": "inkasso-by-name", "counterparty_name": "Inkasso Nord", "remittance": "Auszahlung", "account": "1363"}]}}}}`))
	a, _ := f.Tenant("a")
	for _, tt := range []struct {
		name, iban, cpName, remittance, want string
	}{
		{"the agency's IBAN, written loosely", "de75 5121 0800 1245 1261 99", "", "", "inkasso-payout"},
		{"the first rule wins", "DE75512108001245126199", "Inkasso Nord GmbH", "Auszahlung 11/2026", "inkasso-payout"},
		{"name and remittance", "", "INKASSO NORD GmbH", "auszahlung Oktober", "inkasso-by-name"},
		{"name without remittance", "", "Inkasso Nord GmbH", "Rechnung", ""},
		{"an outgoing rule's IBAN", "DE89370400440532013000", "Finanzamt", "", ""},
	} {
		r, ok := a.Bank.ClassifyIncoming(tt.iban, tt.cpName, tt.remittance, "")
		if ok != (tt.want != "") || r.Name != tt.want {
			t.Errorf("%s: ClassifyIncoming = %q, %v; want %q", tt.name, r.Name, ok, tt.want)
		}
	}
	if r, ok := a.Bank.Classify("DE75512108001245126199", "", "", ""); ok {
		t.Errorf("the incoming rule's IBAN classified a debit: %+v", r)
	}
}

// TestLoad names the file when it cannot be read and in every problem.
func TestLoad(t *testing.T) {
	t.Parallel()
	if _, err := tenants.Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("Load of a missing file = %v, want an error naming it", err)
	}
	path := tenantstest.Write(t, []byte(`{"tenants": {"acme": {"ledger": {"chart": "SKR99"}}}}`))
	_, err := tenants.Load(path)
	if err == nil || !strings.Contains(err.Error(), path+":1: tenant acme: ledger.chart:") {
		t.Errorf("Load = %v, want a problem naming %s, the tenant and the field", err, path)
	}
	f, err := tenants.Load(tenantstest.Write(t, readExample(t)))
	if err != nil || len(f.IDs()) != 3 {
		t.Errorf("Load of the example = %v, %v", f.IDs(), err)
	}
}

// TestErrorsClassifyEverySentinel fails when a sentinel of the package has
// no class.
func TestErrorsClassifyEverySentinel(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", tenants.Errors)
}

func TestServiceSections(t *testing.T) {
	t.Parallel()
	f, err := tenants.Parse("t.json", []byte(`{"tenants": {"acme": {"dunning": {"procedures": [1]}}, "beta": {"refunds": {}}},
  "defaults": {"dunning": {"x": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	type section struct{ Raw, Path string }
	for _, tt := range []struct {
		tenant, name string
		want         section
	}{
		{"acme", "dunning", section{`{"procedures": [1]}`, "dunning"}},
		{"beta", "dunning", section{`{"x": true}`, "defaults.dunning"}},
		{"beta", "refunds", section{`{}`, "refunds"}},
		{"acme", "refunds", section{}},
		{"acme", "no-such-section", section{}},
	} {
		tn, _ := f.Tenant(tt.tenant)
		raw, path := tn.Section(tt.name)
		if diff := cmp.Diff(tt.want, section{string(raw), path}); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tt.tenant, tt.name, diff)
		}
	}
}
