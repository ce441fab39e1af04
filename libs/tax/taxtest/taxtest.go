// Package taxtest generates invoices for the "same rules" property: what
// ingestion accepts, the ledger can book. Ingestion's invoice package and the
// ledger's books cannot import each other (each is internal to its service),
// so both test against the same generated cases and the verdict an
// independent model gives them: ingestion must accept exactly the Bookable
// cases and the ledger must book exactly the Bookable cases, hence ingestion
// accepts an invoice exactly when the ledger books it.
//
// The model restates the rules from the contracts (shop/v1 invoice.proto,
// package tax) and not from either implementation: every line's tax key is
// mapped by Table on the issue date, the lines of each key sum to zero or
// more, every amount the ledger sees (gross, net and VAT per key) is within
// ±money.MaxAbs, the gross is positive, and the due date (issue date plus
// the net days) is a date of the years 1-9999. The generator varies exactly
// these things and keeps the rest of the invoice valid.
package taxtest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/tax"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// Tenant is the tenant of every generated invoice.
const Tenant = "acme"

// Table returns the tax table of the generated cases: the Default one plus
// OSS sales to Austria at 20 %, as a tenant would configure them.
func Table() *tax.Table {
	t, err := tax.TableOf([]tax.Setting{{Country: "AT", RateBP: 2000, Treatment: "OSS"}})
	if err != nil {
		panic(err) // a constant setting; a test helper
	}
	return t
}

// Case is a generated invoice and the model's verdict.
type Case struct {
	Name    string
	Invoice *shopv1.InvoiceIssued
	// Bookable says whether the ledger can book the invoice, so whether
	// ingestion must accept it; Why says why not.
	Bookable bool
	Why      string
}

// line is a generated invoice line.
type line struct {
	country   string
	rate      int32
	treatment shopv1.TaxTreatment
	net       int64
}

// keys are the tax keys lines are drawn from, as a shop may spell them: the
// first validKeys are mapped on some date by Table, the rest on none.
const validKeys = 10

var keys = []line{
	{country: "", rate: 1900}, {country: "DE", rate: 1900, treatment: tax.Domestic}, {rate: 700}, {rate: 1600}, {country: "DE", rate: 500},
	{rate: 0}, {treatment: tax.IntraEUSupply}, {country: "DE", treatment: tax.Export}, {treatment: tax.Exempt},
	{country: "AT", rate: 2000, treatment: tax.OSS}, {country: "AT", rate: 1000, treatment: tax.OSS},
	{country: "FR", rate: 2000, treatment: tax.OSS}, {rate: 1000},
	{rate: 1900, treatment: tax.IntraEUSupply}, {country: "de", rate: 1900},
}

// dates are the issue dates drawn from: around the 2020 cut, the start of
// the one-stop shop, today, and the ends of the calendar.
var dates = []tax.Date{
	{Year: 2020, Month: 6, Day: 30}, {Year: 2020, Month: 7, Day: 1}, {Year: 2020, Month: 8, Day: 15},
	{Year: 2020, Month: 12, Day: 31}, {Year: 2021, Month: 1, Day: 1}, {Year: 2021, Month: 6, Day: 30},
	{Year: 2021, Month: 7, Day: 1}, {Year: 2026, Month: 11, Day: 2}, {Year: 9999, Month: 12, Day: 10},
	{Year: 9999, Month: 12, Day: 31}, {Year: 1, Month: 1, Day: 1},
}

