package books

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/o2c-platform/o2c/libs/debtor"
	"github.com/o2c-platform/o2c/libs/tax"
)

// Standard is a DATEV standard chart of accounts (Standardkontenrahmen).
type Standard int

// The charts o2c knows. SKR03 is the default (the zero value) because the
// accounts fixed by the first ledger events are SKR03 numbers.
const (
	SKR03 Standard = iota
	SKR04
)

// String returns "SKR03" or "SKR04".
func (s Standard) String() string {
	if s == SKR04 {
		return "SKR04"
	}
	return "SKR03"
}

// Logical is one of o2c's own accounts, independent of any chart. A Chart
// maps it to the number the merchant books on.
type Logical string

// o2c's logical accounts. Suffixes 19/7 are the VAT rate in per cent;
// TaxFree is the account used for amounts carrying no VAT.
const (
	ReceivablesControl    Logical = "receivables-control"
	Revenue19             Logical = "revenue-19"
	Revenue7              Logical = "revenue-7"
	RevenueTaxFree        Logical = "revenue-tax-free"
	OutputVAT19           Logical = "output-vat-19"
	OutputVAT7            Logical = "output-vat-7"
	CashDiscount19        Logical = "cash-discount-19"
	CashDiscount7         Logical = "cash-discount-7"
	CashDiscountTaxFree   Logical = "cash-discount-tax-free"
	SalesDeduction19      Logical = "sales-deduction-19"
	SalesDeduction7       Logical = "sales-deduction-7"
	SalesDeductionTaxFree Logical = "sales-deduction-tax-free"
	BadDebt19             Logical = "bad-debt-19"
	BadDebt7              Logical = "bad-debt-7"
	BadDebtTaxFree        Logical = "bad-debt-tax-free"
	BadDebtRecovery       Logical = "bad-debt-recovery"
	ChargeIncome          Logical = "charge-income"
	InterestIncome        Logical = "interest-income"
	PaymentFees           Logical = "payment-fees"
	CollectionCosts       Logical = "collection-costs"
	OpeningBalanceDebtors Logical = "opening-balance-debtors"
	DefaultBank           Logical = "default-bank"
	CashInTransit         Logical = "cash-in-transit"
	DebtorMergeClearing   Logical = "debtor-merge-clearing"
	// UnidentifiedReceipts is the clearing account a bank receipt (and its
	// return) waits on until matching moves it to the debtor; its name is
	// also the clearing account name ApplyPayment takes.
	UnidentifiedReceipts Logical = "unidentified-receipts"
	// UnidentifiedPayments is the clearing account of bank debits no
	// outgoing rule classified, left for the finance team.
	UnidentifiedPayments Logical = "unidentified-payments"
	// OpeningBalanceAccounts is where the opening balances of G/L accounts
	// come from (a bank account's first statement).
	OpeningBalanceAccounts Logical = "opening-balance-accounts"
	// MarketplaceReserve is the receivable from a marketplace for money it
	// holds back from a payout (Amazon's reserve): debited when withheld,
	// credited when released. ApplyPayment books a Fee of this kind here.
	MarketplaceReserve Logical = "marketplace-reserve"
	// InputVAT is deductible input VAT (Vorsteuer) at the standard rate:
	// what a collection agency charges on its commission
	// (RecordAgencyCollection).
	InputVAT Logical = "input-vat"
)

