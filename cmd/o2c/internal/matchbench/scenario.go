package matchbench

import (
	"fmt"
	"slices"
	"strings"
)

// Situation is what a payment does, one per generated payment group; its
// weight in a scenario is its share among the groups.
type Situation string

// The situations the generator produces.
const (
	// SitExact pays one item's open amount exactly.
	SitExact Situation = "exact"
	// SitBankFee pays one item less a small bank charge.
	SitBankFee Situation = "bank_fee"
	// SitDiscount pays one item less its cash discount within the period.
	SitDiscount Situation = "cash_discount"
	// SitDiscountLate deducts the cash discount after the period: a partial
	// payment, the rest stays open.
	SitDiscountLate Situation = "cash_discount_late"
	// SitPartial pays part of one item.
	SitPartial Situation = "partial"
	// SitInstalments pays one item in two or three payments.
	SitInstalments Situation = "instalments"
	// SitOverpayment pays more than one item's open amount.
	SitOverpayment Situation = "overpayment"
	// SitLump pays several items of a debtor with one payment.
	SitLump Situation = "lump_sum"
	// SitDuplicate pays an item exactly and then once more.
	SitDuplicate Situation = "duplicate"
	// SitEqualAmounts pays one of two items of a debtor with the same
	// amount (the older one).
	SitEqualAmounts Situation = "equal_amounts"
	// SitNobody is a payment that belongs to no debtor.
	SitNobody Situation = "nobody"
	// SitDirectDebit is a collected direct debit of one item.
	SitDirectDebit Situation = "direct_debit"
	// SitReturn is a collected direct debit that comes back later.
	SitReturn Situation = "direct_debit_return"
	// SitPayout is a marketplace payout paying a settlement's items.
	SitPayout Situation = "marketplace_payout"
)

// Noise is what payers and banks do to a payment's data, each a share of
// the payments it can apply to.
type Noise struct {
	NoReference    float64 // only name and amount: no number at all
	CustomerNumber float64 // the customer number instead of the invoice number
	OrderID        float64 // the order id instead of the invoice number
	RFStructured   float64 // the item's RF reference as a structured creditor reference
	RFText         float64 // the item's RF reference in the text
	DropPrefix     float64 // "RE-2026-000123" as "2026-000123" or "000123"
	LeadingZeros   float64 // leading zeros dropped or added
	Separators     float64 // separators changed, spaces added or removed
	Wrapper        float64 // SVWZ+, EREF+…, "Verwendungszweck:" around the text
	DateGlued      float64 // a date or time glued to the text
	Typo           float64 // one mistyped digit (exact amounts only)
	Cut35          float64 // remittance cut at 35 characters
	NameVariant    float64 // payer name spelled differently, a spouse or a company
	OtherPayer     float64 // someone with another name pays (a parent, a friend)
	NewIBAN        float64 // an IBAN not known from master data or history
	E2EInvoice     float64 // the end-to-end id carries the invoice number
}

// Scenario is a benchmark data set: sizes, the merchant's formats and the
// fixed mix of situations and noise.
type Scenario struct {
	Name        string
	Description string
	Debtors     int
	Items       int
	Payments    int
	// CompanyShare is the share of debtors that are companies.
	CompanyShare float64
	// Invoice is the merchant's invoice number format.
	Invoice numberFormat
	// Customer is the customer number format.
	Customer numberFormat
	// Order is the own shop's order id format.
	Order numberFormat
	// TermsDays is the payment term from issue to due date.
	TermsDays int
	// B2B selects business amounts (net plus 19 % VAT, larger) over shop
	// baskets with price points.
	B2B bool
	// DiscountShare is the share of items with cash discount terms.
	DiscountShare float64
	// RFShare is the share of items whose payment reference is an RF
	// creditor reference.
	RFShare float64
	// PartlyPaidShare is the share of items already partly paid before
	// (open below amount).
	PartlyPaidShare float64
	// MasterIBANShare is the share of debtors (without mandate) whose IBAN
	// is in master data; debtors with a mandate always have it.
	MasterIBANShare float64
	// MandateShare is the share of debtors paying by direct debit.
	MandateShare float64
	// HistoryShare is the share of debtors with earlier confirmed payments.
	HistoryShare float64
	// Situations weighs the payment groups.
	Situations map[Situation]int
	// LumpMin and LumpMax bound the items of a lump sum.
	LumpMin, LumpMax int
	// LumpListsAll and LumpListsSome are the shares of lump sums naming
	// every item or some of them (the rest name none).
	LumpListsAll, LumpListsSome float64
	// LumpDiscount is the share of lump sums that deduct cash discounts.
	LumpDiscount float64
	// Marketplaces is the number of Amazon marketplaces (debtors).
	Marketplaces int
	// SettlementMin and SettlementMax bound a settlement's order lines.
	SettlementMin, SettlementMax int
	// MarketplaceOpenShare is the share of the unpaid items that are
	// marketplace orders of a settlement not yet paid out.
	MarketplaceOpenShare float64
	// PayoutNamesSettlement is the share of payouts whose text names the
	// settlement id.
	PayoutNamesSettlement float64
	Noise                 Noise
}

