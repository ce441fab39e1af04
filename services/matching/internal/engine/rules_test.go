package engine

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/money"
)

// ruleCase is one hand-made case: given these items, debtors and history,
// when these payments arrive in order, then the last one is decided so.
type ruleCase struct {
	name     string
	cfg      func(*Config)
	items    []OpenItem
	debtors  []Debtor
	history  []Confirmation
	payments []Payment
	want     outcome
}

func one(item string, minor int64) []Allocation { return []Allocation{{Item: item, Amount: minor}} }

func diffOf(kind DifferenceKind, minor int64) *Difference {
	return &Difference{Kind: kind, Amount: minor}
}

func with(p Payment, f func(*Payment)) Payment {
	f(&p)
	return p
}

func withItem(it OpenItem, f func(*OpenItem)) OpenItem {
	f(&it)
	return it
}

const (
	ibanAnna  = "DE89 3704 0044 0532 0130 00"
	ibanOther = "DE02120300000000202051"
)

var anna = Debtor{ID: "D1", Name: "Anna Müller", IBANs: []string{ibanAnna}, CustomerNumber: "K-4711", MandateIDs: []string{"MANDATE-1"}}

func fromAnna(p Payment) Payment {
	p.CounterpartyName, p.CounterpartyIBAN = "Anna Müller", ibanAnna
	return p
}

func runCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			e := newEngine(t, cfg, tc.items, tc.debtors, tc.history)
			ds := run(t, e, tc.payments...)
			got := ds[len(ds)-1]
			if diff := cmp.Diff(tc.want, outcomeOf(got)); diff != "" {
				t.Errorf("decision (-want +got):\n%s\nexplanation: %s", diff, got.Explanation)
			}
			if got.Explanation == "" {
				t.Error("no explanation")
			}
		})
	}
}

// TestDebtorIdentification: a payment naming no item is matched to the one
// open item of its amount of the debtor the payer is: by IBAN from master
// data or from confirmed history, by mandate, by customer number in the
// text. A name alone is proposed; an IBAN of another debtor is no proof.
func TestDebtorIdentification(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-2026-0001", 11900), inv("I2", "D1", "RE-2026-0002", 5000), inv("I3", "D2", "RE-2026-0003", 11900)}
	debtors := []Debtor{anna, {ID: "D2", Name: "Bernd Schulz"}}
	runCases(t, []ruleCase{
		{name: "IBAN from master data", items: items, debtors: debtors,
			payments: []Payment{fromAnna(pay("P1", 11900, "Danke"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 11900)}},
		{name: "IBAN learned from history", items: items, debtors: []Debtor{{ID: "D1", Name: "Anna Müller"}, debtors[1]},
			history:  []Confirmation{{Payment: with(pay("H1", 100, ""), func(p *Payment) { p.CounterpartyIBAN = ibanOther }), Debtor: "D2"}},
			payments: []Payment{with(pay("P1", 11900, "Danke"), func(p *Payment) { p.CounterpartyIBAN = ibanOther })},
			want:     outcome{Kind: Auto, Debtor: "D2", Allocations: one("I3", 11900)}},
		{name: "mandate", items: items, debtors: debtors,
			payments: []Payment{with(pay("P1", 11900, ""), func(p *Payment) { p.MandateID = "MANDATE-1" })},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 11900)}},
		{name: "customer number in the text", items: items, debtors: debtors,
			payments: []Payment{pay("P1", 11900, "Kundennr K-4711 Danke")},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 11900)}},
		{name: "customer number without its prefix", items: items, debtors: []Debtor{{ID: "D1", CustomerNumber: "K-104711"}, debtors[1]},
			payments: []Payment{pay("P1", 11900, "Kd 104711")},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 11900)}},
		{name: "name alone is proposed", items: items, debtors: debtors,
			payments: []Payment{with(pay("P1", 11900, "Danke"), func(p *Payment) { p.CounterpartyName = "MUELLER, ANNA" })},
			want:     outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I1", 11900)}},
		{name: "IBAN of another debtor is no proof", items: items, debtors: debtors,
			payments: []Payment{with(pay("P1", 5000, "Danke"), func(p *Payment) { p.CounterpartyIBAN = ibanAnna; p.CounterpartyName = "Bernd Schulz" })},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I2", 5000)}},
		{name: "nobody", items: items, debtors: debtors,
			payments: []Payment{with(pay("P1", 4242, "Spende"), func(p *Payment) { p.CounterpartyName = "Xaver Unbekannt" })},
			want:     outcome{Kind: Unmatched}},
		{name: "the debtor's name in the remittance is proposed", items: items,
			debtors:  append(slices.Clone(debtors), Debtor{ID: "D3", Name: "Bernadette Schulz"}),
			payments: []Payment{with(pay("P1", 11900, "Bernd Schulz"), func(p *Payment) { p.CounterpartyName = "Bernadette Schulz" })},
			want:     outcome{Kind: Proposed, Debtor: "D2", Allocations: one("I3", 11900)}},
	})
}