// Logical accounts of the tax treatments beyond domestic 19 %/7 %/0 % (see
// package tax, whose rules name them): the rates of 2020-H2, intra-EU
// supplies, exports, exempt supplies and OSS sales.
const (
	Revenue16                   Logical = "revenue-16"
	Revenue5                    Logical = "revenue-5"
	OutputVAT16                 Logical = "output-vat-16"
	OutputVAT5                  Logical = "output-vat-5"
	CashDiscount16              Logical = "cash-discount-16"
	CashDiscount5               Logical = "cash-discount-5"
	SalesDeduction16            Logical = "sales-deduction-16"
	SalesDeduction5             Logical = "sales-deduction-5"
	BadDebt16                   Logical = "bad-debt-16"
	BadDebt5                    Logical = "bad-debt-5"
	RevenueIntraEUSupply        Logical = "revenue-intra-eu-supply"
	CashDiscountIntraEUSupply   Logical = "cash-discount-intra-eu-supply"
	SalesDeductionIntraEUSupply Logical = "sales-deduction-intra-eu-supply"
	RevenueExport               Logical = "revenue-export"
	SalesDeductionExport        Logical = "sales-deduction-export"
	RevenueExempt               Logical = "revenue-exempt"
	SalesDeductionExempt        Logical = "sales-deduction-exempt"
	RevenueOSS                  Logical = "revenue-oss"
	OutputVATOSS                Logical = "output-vat-oss"
	SalesDeductionOSS           Logical = "sales-deduction-oss"
)

