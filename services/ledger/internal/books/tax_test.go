package books

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/o2c-platform/o2c/libs/tax"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// vatAt returns one VAT amount of a key.
func vatAt(country string, rate int32, t shopv1.TaxTreatment, net, vat int64) *ledgerv1.VatAmount {
	return &ledgerv1.VatAmount{RateBp: rate, Net: eur(net), Vat: eur(vat), TaxCountry: country, TaxTreatment: t}
}

// taxInvoice registers invoice num of C-1 issued on issue with the given
// VAT amounts; the gross is their sum.
func taxInvoice(num string, issue *commonv1.Date, vat ...*ledgerv1.VatAmount) step {
	return func(l *Ledger) ([]proto.Message, error) {
		var gross int64
		for _, v := range vat {
			gross += v.GetNet().GetMinorUnits() + v.GetVat().GetMinorUnits()
		}
		return l.RegisterInvoice(&ledgerv1.RegisterInvoice{
			Tenant: tenant, IdempotencyKey: "invoice:" + num, InvoiceNumber: num, DebtorId: "C-1", Currency: "EUR",
			Vat: vat, Gross: eur(gross), IssueDate: issue, DueDate: issue, PaymentReference: num,
		}, "10000", origin())
	}
}

// entryLegs returns the legs of the entry of document doc, without the
// debtor's leg, as account -> amount and account -> tax key.
func entryLegs(tb testing.TB, l *Ledger, doc string) (amounts, keys map[string]any) {
	tb.Helper()
	amounts, keys = map[string]any{}, map[string]any{}
	for _, e := range l.Entries() {
		if e.DocumentNumber != doc {
			continue
		}
		for _, g := range e.Legs {
			if g.DebtorID != "" {
				continue
			}
			amounts[g.Account] = g.Minor
			if g.TaxKey != "" {
				keys[g.Account] = g.TaxKey
			}
		}
		return amounts, keys
	}
	tb.Fatalf("no entry of document %s", doc)
	return nil, nil
}