// TestReferences: the item the text names is found whatever payers and
// banks do to its number.
func TestReferences(t *testing.T) {
	t.Parallel()
	items := []OpenItem{
		inv("I1", "D1", "RE-2024-0042", 11900),
		withItem(inv("I2", "D2", "INV-000123", 5000), func(it *OpenItem) { it.OrderID = "302-1234567-1234567" }),
		withItem(inv("I3", "D3", "RE-2026-029741", 8988), func(it *OpenItem) { it.PaymentReference = "RF18539007547034" }),
		withItem(inv("I4", "D4", "R-77", 2500), func(it *OpenItem) { it.PaymentReference = "210000000003139471430009017" }),
		inv("I5", "D5", "RE-2026-012566", 8534),
		inv("I6", "D6", "RE-2026-012569", 9900),
		inv("I7", "D7", "RE-2026-035723", 4000),
	}
	p := func(minor int64, text string) []Payment { return []Payment{pay("P1", minor, text)} }
	exact := func(item string, minor int64, debtor string) outcome {
		return outcome{Kind: Auto, Debtor: debtor, Allocations: one(item, minor)}
	}
	runCases(t, []ruleCase{
		{name: "as printed", items: items, payments: p(11900, "Rechnung RE-2024-0042"), want: exact("I1", 11900, "D1")},
		{name: "missing prefix", items: items, payments: p(11900, "Rechnung 20240042"), want: exact("I1", 11900, "D1")},
		{name: "prefix and year missing", items: items, payments: p(8988, "029741 Lena"), want: exact("I3", 8988, "D3")},
		{name: "separators and spaces", items: items, payments: p(11900, "re 2024 / 0042"), want: exact("I1", 11900, "D1")},
		{name: "the last group with a space in it", items: items, payments: p(8988, "Lena 0297 41"), want: exact("I3", 8988, "D3")},
		{name: "a short last group with its zeros", items: []OpenItem{inv("I1", "D1", "RE-2026-008550", 4489)},
			payments: p(4489, "Rg 008550"), want: exact("I1", 4489, "D1")},
		{name: "a text of a cut length ending in a whole number", items: []OpenItem{inv("I1", "D1", "RE-2026-000781", 4489),
			inv("I2", "D1", "RE-2026-000782", 500)}, debtors: []Debtor{anna},
			payments: []Payment{fromAnna(pay("P1", 5530, "Rechnungsnr. RE-2026-000781"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 4489), Difference: diffOf(DiffOverpayment, 1041)}},
		{name: "a date's parts are no last group", items: []OpenItem{inv("I1", "D1", "RE-2026-0202607", 3480)},
			payments: p(3480, "DATUM 02.11.2026, 07.30 UHR"), want: outcome{Kind: Unmatched}},
		{name: "leading zeros dropped", items: items, payments: p(5000, "INV-123"), want: exact("I2", 5000, "D2")},
		{name: "leading zeros added", items: items, payments: p(11900, "0020240042"), want: exact("I1", 11900, "D1")},
		{name: "leading zeros added to a group", items: []OpenItem{inv("I1", "D1", "RE-2024-0421", 11900)}, payments: p(11900, "RE-2024-000421"), want: exact("I1", 11900, "D1")},
		{name: "SVWZ wrapper glued", items: items, payments: p(11900, "EREF+NOTPROVIDED SVWZ+RE-2024-0042"), want: exact("I1", 11900, "D1")},
		{name: "Verwendungszweck", items: items, payments: p(11900, "Verwendungszweck:RE-2024-0042"), want: exact("I1", 11900, "D1")},
		{name: "date glued with separators", items: items, payments: p(11900, "RE-2024-004201.03.2024"), want: exact("I1", 11900, "D1")},
		{name: "date glued as digits", items: items, payments: p(8988, "RE2026029741 20261103"), want: exact("I3", 8988, "D3")},
		{name: "date glued into the number", items: items, payments: p(8988, "RE202602974120261103"), want: exact("I3", 8988, "D3")},
		{name: "order id", items: items, payments: p(5000, "Order 302-1234567-1234567"), want: exact("I2", 5000, "D2")},
		{name: "RF creditor reference printed in groups", items: items, payments: p(8988, "RF18 5390 0754 7034"), want: exact("I3", 8988, "D3")},
		{name: "QR reference", items: items, payments: p(2500, "21 00000 00003 13947 14300 09017"), want: exact("I4", 2500, "D4")},
		{name: "creditor reference field", items: items,
			payments: []Payment{with(pay("P1", 8988, ""), func(p *Payment) { p.CreditorReferences = []string{"RF18539007547034"} })},
			want:     exact("I3", 8988, "D3")},
		{name: "end-to-end id", items: items,
			payments: []Payment{with(pay("P1", 11900, ""), func(p *Payment) { p.EndToEndID = "RE-2024-0042" })},
			want:     exact("I1", 11900, "D1")},
		{name: "cut at 35 characters", items: items, payments: p(4000, "Danke fuer Ihre Ware: RE-2026-03572"),
			want: outcome{Kind: Proposed, Debtor: "D7", Allocations: one("I7", 4000)}},
		{name: "cut at 35 characters, payer known", items: items, debtors: []Debtor{{ID: "D7", Name: "Jörg Weiß"}},
			payments: []Payment{with(pay("P1", 4000, "Danke fuer Ihre Ware: RE-2026-03572"), func(p *Payment) { p.CounterpartyName = "Joerg Weiss" })},
			want:     exact("I7", 4000, "D7")},
		{name: "one digit mistyped, amount equal", items: items, payments: p(8534, "RE-2026-012565"), want: outcome{Kind: Proposed, Debtor: "D5", Allocations: one("I5", 8534)}},
		{name: "one digit mistyped, amount differs", items: items, payments: p(8000, "RE-2026-012565"), want: outcome{Kind: Unmatched}},
	})
}

// TestAmounts: exact, cash discount in and after its period, tolerance as
// bank fee, rounding or FX, partial payment, overpayment, and underpayment
// only within the write-off limit.
func TestAmounts(t *testing.T) {
	t.Parallel()
	disc := withItem(inv("I1", "D1", "RE-1001", 10000), func(it *OpenItem) {
		it.CashDiscount = &CashDiscount{Until: day0, PercentBP: 200}
	})
	late := withItem(disc, func(it *OpenItem) { it.CashDiscount = &CashDiscount{Until: day0.AddDate(0, 0, -3), PercentBP: 200} })
	usd := withItem(inv("I1", "D1", "RE-1001", 10000), func(it *OpenItem) { it.Amount = money.MustNew(10000, "USD") })
	plain := []OpenItem{inv("I1", "D1", "RE-1001", 10000)}
	p := func(minor int64) []Payment { return []Payment{fromAnna(pay("P1", minor, "RE-1001"))} }
	big := withItem(inv("I1", "D1", "RE-1001", 245782), func(it *OpenItem) { it.CashDiscount = &CashDiscount{Until: day0, PercentBP: 200} })
	bigLate := withItem(big, func(it *OpenItem) { it.CashDiscount = &CashDiscount{Until: day0.AddDate(0, 0, -3), PercentBP: 200} })
	deb := []Debtor{anna}
	runCases(t, []ruleCase{
		{name: "exact", items: plain, debtors: deb, payments: p(10000),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000)}},
		{name: "cash discount in its period", items: []OpenItem{disc}, debtors: deb, payments: p(9800),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffCashDiscount, -200)}},
		{name: "cash discount of the terms from an unknown payer", items: []OpenItem{disc}, debtors: deb,
			payments: []Payment{with(pay("P1", 9800, "RE-1001"), func(p *Payment) { p.CounterpartyName = "Tante Erna" })},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffCashDiscount, -200)}},
		{name: "a discount off the terms from an unknown payer is proposed", items: []OpenItem{disc}, debtors: deb,
			payments: []Payment{with(pay("P1", 9801, "RE-1001"), func(p *Payment) { p.CounterpartyName = "Tante Erna" })},
			want:     outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffCashDiscount, -199)}},
		{name: "cash discount within the grace days", items: []OpenItem{late}, debtors: deb, payments: p(9800),
			cfg:  func(c *Config) { c.CashDiscountGraceDays = 3 },
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffCashDiscount, -200)}},
		{name: "cash discount after its period is a partial payment", items: []OpenItem{late}, debtors: deb, payments: p(9800),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 9800)}},
		{name: "cash discount worked out on the net amount (19 % VAT) in its period", items: []OpenItem{big}, debtors: deb, payments: p(241651),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 245782), Difference: diffOf(DiffCashDiscount, -4131)}},
		{name: "cash discount on the net amount after its period is a partial payment", items: []OpenItem{bigLate}, debtors: deb, payments: p(241651),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 241651)}},
		{name: "a deduction that is no discount's is a partial payment", items: []OpenItem{big}, debtors: deb, payments: p(241000),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 241000)}},
		{name: "bank fee within the tolerance", items: plain, debtors: deb, payments: p(9750),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffBankFee, -250)}},
		{name: "rounding", items: plain, debtors: deb, payments: p(9998),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffRounding, -2)}},
		{name: "fx difference on a foreign-currency item",
			items: []OpenItem{usd}, debtors: deb,
			payments: []Payment{with(fromAnna(pay("P1", 0, "RE-1001")), func(p *Payment) { p.Amount = money.MustNew(9900, "USD") })},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffFX, -100)}},
		{name: "partial payment", items: plain, debtors: deb, payments: p(4000),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 4000)}},
		{name: "overpayment kept as credit", items: plain, debtors: deb, payments: p(12000),
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffOverpayment, 2000)}},
		{name: "underpayment within the write-off limit", items: plain, debtors: deb, payments: p(9000),
			cfg:  func(c *Config) { c.WriteOffLimitMinor = 1000 },
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000), Difference: diffOf(DiffUnderpayment, -1000)}},
		{name: "underpayment beyond the write-off limit is partial", items: plain, debtors: deb, payments: p(9000),
			cfg:  func(c *Config) { c.WriteOffLimitMinor = 500 },
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 9000)}},
	})
}

