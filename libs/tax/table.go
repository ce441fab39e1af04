package tax

import (
	"fmt"
	"time"
)

// Accounts are where a supply of one key is booked: logical account names
// (resolved to numbers by the tenant's chart) and the DATEV tax key
// (BU-Schlüssel) of the net legs.
type Accounts struct {
	// Revenue takes the net amount of the supply.
	Revenue string
	// OutputVAT takes the VAT; empty exactly when the rate is 0.
	OutputVAT string
	// CashDiscount takes a cash discount (Skonto) the payer took.
	CashDiscount string
	// SalesDeduction takes an accepted payment difference
	// (Erlösschmälerung).
	SalesDeduction string
	// BadDebt takes a write-off (§ 17 UStG corrects the VAT with it).
	BadDebt string
	// TaxKey is the DATEV tax key of bookings dated inside the rule's
	// window; empty for none.
	TaxKey string
	// TaxKeyOutside is the DATEV tax key of a correction dated outside the
	// window; empty means TaxKey. DATEV's keys 2 and 3 were date-dependent:
	// from 2020-07-01 to 2020-12-31 they meant 5 % and 16 %, and 4 and 5
	// meant 7 % and 19 %; before and after, 2/3 mean 7 %/19 % and 4/5 mean
	// 5 %/16 %. A credit note of 2021 on a 16 % sale therefore needs key 5.
	TaxKeyOutside string
}

// Rule maps a key to accounts for supplies dated From to To (both
// inclusive; a zero end is open).
type Rule struct {
	Key      Key
	From, To Date
	Accounts Accounts
}

// covers reports whether d lies in r's window.
func (r Rule) covers(d Date) bool {
	return (r.From.IsZero() || r.From.Compare(d) <= 0) && (r.To.IsZero() || d.Compare(r.To) <= 0)
}

// distance returns how many days d lies outside r's window (0 inside).
func (r Rule) distance(d Date) int64 {
	switch {
	case !r.From.IsZero() && d.Compare(r.From) < 0:
		return r.From.days() - d.days()
	case !r.To.IsZero() && d.Compare(r.To) > 0:
		return d.days() - r.To.days()
	}
	return 0
}

func (r Rule) String() string {
	from, to := "…", "…"
	if !r.From.IsZero() {
		from = r.From.String()
	}
	if !r.To.IsZero() {
		to = r.To.String()
	}
	return fmt.Sprintf("%s %s..%s", r.Key, from, to)
}

// check returns an error unless r is well-formed.
func (r Rule) check() error {
	if err := r.Key.Check(); err != nil {
		return err
	}
	for _, d := range []Date{r.From, r.To} {
		if !d.IsZero() && !d.Valid() {
			return fmt.Errorf("%s is not a calendar date", d)
		}
	}
	if !r.From.IsZero() && !r.To.IsZero() && r.To.Compare(r.From) < 0 {
		return fmt.Errorf("window ends %s before it starts %s", r.To, r.From)
	}
	a := r.Accounts
	for _, f := range []struct{ name, logical string }{
		{"revenue", a.Revenue}, {"cash_discount", a.CashDiscount}, {"sales_deduction", a.SalesDeduction}, {"bad_debt", a.BadDebt},
	} {
		if f.logical == "" {
			return fmt.Errorf("no %s account", f.name)
		}
	}
	if (r.Key.RateBP == 0) != (a.OutputVAT == "") {
		return fmt.Errorf("an output VAT account is needed exactly when the rate is above 0")
	}
	return nil
}

// Table is a set of rules. Rules added over a base (NewTable) take
// precedence over the base's, so a tenant can add keys (OSS countries) and
// override the defaults for a window. A Table is immutable and safe for
// concurrent use.
type Table struct {
	rules []Rule
}

// cut is the window of Germany's temporary VAT cut: 16 % and 5 % instead of
// 19 % and 7 % for supplies from 2020-07-01 to 2020-12-31.
var cutFrom, cutTo = Date{2020, time.July, 1}, Date{2020, time.December, 31}

