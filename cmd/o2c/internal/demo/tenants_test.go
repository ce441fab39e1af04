package demo

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	refundimport "github.com/o2c-platform/o2c/services/refund-import/service"
)

// TestTenantsFile checks the demo's tenants file with the published
// schema, the tenants parser and the ledger's own check: it lists exactly
// the demo tenant, whose bank account the demo payment goes to and the demo
// statement is for, and whose outgoing rule classifies the statement's rent.
func TestTenantsFile(t *testing.T) {
	t.Parallel()
	f := tenantstest.CheckBoth(t, "demo tenants", []byte(TenantsJSON))
	if diff := cmp.Diff([]string{Tenant}, f.IDs()); diff != "" {
		t.Errorf("tenants (-want +got):\n%s", diff)
	}
	if err := ledger.CheckTenants(f); err != nil {
		t.Error(err)
	}
	if err := refundimport.CheckTenants(f); err != nil {
		t.Errorf("refund import refuses the demo's refunds section: %v", err)
	}
	demo, _ := f.Tenant(Tenant)
	if demo.Ledger.Banks[DemoIBAN] == "" {
		t.Errorf("the demo tenant has no bank account for %s: the demo payment would be refused", DemoIBAN)
	}
	if a, ok := demo.BankAccount(DemoIBAN); !ok || a.Currency != "EUR" || a.Account != demo.Ledger.Banks[DemoIBAN] {
		t.Errorf("bank.accounts has %+v (found %v) for %s; want EUR on the ledger's bank account, or the demo statement is rejected", a, ok, DemoIBAN)
	}
	if r, ok := demo.Bank.Classify("DE44500105175407324931", "Immobilien Schmidt GmbH", "Miete Dezember 2026 Ladenlokal", "PMNT/ICDT/ESCT"); !ok || r.Name != RentRule {
		t.Errorf("the statement's rent is classified as %+v (%v), want rule %s", r, ok, RentRule)
	}
}
