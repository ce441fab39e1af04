package books

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

// TestConfigsOf turns the ledger sections of a tenants file into the
// books' configuration: a tenant's own section, the default one, and the
// zero one.
func TestConfigsOf(t *testing.T) {
	t.Parallel()
	f := tenantstest.Parse(t, []byte(`{
		"tenants": {
			"acme": {"ledger": {"chart": "SKR04", "account_length": 5, "banks": {"DE02120300000000202051": "1800"},
				"marketplaces": {"amazon.de/EUR": "690001"}, "period_actors": ["finance:anna"], "allocation_order": "due-date",
				"accounts": {"revenue-19": "4401"}}},
			"beta": {}
		},
		"defaults": {"ledger": {"period_actors": ["finance:ops"], "allocation_order": "document-date"}}}`))
	configs, err := ConfigsOf(f)
	if err != nil {
		t.Fatal(err)
	}
	acme := configs("acme")
	if acme.Chart.Standard != SKR04 || acme.Chart.AccountLength != 5 || acme.Order != OrderDueDate ||
		acme.Chart.Banks["DE02120300000000202051"] != "1800" || len(acme.PeriodActors) != 1 {
		t.Errorf("acme = %+v", acme)
	}
	if a, err := acme.Chart.Account(Revenue19); err != nil || a != "4401" {
		t.Errorf("acme revenue-19 = %q, %v; want the merchant's 4401", a, err)
	}
	beta := configs("beta")
	if beta.Chart.Standard != SKR03 || beta.Order != OrderDocumentDate || !cmp.Equal(beta.PeriodActors, []string{"finance:ops"}) {
		t.Errorf("beta (defaults) = %+v", beta)
	}
	if other := configs("other"); other.Chart.Standard != SKR03 || other.Order != OrderBGB || other.PeriodActors != nil {
		t.Errorf("a tenant not in the file = %+v, want Config{}", other)
	}
}

// TestConfigsOfTax books OSS Austria on the merchant's own account, and
// refuses a rule whose account the chart cannot resolve, naming the file,
// tenant and field.
func TestConfigsOfTax(t *testing.T) {
	t.Parallel()
	configs, err := ConfigsOf(tenantstest.Parse(t, []byte(`{"tenants": {
		"acme": {"ledger": {"accounts": {"output-vat-oss-at": "1768"},
			"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}]}},
		"other": {}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	at := tax.KeyOf("AT", 2000, tax.OSS)
	on := tax.Date{Year: 2026, Month: 3, Day: 2}
	a, err := configs("acme").Chart.Tax.Supply(at, on)
	if err != nil {
		t.Fatalf("acme: OSS Austria: %v", err)
	}
	if n, err := configs("acme").Chart.Account(Logical(a.OutputVAT)); err != nil || n != "1768" {
		t.Errorf("acme: OSS Austria output VAT on %q, %v; want the merchant's 1768", n, err)
	}
	if _, err := configs("other").Chart.Tax.Supply(at, on); !errors.Is(err, tax.ErrUnmapped) {
		t.Errorf("other tenant: OSS Austria = %v, want tax.ErrUnmapped", err)
	}

	_, err = ConfigsOf(tenantstest.Parse(t, []byte(`{"tenants": {
		"x": {"ledger": {"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}]}},
		"y": {}},
		"defaults": {"ledger": {"chart": "SKR04", "tax": [{"country": "FR", "rate_bp": 2000, "treatment": "OSS", "revenue": "revenue-oss-fr"}]}}}`)))
	var fe *tenants.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("ConfigsOf = %v, want a *tenants.FileError", err)
	}
	var got []string
	for _, p := range fe.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`test-tenants.json: tenant x: ledger.tax: a tax rule books on logical account "output-vat-oss-at", which has no number in SKR03: give it one under "accounts" (no such account in the chart)`,
		`test-tenants.json: tenant y: defaults.ledger.tax: a tax rule books on logical account "revenue-oss-fr", which has no number in SKR04: give it one under "accounts" (no such account in the chart)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestConfigOfRefusesWhatTheFileCannotHold checks the section's values
// for callers that build a tenants.Ledger themselves.
func TestConfigOfRefusesWhatTheFileCannotHold(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		l    tenants.Ledger
		want string
	}{
		{tenants.Ledger{Chart: "SKR99"}, `chart: "SKR99": want SKR03 or SKR04`},
		{tenants.Ledger{AccountLength: 9}, `account_length: 9: want 4 to 8`},
		{tenants.Ledger{AllocationOrder: "random"}, `allocation_order: "random": want bgb, due-date or document-date`},
		{tenants.Ledger{Tax: []tax.Setting{{Treatment: "SOMETIMES"}}}, `tax: tax[0]: invalid tax key: treatment "SOMETIMES": want DOMESTIC, INTRA_EU_SUPPLY, EXPORT, EXEMPT or OSS`},
	} {
		if _, err := ConfigOf(tt.l); err == nil || err.Error() != tt.want {
			t.Errorf("ConfigOf(%+v) = %v, want %s", tt.l, err, tt.want)
		}
	}
}

// TestConfigsOfTakesTheBankSection checks that the bank accounts of a
// tenant's bank section join the chart's banks (with their currency) beside
// ledger.banks, and that its outgoing rules give their accounts by name.
func TestConfigsOfTakesTheBankSection(t *testing.T) {
	t.Parallel()
	configs, err := ConfigsOf(tenantstest.Parse(t, []byte(`{"tenants": {
		"acme": {
			"ledger": {"banks": {"DE02120300000000202051": "1800"}},
			"bank": {
				"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1210", "name": "Hausbank"}],
				"outgoing_rules": [{"name": "salaries", "remittance": "LOHN", "account": "4120"}],
				"incoming_rules": [{"name": "inkasso-payout", "counterparty_iban": "DE75512108001245126199", "account": "1362"}]
			}
		},
		"beta": {}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	acme := configs("acme").Chart
	want := map[string]string{"DE02120300000000202051": "1800", "DE89370400440532013000": "1210"}
	if diff := cmp.Diff(want, acme.Banks); diff != "" {
		t.Errorf("banks (-want +got):\n%s", diff)
	}
	if a, err := acme.Bank("DE89 3704 0044 0532 0130 00"); err != nil || a != "1210" {
		t.Errorf("bank account by IBAN with spaces = %q, %v; want 1210", a, err)
	}
	if cur := acme.BankCurrencies["DE89370400440532013000"]; cur != "EUR" {
		t.Errorf("currency of the bank account %q, want EUR", cur)
	}
	if a, err := acme.OutgoingRule("salaries"); err != nil || a != "4120" {
		t.Errorf("rule salaries = %q, %v; want 4120", a, err)
	}
	if _, err := configs("beta").Chart.OutgoingRule("salaries"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("beta's rule salaries: %v, want ErrUnknownAccount", err)
	}
	if a, err := acme.IncomingRule("inkasso-payout"); err != nil || a != "1362" {
		t.Errorf("incoming rule inkasso-payout = %q, %v; want 1362", a, err)
	}
	if _, err := acme.IncomingRule("salaries"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("an outgoing rule's name as an incoming rule: %v, want ErrUnknownAccount", err)
	}
}