// numberFormat is a merchant's number: Prefix then Digits digits counting
// from Start.
type numberFormat struct {
	Prefix string
	Digits int
	Start  int
}

func (f numberFormat) format(n int) string {
	return f.Prefix + fmt.Sprintf("%0*d", f.Digits, f.Start+n)
}

// The benchmark's scenarios. Their noise mixes are fixed: change nothing
// here that alters generated data; add a scenario instead.
var scenarios = []Scenario{
	{
		Name:        "b2c-shop",
		Description: "own web shop, consumers paying by transfer and direct debit, some Amazon",
		Debtors:     3000, Items: 6000, Payments: 2000,
		CompanyShare: 0.05,
		Invoice:      numberFormat{Prefix: "RE-2026-", Digits: 6, Start: 100},
		Customer:     numberFormat{Prefix: "K", Digits: 6, Start: 100000},
		Order:        numberFormat{Prefix: "", Digits: 9, Start: 300000000},
		TermsDays:    14, DiscountShare: 0.05, RFShare: 0.25, PartlyPaidShare: 0.03,
		MasterIBANShare: 0.3, MandateShare: 0.15, HistoryShare: 0.4,
		Situations: map[Situation]int{
			SitExact: 560, SitBankFee: 20, SitDiscount: 20, SitDiscountLate: 5, SitPartial: 25,
			SitInstalments: 15, SitOverpayment: 20, SitLump: 30, SitDuplicate: 15, SitEqualAmounts: 40,
			SitNobody: 30, SitDirectDebit: 150, SitReturn: 20, SitPayout: 4,
		},
		LumpMin: 2, LumpMax: 4, LumpListsAll: 0.6, LumpListsSome: 0.25, LumpDiscount: 0,
		Marketplaces: 1, SettlementMin: 20, SettlementMax: 80, MarketplaceOpenShare: 0.05,
		PayoutNamesSettlement: 0.6,
		Noise: Noise{
			NoReference: 0.06, CustomerNumber: 0.04, OrderID: 0.12, RFStructured: 0.5, RFText: 0.2,
			DropPrefix: 0.12, LeadingZeros: 0.08, Separators: 0.12, Wrapper: 0.25, DateGlued: 0.06,
			Typo: 0.03, Cut35: 0.03, NameVariant: 0.3, OtherPayer: 0.04, NewIBAN: 0.15, E2EInvoice: 0.05,
		},
	},
	{
		Name:        "b2b-wholesale",
		Description: "wholesale to businesses: lump sums, cash discounts, customer numbers, bank charges",
		Debtors:     800, Items: 8000, Payments: 1500,
		CompanyShare: 0.9,
		Invoice:      numberFormat{Prefix: "", Digits: 8, Start: 10020000},
		Customer:     numberFormat{Prefix: "", Digits: 5, Start: 40000},
		Order:        numberFormat{Prefix: "AB-2026-", Digits: 5, Start: 1000},
		TermsDays:    30, DiscountShare: 0.45, RFShare: 0.05, PartlyPaidShare: 0.05,
		MasterIBANShare: 0.6, MandateShare: 0.1, HistoryShare: 0.7,
		Situations: map[Situation]int{
			SitExact: 360, SitBankFee: 60, SitDiscount: 150, SitDiscountLate: 40, SitPartial: 40,
			SitInstalments: 20, SitOverpayment: 20, SitLump: 180, SitDuplicate: 15, SitEqualAmounts: 40,
			SitNobody: 30, SitDirectDebit: 40, SitReturn: 8,
		},
		LumpMin: 2, LumpMax: 20, LumpListsAll: 0.45, LumpListsSome: 0.3, LumpDiscount: 0.5,
		PayoutNamesSettlement: 0.6,
		Noise: Noise{
			NoReference: 0.05, CustomerNumber: 0.12, OrderID: 0.05, RFStructured: 0.3, RFText: 0.1,
			DropPrefix: 0.0, LeadingZeros: 0.1, Separators: 0.12, Wrapper: 0.35, DateGlued: 0.08,
			Typo: 0.04, Cut35: 0.04, NameVariant: 0.35, OtherPayer: 0.02, NewIBAN: 0.1, E2EInvoice: 0.2,
		},
	},
	{
		Name:        "marketplace",
		Description: "most sales on four Amazon marketplaces paid out per settlement; a small own shop",
		Debtors:     1500, Items: 12000, Payments: 1000,
		CompanyShare: 0.05,
		Invoice:      numberFormat{Prefix: "INV/2026/", Digits: 5, Start: 1},
		Customer:     numberFormat{Prefix: "C-", Digits: 7, Start: 1000000},
		Order:        numberFormat{Prefix: "", Digits: 9, Start: 700000000},
		TermsDays:    14, DiscountShare: 0.02, RFShare: 0.1, PartlyPaidShare: 0.02,
		MasterIBANShare: 0.3, MandateShare: 0.1, HistoryShare: 0.3,
		Situations: map[Situation]int{
			SitExact: 420, SitBankFee: 10, SitDiscount: 5, SitDiscountLate: 2, SitPartial: 15,
			SitInstalments: 8, SitOverpayment: 15, SitLump: 15, SitDuplicate: 12, SitEqualAmounts: 30,
			SitNobody: 30, SitDirectDebit: 60, SitReturn: 15, SitPayout: 120,
		},
		LumpMin: 2, LumpMax: 4, LumpListsAll: 0.6, LumpListsSome: 0.25,
		Marketplaces: 4, SettlementMin: 5, SettlementMax: 60, MarketplaceOpenShare: 0.5,
		PayoutNamesSettlement: 0.5,
		Noise: Noise{
			NoReference: 0.07, CustomerNumber: 0.03, OrderID: 0.15, RFStructured: 0.5, RFText: 0.2,
			DropPrefix: 0.15, LeadingZeros: 0.1, Separators: 0.12, Wrapper: 0.25, DateGlued: 0.06,
			Typo: 0.03, Cut35: 0.03, NameVariant: 0.3, OtherPayer: 0.04, NewIBAN: 0.15, E2EInvoice: 0.03,
		},
	},
	{
		Name:        "scale",
		Description: "100,000 payments against 1,000,000 open items of 200,000 debtors, the b2c-shop mix with B2B lump sums",
		Debtors:     200000, Items: 1000000, Payments: 100000,
		CompanyShare: 0.15,
		Invoice:      numberFormat{Prefix: "RE-2026-", Digits: 7, Start: 100},
		Customer:     numberFormat{Prefix: "K", Digits: 7, Start: 1000000},
		Order:        numberFormat{Prefix: "", Digits: 9, Start: 300000000},
		TermsDays:    14, DiscountShare: 0.1, RFShare: 0.2, PartlyPaidShare: 0.03,
		MasterIBANShare: 0.4, MandateShare: 0.15, HistoryShare: 0.4,
		Situations: map[Situation]int{
			SitExact: 540, SitBankFee: 25, SitDiscount: 30, SitDiscountLate: 8, SitPartial: 25,
			SitInstalments: 15, SitOverpayment: 20, SitLump: 50, SitDuplicate: 15, SitEqualAmounts: 40,
			SitNobody: 30, SitDirectDebit: 150, SitReturn: 20, SitPayout: 2,
		},
		LumpMin: 2, LumpMax: 20, LumpListsAll: 0.5, LumpListsSome: 0.25, LumpDiscount: 0.3,
		Marketplaces: 2, SettlementMin: 50, SettlementMax: 300, MarketplaceOpenShare: 0.05,
		PayoutNamesSettlement: 0.6,
		Noise: Noise{
			NoReference: 0.06, CustomerNumber: 0.05, OrderID: 0.1, RFStructured: 0.5, RFText: 0.2,
			DropPrefix: 0.12, LeadingZeros: 0.08, Separators: 0.12, Wrapper: 0.25, DateGlued: 0.06,
			Typo: 0.03, Cut35: 0.03, NameVariant: 0.3, OtherPayer: 0.03, NewIBAN: 0.15, E2EInvoice: 0.07,
		},
	},
}

// DefaultScenario is the scenario used when none is named.
const DefaultScenario = "b2c-shop"

// Scenarios returns the scenario names in their fixed order.
func Scenarios() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.Name
	}
	return names
}

// Lookup returns the scenario called name.
func Lookup(name string) (Scenario, error) {
	i := slices.IndexFunc(scenarios, func(s Scenario) bool { return s.Name == name })
	if i < 0 {
		return Scenario{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownScenario, name, strings.Join(Scenarios(), ", "))
	}
	return scenarios[i], nil
}

// situationOrder fixes the order in which weights are drawn, so that the
// draw does not depend on map iteration.
var situationOrder = []Situation{
	SitExact, SitBankFee, SitDiscount, SitDiscountLate, SitPartial, SitInstalments, SitOverpayment,
	SitLump, SitDuplicate, SitEqualAmounts, SitNobody, SitDirectDebit, SitReturn, SitPayout,
}
