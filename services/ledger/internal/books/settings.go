package books

import (
	"errors"
	"fmt"

	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/tenants"
)

// settingError is a problem with one field of a ledger section.
type settingError struct {
	field string // inside the section, e.g. "chart"
	err   error
}

func (e *settingError) Error() string { return e.field + ": " + e.err.Error() }
func (e *settingError) Unwrap() error { return e.err }

func badSetting(field, format string, args ...any) error {
	return &settingError{field: field, err: fmt.Errorf(format, args...)}
}

// ConfigOf turns a tenant's ledger section of the tenants file (see
// package tenants for the format) into the books' configuration. Every
// logical account the tenant's tax rules name must resolve in its chart
// ("accounts" maps new names such as "output-vat-oss-at" to numbers); the
// error names the field.
func ConfigOf(l tenants.Ledger) (Config, error) {
	var c Config
	switch l.Chart {
	case "", "SKR03":
		c.Chart.Standard = SKR03
	case "SKR04":
		c.Chart.Standard = SKR04
	default:
		return c, badSetting("chart", "%q: want SKR03 or SKR04", l.Chart)
	}
	if l.AccountLength != 0 && (l.AccountLength < 4 || l.AccountLength > 8) {
		return c, badSetting("account_length", "%d: want 4 to 8", l.AccountLength)
	}
	c.Chart.AccountLength = l.AccountLength
	if len(l.Accounts) > 0 {
		c.Chart.Accounts = map[Logical]string{}
		for k, v := range l.Accounts {
			c.Chart.Accounts[Logical(k)] = v
		}
	}
	c.Chart.Banks, c.Chart.Clearing, c.Chart.Marketplaces = l.Banks, l.Clearing, l.Marketplaces
	table, err := tax.TableOf(l.Tax)
	if err != nil {
		return c, &settingError{field: "tax", err: err}
	}
	for _, name := range table.Logicals() {
		if _, err := c.Chart.Account(Logical(name)); err != nil {
			return c, &settingError{field: "tax", err: fmt.Errorf("a tax rule books on logical account %q, which has no number in %s: give it one under \"accounts\" (%w)",
				name, c.Chart.Standard, ErrUnknownAccount)}
		}
	}
	c.Chart.Tax = table
	c.PeriodActors = l.PeriodActors
	switch l.AllocationOrder {
	case "", "bgb":
		c.Order = OrderBGB
	case "due-date":
		c.Order = OrderDueDate
	case "document-date":
		c.Order = OrderDocumentDate
	default:
		return c, badSetting("allocation_order", "%q: want bgb, due-date or document-date", l.AllocationOrder)
	}
	return c, nil
}

// withBank adds the tenant's bank section to c: every bank account's IBAN
// to the chart's banks (beside ledger.banks; package tenants refuses an
// IBAN that both name with different accounts) with its currency, and the
// G/L account of every outgoing and incoming rule by the rule's name.
func withBank(c *Config, b tenants.Bank) {
	if len(b.Accounts) > 0 {
		banks := make(map[string]string, len(c.Chart.Banks)+len(b.Accounts))
		for iban, account := range c.Chart.Banks {
			banks[NormalIBAN(iban)] = account
		}
		c.Chart.BankCurrencies = map[string]string{}
		for _, a := range b.Accounts {
			iban := NormalIBAN(a.IBAN)
			banks[iban], c.Chart.BankCurrencies[iban] = a.Account, a.Currency
		}
		c.Chart.Banks = banks
	}
	if len(b.OutgoingRules) > 0 {
		c.Chart.OutgoingRules = make(map[string]string, len(b.OutgoingRules))
		for _, r := range b.OutgoingRules {
			c.Chart.OutgoingRules[r.Name] = r.Account
		}
	}
	if len(b.IncomingRules) > 0 {
		c.Chart.IncomingRules = make(map[string]string, len(b.IncomingRules))
		for _, r := range b.IncomingRules {
			c.Chart.IncomingRules[r.Name] = r.Account
		}
	}
}

// ConfigsOf checks the ledger section of every tenant of f and returns the
// function CommanderOptions.Config wants, with the tenant's bank section
// (bank accounts and outgoing rules) in its chart. A tenant f does not list gets
// Config{}; callers reject such tenants before they reach the books
// (tenants.File.Check). The error is a *tenants.FileError naming the file,
// tenant and field of every problem.
func ConfigsOf(f *tenants.File) (func(tenant string) Config, error) {
	configs := map[string]Config{}
	var problems []tenants.Problem
	for _, t := range f.Tenants() {
		c, err := ConfigOf(t.Ledger)
		if err != nil {
			p := tenants.Problem{File: f.Path, Tenant: t.ID, Field: t.Ledger.Path, Message: err.Error()}
			var se *settingError
			if errors.As(err, &se) {
				p.Field, p.Message = t.Ledger.Path+"."+se.field, se.err.Error()
			}
			problems = append(problems, p)
			continue
		}
		withBank(&c, t.Bank)
		configs[t.ID] = c
	}
	if len(problems) > 0 {
		return nil, &tenants.FileError{Problems: problems}
	}
	return func(tenant string) Config { return configs[tenant] }, nil
}
