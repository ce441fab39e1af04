package invoice

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/tax/taxtest"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// taxLine is an invoice line of a tax key.
func taxLine(net int64, rate int32, country string, t shopv1.TaxTreatment) *shopv1.InvoiceLine {
	return &shopv1.InvoiceLine{Description: "item", Quantity: "1", NetAmount: eur(net), VatRateBp: rate, TaxCountry: country, TaxTreatment: t}
}

// withLines returns mixedRates with other lines, issued on issue, and
// totals that match them as a shop computes them: one VAT total per key.
func withLines(tb testing.TB, issue *commonv1.Date, lines ...*shopv1.InvoiceLine) *shopv1.InvoiceIssued {
	tb.Helper()
	inv := mixedRates()
	inv.IssueDate, inv.Lines = issue, lines
	inv.Totals = &shopv1.InvoiceTotals{}
	byKey := map[tax.Key]*shopv1.VatTotal{}
	var net, vat int64
	for _, l := range lines {
		k := lineKey(l)
		t := byKey[k]
		if t == nil {
			t = &shopv1.VatTotal{RateBp: l.GetVatRateBp(), Net: eur(0), Vat: eur(0), TaxCountry: l.GetTaxCountry(), TaxTreatment: l.GetTaxTreatment()}
			byKey[k] = t
			inv.Totals.Vat = append(inv.Totals.Vat, t)
		}
		t.Net.MinorUnits += l.GetNetAmount().GetMinorUnits()
		net += l.GetNetAmount().GetMinorUnits()
	}
	for _, t := range inv.Totals.Vat {
		v, err := money.ApplyRateBP(t.GetNet().GetMinorUnits(), t.GetRateBp())
		if err != nil {
			tb.Fatal(err)
		}
		t.Vat.MinorUnits = v
		vat += v
	}
	inv.Totals.Net, inv.Totals.Gross = eur(net), eur(net+vat)
	return inv
}

func day(y, m, d int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: d} }

