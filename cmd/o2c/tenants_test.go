package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

const goodTenants = `{
  "tenants": {
    "acme": {"name": "ACME GmbH", "ledger": {"chart": "SKR04", "banks": {"DE02120300000000202051": "1800"},
      "marketplaces": {"amazon.de/EUR": "69001"}}},
    "beta": {}
  },
  "defaults": {"ledger": {"period_actors": ["finance:ops"]}}
}`

// TestTenantsValidate checks a good file (OK, exit 0), a file with
// problems of the parser and of the ledger (every problem with file,
// tenant and field, exit 1), and a missing file.
func TestTenantsValidate(t *testing.T) {
	t.Parallel()
	good := tenantstest.Write(t, []byte(goodTenants))
	code, stdout, stderr := runCLI(t, "tenants", "validate", good)
	if code != 0 || stdout != good+": OK, 2 tenants: acme, beta\n" {
		t.Errorf("validate good: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	bad := tenantstest.Write(t, []byte(`{"tenants": {
  "acme": {"ledger": {"chart": "SKR05", "bankz": {}}},
  "Beta": {}}}`))
	code, stdout, _ = runCLI(t, "tenants", "validate", bad)
	want := []string{
		bad + `:2: tenant acme: ledger.bankz: unknown field (did you mean "banks"?); want chart, account_length, accounts, banks, clearing, marketplaces, period_actors, allocation_order, tax`,
		bad + `:2: tenant acme: ledger.chart: "SKR05" is not a chart; want SKR03, SKR04`,
		bad + `:3: tenant "Beta": not a tenant id (lowercase letters and digits in groups joined by single dashes, at most 63 characters)`,
	}
	if code != 1 || stdout != strings.Join(want, "\n")+"\n" {
		t.Errorf("validate bad: exit %d, stdout:\n%s\nwant:\n%s", code, stdout, strings.Join(want, "\n"))
	}

	// What only the ledger checks: an account the chart lacks.
	ledgerBad := tenantstest.Write(t, []byte(`{"tenants": {"acme": {"ledger": {"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}]}}}}`))
	code, stdout, _ = runCLI(t, "tenants", "validate", good, ledgerBad)
	if code != 1 || !strings.HasPrefix(stdout, good+": OK") ||
		!strings.Contains(stdout, ledgerBad+`: tenant acme: ledger.tax: a tax rule books on logical account "output-vat-oss-at"`) {
		t.Errorf("validate two files: exit %d, stdout:\n%s", code, stdout)
	}

	// What only the services that own a section check: a dunning fee kind
	// and a refunds section without seller accounts' required fields.
	servicesBad := tenantstest.Write(t, []byte(`{"tenants": {"acme": {
  "dunning": {"procedures": [{"id": "p", "levels": [{"fee": {"kind": "bribe"}}]}]},
  "refunds": {"seller_accounts": [{"id": ""}]}}}}`))
	code, stdout, _ = runCLI(t, "tenants", "validate", servicesBad)
	if code != 1 || strings.Contains(stdout, ": OK") || !strings.Contains(stdout, "dunning") || !strings.Contains(stdout, "refunds") {
		t.Errorf("validate service sections: exit %d, stdout:\n%s", code, stdout)
	}

	code, stdout, _ = runCLI(t, "tenants", "validate", "/nonexistent/tenants.json")
	if code != 1 || !strings.Contains(stdout, "/nonexistent/tenants.json") {
		t.Errorf("validate a missing file: exit %d, stdout %q", code, stdout)
	}
}

// TestTenantsListAndShow lists the tenants in a table and shows one with
// the defaults it takes filled in.
func TestTenantsListAndShow(t *testing.T) {
	t.Parallel()
	file := tenantstest.Write(t, []byte(goodTenants))
	code, stdout, stderr := runCLI(t, "tenants", "list", "--file", file)
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "TENANT") || !strings.HasPrefix(lines[3], "2 tenants in "+file) {
		t.Fatalf("list:\n%s", stdout)
	}
	for i, want := range [][]string{{"acme", "ACME GmbH", "SKR04", "1", "1", "0", "own"}, {"beta", "-", "SKR03", "0", "0", "0", "defaults.ledger"}} {
		got := strings.Fields(strings.ReplaceAll(lines[i+1], "ACME GmbH", "ACME_GmbH"))
		want[1] = strings.ReplaceAll(want[1], " ", "_")
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("row %d: %q, want %q", i+1, got, want)
		}
	}

	code, stdout, stderr = runCLI(t, "tenants", "show", "beta", "--file", file)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	head, body, _ := strings.Cut(stdout, "\n")
	if head != "tenant beta in "+file+"; its ledger section is defaults.ledger" {
		t.Errorf("show head %q", head)
	}
	var shown struct {
		Ledger struct {
			PeriodActors []string `json:"period_actors"`
		} `json:"ledger"`
	}
	if err := json.Unmarshal([]byte(body), &shown); err != nil || len(shown.Ledger.PeriodActors) != 1 {
		t.Errorf("show body is not the tenant with the default ledger (%v):\n%s", err, body)
	}

	code, _, stderr = runCLI(t, "tenants", "show", "nosuch", "--file", file)
	if code != 1 || !strings.Contains(stderr, "tenant nosuch does not exist in "+file+"; it lists acme, beta") {
		t.Errorf("show nosuch: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "tenants", "list", "--file", "")
	if code != 1 || !strings.Contains(stderr, "no tenants file: pass --file FILE or set O2C_TENANTS") {
		t.Errorf("list without a file: exit %d, stderr %q", code, stderr)
	}
}

// TestTenantsSchema prints the published schema.
func TestTenantsSchema(t *testing.T) {
	t.Parallel()
	code, stdout, _ := runCLI(t, "tenants", "schema")
	var doc map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil || doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("schema: exit %d, output is not the draft 2020-12 schema:\n%.200s", code, stdout)
	}
}

// TestTenantsFromEnvironment reads the file O2C_TENANTS names when no file
// is given. It sets the environment, so it does not run in parallel.
func TestTenantsFromEnvironment(t *testing.T) {
	file := tenantstest.Write(t, []byte(goodTenants))
	t.Setenv("O2C_TENANTS", file)
	if code, stdout, _ := runCLI(t, "tenants", "validate"); code != 0 || !strings.HasPrefix(stdout, file+": OK") {
		t.Errorf("validate from O2C_TENANTS: exit %d, %q", code, stdout)
	}
	if code, stdout, _ := runCLI(t, "tenants", "list"); code != 0 || !strings.Contains(stdout, "2 tenants in "+file) {
		t.Errorf("list from O2C_TENANTS: exit %d, %q", code, stdout)
	}
}