// Logical account names the Default table and the settings defaults use.
// Every chart must be able to resolve them.
const (
	revenue19, outputVAT19, discount19, deduction19, badDebt19 = "revenue-19", "output-vat-19", "cash-discount-19", "sales-deduction-19", "bad-debt-19"
	revenue7, outputVAT7, discount7, deduction7, badDebt7      = "revenue-7", "output-vat-7", "cash-discount-7", "sales-deduction-7", "bad-debt-7"
	revenue16, outputVAT16, discount16, deduction16, badDebt16 = "revenue-16", "output-vat-16", "cash-discount-16", "sales-deduction-16", "bad-debt-16"
	revenue5, outputVAT5, discount5, deduction5, badDebt5      = "revenue-5", "output-vat-5", "cash-discount-5", "sales-deduction-5", "bad-debt-5"
	revenueFree, discountFree, deductionFree, badDebtFree      = "revenue-tax-free", "cash-discount-tax-free", "sales-deduction-tax-free", "bad-debt-tax-free"
	revenueIntraEU, discountIntraEU, deductionIntraEU          = "revenue-intra-eu-supply", "cash-discount-intra-eu-supply", "sales-deduction-intra-eu-supply"
	revenueExport, deductionExport                             = "revenue-export", "sales-deduction-export"
	revenueExempt, deductionExempt                             = "revenue-exempt", "sales-deduction-exempt"
	revenueOSS, outputVATOSS, deductionOSS                     = "revenue-oss", "output-vat-oss", "sales-deduction-oss"
)

// The default accounts of each treatment. DATEV tax keys: 3 and 2 are
// output VAT at the standard and reduced rate (19 %/7 %, and 16 %/5 % in
// 2020-H2), 5 and 4 the other pair at the same time (see
// Accounts.TaxKeyOutside); 1 is "steuerfrei mit Vorsteuerabzug", which
// intra-EU supplies and exports are. Exempt supplies (§ 4 Nr. 8 ff. UStG,
// without input VAT deduction) and domestic lines without VAT carry none;
// their accounts say what they are. The meaning of keys 2-5 before, in and
// after 2020-H2 agrees in two accounting vendors' DATEV key tables; whether
// DATEV wants key 1 on 8120/8125, function accounts that carry the
// treatment themselves, is unconfirmed (the export may have to drop it, as
// it drops keys on automatic accounts).
var (
	accounts19 = Accounts{revenue19, outputVAT19, discount19, deduction19, badDebt19, "3", "5"}
	accounts7  = Accounts{revenue7, outputVAT7, discount7, deduction7, badDebt7, "2", "4"}
	// 16 % and 5 % have logical accounts of their own so that a merchant
	// who booked them apart can say where; the charts default them to the
	// 19 %/7 % numbers, as DATEV's automatic revenue accounts (8400/8300)
	// computed 16 %/5 % for documents dated in the window.
	accounts16     = Accounts{revenue16, outputVAT16, discount16, deduction16, badDebt16, "3", "5"}
	accounts5      = Accounts{revenue5, outputVAT5, discount5, deduction5, badDebt5, "2", "4"}
	accountsFree   = Accounts{revenueFree, "", discountFree, deductionFree, badDebtFree, "", ""}
	accountsIntra  = Accounts{revenueIntraEU, "", discountIntraEU, deductionIntraEU, badDebtFree, "1", ""}
	accountsExport = Accounts{revenueExport, "", discountFree, deductionExport, badDebtFree, "1", ""}
	accountsExempt = Accounts{revenueExempt, "", discountFree, deductionExempt, badDebtFree, "", ""}
	// OSS sales carry the VAT of another member state, owed through the
	// Federal Central Tax Office; no DATEV key by default (DATEV wants the
	// member state and its rate with them: set tax_key per tenant).
	accountsOSS = Accounts{revenueOSS, outputVATOSS, discountFree, deductionOSS, badDebtFree, "", ""}
)

// defaultTable is built once; its rules are never changed.
var defaultTable = &Table{rules: []Rule{
	{Key: Key{Home, 1900, Domestic}, To: Date{2020, time.June, 30}, Accounts: accounts19},
	{Key: Key{Home, 1900, Domestic}, From: Date{2021, time.January, 1}, Accounts: accounts19},
	{Key: Key{Home, 700, Domestic}, To: Date{2020, time.June, 30}, Accounts: accounts7},
	{Key: Key{Home, 700, Domestic}, From: Date{2021, time.January, 1}, Accounts: accounts7},
	{Key: Key{Home, 1600, Domestic}, From: cutFrom, To: cutTo, Accounts: accounts16},
	{Key: Key{Home, 500, Domestic}, From: cutFrom, To: cutTo, Accounts: accounts5},
	{Key: Key{Home, 0, Domestic}, Accounts: accountsFree},
	{Key: Key{Home, 0, IntraEUSupply}, Accounts: accountsIntra},
	{Key: Key{Home, 0, Export}, Accounts: accountsExport},
	{Key: Key{Home, 0, Exempt}, Accounts: accountsExempt},
}}