// standardAccounts holds the DATEV numbers of every logical account in
// SKR03 and SKR04 (4-digit G/L accounts, editions 2024-2026):
//
//	logical                  SKR03  SKR04  name
//	receivables-control      1400   1200   Forderungen aus Lieferungen und Leistungen
//	revenue-19 / -7          8400   4400   Erlöse 19 % USt / 8300 4300 Erlöse 7 % USt
//	revenue-tax-free         8200   4200   Erlöse (no automatic VAT)
//	output-vat-19 / -7       1776   3806   Umsatzsteuer 19 % / 1771 3801 Umsatzsteuer 7 %
//	cash-discount-19/-7/free 8736   4736   Gewährte Skonti 19 % / 8731 4731 7 % / 8730 4730
//	sales-deduction-19/-7/free 8720 4720   Erlösschmälerungen 19 % / 8710 4710 7 % / 8700 4700
//	bad-debt-19/-7/free      2406   6936   Forderungsverluste 19 % / 2401 6931 7 % / 2400 6930
//	bad-debt-recovery        2732   4925   Erträge aus abgeschriebenen Forderungen
//	charge-income            2700   4830   Sonstige Erträge (dunning and returned-debit fees; not taxable, damages)
//	interest-income          2650   7100   Sonstige Zinsen und ähnliche Erträge (default interest)
//	payment-fees             4970   6855   Nebenkosten des Geldverkehrs
//	collection-costs         4950   6825   Rechts- und Beratungskosten (agency commission)
//	opening-balance-debtors  9008   9008   Saldenvorträge Debitoren
//	default-bank             1200   1800   Bank
//	cash-in-transit          1360   1460   Geldtransit (default clearing account)
//	debtor-merge-clearing    1590   1370   Durchlaufende Posten (a debtor merge passes through; nets to zero)
//	unidentified-receipts    1591   1371   ungeklärte Zahlungseingänge (bank receipts until matched)
//	unidentified-payments    1599   1379   ungeklärte Zahlungsausgänge (unclassified bank debits)
//	opening-balance-accounts 9000   9000   Saldenvorträge Sachkonten
//	marketplace-reserve      1369   1479   Sonstige Vermögensgegenstände (reserve a marketplace holds back)
//	input-vat                1576   1406   Abziehbare Vorsteuer 19 % (on an agency's commission)
//
// and the accounts of the other tax treatments (package tax):
//
//	logical                          SKR03  SKR04  name
//	revenue-16 / -5 and their        as 19 % / 7 %  DATEV's automatic accounts 8400/8300 (4400/4300)
//	  VAT, discount, deduction,                     computed 16 %/5 % for documents dated
//	  bad-debt accounts                             2020-07-01..2020-12-31 (tax keys 3/2 then)
//	revenue-intra-eu-supply          8125   4125   Steuerfreie innergemeinschaftliche Lieferungen § 4 Nr. 1b UStG
//	cash-discount-intra-eu-supply    8743   4743   Gewährte Skonti aus steuerfreien ig. Lieferungen § 4 Nr. 1b UStG
//	sales-deduction-intra-eu-supply  8724   4724   Erlösschmälerungen aus steuerfreien ig. Lieferungen
//	revenue-export                   8120   4120   Steuerfreie Umsätze § 4 Nr. 1a UStG (Ausfuhr)
//	sales-deduction-export           8705   4705   Erlösschmälerungen aus steuerfreien Umsätzen § 4 Nr. 1a UStG
//	revenue-exempt                   8100   4100   Steuerfreie Umsätze § 4 Nr. 8 ff. UStG
//	sales-deduction-exempt           8701   4701   Erlösschmälerungen für steuerfreie Umsätze § 4 Nr. 8 ff. UStG
//	revenue-oss                      8320   4320   Erlöse aus im anderen EU-Land steuerpflichtigen Lieferungen
//	output-vat-oss                   1767   3817   Umsatzsteuer aus im anderen EU-Land steuerpflichtigen Lieferungen
//	sales-deduction-oss              8727   4727   Erlösschmälerungen aus im anderen EU-Land steuerpflichtigen Lieferungen
//
// Exports, exempt and OSS supplies take cash discounts on 8730/4730 and
// every tax-free or foreign supply bad debt on 2400/6930, for want of a
// dedicated standard account.
//
// The SKR03 numbers of receivables, revenue and output VAT are the ones the
// first ledger events were booked on and must not change. The SKR04 numbers
// and the less common accounts (recovery 4925, charge income) are from
// memory of the DATEV lists and should be checked against the merchant's
// edition; a tenant overrides any of them through Chart.Accounts. Of the
// tax treatment accounts, the SKR03 revenue, discount and deduction numbers
// were checked against a published SKR03 account list and 1767/3817 against
// a published SKR03/SKR04 table; the SKR04 numbers of the others follow the
// SKR03-SKR04 parallel (8xxx -> 4xxx) and are unconfirmed. Whether DATEV
// expected 1776/1771 or 1775 for the output VAT of 2020-H2 is unconfirmed
// too; a merchant who booked 16 % apart overrides output-vat-16.
//
// DATEV has no standard account for unidentified bank receipts and
// payments; bookkeepers use a clearing account of their own beside
// Durchlaufende Posten. 1591/1371 and 1599/1379 are such numbers, chosen
// in the range of 1590/1370 and unconfirmed: an edition or a merchant's
// chart may use them for something else (1592 and 1374 are Fremdgeld, so
// they were avoided). A tenant sets
// its own under ledger.accounts ("unidentified-receipts",
// "unidentified-payments") or ledger.clearing, which wins, as ApplyPayment
// names the receipts account by its clearing name. 9000 (Saldenvorträge
// Sachkonten) is the same in SKR03 and SKR04.
//
// DATEV has no standard account for a marketplace's reserve either: it is a
// receivable from the marketplace beside the Geldtransit of 1360/1460.
// 1369/1479 are chosen for it and unconfirmed; a tenant sets its own under
// ledger.accounts ("marketplace-reserve").
var standardAccounts = [...]map[Logical]string{
	SKR03: {
		ReceivablesControl: "1400", Revenue19: "8400", Revenue7: "8300", RevenueTaxFree: "8200",
		OutputVAT19: "1776", OutputVAT7: "1771",
		CashDiscount19: "8736", CashDiscount7: "8731", CashDiscountTaxFree: "8730",
		SalesDeduction19: "8720", SalesDeduction7: "8710", SalesDeductionTaxFree: "8700",
		BadDebt19: "2406", BadDebt7: "2401", BadDebtTaxFree: "2400", BadDebtRecovery: "2732",
		ChargeIncome: "2700", InterestIncome: "2650", PaymentFees: "4970", CollectionCosts: "4950",
		OpeningBalanceDebtors: "9008", DefaultBank: "1200", CashInTransit: "1360", DebtorMergeClearing: "1590",
		UnidentifiedReceipts: "1591", UnidentifiedPayments: "1599", OpeningBalanceAccounts: "9000", MarketplaceReserve: "1369",
		InputVAT:  "1576",
		Revenue16: "8400", Revenue5: "8300", OutputVAT16: "1776", OutputVAT5: "1771",
		CashDiscount16: "8736", CashDiscount5: "8731", SalesDeduction16: "8720", SalesDeduction5: "8710",
		BadDebt16: "2406", BadDebt5: "2401",
		RevenueIntraEUSupply: "8125", CashDiscountIntraEUSupply: "8743", SalesDeductionIntraEUSupply: "8724",
		RevenueExport: "8120", SalesDeductionExport: "8705", RevenueExempt: "8100", SalesDeductionExempt: "8701",
		RevenueOSS: "8320", OutputVATOSS: "1767", SalesDeductionOSS: "8727",
	},
	SKR04: {
		ReceivablesControl: "1200", Revenue19: "4400", Revenue7: "4300", RevenueTaxFree: "4200",
		OutputVAT19: "3806", OutputVAT7: "3801",
		CashDiscount19: "4736", CashDiscount7: "4731", CashDiscountTaxFree: "4730",
		SalesDeduction19: "4720", SalesDeduction7: "4710", SalesDeductionTaxFree: "4700",
		BadDebt19: "6936", BadDebt7: "6931", BadDebtTaxFree: "6930", BadDebtRecovery: "4925",
		ChargeIncome: "4830", InterestIncome: "7100", PaymentFees: "6855", CollectionCosts: "6825",
		OpeningBalanceDebtors: "9008", DefaultBank: "1800", CashInTransit: "1460", DebtorMergeClearing: "1370",
		UnidentifiedReceipts: "1371", UnidentifiedPayments: "1379", OpeningBalanceAccounts: "9000", MarketplaceReserve: "1479",
		InputVAT:  "1406",
		Revenue16: "4400", Revenue5: "4300", OutputVAT16: "3806", OutputVAT5: "3801",
		CashDiscount16: "4736", CashDiscount5: "4731", SalesDeduction16: "4720", SalesDeduction5: "4710",
		BadDebt16: "6936", BadDebt5: "6931",
		RevenueIntraEUSupply: "4125", CashDiscountIntraEUSupply: "4743", SalesDeductionIntraEUSupply: "4724",
		RevenueExport: "4120", SalesDeductionExport: "4705", RevenueExempt: "4100", SalesDeductionExempt: "4701",
		RevenueOSS: "4320", OutputVATOSS: "3817", SalesDeductionOSS: "4727",
	},
}