// Cases returns the four invoices of the defect report (16 % in 2026, a
// negative 0 % voucher beside a 19 % line, a line of 2·10^15 minor units,
// an invoice of 9999-12-31 due in 14 days), two that must book (16 % on
// 2020-08-15, an intra-EU supply), then n invoices generated from seed.
func Cases(seed uint64, n int) []Case {
	d2026, aug2020, last := dates[7], dates[2], dates[9]
	table := Table()
	cases := []Case{
		verdict(table, "16 % in 2026", build(d2026, 14, line{"", 1600, 0, 10000})),
		verdict(table, "negative 0 % voucher beside 19 %", build(d2026, 14, line{"", 1900, 0, 10000}, line{"", 0, 0, -500})),
		verdict(table, "a line of 2·10^15 minor units", build(d2026, 14, line{"", 1900, 0, 2_000_000_000_000_000})),
		verdict(table, "9999-12-31 due in 14 days", build(last, 14, line{"", 1900, 0, 10000})),
		verdict(table, "16 % on 2020-08-15", build(aug2020, 14, line{"", 1600, 0, 10000})),
		verdict(table, "intra-EU supply", build(d2026, 14, line{"", 0, tax.IntraEUSupply, 10000})),
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range n {
		issue := d2026
		if r.IntN(2) == 0 {
			issue = dates[r.IntN(len(dates))]
		}
		var lines []line
		for range 1 + r.IntN(4) {
			// Mostly keys some date maps, sometimes one no date does.
			l := keys[r.IntN(validKeys)]
			if r.IntN(10) == 0 {
				l = keys[validKeys+r.IntN(len(keys)-validKeys)]
			}
			switch p := r.IntN(100); {
			case p < 85:
				l.net = 1 + r.Int64N(100_000)
			case p < 95:
				l.net = -1 - r.Int64N(50_000)
			case p < 98:
				l.net = 600_000_000_000_000 + r.Int64N(1000)
			default:
				l.net = 2_000_000_000_000_000
			}
			lines = append(lines, l)
		}
		netDays := []int32{0, 14, 30}[r.IntN(3)]
		cases = append(cases, verdict(table, fmt.Sprintf("generated %d", i), build(issue, netDays, lines...)))
	}
	return cases
}

// build returns an invoice of the lines with consistent totals: one VAT
// total per key, its VAT rounded half away from zero on the key's net. The
// sums cannot overflow: at most four lines of at most 2·10^15 minor units.
func build(issue tax.Date, netDays int32, lines ...line) *shopv1.InvoiceIssued {
	eur := func(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }
	inv := &shopv1.InvoiceIssued{
		Tenant: Tenant, InvoiceNumber: "RE-1", OrderId: "WEB-1",
		Channel:      &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:       &shopv1.Debtor{CustomerId: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Erika Mustermann"},
		IssueDate:    &commonv1.Date{Year: int32(issue.Year), Month: int32(issue.Month), Day: int32(issue.Day)},
		PaymentTerms: &shopv1.PaymentTerms{NetDays: netDays},
		Currency:     "EUR", PaymentReference: "RE-1", Totals: &shopv1.InvoiceTotals{},
	}
	byKey := map[tax.Key]*shopv1.VatTotal{}
	var net, vat int64
	for i, l := range lines {
		inv.Lines = append(inv.Lines, &shopv1.InvoiceLine{
			Description: fmt.Sprintf("item %d", i), Quantity: "1", NetAmount: eur(l.net), VatRateBp: l.rate,
			TaxTreatment: l.treatment, TaxCountry: l.country,
		})
		// One total per key however the lines spell it; the total spells it
		// as its first line does.
		k := tax.KeyOf(l.country, l.rate, l.treatment)
		t := byKey[k]
		if t == nil {
			t = &shopv1.VatTotal{RateBp: l.rate, Net: eur(0), Vat: eur(0), TaxTreatment: l.treatment, TaxCountry: l.country}
			byKey[k] = t
			inv.Totals.Vat = append(inv.Totals.Vat, t)
		}
		t.Net.MinorUnits += l.net
		net += l.net
	}
	for _, t := range inv.Totals.Vat {
		// Rates are at most 100 %, so the VAT of any net fits.
		t.Vat.MinorUnits, _ = money.ApplyRateBP(t.GetNet().GetMinorUnits(), t.GetRateBp())
		vat += t.Vat.MinorUnits
	}
	inv.Totals.Net, inv.Totals.Gross = eur(net), eur(net+vat)
	return inv
}

// verdict applies the model to inv.
func verdict(table *tax.Table, name string, inv *shopv1.InvoiceIssued) Case {
	c := Case{Name: name, Invoice: inv}
	c.Why = why(table, inv)
	c.Bookable = c.Why == ""
	return c
}

func why(table *tax.Table, inv *shopv1.InvoiceIssued) string {
	d := inv.GetIssueDate()
	issue := tax.Date{Year: int(d.GetYear()), Month: time.Month(d.GetMonth()), Day: int(d.GetDay())}
	due := time.Date(issue.Year, issue.Month, issue.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(inv.GetPaymentTerms().GetNetDays()))
	if due.Year() > 9999 {
		return "the due date is after 9999-12-31"
	}
	for _, t := range inv.GetTotals().GetVat() {
		k := tax.KeyOf(t.GetTaxCountry(), t.GetRateBp(), t.GetTaxTreatment())
		if _, err := table.Supply(k, issue); err != nil {
			return err.Error()
		}
		if n := t.GetNet().GetMinorUnits(); n < 0 {
			return fmt.Sprintf("%s nets to %d", k, n)
		}
		if !money.InBounds(t.GetNet().GetMinorUnits()) || !money.InBounds(t.GetVat().GetMinorUnits()) {
			return fmt.Sprintf("%s is beyond ±%d", k, money.MaxAbs)
		}
	}
	for _, l := range inv.GetLines() {
		if !money.InBounds(l.GetNetAmount().GetMinorUnits()) {
			return "a line is beyond the bound"
		}
	}
	g := inv.GetTotals().GetGross().GetMinorUnits()
	if g <= 0 || !money.InBounds(g) {
		return fmt.Sprintf("gross %d is not in 1..%d", g, money.MaxAbs)
	}
	return ""
}

// Command returns the RegisterInvoice the ledger gets for inv: what
// ingestion's Normalize and the ledger's invoice consumer make of it (VAT
// totals with their keys, the due date derived from the net days even when
// it leaves the calendar, so the ledger's own check is what decides).
func Command(inv *shopv1.InvoiceIssued) *ledgerv1.RegisterInvoice {
	d := inv.GetIssueDate()
	due := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC).
		AddDate(0, 0, int(inv.GetPaymentTerms().GetNetDays()))
	cmd := &ledgerv1.RegisterInvoice{
		Tenant: inv.GetTenant(), IdempotencyKey: "invoice:" + inv.GetInvoiceNumber(), InvoiceNumber: inv.GetInvoiceNumber(),
		DebtorId: inv.GetDebtor().GetCustomerId(), OrderId: inv.GetOrderId(), Currency: inv.GetCurrency(),
		Gross: inv.GetTotals().GetGross(), IssueDate: d, PaymentReference: inv.GetPaymentReference(),
		DueDate: &commonv1.Date{Year: int32(due.Year()), Month: int32(due.Month()), Day: int32(due.Day())},
	}
	for _, t := range inv.GetTotals().GetVat() {
		cmd.Vat = append(cmd.Vat, &ledgerv1.VatAmount{
			RateBp: t.GetRateBp(), Net: t.GetNet(), Vat: t.GetVat(), TaxCountry: t.GetTaxCountry(), TaxTreatment: t.GetTaxTreatment(),
		})
	}
	return cmd
}