// Default returns the table every tenant starts from (see the package
// comment).
func Default() *Table { return defaultTable }

// NewTable returns base with rules added in front of it. A rule must be
// well-formed and must not overlap another added rule of the same key.
func NewTable(base *Table, rules ...Rule) (*Table, error) {
	for i, r := range rules {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("tax rule %d %s: %w", i, r, err)
		}
		for j, o := range rules[:i] {
			if o.Key == r.Key && overlap(o, r) {
				return nil, fmt.Errorf("tax rules %d and %d both map %s on some dates: %s and %s", j, i, r.Key, o, r)
			}
		}
	}
	t := &Table{rules: make([]Rule, 0, len(rules)+len(base.Rules()))}
	t.rules = append(append(t.rules, rules...), base.Rules()...)
	return t, nil
}

func overlap(a, b Rule) bool {
	startsBeforeEnd := func(x, y Rule) bool { return x.From.IsZero() || y.To.IsZero() || x.From.Compare(y.To) <= 0 }
	return startsBeforeEnd(a, b) && startsBeforeEnd(b, a)
}

// Rules returns the table's rules in order of precedence. A nil Table is
// the Default one.
func (t *Table) Rules() []Rule {
	return append([]Rule(nil), t.ruleList()...)
}

// ruleList is the table's rules in order of precedence, not copied: for
// look-ups that only read them (a Supply or Correction per invoice line
// copied the whole table).
func (t *Table) ruleList() []Rule {
	if t == nil {
		return defaultTable.rules
	}
	return t.rules
}

// Supply returns the accounts of a supply of key k dated d: the first rule
// of k whose window covers d. It fails with *UnmappedError when there is
// none, and with ErrInvalidKey when k cannot be a treatment at all. A nil
// Table is the Default one.
func (t *Table) Supply(k Key, d Date) (Accounts, error) {
	if err := k.Check(); err != nil {
		return Accounts{}, err
	}
	for _, r := range t.ruleList() {
		if r.Key == k && r.covers(d) {
			return r.Accounts, nil
		}
	}
	return Accounts{}, &UnmappedError{Key: k, Date: d}
}

// Correction returns the accounts of a correction of a supply of key k
// (credit note, cash discount, payment difference, write-off, recovery)
// booked on d: those of the rule of k covering d, else of the rule of k
// nearest to d, whose TaxKeyOutside then applies. It fails with
// *UnmappedError only when k has no rule at all.
func (t *Table) Correction(k Key, d Date) (Accounts, error) {
	if err := k.Check(); err != nil {
		return Accounts{}, err
	}
	var best Rule
	bestDist := int64(-1)
	for _, r := range t.ruleList() {
		if r.Key != k {
			continue
		}
		if r.covers(d) {
			return r.Accounts, nil
		}
		if dist := r.distance(d); bestDist < 0 || dist < bestDist {
			best, bestDist = r, dist
		}
	}
	if bestDist < 0 {
		return Accounts{}, &UnmappedError{Key: k, Date: d, AnyDate: true}
	}
	a := best.Accounts
	if a.TaxKeyOutside != "" {
		a.TaxKey = a.TaxKeyOutside
	}
	return a, nil
}

// KeysWithTaxKey returns the keys whose bookings dated d carry the DATEV
// tax key taxKey in t, in the order of their first rule: what a journal
// line's tax key means on its date. A booking of key k dated d carries the
// tax key Correction(k, d) gives, which is Supply's wherever k has a rule
// covering d; so key 3 on 2026-01-01 is 19 % and on 2020-08-01 16 %, and key
// 5 on 2026-01-01 is 16 % (a correction of a 2020-H2 sale). An empty or
// unknown tax key gives none; keys a tenant's settings add (OSS) are found
// only in that tenant's table.
func (t *Table) KeysWithTaxKey(taxKey string, d Date) []Key {
	if taxKey == "" {
		return nil
	}
	seen := map[Key]bool{}
	var out []Key
	for _, r := range t.ruleList() {
		if seen[r.Key] {
			continue
		}
		seen[r.Key] = true
		if a, err := t.Correction(r.Key, d); err == nil && a.TaxKey == taxKey {
			out = append(out, r.Key)
		}
	}
	return out
}

// Logicals returns every logical account name the table's rules use, each
// once, in order of first use; a chart must resolve all of them.
func (t *Table) Logicals() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range t.ruleList() {
		a := r.Accounts
		for _, l := range []string{a.Revenue, a.OutputVAT, a.CashDiscount, a.SalesDeduction, a.BadDebt} {
			if l != "" && !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}