func TestRegisterInvoiceBooksTaxTreatments(t *testing.T) {
	t.Parallel()
	aug15 := date(2020, time.August, 15)
	for _, tc := range []struct {
		name        string
		chart       Chart
		issue       *commonv1.Date
		vat         []*ledgerv1.VatAmount
		wantAmounts map[string]any
		wantKeys    map[string]any
	}{
		{
			name:  "16 % in August 2020 books on DATEV's automatic accounts with key 3, which meant 16 % then",
			issue: aug15, vat: []*ledgerv1.VatAmount{vatAt("", 1600, 0, 10000, 1600)},
			wantAmounts: map[string]any{"8400": int64(-10000), "1776": int64(-1600)}, wantKeys: map[string]any{"8400": "3"},
		},
		{
			name:  "5 % in August 2020 with 16 %",
			issue: aug15, vat: []*ledgerv1.VatAmount{vatAt("DE", 1600, tax.Domestic, 10000, 1600), vatAt("", 500, 0, 2000, 100)},
			wantAmounts: map[string]any{"8400": int64(-10000), "1776": int64(-1600), "8300": int64(-2000), "1771": int64(-100)},
			wantKeys:    map[string]any{"8400": "3", "8300": "2"},
		},
		{
			name:  "16 % on a merchant's own 2020 accounts",
			chart: Chart{Accounts: map[Logical]string{Revenue16: "8340", OutputVAT16: "1775"}},
			issue: aug15, vat: []*ledgerv1.VatAmount{vatAt("", 1600, 0, 10000, 1600)},
			wantAmounts: map[string]any{"8340": int64(-10000), "1775": int64(-1600)}, wantKeys: map[string]any{"8340": "3"},
		},
		{
			name:  "an intra-EU supply on its own revenue account and tax key",
			issue: date(2026, time.March, 2), vat: []*ledgerv1.VatAmount{vatAt("", 0, tax.IntraEUSupply, 50000, 0)},
			wantAmounts: map[string]any{"8125": int64(-50000)}, wantKeys: map[string]any{"8125": "1"},
		},
		{
			name:  "an export beside a domestic line without VAT",
			issue: date(2026, time.March, 2), vat: []*ledgerv1.VatAmount{vatAt("DE", 0, tax.Export, 30000, 0), vatAt("", 0, 0, 500, 0)},
			wantAmounts: map[string]any{"8120": int64(-30000), "8200": int64(-500)}, wantKeys: map[string]any{"8120": "1"},
		},
		{
			name:  "an exempt supply in SKR04",
			chart: Chart{Standard: SKR04},
			issue: date(2026, time.March, 2), vat: []*ledgerv1.VatAmount{vatAt("", 0, tax.Exempt, 1000, 0)},
			wantAmounts: map[string]any{"4100": int64(-1000)}, wantKeys: map[string]any{},
		},
		{
			name:  "an OSS sale to Austria the tenant configured",
			chart: Chart{Tax: mustTable(t, tax.Setting{Country: "AT", RateBP: 2000, Treatment: "OSS", TaxKey: "240"})},
			issue: date(2026, time.March, 2), vat: []*ledgerv1.VatAmount{vatAt("AT", 2000, tax.OSS, 10000, 2000)},
			wantAmounts: map[string]any{"8320": int64(-10000), "1767": int64(-2000)}, wantKeys: map[string]any{"8320": "240"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Chart.Standard, cfg.Chart.Accounts, cfg.Chart.Tax = tc.chart.Standard, tc.chart.Accounts, tc.chart.Tax
			l := New(tenant, cfg)
			if _, err := run(t, l, taxInvoice("RE-1", tc.issue, tc.vat...)); err != nil {
				t.Fatalf("RegisterInvoice: %v", err)
			}
			amounts, keys := entryLegs(t, l, "RE-1")
			if diff := cmp.Diff(tc.wantAmounts, amounts); diff != "" {
				t.Errorf("legs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantKeys, keys); diff != "" {
				t.Errorf("tax keys (-want +got):\n%s", diff)
			}
		})
	}
}

func mustTable(tb testing.TB, s ...tax.Setting) *tax.Table {
	tb.Helper()
	table, err := tax.TableOf(s)
	if err != nil {
		tb.Fatal(err)
	}
	return table
}

func TestRegisterInvoiceRejectsUnmappedTaxKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		issue *commonv1.Date
		vat   *ledgerv1.VatAmount
		want  string
	}{
		{"16 % in 2021", date(2021, time.January, 15), vatAt("", 1600, 0, 10000, 1600), "(DE, 16.00 %, DOMESTIC) on 2021-01-15"},
		{"16 % in June 2020", date(2020, time.June, 30), vatAt("", 1600, 0, 10000, 1600), "(DE, 16.00 %, DOMESTIC) on 2020-06-30"},
		{"19 % during the cut", date(2020, time.August, 15), vatAt("", 1900, 0, 10000, 1900), "(DE, 19.00 %, DOMESTIC) on 2020-08-15"},
		{"a rate Germany never had", date(2026, time.March, 2), vatAt("", 1000, 0, 10000, 1000), "(DE, 10.00 %, DOMESTIC)"},
		{"OSS not configured", date(2026, time.March, 2), vatAt("AT", 2000, tax.OSS, 10000, 2000), "(AT, 20.00 %, OSS)"},
		{"an intra-EU supply with VAT", date(2026, time.March, 2), vatAt("", 1900, tax.IntraEUSupply, 10000, 1900), "rate must be 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := given(t)
			_, err := taxInvoice("RE-1", tc.issue, tc.vat)(l)
			if !errors.Is(err, ErrUnsupportedRate) && !errors.Is(err, tax.ErrInvalidKey) {
				t.Fatalf("RegisterInvoice = %v, want ErrUnsupportedRate or tax.ErrInvalidKey", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestTaxKeyIsKeptOnTheOpenItem(t *testing.T) {
	t.Parallel()
	l := New(tenant, testConfig())
	evs, err := run(t, l, taxInvoice("RE-1", date(2026, time.March, 2),
		vatAt("DE", 1900, tax.Domestic, 10000, 1900), vatAt("", 0, tax.IntraEUSupply, 5000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	var got []*ledgerv1.VatAmount
	for _, ev := range evs {
		if o, ok := ev.(*ledgerv1.OpenItemOpened); ok {
			got = o.GetClassification().GetVat()
		}
	}
	// A domestic German amount is written as before the key had country and
	// treatment, even when the command spelled them out.
	want := []*ledgerv1.VatAmount{vatAt("", 1900, 0, 10000, 1900), vatAt("", 0, tax.IntraEUSupply, 5000, 0)}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("OpenItemOpened.classification.vat (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]VAT{{RateBP: 1900, Net: 10000, Tax: 1900}, {Net: 5000, Treatment: tax.IntraEUSupply}}, l.Items()[0].VAT); diff != "" {
		t.Errorf("item VAT after Apply (-want +got):\n%s", diff)
	}
}

func TestCorrectionsOfATaxKeyKeepItsAccounts(t *testing.T) {
	t.Parallel()
	l := given(t,
		taxInvoice("RE-16", date(2020, time.December, 10), vatAt("", 1600, 0, 10000, 1600)),
		taxInvoice("RE-EU", date(2026, time.March, 2), vatAt("", 0, tax.IntraEUSupply, 20000, 0)),
	)
	// A credit note of 2021 on the 16 % sale: 16 % accounts, and DATEV's key
	// 5, which means 16 % from 2021 on.
	if _, err := run(t, l, func(l *Ledger) ([]proto.Message, error) {
		return l.IssueCreditNote(&ledgerv1.IssueCreditNote{
			Tenant: tenant, IdempotencyKey: "credit-note:GS-1", CreditNoteNumber: "GS-1", DebtorId: "C-1", OpenItemId: itemID(l, "RE-16"),
			Currency: "EUR", Vat: []*ledgerv1.VatAmount{vatAt("", 1600, 0, 1000, 160)}, Gross: eur(1160), IssueDate: date(2021, time.January, 20),
		}, origin())
	}); err != nil {
		t.Fatalf("IssueCreditNote: %v", err)
	}
	amounts, keys := entryLegs(t, l, "GS-1")
	if diff := cmp.Diff(map[string]any{"8400": int64(1000), "1776": int64(160)}, amounts); diff != "" {
		t.Errorf("credit note legs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"8400": "5"}, keys); diff != "" {
		t.Errorf("credit note tax keys (-want +got):\n%s", diff)
	}
	// A write-off of the intra-EU supply: bad debt without VAT, its key.
	if _, err := run(t, l, func(l *Ledger) ([]proto.Message, error) {
		return l.WriteOff(&ledgerv1.WriteOff{
			Tenant: tenant, IdempotencyKey: "write-off:W-1", WriteOffId: "W-1", OpenItemId: itemID(l, "RE-EU"), Amount: eur(20000),
			WriteOffDate: date(2026, time.June, 1), Reason: "insolvent",
		}, origin())
	}); err != nil {
		t.Fatalf("WriteOff: %v", err)
	}
	amounts, keys = entryLegs(t, l, "W-1")
	if diff := cmp.Diff(map[string]any{"2400": int64(20000)}, amounts); diff != "" {
		t.Errorf("write-off legs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"2400": "1"}, keys); diff != "" {
		t.Errorf("write-off tax keys (-want +got):\n%s", diff)
	}
	// A credit note of an OSS key the chart never mapped is rejected.
	_, err := l.IssueCreditNote(&ledgerv1.IssueCreditNote{
		Tenant: tenant, IdempotencyKey: "credit-note:GS-2", CreditNoteNumber: "GS-2", DebtorId: "C-1",
		Currency: "EUR", Vat: []*ledgerv1.VatAmount{vatAt("AT", 2000, tax.OSS, 1000, 200)}, Gross: eur(1200), IssueDate: date(2026, time.June, 1),
	}, origin())
	if !errors.Is(err, ErrUnsupportedRate) || !strings.Contains(err.Error(), "on any date") {
		t.Errorf("IssueCreditNote with an unmapped key = %v, want ErrUnsupportedRate on any date", err)
	}
}

func TestEveryDefaultTaxAccountIsInBothCharts(t *testing.T) {
	t.Parallel()
	for _, std := range []Standard{SKR03, SKR04} {
		for _, l := range tax.Default().Logicals() {
			if _, err := (Chart{Standard: std}).Account(Logical(l)); err != nil {
				t.Errorf("%s: %v", std, err)
			}
		}
		oss := mustTable(t, tax.Setting{Country: "AT", RateBP: 2000, Treatment: "OSS"})
		for _, l := range oss.Logicals() {
			if _, err := (Chart{Standard: std}).Account(Logical(l)); err != nil {
				t.Errorf("%s: %v", std, err)
			}
		}
	}
}