func TestValidateRejectsWhatTheLedgerCannotBook(t *testing.T) {
	t.Parallel()
	nov2026 := day(2026, 11, 2)
	for _, tc := range []struct {
		name string
		inv  func(testing.TB) *shopv1.InvoiceIssued
		want string
	}{
		{"16 % in 2026, a rate the chart has no account for then", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, nov2026, taxLine(10000, 1600, "", 0))
		}, "lines[0]: no accounts for (DE, 16.00 %, DOMESTIC) on 2026-11-02"},
		{"16 % in 2021", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, day(2021, 1, 4), taxLine(10000, 1900, "", 0), taxLine(10000, 1600, "", 0))
		}, "lines[1]: no accounts for (DE, 16.00 %, DOMESTIC) on 2021-01-04"},
		{"19 % during the 2020 cut", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, day(2020, 8, 15), taxLine(10000, 1900, "", 0))
		}, "no accounts for (DE, 19.00 %, DOMESTIC) on 2020-08-15"},
		{"a negative 0 % voucher beside a 19 % line", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, nov2026, taxLine(10000, 1900, "", 0), taxLine(-500, 0, "", 0))
		}, "the lines with tax key (DE, 0.00 %, DOMESTIC) sum to -5.00 EUR net"},
		{"a line of 2·10^15 minor units", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, nov2026, taxLine(2_000_000_000_000_000, 1900, "", 0))
		}, "lines[0].net_amount.minor_units: 2000000000000000 minor units (20000000000000.00 EUR) are beyond the 10000000000000.00 EUR"},
		{"issued 9999-12-31, due 14 days later", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, day(9999, 12, 31), taxLine(10000, 1900, "", 0))
		}, "payment_terms.net_days: issue_date 9999-12-31 plus 14 days is 10000-01-14, after 9999-12-31"},
		{"OSS to a country the tenant did not configure", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, nov2026, taxLine(10000, 2000, "AT", tax.OSS))
		}, "no accounts for (AT, 20.00 %, OSS) on 2026-11-02"},
		{"an intra-EU supply with VAT", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, nov2026, taxLine(10000, 1900, "", tax.IntraEUSupply))
		}, "INTRA_EU_SUPPLY is tax free, rate must be 0"},
		{"a lower-case country", func(tb testing.TB) *shopv1.InvoiceIssued {
			return withLines(tb, nov2026, taxLine(10000, 1900, "de", 0))
		}, `country "de" is not an upper-case ISO 3166-1 alpha-2 code`},
		{"a VAT total without the key of its lines", func(tb testing.TB) *shopv1.InvoiceIssued {
			inv := withLines(tb, nov2026, taxLine(10000, 0, "", tax.IntraEUSupply))
			inv.Totals.Vat[0].TaxTreatment = 0
			return inv
		}, "rate 0 (DE, 0.00 %, INTRA_EU_SUPPLY) of the lines has no VAT total"},
		{"negative VAT from per-line rounding", func(tb testing.TB) *shopv1.InvoiceIssued {
			// Three lines of 0.02 at 19 % carry 0.00 VAT each, a line of
			// -0.03 carries -0.01: the per-line sum is negative.
			inv := withLines(tb, nov2026, taxLine(2, 1900, "", 0), taxLine(2, 1900, "", 0), taxLine(2, 1900, "", 0), taxLine(-3, 1900, "", 0))
			inv.Totals.Vat[0].Vat, inv.Totals.Gross = eur(-1), eur(2)
			return inv
		}, "totals.vat[0].vat: -0.01 EUR is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Validate(tc.inv(t), "acme")
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestValidateAcceptsTaxTreatments(t *testing.T) {
	t.Parallel()
	oss, err := tax.TableOf([]tax.Setting{{Country: "AT", RateBP: 2000, Treatment: "OSS"}})
	if err != nil {
		t.Fatal(err)
	}
	nov2026 := day(2026, 11, 2)
	for _, tc := range []struct {
		name string
		inv  *shopv1.InvoiceIssued
		opts []Option
	}{
		{"16 % and 5 % on 2020-08-15", withLines(t, day(2020, 8, 15), taxLine(10000, 1600, "", 0), taxLine(2000, 500, "DE", tax.Domestic)), nil},
		{"19 % on 2021-01-01", withLines(t, day(2021, 1, 1), taxLine(10000, 1900, "", 0)), nil},
		{"an intra-EU supply", withLines(t, nov2026, taxLine(50000, 0, "", tax.IntraEUSupply)), nil},
		{"an export beside a domestic 0 % line", withLines(t, nov2026, taxLine(50000, 0, "DE", tax.Export), taxLine(500, 0, "", 0)), nil},
		{"a voucher covered by its rate", withLines(t, nov2026, taxLine(10000, 1900, "", 0), taxLine(-2000, 1900, "", 0)), nil},
		{"OSS to Austria where the tenant configured it", withLines(t, nov2026, taxLine(10000, 2000, "AT", tax.OSS)), []Option{WithTaxTable(oss)}},
		{"issued 9999-12-17, due 14 days later", withLines(t, day(9999, 12, 17), taxLine(10000, 1900, "", 0)), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := Validate(tc.inv, "acme", tc.opts...); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

func TestNormalizeCarriesTaxKeys(t *testing.T) {
	t.Parallel()
	inv := withLines(t, day(2026, 11, 2), taxLine(500, 0, "", 0), taxLine(50000, 0, "", tax.IntraEUSupply), taxLine(10000, 1900, "DE", tax.Domestic))
	n, err := Normalize(inv)
	if err != nil {
		t.Fatal(err)
	}
	// By rate, then country and treatment; a domestic German total as
	// before the key had country and treatment, however the shop spelled it.
	want := []*shopv1.VatTotal{
		{RateBp: 1900, Net: eur(10000), Vat: eur(1900)},
		{RateBp: 0, Net: eur(500), Vat: eur(0)},
		{RateBp: 0, Net: eur(50000), Vat: eur(0), TaxTreatment: tax.IntraEUSupply},
	}
	if diff := cmp.Diff(want, n.GetVat(), protocmp.Transform()); diff != "" {
		t.Errorf("InvoiceIngested.vat (-want +got):\n%s", diff)
	}
}

// TestValidateAcceptsWhatTheLedgerBooks is ingestion's half of the "same
// rules" property: over generated invoices, Validate accepts exactly those
// the model says the ledger books. The ledger's books test the other half
// on the same cases (taxtest.Cases), so ingestion accepts an invoice exactly
// when the ledger books it.
func TestValidateAcceptsWhatTheLedgerBooks(t *testing.T) {
	t.Parallel()
	table := taxtest.Table()
	for _, c := range taxtest.Cases(20261102, 3000) {
		err := Validate(c.Invoice, taxtest.Tenant, WithTaxTable(table))
		if (err == nil) != c.Bookable {
			t.Errorf("%s: Validate = %v; the ledger books it: %v (%s)", c.Name, err, c.Bookable, c.Why)
		}
	}
}