// ErrUnknownAccount means a chart has no account for what a command names:
// a logical account, an IBAN, a clearing account or a marketplace.
var ErrUnknownAccount = errors.New("no such account in the chart")

// ErrAccountLength means a chart's G/L account length is outside 4-8.
var ErrAccountLength = errors.New("account length must be 4 to 8 digits")

// ErrDebtorRangeFull means every debtor personal account number the account
// length allows is taken.
var ErrDebtorRangeFull = errors.New("debtor account range is full")

// Chart is a tenant's chart of accounts: a DATEV standard plus the
// merchant's own numbers. The zero Chart is SKR03 with 4-digit G/L accounts.
type Chart struct {
	// Standard is the chart the defaults come from.
	Standard Standard
	// AccountLength is the number of digits of G/L accounts (DATEV
	// Sachkontenlänge), 4-8; 0 means 4. Debtor personal accounts have one
	// digit more (see DebtorRange).
	AccountLength int
	// Accounts maps logical accounts to the merchant's numbers where they
	// differ from the standard.
	Accounts map[Logical]string
	// Banks maps the IBANs of the merchant's bank accounts (upper case, no
	// spaces) to G/L accounts. An IBAN not listed is an error: money must
	// land on a known account.
	Banks map[string]string
	// BankCurrencies maps IBANs to the currency of the bank account, where
	// the tenants file names it (bank.accounts); bank transactions and
	// statements in another currency are refused.
	BankCurrencies map[string]string
	// OutgoingRules maps the names of the tenant's outgoing rules
	// (bank.outgoing_rules) to the G/L account their debits are booked to.
	OutgoingRules map[string]string
	// IncomingRules maps the names of the tenant's incoming rules
	// (bank.incoming_rules) to the G/L account their credits are booked
	// against.
	IncomingRules map[string]string
	// Clearing maps clearing account names (marketplaces, payment providers,
	// collection agencies: "amazon", "paypal", "agency-x") to G/L accounts,
	// e.g. Amazon payouts clear through their own account so that each
	// settlement report can be reconciled on its own.
	Clearing map[string]string
	// Marketplaces maps MarketplaceKey(marketplace, currency) to the debtor
	// personal account that holds the receivables against that marketplace:
	// the marketplace debtor's one personal account, on which its items and
	// its statement are. It applies from the debtor's first booking; a
	// marketplace debtor booked before its account was configured keeps the
	// number it was assigned then.
	Marketplaces map[string]string
	// Tax maps tax treatments (country, rate, treatment, date) to logical
	// accounts and DATEV tax keys; nil is tax.Default(). Every logical
	// account it names must resolve in this chart (the settings check it).
	Tax *tax.Table
}

