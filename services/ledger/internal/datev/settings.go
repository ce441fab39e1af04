package datev

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// Settings is the datev part of a tenant's reports section in the tenants
// file, as written:
//
//	"reports": {"datev": {"consultant": 29098, "client": 55003,
//	    "fiscal_year_start": "01-01", "transit_account": "1360",
//	    "account_length": 4, "automatic_accounts": {"8400": 19, "8300": 7}}}
//
// Other parts of the reports section belong to the reports and are
// ignored here.
type Settings struct {
	// Consultant is DATEV's Beraternummer, 1001 to 9999999.
	Consultant int `json:"consultant"`
	// Client is DATEV's Mandantennummer, 1 to 99999.
	Client int `json:"client"`
	// FiscalYearStart is the first day of the fiscal year, MM-DD; empty
	// means 01-01 (the calendar year).
	FiscalYearStart string `json:"fiscal_year_start,omitempty"`
	// TransitAccount is the Geldtransit account every bank-side line is
	// booked against, since the tax advisor books the bank from the bank's
	// own feed; empty means the chart's cash-in-transit account (SKR03
	// 1360, SKR04 1460).
	TransitAccount string `json:"transit_account,omitempty"`
	// AccountLength is DATEV's Sachkontenlänge. It must be the ledger's
	// own (ledger.account_length), which numbered the personal accounts;
	// 0 means that one.
	AccountLength int `json:"account_length,omitempty"`
	// AutomaticAccounts are the accounts DATEV computes VAT on by itself
	// (automatic accounts), each with its VAT rate in per cent; when given
	// they replace the defaults (see DefaultAutomatic). Lines on them carry
	// no BU-Schlüssel.
	AutomaticAccounts map[string]int `json:"automatic_accounts,omitempty"`
}

// reportsSection is the part of the reports section the export reads.
type reportsSection struct {
	DATEV json.RawMessage `json:"datev"`
}

// Config is a tenant's DATEV export configuration: its Settings checked
// and completed from the ledger's chart.
type Config struct {
	// Consultant and Client are the Beraternummer and Mandantennummer.
	Consultant, Client int
	// FiscalYearStart is the month and day the fiscal year starts.
	FiscalYearStart struct {
		Month time.Month
		Day   int
	}
	// AccountLength is the Sachkontenlänge; personal accounts have one
	// digit more.
	AccountLength int
	// Chart is DATEV's Sachkontenrahmen, "03" or "04".
	Chart string
	// Currency is the currency the books are kept in (the header's WKZ);
	// entries in other currencies are not exported.
	Currency string
	// Transit is the Geldtransit account that replaces every bank account.
	Transit string
	// Banks are the G/L accounts of the tenant's bank accounts.
	Banks map[string]bool
	// OutputVAT are the accounts of output VAT (Umsatzsteuer) that DATEV
	// computes from gross lines; the ledger's legs on them are folded into
	// the gross amount of the net leg they belong to.
	OutputVAT map[string]bool
	// InputVAT maps the accounts of deductible input VAT (Vorsteuer) to the
	// BU-Schlüssel of a gross line whose VAT DATEV books there.
	InputVAT map[string]string
	// Automatic maps the automatic accounts to their VAT rate in basis
	// points (1900 is 19 %).
	Automatic map[string]int32
}

// DefaultAutomatic returns the automatic accounts (DATEV's "AM" accounts)
// of the accounts the ledger books net amounts on, with their rates in per
// cent: revenue, cash discounts granted, sales deductions and bad debts at
// 19 % and 7 %. DATEV computes the VAT on them from the gross amount and
// computes 16 % and 5 % instead for documents dated 2020-07-01 to
// 2020-12-31.
func DefaultAutomatic(s books.Standard) map[string]int {
	if s == books.SKR04 {
		return map[string]int{"4400": 19, "4300": 7, "4736": 19, "4731": 7, "4720": 19, "4710": 7, "6936": 19, "6931": 7}
	}
	return map[string]int{"8400": 19, "8300": 7, "8736": 19, "8731": 7, "8720": 19, "8710": 7, "2406": 19, "2401": 7}
}

