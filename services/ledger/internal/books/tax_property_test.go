package books

import (
	"testing"

	"github.com/o2c-platform/o2c/libs/tax/taxtest"
)

// TestRegisterInvoiceBooksWhatIngestionAccepts is the ledger's half of the
// "same rules" property: over generated invoices, RegisterInvoice books
// exactly those the model says ingestion accepts. Ingestion's invoice
// package tests the other half on the same cases (taxtest.Cases), so the
// ledger books an invoice exactly when ingestion accepts it.
func TestRegisterInvoiceBooksWhatIngestionAccepts(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Chart.Tax = taxtest.Table()
	for _, c := range taxtest.Cases(20261102, 3000) {
		l := New(taxtest.Tenant, cfg)
		evs, err := l.RegisterInvoice(taxtest.Command(c.Invoice), "10000", origin())
		if (err == nil) != c.Bookable {
			t.Errorf("%s: RegisterInvoice = %v; ingestion accepts it: %v (%s)", c.Name, err, c.Bookable, c.Why)
			continue
		}
		if err != nil {
			continue
		}
		if err := l.Apply(evs...); err != nil {
			t.Fatalf("%s: apply: %v", c.Name, err)
		}
		if err := l.Check(); err != nil {
			t.Errorf("%s: invariants after booking: %v", c.Name, err)
		}
	}
}