// Account returns the number of logical account l.
func (c Chart) Account(l Logical) (string, error) {
	if a, ok := c.Accounts[l]; ok && a != "" {
		return a, nil
	}
	if a, ok := standardAccounts[c.standard()][l]; ok {
		return a, nil
	}
	return "", fmt.Errorf("%w: logical account %q", ErrUnknownAccount, l)
}

func (c Chart) standard() Standard {
	if c.Standard == SKR04 {
		return SKR04
	}
	return SKR03
}

// Bank returns the G/L account of the bank account with the given IBAN;
// spaces and case do not matter.
func (c Chart) Bank(iban string) (string, error) {
	if a, ok := c.Banks[iban]; ok {
		return a, nil
	}
	if a, ok := c.Banks[NormalIBAN(iban)]; ok {
		return a, nil
	}
	return "", fmt.Errorf("%w: bank account %q is not configured (bank.accounts or ledger.banks of the tenants file)", ErrUnknownAccount, iban)
}

// NormalIBAN returns iban in upper case without spaces, the form the chart
// keeps IBANs in.
func NormalIBAN(iban string) string {
	return strings.ToUpper(strings.ReplaceAll(iban, " ", ""))
}

// ClearingAccount returns the G/L account of the named clearing account.
// The unidentified receipts and payments accounts are clearing accounts by
// their logical names ("unidentified-receipts", "unidentified-payments")
// even when the tenant lists them under neither: a number under
// Clearing wins, then one under Accounts, then the standard's.
func (c Chart) ClearingAccount(name string) (string, error) {
	if a, ok := c.Clearing[name]; ok {
		return a, nil
	}
	switch Logical(name) {
	case UnidentifiedReceipts, UnidentifiedPayments:
		return c.Account(Logical(name))
	}
	return "", fmt.Errorf("%w: clearing account %q", ErrUnknownAccount, name)
}

// OutgoingRule returns the G/L account of the tenant's outgoing rule with
// the given name.
func (c Chart) OutgoingRule(name string) (string, error) {
	if a, ok := c.OutgoingRules[name]; ok && a != "" {
		return a, nil
	}
	return "", fmt.Errorf("%w: outgoing rule %q is not in the tenant's bank.outgoing_rules", ErrUnknownAccount, name)
}

// IncomingRule returns the G/L account of the tenant's incoming rule with
// the given name.
func (c Chart) IncomingRule(name string) (string, error) {
	if a, ok := c.IncomingRules[name]; ok && a != "" {
		return a, nil
	}
	return "", fmt.Errorf("%w: incoming rule %q is not in the tenant's bank.incoming_rules", ErrUnknownAccount, name)
}

// MarketplaceKey is the key of Chart.Marketplaces: one debtor per
// marketplace and currency.
func MarketplaceKey(marketplace, currency string) string { return marketplace + "/" + currency }

// MarketplaceDebtorID is the debtor id under which the receivables against a
// marketplace in one currency are kept. It lies in the namespace package
// debtor reserves, which no command may name as a debtor of its own: only
// RegisterInvoice's marketplace field leads there.
func MarketplaceDebtorID(marketplace, currency string) string {
	return debtor.MarketplaceID(marketplace, currency)
}

