package demo

import (
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// ExpectedOpenItems is the number of open items Invoices leads to: four
// distinct valid invoices (the retry books nothing, the broken one is
// rejected).
const ExpectedOpenItems = 4

func eur(minor int64) *commonv1.Money { return &commonv1.Money{MinorUnits: minor, Currency: "EUR"} }

func date(y, m, d int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: d} }

type line struct {
	desc string
	qty  string
	net  int64
	bp   int32
}

// vat rounds net * bp / 10000 half away from zero.
func vat(net int64, bp int32) int64 {
	p := net * int64(bp)
	q := p / 10000
	if p%10000 >= 5000 {
		q++
	}
	return q
}

// invoice builds a consistent invoice from its lines.
func invoice(number, order string, ch *shopv1.SalesChannel, d *shopv1.Debtor, issue *commonv1.Date, terms *shopv1.PaymentTerms, lines ...line) *shopv1.InvoiceIssued {
	inv := &shopv1.InvoiceIssued{
		Tenant: Tenant, InvoiceNumber: number, OrderId: order, Channel: ch, Debtor: d,
		IssueDate: issue, PaymentTerms: terms, Currency: "EUR", PaymentReference: number,
		Totals: &shopv1.InvoiceTotals{},
	}
	var net int64
	byRate := map[int32]int64{}
	var rates []int32
	for _, l := range lines {
		inv.Lines = append(inv.Lines, &shopv1.InvoiceLine{Description: l.desc, Quantity: l.qty, NetAmount: eur(l.net), VatRateBp: l.bp})
		net += l.net
		if _, ok := byRate[l.bp]; !ok {
			rates = append(rates, l.bp)
		}
		byRate[l.bp] += l.net
	}
	gross := net
	for _, r := range rates {
		v := vat(byRate[r], r)
		gross += v
		inv.Totals.Vat = append(inv.Totals.Vat, &shopv1.VatTotal{RateBp: r, Net: eur(byRate[r]), Vat: eur(v)})
	}
	inv.Totals.Net, inv.Totals.Gross = eur(net), eur(gross)
	return inv
}

// Invoices returns the demo shop's messages: four invoices, a retry of the
// first, and one whose totals do not match its lines.
func Invoices() []*shopv1.InvoiceIssued {
	own := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}
	amazon := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE, Marketplace: "amazon.de"}
	erika := &shopv1.Debtor{CustomerId: "K-1001", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Erika Mustermann", Email: "erika@example.org"}
	gmbh := &shopv1.Debtor{CustomerId: "K-2001", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel Handels GmbH", VatId: "DE123456789"}
	buyer := &shopv1.Debtor{CustomerId: "AMZ-4711", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Max Käufer"}
	net14 := &shopv1.PaymentTerms{NetDays: 14}
	net30 := &shopv1.PaymentTerms{NetDays: 30, DiscountDays: 10, DiscountBp: 200}

	first := invoice("RE-2026-1001", "WEB-50001", own, erika, date(2026, 11, 2), net14,
		line{"Espressomaschine Barista Pro", "1", 41933, 1900},
		line{"Kaffeebohnen 1 kg", "3", 4485, 700})
	broken := invoice("RE-2026-1005", "WEB-50007", own, erika, date(2026, 11, 9), net14,
		line{"Milchkännchen", "1", 1680, 1900})
	broken.Totals.Net = eur(1690) // the lines say 16.80
	return []*shopv1.InvoiceIssued{
		first,
		invoice("RE-2026-1002", "B2B-7001", own, gmbh, date(2026, 11, 3), net30,
			line{"Gastro-Mühle", "2", 125000, 1900},
			line{"Wartungsvertrag", "1", 24900, 1900}),
		invoice("RE-2026-1003", "302-1234567-7654321", amazon, buyer, date(2026, 11, 4), &shopv1.PaymentTerms{},
			line{"Kaffeebohnen Espresso 500 g", "2", 2794, 700}),
		invoice("RE-2026-1004", "WEB-50004", own, erika, date(2026, 11, 6), net14,
			line{"Entkalker", "2", 1672, 1900},
			line{"Buch: Die Kunst des Espresso", "1", 2336, 700}),
		first, // a retry: booked once
		broken,
	}
}