// ConfigOf decodes the tenant's reports section (raw as written, at path
// in the tenants file) and completes it from the ledger's chart. It fails
// with ErrNotConfigured when the section has no datev part and with
// ErrInvalidSettings naming the field when a value is wrong.
func ConfigOf(raw json.RawMessage, path string, chart books.Chart) (Config, error) {
	var c Config
	if len(raw) == 0 {
		return c, ErrNotConfigured
	}
	var sec reportsSection
	if err := json.Unmarshal(raw, &sec); err != nil {
		return c, fmt.Errorf("%s: %w: %w", path, ErrInvalidSettings, err)
	}
	if len(sec.DATEV) == 0 || string(sec.DATEV) == "null" {
		return c, fmt.Errorf("%s: %w", path, ErrNotConfigured)
	}
	path += ".datev"
	var s Settings
	dec := json.NewDecoder(bytes.NewReader(sec.DATEV))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return c, fmt.Errorf("%s: %w: %w", path, ErrInvalidSettings, err)
	}
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%s.%s: %w: %s", path, field, ErrInvalidSettings, fmt.Sprintf(format, a...))
	}
	if s.Consultant < 1001 || s.Consultant > 9999999 {
		return c, bad("consultant", "%d: want DATEV's Beraternummer, 1001 to 9999999", s.Consultant)
	}
	if s.Client < 1 || s.Client > 99999 {
		return c, bad("client", "%d: want DATEV's Mandantennummer, 1 to 99999", s.Client)
	}
	c.Consultant, c.Client = s.Consultant, s.Client
	c.FiscalYearStart.Month, c.FiscalYearStart.Day = time.January, 1
	if s.FiscalYearStart != "" {
		d, err := time.Parse("01-02", s.FiscalYearStart)
		if err != nil || d.Day() > 28 && d.Month() == time.February {
			return c, bad("fiscal_year_start", "%q: want the fiscal year's first day as MM-DD, such as 01-01 or 07-01 (not 29 February)", s.FiscalYearStart)
		}
		c.FiscalYearStart.Month, c.FiscalYearStart.Day = d.Month(), d.Day()
	}
	c.AccountLength = chart.AccountLength
	if c.AccountLength == 0 {
		c.AccountLength = 4
	}
	if s.AccountLength != 0 && s.AccountLength != c.AccountLength {
		return c, bad("account_length", "%d: the ledger numbers its accounts with %d digits (ledger.account_length); DATEV's must be the same", s.AccountLength, c.AccountLength)
	}
	c.Chart = "03"
	if chart.Standard == books.SKR04 {
		c.Chart = "04"
	}
	c.Currency = "EUR"
	account := func(l books.Logical) string {
		a, err := chart.Account(l)
		if err != nil {
			return ""
		}
		return a
	}
	c.Transit = s.TransitAccount
	if c.Transit == "" {
		c.Transit = account(books.CashInTransit)
	}
	if !isAccount(c.Transit, c.AccountLength) {
		return c, bad("transit_account", "%q: want a G/L account of %d digits (SKR03 1360, SKR04 1460 Geldtransit)", c.Transit, c.AccountLength)
	}
	c.Banks = map[string]bool{}
	if a := account(books.DefaultBank); a != "" {
		c.Banks[a] = true
	}
	for _, a := range chart.Banks {
		c.Banks[a] = true
	}
	if c.Banks[c.Transit] {
		return c, bad("transit_account", "%q is a bank account; bank-side lines must go against a transit account, never the bank", c.Transit)
	}
	table := chart.Tax
	if table == nil {
		table = tax.Default()
	}
	c.OutputVAT = map[string]bool{}
	for _, r := range table.Rules() {
		if r.Accounts.OutputVAT == "" {
			continue
		}
		if a := account(books.Logical(r.Accounts.OutputVAT)); a != "" {
			c.OutputVAT[a] = true
		}
	}
	c.InputVAT = map[string]string{}
	if a := account(books.InputVAT); a != "" {
		c.InputVAT[a] = "9" // Vorsteuer 19 %
	}
	auto := s.AutomaticAccounts
	if auto == nil {
		auto = DefaultAutomatic(chart.Standard)
	}
	c.Automatic = make(map[string]int32, len(auto))
	for _, a := range slices.Sorted(maps.Keys(auto)) {
		rate := auto[a]
		if !isAccount(a, c.AccountLength) {
			return c, bad("automatic_accounts", "%q: want a G/L account of %d digits", a, c.AccountLength)
		}
		if rate != 19 && rate != 7 {
			return c, bad("automatic_accounts", "%q: rate %d: want 19 or 7 (per cent; DATEV applies 16 and 5 itself for 2020-07-01 to 2020-12-31)", a, rate)
		}
		c.Automatic[a] = int32(rate) * 100
	}
	return c, nil
}

// isAccount reports whether a is a G/L account of n digits, not all zeros.
func isAccount(a string, n int) bool {
	if len(a) != n {
		return false
	}
	v, err := strconv.Atoi(a)
	return err == nil && v > 0 && a[0] != '+' && a[0] != '-'
}