// MarketplaceOf returns the marketplace and currency of a marketplace
// debtor id as MarketplaceDebtorID derives it, or false when id is not one.
func MarketplaceOf(id string) (marketplace, currency string, ok bool) {
	rest, found := strings.CutPrefix(id, debtor.MarketplacePrefix)
	i := strings.LastIndexByte(rest, ':')
	if !found || i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	return rest[:i], rest[i+1:], true
}

// MarketplaceDebtor returns the personal account of the marketplace's debtor
// for currency.
func (c Chart) MarketplaceDebtor(marketplace, currency string) (string, error) {
	if a, ok := c.Marketplaces[MarketplaceKey(marketplace, currency)]; ok {
		return a, nil
	}
	return "", fmt.Errorf("%w: marketplace debtor %s", ErrUnknownAccount, MarketplaceKey(marketplace, currency))
}

// DebtorRange returns the first and last debtor personal account number for
// a G/L account length of 4-8 digits. DATEV personal accounts have one digit
// more than G/L accounts; debtors take the leading digits 1-6 and creditors
// 7-9. So length 4 gives debtors 10000-69999 (60,000 accounts), 5 gives
// 100000-699999 (600,000), 6 gives 6 million, 7 gives 60 million and 8 gives
// 600 million (100000000-699999999).
func DebtorRange(accountLength int) (first, last int64, err error) {
	if accountLength == 0 {
		accountLength = 4
	}
	if accountLength < 4 || accountLength > 8 {
		return 0, 0, fmt.Errorf("%w: %d", ErrAccountLength, accountLength)
	}
	first = 1
	for range accountLength {
		first *= 10
	}
	return first, 7*first - 1, nil
}

// DebtorAccountNumber returns the personal account for the debtor numbered
// seq (0 for the first debtor ever seen) under the chart's account length.
// Numbers are assigned in order of first sight and never change.
func (c Chart) DebtorAccountNumber(seq int64) (string, error) {
	first, last, err := DebtorRange(c.AccountLength)
	if err != nil {
		return "", err
	}
	if seq < 0 || seq > last-first {
		return "", fmt.Errorf("%w: debtor %d of %d", ErrDebtorRangeFull, seq+1, last-first+1)
	}
	return strconv.FormatInt(first+seq, 10), nil
}

// rateAccounts are the logical accounts and DATEV tax key of one tax key.
type rateAccounts struct {
	revenue, vat, discount, deduction, badDebt Logical
	taxKey                                     string
}

func accountsOf(a tax.Accounts) rateAccounts {
	return rateAccounts{
		revenue: Logical(a.Revenue), vat: Logical(a.OutputVAT), discount: Logical(a.CashDiscount),
		deduction: Logical(a.SalesDeduction), badDebt: Logical(a.BadDebt), taxKey: a.TaxKey,
	}
}

// supply returns the accounts of a supply of key k dated d, or
// ErrUnsupportedRate naming (country, rate, treatment, date).
//
// DATEV tax keys (BU-Schlüssel) come with the rule (see package tax): 3 for
// 19 % output VAT, 2 for 7 %, none for domestic tax-free amounts and for
// non-taxable charges (dunning fees and default interest are damages, not
// consideration). The key sits on the net leg (revenue, discount, deduction,
// bad debt, recovery); the VAT leg is the split-out tax. On DATEV automatic
// accounts (8400, 2406, ...) the export must drop the key, since DATEV then
// computes the tax itself.
func (c Chart) supply(k tax.Key, d Date) (rateAccounts, error) {
	a, err := c.Tax.Supply(k, tax.Date(d))
	if err != nil {
		return rateAccounts{}, fmt.Errorf("%w: %w", ErrUnsupportedRate, err)
	}
	return accountsOf(a), nil
}

// correction returns the accounts of a correction booked on d of a supply
// of key k (see tax.Table.Correction), or ErrUnsupportedRate when the chart
// maps k on no date at all.
func (c Chart) correction(k tax.Key, d Date) (rateAccounts, error) {
	a, err := c.Tax.Correction(k, tax.Date(d))
	if err != nil {
		return rateAccounts{}, fmt.Errorf("%w: %w", ErrUnsupportedRate, err)
	}
	return accountsOf(a), nil
}
