package invoice

import (
	"fmt"
	"time"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/tax"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// Option configures Validate.
type Option func(*options)

type options struct {
	table *tax.Table
}

// WithTaxTable makes Validate accept the tax treatments of table, the
// tenant's table as the ledger books it (tenants.File.Tax: the tax rules of
// the tenant's ledger section in the tenants file). Without it Validate
// uses tax.Default(), the table of a tenant without tax rules.
func WithTaxTable(table *tax.Table) Option {
	return func(o *options) { o.table = table }
}

func optionsOf(opts []Option) options {
	o := options{table: tax.Default()}
	for _, f := range opts {
		f(&o)
	}
	if o.table == nil {
		o.table = tax.Default()
	}
	return o
}

// vatGroup sums the lines of one tax key.
type vatGroup struct {
	net, lineVAT int64
	// first is the index of the first line with the key.
	first int
}

// lineKey returns the tax key of a line.
func lineKey(l *shopv1.InvoiceLine) tax.Key {
	return tax.KeyOf(l.GetTaxCountry(), l.GetVatRateBp(), l.GetTaxTreatment())
}

// totalKey returns the tax key of a VAT total.
func totalKey(t *shopv1.VatTotal) tax.Key {
	return tax.KeyOf(t.GetTaxCountry(), t.GetRateBp(), t.GetTaxTreatment())
}

// vatBefore orders the VAT totals of the event: by rate, highest first, then
// by country and treatment, so that the event of an invoice is the same
// whatever the order of its totals. A domestic German total has neither
// country nor treatment (tax.Key.Compact), as before the key had them.
func vatBefore(a, b *shopv1.VatTotal) bool {
	if a.GetRateBp() != b.GetRateBp() {
		return a.GetRateBp() > b.GetRateBp()
	}
	if a.GetTaxCountry() != b.GetTaxCountry() {
		return a.GetTaxCountry() < b.GetTaxCountry()
	}
	return a.GetTaxTreatment() < b.GetTaxTreatment()
}

// qualifier names the country and treatment of k after its rate in a
// problem, or nothing for a domestic German key, the usual one.
func qualifier(k tax.Key) string {
	if k.Country == tax.Home && k.Treatment == tax.Domestic {
		return ""
	}
	return fmt.Sprintf(" (%s, %s)", k.Country, tax.TreatmentName(k.Treatment))
}

// taxRules checks what the ledger needs to book the lines' keys: each key
// is a possible tax treatment and is mapped by the tenant's table on the
// issue date (when that is valid), and the lines of each key sum to zero or
// more, since the ledger books revenue and VAT per key and a negative key
// would be a credit note hidden in an invoice.
func (v *validator) taxRules(table *tax.Table, keys []tax.Key, groups map[tax.Key]*vatGroup, issue time.Time, issueOK bool, exp int, cur string) {
	for _, k := range keys {
		g := groups[k]
		path := fmt.Sprintf("lines[%d]", g.first)
		if err := k.Check(); err != nil {
			v.problem(fmt.Sprintf("%s: tax key %s: %v", path, k, err))
			continue
		}
		if issueOK {
			if _, err := table.Supply(k, tax.Date{Year: issue.Year(), Month: issue.Month(), Day: issue.Day()}); err != nil {
				v.problem(fmt.Sprintf("%s: %v: the tenant's chart cannot book this VAT rate and tax treatment on the issue date", path, err))
			}
		}
		v.check(g.net >= 0, "lines: the lines with tax key %s sum to %s %s net; a negative line must be covered by positive lines with the same rate, country and treatment (use a credit note otherwise)",
			k, money.FormatMinor(g.net, exp), cur)
	}
}

// dueDate checks that the due date derived from the payment terms stays in
// the calendar the ledger's dates can hold (years 1-9999).
func (v *validator) dueDate(inv *shopv1.InvoiceIssued, issue time.Time, issueOK bool) {
	t := inv.GetPaymentTerms()
	if inv.GetDueDate() != nil || t == nil || !issueOK || t.GetNetDays() < 0 || t.GetNetDays() > 3650 {
		return
	}
	due := issue.AddDate(0, 0, int(t.GetNetDays()))
	v.check(due.Year() <= 9999, "payment_terms.net_days: issue_date %s plus %d days is %s, after 9999-12-31, the last date the books can hold",
		issue.Format(time.DateOnly), t.GetNetDays(), due.Format(time.DateOnly))
}