// TestCombinations: one payment for several items, found by the numbers in
// the text or by their total; several payments for one item.
func TestCombinations(t *testing.T) {
	t.Parallel()
	items := []OpenItem{
		inv("I1", "D1", "RE-5001", 12345), inv("I2", "D1", "RE-5002", 23456), inv("I3", "D1", "RE-5003", 34567),
		inv("I4", "D1", "RE-5004", 45678),
	}
	deb := []Debtor{anna}
	both := []Allocation{{Item: "I1", Amount: 12345}, {Item: "I3", Amount: 34567}}
	runCases(t, []ruleCase{
		{name: "several items named", items: items, debtors: deb,
			payments: []Payment{fromAnna(pay("P1", 46912, "RE-5001 RE-5003"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: both}},
		{name: "several items found by their total", items: items, debtors: deb,
			payments: []Payment{fromAnna(pay("P1", 46912, "Sammelzahlung"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: both}},
		{name: "named items and one more", items: items, debtors: deb,
			payments: []Payment{fromAnna(pay("P1", 12345+34567+45678, "RE-5001 RE-5003"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: []Allocation{{Item: "I1", Amount: 12345}, {Item: "I3", Amount: 34567}, {Item: "I4", Amount: 45678}}}},
		{name: "several items with cash discount", debtors: deb,
			items: []OpenItem{
				withItem(items[0], func(it *OpenItem) { it.CashDiscount = &CashDiscount{Until: day0, PercentBP: 300} }),
				withItem(items[2], func(it *OpenItem) { it.CashDiscount = &CashDiscount{Until: day0, PercentBP: 300} }),
			},
			payments: []Payment{fromAnna(pay("P1", 46912-1407, "RE-5001, RE-5003 abzgl. 3 % Skonto"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: both, Difference: diffOf(DiffCashDiscount, -1407)}},
		{name: "several payments for one item add up", items: items, debtors: deb,
			payments: []Payment{fromAnna(pay("P1", 10000, "RE-5004 Rate 1")), fromAnna(pay("P2", 35678, "RE-5004 Rate 2"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I4", 35678)}},
		{name: "items issued after the payment are no part of a combination", debtors: deb,
			items: append(slices.Clone(items[:2]),
				withItem(inv("I5", "D1", "RE-5005", 20000), func(it *OpenItem) { it.IssueDate = day0.AddDate(0, 0, 3) }),
				withItem(inv("I6", "D1", "RE-5006", 15801), func(it *OpenItem) { it.IssueDate = day0.AddDate(0, 0, 3) })),
			payments: []Payment{fromAnna(pay("P1", 35801, "Sammelzahlung"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: []Allocation{{Item: "I1", Amount: 12345}, {Item: "I2", Amount: 23456}}}},
		{name: "a named item overpaid is not held up by a set the text does not name", debtors: deb,
			items:    []OpenItem{inv("I1", "D1", "RE-8001", 1380), inv("I2", "D1", "RE-8002", 1989), inv("I3", "D1", "RE-8003", 3253)},
			payments: []Payment{fromAnna(pay("P1", 5246, "Rechnung RE-8001"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 1380), Difference: diffOf(DiffOverpayment, 3866)}},
		{name: "a second instalment of the same amount is no payment made twice", debtors: deb,
			items: []OpenItem{inv("I1", "D1", "RE-7001", 19990), inv("I2", "D1", "RE-7002", 8000)},
			payments: []Payment{fromAnna(pay("P1", 6000, "1. Rate")),
				with(fromAnna(pay("P2", 6000, "Teilzahlung 2 RE-7001")), func(p *Payment) { p.BookingDate = day0.AddDate(0, 0, 10) })},
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 6000)}},
		{name: "a combination among equal amounts is proposed", debtors: deb,
			items:    []OpenItem{inv("I1", "D1", "RE-1", 1000), inv("I2", "D1", "RE-2", 1000), inv("I3", "D1", "RE-3", 2000)},
			payments: []Payment{fromAnna(pay("P1", 3000, "Danke"))},
			want:     outcome{Kind: Proposed, Debtor: "D1", Allocations: []Allocation{{Item: "I1", Amount: 1000}, {Item: "I3", Amount: 2000}}}},
	})
}

// TestNamedItemsAlone: when a lump sum names some of its items and the
// rest fits several other sets, it is proposed, and the named items alone,
// the rest kept as credit, are among the alternatives.
func TestNamedItemsAlone(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-6001", 10000), inv("I2", "D1", "RE-6002", 20000), inv("I3", "D1", "RE-6003", 5000),
		inv("I4", "D1", "RE-6004", 5000), inv("I5", "D1", "RE-6005", 3000), inv("I6", "D1", "RE-6006", 2000),
		inv("I7", "D1", "RE-6007", 5000), inv("I8", "D1", "RE-6008", 5000)}
	e := newEngine(t, DefaultConfig(), items, []Debtor{anna}, nil)
	d := run(t, e, fromAnna(pay("P1", 35000, "RE-6001 RE-6002")))[0]
	if d.Kind != Proposed {
		t.Fatalf("%s, want proposed (%s)", d.Kind, d.Explanation)
	}
	want := Proposal{Debtor: "D1", Allocations: []Allocation{{Item: "I1", Amount: 10000}, {Item: "I2", Amount: 20000}},
		Difference: diffOf(DiffOverpayment, 5000)}
	found := false
	for _, a := range d.Alternatives {
		found = found || cmp.Equal(want, Proposal{Debtor: a.Debtor, Allocations: a.Allocations, Difference: a.Difference})
	}
	if !found {
		t.Errorf("the named items alone are not among the alternatives: %+v", d.Alternatives)
	}
}

// TestEqualAmounts: without a named item a payment of a known payer pays
// the one item of its amount that is due when the others are not yet due
// (§366 BGB); when several are due, or none, or two are due alike, it is
// proposed with the earliest due first.
func TestEqualAmounts(t *testing.T) {
	t.Parallel()
	due := func(id, doc string, days int) OpenItem {
		return withItem(inv(id, "D1", doc, 5000), func(it *OpenItem) { it.DueDate = day0.AddDate(0, 0, days) })
	}
	older, newer := due("I1", "RE-1", -30), due("I2", "RE-2", -10)
	notYet, later := due("I2", "RE-2", 5), due("I3", "RE-3", 12)
	today := due("I1", "RE-1", 0)
	twin := withItem(newer, func(it *OpenItem) { it.DueDate, it.IssueDate = older.DueDate, older.IssueDate })
	runCases(t, []ruleCase{
		{name: "the only one due", items: []OpenItem{notYet, older, later}, debtors: []Debtor{anna},
			payments: []Payment{fromAnna(pay("P1", 5000, ""))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 5000)}},
		{name: "due on the payment's date", items: []OpenItem{notYet, today}, debtors: []Debtor{anna},
			payments: []Payment{fromAnna(pay("P1", 5000, ""))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 5000)}},
		{name: "both due: the earliest due proposed", items: []OpenItem{newer, older}, debtors: []Debtor{anna},
			payments: []Payment{fromAnna(pay("P1", 5000, ""))},
			want:     outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I1", 5000)}},
		{name: "none due yet: the earliest due proposed", items: []OpenItem{later, notYet}, debtors: []Debtor{anna},
			payments: []Payment{fromAnna(pay("P1", 5000, ""))},
			want:     outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I2", 5000)}},
		{name: "due alike", items: []OpenItem{twin, older}, debtors: []Debtor{anna},
			payments: []Payment{fromAnna(pay("P1", 5000, ""))},
			want:     outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I2", 5000)}},
	})
}

// TestReadings: when the payer is known (by IBAN, mandate or customer
// number) but no set of its items fits the amount, the engine proposes
// (never books) the payment applied by §366 BGB, the due first and the
// last in part, or the item overpaid; a cash discount deducted after its
// period is a partial payment of that item; a text speaking of a partial
// payment makes a shortfall no bank fee. A payer known by name alone gets
// no such proposal.
func TestReadings(t *testing.T) {
	t.Parallel()
	due := func(id string, minor int64, days int) OpenItem {
		return withItem(inv(id, "D1", "RE-"+id, minor), func(it *OpenItem) { it.DueDate = day0.AddDate(0, 0, days) })
	}
	late := withItem(due("I3", 10000, -3), func(it *OpenItem) {
		it.CashDiscount = &CashDiscount{Until: day0.AddDate(0, 0, -5), PercentBP: 200}
	})
	runCases(t, []ruleCase{
		{name: "§366: the due first, the next in part", items: []OpenItem{due("I2", 8000, -10), due("I1", 5000, -30)},
			debtors: []Debtor{anna}, payments: []Payment{fromAnna(pay("P1", 6000, "Danke"))},
			want: outcome{Kind: Proposed, Debtor: "D1", Allocations: []Allocation{{Item: "I1", Amount: 5000}, {Item: "I2", Amount: 1000}}}},
		{name: "a payer known by name alone gets none", items: []OpenItem{due("I2", 8000, -10), due("I1", 5000, -30)},
			debtors: []Debtor{anna}, payments: []Payment{with(pay("P1", 6000, "Danke"), func(p *Payment) { p.CounterpartyName = "Anna Müller" })},
			want: outcome{Kind: Unmatched, Debtor: "D1"}},
		{name: "the only item overpaid", items: []OpenItem{due("I1", 1989, -3)},
			debtors: []Debtor{anna}, payments: []Payment{fromAnna(pay("P1", 2000, ""))},
			want: outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I1", 1989), Difference: diffOf(DiffOverpayment, 11)}},
		{name: "a cash discount deducted too late", items: []OpenItem{due("I1", 30000, -20), late},
			debtors: []Debtor{anna}, payments: []Payment{fromAnna(pay("P1", 9800, ""))},
			want: outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I3", 9800)}},
		{name: "a partial payment is no bank fee", items: []OpenItem{due("I1", 10000, -30), due("I2", 3000, -5)},
			debtors: []Debtor{anna}, payments: []Payment{fromAnna(pay("P1", 2500, "Teilzahlung"))},
			want: outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I1", 2500)}},
		{name: "without that text the shortfall is a fee", items: []OpenItem{due("I1", 10000, -30), due("I2", 3000, -5)},
			debtors: []Debtor{anna}, payments: []Payment{fromAnna(pay("P1", 2500, "Danke"))},
			want: outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I2", 3000), Difference: diffOf(DiffBankFee, -500)}},
	})
}

// TestPaidTwiceProposal: a payment of the amount and payer of one still
// waiting for a person, proposed for the same item, is proposed for it
// too, and next as that payment made twice: the debtor's credit balance.
func TestPaidTwiceProposal(t *testing.T) {
	t.Parallel()
	items := []OpenItem{
		withItem(inv("I1", "D1", "RE-1", 5000), func(it *OpenItem) { it.DueDate = day0.AddDate(0, 0, -20) }),
		withItem(inv("I2", "D1", "RE-2", 5000), func(it *OpenItem) { it.DueDate = day0.AddDate(0, 0, -10) }),
	}
	e := newEngine(t, DefaultConfig(), items, []Debtor{anna}, nil)
	ds := run(t, e, fromAnna(pay("P1", 5000, "Danke")), fromAnna(pay("P2", 5000, "Danke")))
	got := ds[1]
	if got.Kind != Proposed || len(got.Alternatives) == 0 {
		t.Fatalf("P2: %s with %d alternatives, want proposed with alternatives (%s)", got.Kind, len(got.Alternatives), got.Explanation)
	}
	want := Proposal{Debtor: "D1", Difference: diffOf(DiffOverpayment, 5000)}
	first := got.Alternatives[0]
	if diff := cmp.Diff(want, Proposal{Debtor: first.Debtor, Allocations: first.Allocations, Difference: first.Difference}); diff != "" {
		t.Errorf("P2's first alternative (-want +got):\n%s\nexplanation: %s", diff, first.Explanation)
	}
}

// TestDuplicatePayment: a payment naming an item paid already is kept as
// the debtor's credit balance, not applied to another item; unless it
// comes with another amount that an open item of the debtor asks: then the
// payer used the old transfer as a template for the new invoice.
func TestDuplicatePayment(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-7001", 5000), inv("I2", "D1", "RE-7002", 5000), inv("I3", "D1", "RE-7003", 13470)}
	runCases(t, []ruleCase{{
		name: "paid twice", items: items, debtors: []Debtor{anna},
		payments: []Payment{fromAnna(pay("P1", 5000, "RE-7001")), fromAnna(pay("P2", 5000, "RE-7001"))},
		want:     outcome{Kind: Auto, Debtor: "D1", Difference: diffOf(DiffOverpayment, 5000)},
	}, {
		name: "the paid invoice's transfer used again for a new invoice", items: items, debtors: []Debtor{anna},
		payments: []Payment{fromAnna(pay("P1", 5000, "RE-7001")), fromAnna(pay("P2", 13470, "RE-7001"))},
		want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I3", 13470)},
	}, {
		name: "another amount no open item asks stays a credit balance", items: items, debtors: []Debtor{anna},
		payments: []Payment{fromAnna(pay("P1", 5000, "RE-7001")), fromAnna(pay("P2", 4200, "RE-7001"))},
		want:     outcome{Kind: Auto, Debtor: "D1", Difference: diffOf(DiffOverpayment, 4200)},
	}})
}

// TestReturns: a returned direct debit reverses the payment it undoes:
// the negative of what it cleared, and the bank's netted charge as
// bank_fee; a return of a payment not booked reopens nothing.
func TestReturns(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-9001", 10000)}
	debit := func(id string) Payment {
		return with(fromAnna(pay(id, 10000, "RE-9001")), func(p *Payment) {
			p.MandateID, p.EndToEndID, p.BankTxCode = "MANDATE-1", "E2E-9001", "PMNT/IDDT/ESDD"
		})
	}
	ret := func(minor int64, reason, code string) Payment {
		return with(fromAnna(pay("R1", minor, "RUECKLASTSCHRIFT")), func(p *Payment) {
			p.BookingDate = day0.AddDate(0, 0, 5)
			p.MandateID, p.EndToEndID, p.ReturnReason, p.BankTxCode = "MANDATE-1", "E2E-9001", reason, code
		})
	}
	runCases(t, []ruleCase{
		{name: "returned with a charge", items: items, debtors: []Debtor{anna},
			payments: []Payment{debit("P1"), ret(-10350, "MD06", "PMNT/IDDT/UPDD")},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", -10000), Difference: diffOf(DiffBankFee, -350), Reverses: "P1"}},
		{name: "reversal by bank code", items: items, debtors: []Debtor{anna},
			payments: []Payment{debit("P1"), ret(-10000, "", "PMNT/IDDT/UPDD")},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", -10000), Reverses: "P1"}},
		{name: "return of a payment not booked", items: items, debtors: []Debtor{anna},
			payments: []Payment{with(debit("P1"), func(p *Payment) { p.Remittance, p.CounterpartyName, p.CounterpartyIBAN, p.MandateID = "", "", "", "" }),
				with(ret(-10000, "MD06", ""), func(p *Payment) { p.MandateID, p.CounterpartyIBAN, p.CounterpartyName = "", "", "" })},
			want: outcome{Kind: Proposed, Debtor: "D1", Reverses: "P1"}},
		{name: "return of nothing known", items: items, debtors: []Debtor{anna},
			payments: []Payment{ret(-10000, "AC04", "")},
			want:     outcome{Kind: Unmatched, Debtor: "D1"}},
	})
}

// TestReturnCharge: the charge passed on to a consumer never exceeds what
// the bank took (§309 No. 5 BGB); a business pays the tenant's fixed fee.
func TestReturnCharge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		business bool
		rule     Returns
		want     int64
	}{
		{"bank charge passed on", false, Returns{MaxBankChargeMinor: 2500, ChargeDebtor: ChargeBankCharge}, 350},
		{"fixed fee capped for a consumer", false, Returns{MaxBankChargeMinor: 2500, ChargeDebtor: ChargeFixed, FixedChargeMinor: 900}, 350},
		{"fixed fee for a business", true, Returns{MaxBankChargeMinor: 2500, ChargeDebtor: ChargeFixed, FixedChargeMinor: 900}, 900},
		{"nothing passed on", false, Returns{MaxBankChargeMinor: 2500, ChargeDebtor: ChargeNone}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.Returns = tc.rule
			d := anna
			d.Business = tc.business
			e := newEngine(t, cfg, []OpenItem{inv("I1", "D1", "RE-9001", 10000)}, []Debtor{d}, nil)
			debit := with(fromAnna(pay("P1", 10000, "RE-9001")), func(p *Payment) { p.MandateID, p.EndToEndID = "MANDATE-1", "E2E-1" })
			ret := with(fromAnna(pay("R1", -10350, "")), func(p *Payment) {
				p.MandateID, p.EndToEndID, p.ReturnReason, p.BookingDate = "MANDATE-1", "E2E-1", "MD06", day0.AddDate(0, 0, 3)
			})
			ds := run(t, e, debit, ret)
			if got := ds[1].ReturnCharge; got != tc.want {
				t.Errorf("charge passed on = %d, want %d (%s)", got, tc.want, ds[1].Explanation)
			}
		})
	}
}

// TestMarketplacePayout: an Amazon payout pays the open items of the
// marketplace's debtor with the settlement id it names, or else the one
// settlement whose items total the payout.
func TestMarketplacePayout(t *testing.T) {
	t.Parallel()
	mp := func(id, ref string, kind ItemKind, minor int64) OpenItem {
		it := inv(id, "marketplace:amazon", "", minor)
		it.Kind, it.PaymentReference, it.Channel, it.OrderID = kind, ref, "amazon", "302-000000"+id
		return it
	}
	items := []OpenItem{
		mp("O1", "12345678901", ItemInvoice, 5000), mp("O2", "12345678901", ItemInvoice, 7000), mp("F1", "12345678901", ItemCredit, -1500),
		mp("O3", "22345678902", ItemInvoice, 9000), mp("F2", "22345678902", ItemCredit, -500),
	}
	first := []Allocation{{Item: "O1", Amount: 5000}, {Item: "O2", Amount: 7000}, {Item: "F1", Amount: -1500}}
	amazon := func(text string, minor int64) []Payment {
		return []Payment{with(pay("P1", minor, text), func(p *Payment) { p.CounterpartyName = "AMAZON EU S.A R.L., NIEDERLASSUNG DEUTSCHLAND" })}
	}
	runCases(t, []ruleCase{
		{name: "settlement named", items: items, payments: amazon("Amazon Settlement 12345678901", 10500),
			want: outcome{Kind: Auto, Debtor: "marketplace:amazon", Allocations: first}},
		{name: "settlement by its total", items: items, payments: amazon("AMAZON PAYMENTS EUROPE", 8500),
			want: outcome{Kind: Auto, Debtor: "marketplace:amazon", Allocations: []Allocation{{Item: "O3", Amount: 9000}, {Item: "F2", Amount: -500}}}},
	})
}

// TestConfigThresholds: the tenant's auto threshold decides auto or
// proposed for the same evidence.
func TestConfigThresholds(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-1001", 10000)}
	runCases(t, []ruleCase{
		{name: "default threshold", items: items, payments: []Payment{pay("P1", 10000, "RE-1001")},
			want: outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 10000)}},
		{name: "stricter threshold", items: items, payments: []Payment{pay("P1", 10000, "RE-1001")},
			cfg:  func(c *Config) { c.AutoThreshold = 99 },
			want: outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I1", 10000)}},
	})
}

// TestAnotherDebtorsSignals: an automatic decision stops at signals that
// the money is another debtor's, however well the rest fits, and only
// there. Each case was an automatic booking to the wrong debtor before.
func TestAnotherDebtorsSignals(t *testing.T) {
	t.Parallel()
	items := []OpenItem{
		inv("I1", "D1", "RE-2026-10069", 7990), inv("I2", "D2", "RE-2026-10096", 7990),
		inv("I3", "D2", "RE-2026-20000", 4500), inv("I4", "D1", "RE-2026-30000", 12345),
		inv("I5", "D2", "RE-2026-55555", 7990),
	}
	debtors := []Debtor{anna, {ID: "D2", Name: "Bernd Schulz"}}
	runCases(t, []ruleCase{
		{name: "the payer's IBAN names one debtor, the text another's invoice of that amount", items: items, debtors: debtors,
			// Someone paying for a relative, or a typo: a person decides.
			payments: []Payment{fromAnna(pay("P1", 7990, "Rechnung RE-2026-10096"))},
			want:     outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I1", 7990)}},
		{name: "the payer's name is another debtor's who owes that amount", items: items, debtors: debtors,
			payments: []Payment{with(pay("P1", 7990, "Rechnung RE-2026-10096"), func(p *Payment) { p.CounterpartyName = "Anna Müller" })},
			want:     outcome{Kind: Proposed, Debtor: "D2", Allocations: one("I2", 7990)}},
		{name: "a namesake who owes that amount under an unrelated number does not stop it", items: items, debtors: debtors,
			payments: []Payment{with(pay("P1", 7990, "Rechnung RE-2026-55555"), func(p *Payment) { p.CounterpartyName = "Anna Müller" })},
			want:     outcome{Kind: Auto, Debtor: "D2", Allocations: one("I5", 7990)}},
		{name: "a name twin who owes nothing of that amount does not stop it", items: items, debtors: debtors,
			payments: []Payment{with(pay("P1", 4500, "Rechnung RE-2026-20000"), func(p *Payment) { p.CounterpartyName = "Anna Müller" })},
			want:     outcome{Kind: Auto, Debtor: "D2", Allocations: one("I3", 4500)}},
		{name: "another debtor's number of another amount beside the payer's own item", items: items, debtors: debtors,
			payments: []Payment{fromAnna(pay("P1", 12345, "RE-2026-30000 und RE-2026-20000"))},
			want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I4", 12345)}},
		{name: "two people's invoices in one transfer", items: items, debtors: debtors,
			// More than the payer's own invoice asks, and the rest is the
			// other debtor's: not one debtor's credit balance.
			payments: []Payment{fromAnna(pay("P1", 12345+4500, "RE-2026-30000 und RE-2026-20000"))},
			want: outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I4", 12345),
				Difference: diffOf(DiffOverpayment, 4500)}},
	})
}

// TestOverpaymentNamingMore: money beyond the items a text names clearly
// is no credit balance to book automatically when the text also names,
// however weakly, another open item of the debtor the rest may be for.
func TestOverpaymentNamingMore(t *testing.T) {
	t.Parallel()
	items := []OpenItem{
		inv("I1", "D1", "RE-2026-11779", 100000),
		withItem(inv("I2", "D1", "RE-2026-11781", 80000), func(it *OpenItem) { it.Open = 40000 }),
	}
	runCases(t, []ruleCase{{
		name: "a second number in short form, its item paid in part before", items: items, debtors: []Debtor{anna},
		payments: []Payment{fromAnna(pay("P1", 180000, "RE-2026-11779/11781"))},
		want:     outcome{Kind: Proposed, Debtor: "D1", Allocations: one("I1", 100000), Difference: diffOf(DiffOverpayment, 80000)},
	}, {
		name: "nothing else named: the rest is a credit balance", items: items[:1], debtors: []Debtor{anna},
		payments: []Payment{fromAnna(pay("P1", 180000, "RE-2026-11779"))},
		want:     outcome{Kind: Auto, Debtor: "D1", Allocations: one("I1", 100000), Difference: diffOf(DiffOverpayment, 80000)},
	}})
}

// TestCreditNetted: a payer who deducts a credit note from an invoice and
// names only the invoice is offered the invoice with the credit, never
// booked a partial payment automatically, which would leave both open.
func TestCreditNetted(t *testing.T) {
	t.Parallel()
	credit := withItem(inv("C1", "D1", "GS-2026-0007", -2000), func(it *OpenItem) { it.Kind = ItemCredit })
	items := []OpenItem{inv("I1", "D1", "RE-2026-0042", 10000), inv("I2", "D1", "RE-2026-0043", 12000), credit}
	e := newEngine(t, DefaultConfig(), items, []Debtor{anna}, nil)
	d := run(t, e, fromAnna(pay("P1", 8000, "RE-2026-0042 abzgl. Gutschrift")))[0]
	if d.Kind == Auto && !slices.Contains(d.Allocations, Allocation{Item: "C1", Amount: -2000}) {
		t.Fatalf("booked automatically without the credit: %+v (%s)", d.Allocations, d.Explanation)
	}
	want := []Allocation{{Item: "I1", Amount: 10000}, {Item: "C1", Amount: -2000}}
	offered := cmp.Equal(want, d.Allocations)
	for _, a := range d.Alternatives {
		offered = offered || cmp.Equal(want, a.Allocations)
	}
	if !offered {
		t.Errorf("the invoice with the credit is not among the proposals: %+v, alternatives %+v (%s)", d.Allocations, d.Alternatives, d.Explanation)
	}
}

// TestOneDigitOff: the typos a payer makes in a number: one digit
// substituted, or two neighbours swapped; nothing else.
func TestOneDigitOff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"202610069", "202610096", true}, {"202610069", "202610068", true}, {"202610069", "302610069", true},
		{"202610069", "202610069", false}, {"202610069", "202610000", false}, {"202610069", "20261006", false},
		{"202610069", "202601069", true}, {"202610069", "202160069", true}, {"202610069", "202613060", false}, {"1234", "1243", false},
	} {
		if got := oneDigitOff(tc.a, tc.b); got != tc.want {
			t.Errorf("oneDigitOff(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestMistypedOwnInvoiceOffered: when a payer identified as one debtor
// quotes another debtor's invoice one digit off their own, of the same
// amount, the proposal names the quoted invoice and offers the payer's own
// first among the alternatives.
func TestMistypedOwnInvoiceOffered(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-2026-10069", 7990), inv("I2", "D2", "RE-2026-10096", 7990)}
	e := newEngine(t, DefaultConfig(), items, []Debtor{anna, {ID: "D2", Name: "Bernd Schulz"}}, nil)
	d := run(t, e, with(pay("P1", 7990, "Rechnung RE-2026-10096"), func(p *Payment) { p.CounterpartyName = "Anna Müller" }))[0]
	if d.Kind != Proposed || len(d.Alternatives) == 0 {
		t.Fatalf("%s with %d alternatives, want proposed with alternatives (%s)", d.Kind, len(d.Alternatives), d.Explanation)
	}
	first := d.Alternatives[0]
	if diff := cmp.Diff(Proposal{Debtor: "D1", Allocations: one("I1", 7990)}, Proposal{Debtor: first.Debtor, Allocations: first.Allocations}); diff != "" {
		t.Errorf("first alternative (-want +got):\n%s\n%s", diff, first.Explanation)
	}
	if first.Score >= d.Score || first.Explanation == "" {
		t.Errorf("first alternative scores %d (decision %d), explanation %q", first.Score, d.Score, first.Explanation)
	}
}

// TestOnNet: the cash discount of the terms (on the gross amount) worked
// out on the net amount at a German or Austrian VAT rate, to the minor
// unit per item; nothing else.
func TestOnNet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		full, taken, n int64
		want           bool
	}{
		{4916, 4131, 1, true}, {4916, 4132, 1, true}, {4916, 4133, 1, false}, // 19 %
		{4916, 4594, 1, true}, // 7 %
		{4916, 4097, 1, true}, // 20 %
		{4916, 4469, 1, true}, // 10 %
		{4916, 4916, 1, false}, {4916, 0, 1, false}, {0, 10, 1, false}, {4916, 4300, 1, false},
	} {
		if got := onNet(tc.full, tc.taken, tc.n); got != tc.want {
			t.Errorf("onNet(%d, %d, %d) = %v, want %v", tc.full, tc.taken, tc.n, got, tc.want)
		}
	}
}

// TestPayerOwesOffered: a proposal led by another debtor's number (here a
// delivery note's, whose digits are another debtor's invoice) offers the
// one item of the amount that the debtor the payer is owes.
func TestPayerOwesOffered(t *testing.T) {
	t.Parallel()
	items := []OpenItem{inv("I1", "D1", "RE-2026-10069", 7990), inv("I3", "D2", "RE-2026-20000", 4500)}
	e := newEngine(t, DefaultConfig(), items, []Debtor{anna, {ID: "D2", Name: "Bernd Schulz"}}, nil)
	d := run(t, e, with(pay("P1", 7990, "Lieferschein LS-2026-20000"), func(p *Payment) {
		p.CounterpartyName, p.CounterpartyIBAN = "Anna Müller", ibanOther
	}))[0]
	if d.Kind == Auto {
		t.Fatalf("booked automatically: %+v (%s)", d.Allocations, d.Explanation)
	}
	offered := d.Debtor == "D1" && cmp.Equal(one("I1", 7990), d.Allocations)
	for _, a := range d.Alternatives {
		offered = offered || a.Debtor == "D1" && cmp.Equal(one("I1", 7990), a.Allocations)
	}
	if !offered {
		t.Errorf("the payer's own invoice of the amount is not offered: %s %+v, alternatives %+v (%s)", d.Debtor, d.Allocations, d.Alternatives, d.Explanation)
	}
}
