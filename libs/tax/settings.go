package tax

import (
	"fmt"
	"time"
)

// Setting is one rule as a tenant writes it under "tax" in the ledger
// section of the tenants file (package tenants), which ingestion reads too:
//
//	"tax": [
//	  {"country": "AT", "rate_bp": 2000, "treatment": "OSS"},
//	  {"country": "FR", "rate_bp": 2000, "treatment": "OSS", "revenue": "revenue-oss-fr", "output_vat": "output-vat-oss-fr"},
//	  {"country": "DE", "rate_bp": 1900, "treatment": "DOMESTIC", "from": "2020-07-01", "to": "2020-12-31", "tax_key": "5"}
//	]
//
// Country defaults to "DE" and treatment to "DOMESTIC"; from and to
// (YYYY-MM-DD, inclusive) default to an open window, except that OSS starts
// on 2021-07-01, when the one-stop shop began. The accounts are logical
// account names the tenant's chart resolves ("accounts" maps new names to
// numbers); omitted ones default to those of the same key in the Default
// table, else of the treatment (OSS: revenue-oss, output-vat-oss,
// sales-deduction-oss, cash-discount-tax-free, bad-debt-tax-free). A key
// with neither (a domestic rate Germany does not have) must name all of
// them. tax_key defaults likewise; tax_key_outside is the key of
// corrections dated outside the window (see Accounts.TaxKeyOutside).
type Setting struct {
	Country        string `json:"country"`
	RateBP         int32  `json:"rate_bp"`
	Treatment      string `json:"treatment"`
	From           string `json:"from"`
	To             string `json:"to"`
	Revenue        string `json:"revenue"`
	OutputVAT      string `json:"output_vat"`
	CashDiscount   string `json:"cash_discount"`
	SalesDeduction string `json:"sales_deduction"`
	BadDebt        string `json:"bad_debt"`
	TaxKey         string `json:"tax_key"`
	TaxKeyOutside  string `json:"tax_key_outside"`
}

// ossStart is when the one-stop shop for distance sales began.
var ossStart = Date{2021, time.July, 1}

// rule turns s into a Rule with its defaults filled in.
func (s Setting) rule() (Rule, error) {
	t := Domestic
	if s.Treatment != "" {
		var err error
		if t, err = ParseTreatment(s.Treatment); err != nil {
			return Rule{}, err
		}
	}
	r := Rule{Key: KeyOf(s.Country, s.RateBP, t)}
	var err error
	if s.From != "" {
		if r.From, err = ParseDate(s.From); err != nil {
			return Rule{}, fmt.Errorf("from: %w", err)
		}
	} else if t == OSS {
		r.From = ossStart
	}
	if s.To != "" {
		if r.To, err = ParseDate(s.To); err != nil {
			return Rule{}, fmt.Errorf("to: %w", err)
		}
	}
	a, _ := defaultAccounts(r.Key)
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&a.Revenue, s.Revenue)
	set(&a.OutputVAT, s.OutputVAT)
	set(&a.CashDiscount, s.CashDiscount)
	set(&a.SalesDeduction, s.SalesDeduction)
	set(&a.BadDebt, s.BadDebt)
	if s.TaxKey != "" {
		a.TaxKey, a.TaxKeyOutside = s.TaxKey, ""
	}
	set(&a.TaxKeyOutside, s.TaxKeyOutside)
	r.Accounts = a
	return r, nil
}

// defaultAccounts returns the accounts of k in the Default table, else of
// its treatment.
func defaultAccounts(k Key) (Accounts, bool) {
	for _, r := range defaultTable.rules {
		if r.Key == k {
			return r.Accounts, true
		}
	}
	if k.Treatment == OSS {
		return accountsOSS, true
	}
	return Accounts{}, false
}

// TableOf returns the Default table with a tenant's settings added in
// front of it; the ledger and ingestion both build a tenant's table with it.
func TableOf(settings []Setting) (*Table, error) {
	rules := make([]Rule, len(settings))
	for i, s := range settings {
		r, err := s.rule()
		if err != nil {
			return nil, fmt.Errorf("tax[%d]: %w", i, err)
		}
		rules[i] = r
	}
	t, err := NewTable(Default(), rules...)
	if err != nil {
		return nil, fmt.Errorf("tax: %w", err)
	}
	return t, nil
}
