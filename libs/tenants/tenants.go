// Package tenants reads the tenants file: the one configuration every o2c
// service reads (O2C_TENANTS), listing the tenants o2c keeps books for and
// each tenant's sections. A tenant exists only when this file lists it:
// services reject messages for any other tenant (ErrUnknownTenant) and
// answer questions about one with NOT_FOUND, so a typo in a subject never
// starts new books.
//
// The file is JSON and follows the JSON Schema (draft 2020-12) that Schema
// returns and that is published as libs/tenants/tenants.schema.json:
//
//	{
//	  "$schema": "https://o2c-platform.github.io/schemas/tenants.schema.json",
//	  "tenants": {
//	    "acme": {
//	      "name": "ACME GmbH",
//	      "ledger": {
//	        "chart": "SKR03",                       // or "SKR04"
//	        "account_length": 4,                    // DATEV Sachkontenlänge 4-8; debtors get one digit more
//	        "accounts": {"revenue-19": "8401"},     // logical account -> the merchant's own number
//	        "banks": {"DE02120300000000202051": "1200"},
//	        "clearing": {"amazon": "1361", "paypal": "1362"},
//	        "marketplaces": {"amazon.de/EUR": "69001"},
//	        "period_actors": ["finance:anna"],      // who may close and reopen periods
//	        "allocation_order": "bgb",              // "bgb" (§366/§367, default), "due-date", "document-date"
//	        "tax": [                                // tax treatments beyond the German defaults (tax.Setting)
//	          {"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}
//	        ]
//	      },
//	      "ingestion": {
//	        "holding_period": "168h"                // how long an out-of-order shop message waits; default 336h (14 days)
//	      },
//	      "bank": {                                 // per tenant only, never under "defaults"
//	        "accounts": [                           // each IBAN once; G/L account as in ledger.banks if listed there
//	          {"iban": "DE02120300000000202051", "currency": "EUR", "account": "1200", "name": "Hausbank"}
//	        ],
//	        "outgoing_rules": [                     // debits that are not receivables business; first match wins
//	          {"name": "salaries", "remittance": "LOHN", "bank_tx_code": "PMNT/ICDT", "account": "4120"},
//	          {"name": "tax-office", "counterparty_iban": "DE89370400440532013000", "account": "1780"}
//	        ],
//	        "incoming_rules": [                     // credits that are not a debtor's payment; first match wins
//	          {"name": "inkasso-payout", "counterparty_iban": "DE75512108001245126199", "account": "1362"}
//	        ]
//	      },
//	      "matching": {"auto_threshold": 95}        // the matching service's; it documents and checks the fields
//	    }
//	  },
//	  "defaults": {"ledger": {"chart": "SKR03"}, "ingestion": {"holding_period": "336h"}, "matching": {}}
//	}
//
// (comments are not JSON; they explain the fields here). A tenant that
// leaves a section out gets the one under "defaults" as a whole, else the
// section's zero value (for the ledger: SKR03, 4 digits, no banks, nobody may
// close periods; for ingestion: a holding period of 14 days). The "ledger" section is what LEDGER_SETTINGS held per
// tenant; ingestion reads its "tax" rules too, so that it accepts exactly
// the tax treatments the ledger books.
//
// The "bank" section lists the tenant's bank accounts (IBAN, currency, the
// ledger's G/L account), the outgoing rules that book a debit which is
// not receivables business (suppliers, salaries, tax) to a G/L account, and
// the incoming rules that book a credit which is not a debtor's payment (a
// collection agency's payout, against its clearing account) to one, never
// into matching's queue: every condition a rule sets must hold, strings compare ignoring case,
// counterparty_name and remittance as substrings, bank_tx_code as a prefix,
// counterparty_iban exactly (see Bank.Classify). Bank accounts belong to one
// merchant, so "defaults" has no bank section. The sections "matching",
// "dunning", "refunds", "sepa", "collections", "reports" and "console" belong to
// the service of that name (ServiceSections), which decodes and checks
// them; this package only requires an object and keeps it as written
// (Tenant.Section). Later configuration joins the tenant object instead of
// files of their own.
//
// Parse checks the whole file and reports every problem at once, each with
// the file, line, tenant and field path (FileError), so that a service
// refuses to start with a message an operator can act on. Unknown fields are
// errors, with a suggestion when they look like a typo. The ledger checks
// its section further (that the accounts its tax rules name exist in the
// chart) when it starts and in `o2c tenants validate`.
//
// The package is pure configuration: it imports no transport and no
// storage, so domain packages may use it.
package tenants

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/tenant"
)

// File is a parsed, valid tenants file. Its methods are safe for
// concurrent use. A nil *File has no tenants.
type File struct {
	// Path is the file's path as given to Load or Parse; problems name it.
	Path    string
	ids     []string
	tenants map[string]Tenant
	tax     map[string]*tax.Table
}

// Tenant is one tenant's configuration, with the defaults it takes filled
// in.
type Tenant struct {
	// ID is the tenant id, the key under "tenants".
	ID string
	// Name is the merchant's name, for people; may be empty.
	Name string
	// Ledger is the tenant's ledger section, or the default one.
	Ledger Ledger
	// Ingestion is the tenant's ingestion section, or the default one,
	// with DefaultHoldingPeriod filled in when neither sets one.
	Ingestion Ingestion
	// Bank is the tenant's bank section (zero value when absent).
	Bank Bank
	// Matching is the tenant's matching section as written (the tenant's
	// own, else the defaults'), nil when neither has one. The matching
	// service decodes and validates it (services/matching).
	Matching json.RawMessage
	// MatchingPath is "matching", "defaults.matching" or "".
	MatchingPath string
	// sections holds every service-owned section (ServiceSections) as
	// written, the tenant's own else the defaults'; see Section.
	sections map[string]section
	// raw is the tenant's effective configuration as JSON (see JSON).
	raw json.RawMessage
}

// ServiceSections are the sections of a tenant (and of "defaults") that a
// service owns: this package requires each to be an object without a key
// written twice and keeps it as written; the service decodes and checks
// its fields. A tenant that leaves one out gets the defaults' as a whole.
var ServiceSections = []string{"matching", "dunning", "refunds", "sepa", "collections", "reports", "console"}

// sectionOwner names the service that documents a service section.
func sectionOwner(name string) string {
	if name == "refunds" {
		return "refund-import"
	}
	return name
}

// section is a service-owned section as written and where it came from.
type section struct {
	raw  json.RawMessage
	path string
}

// Section returns the service-owned section name (one of ServiceSections)
// as written, the tenant's own else the defaults', and its path in the
// file ("dunning" or "defaults.dunning"); nil and "" when neither has one.
// The service that owns the section decodes it and reports problems with
// the path.
func (t Tenant) Section(name string) (json.RawMessage, string) {
	s, ok := t.sections[name]
	if !ok {
		return nil, ""
	}
	return slices.Clone(s.raw), s.path
}

// JSON returns the tenant's configuration as the services read it: its own
// object, with every section it leaves out taken from "defaults", indented.
func (t Tenant) JSON() []byte { return slices.Clone(t.raw) }

// Ledger is the ledger section of a tenant, as written in the file. The
// ledger turns it into its books' configuration (books.ConfigOf).
type Ledger struct {
	// Chart is "SKR03" (the default when empty) or "SKR04".
	Chart string `json:"chart,omitempty"`
	// AccountLength is the DATEV G/L account length, 4-8; 0 means 4.
	AccountLength int `json:"account_length,omitempty"`
	// Accounts maps logical accounts to the merchant's own numbers.
	Accounts map[string]string `json:"accounts,omitempty"`
	// Banks maps IBANs to G/L accounts.
	Banks map[string]string `json:"banks,omitempty"`
	// Clearing maps clearing account names to G/L accounts.
	Clearing map[string]string `json:"clearing,omitempty"`
	// Marketplaces maps "marketplace/CURRENCY" to the marketplace debtor's
	// personal account.
	Marketplaces map[string]string `json:"marketplaces,omitempty"`
	// PeriodActors may close and reopen periods.
	PeriodActors []string `json:"period_actors,omitempty"`
	// AllocationOrder is "bgb" (the default when empty), "due-date" or
	// "document-date".
	AllocationOrder string `json:"allocation_order,omitempty"`
	// Tax are the tenant's tax rules beyond the German defaults.
	Tax []tax.Setting `json:"tax,omitempty"`
	// Path is where the section was written, for problems found in it
	// later: "ledger", or "defaults.ledger" when the tenant takes the
	// default.
	Path string `json:"-"`
}

// DefaultHoldingPeriod is the holding period of a tenant whose ingestion
// section (its own or the default one) sets none: 14 days.
const DefaultHoldingPeriod = 14 * 24 * time.Hour

// Ingestion is the ingestion section of a tenant.
type Ingestion struct {
	// HoldingPeriod is how long ingestion holds a shop message that
	// arrived before the fact it refers to (a credit note before its
	// invoice, a chargeback before its capture, an invoice naming only
	// its customer before the customer's data) before it gives up and
	// records it in the rejection store as held_too_long. The file writes
	// it as a Go duration ("336h"); it is always positive here.
	HoldingPeriod time.Duration
	// Path is where the section was written: "ingestion",
	// "defaults.ingestion", or "" when neither sets one.
	Path string
}

// Bank is the bank section of a tenant: its bank accounts and how debits
// on them that are not receivables business are booked. It is per tenant
// only; "defaults" has none, since bank accounts belong to one merchant.
type Bank struct {
	// Accounts are the tenant's bank accounts, each IBAN once.
	Accounts []BankAccount `json:"accounts,omitempty"`
	// OutgoingRules classify debits, in file order (see Classify).
	OutgoingRules []BankRule `json:"outgoing_rules,omitempty"`
	// IncomingRules classify credits that are not a debtor's payment (a
	// collection agency's payout, a tax refund), in file order (see
	// ClassifyIncoming).
	IncomingRules []BankRule `json:"incoming_rules,omitempty"`
	// Path is "bank", or "" when the tenant has no bank section.
	Path string `json:"-"`
}

// BankAccount is one bank account of a tenant.
type BankAccount struct {
	// IBAN is upper case without spaces, with valid check digits.
	IBAN string `json:"iban"`
	// Currency is the account's ISO 4217 currency: 3 upper-case letters.
	Currency string `json:"currency"`
	// Account is the ledger's G/L bank account, 4-9 digits. When the
	// ledger section lists the IBAN under "banks" too, it names the same
	// account.
	Account string `json:"account"`
	// Name is the account's name for people (e.g. "Hausbank"); may be
	// empty.
	Name string `json:"name,omitempty"`
}

// BankRule classifies a transaction on a tenant bank account: an outgoing
// rule a debit that is not receivables business (supplier, salary, tax),
// an incoming rule a credit that is not a debtor's payment (a collection
// agency's payout of what it collected, booked against the agency's
// clearing account). Every condition that is set must hold (AND); strings
// compare case-insensitively; counterparty_name and remittance are
// substrings, bank_tx_code a prefix, counterparty_iban exact. At least one
// condition is required.
type BankRule struct {
	// Name is a logical-account name (e.g. "salaries"), unique within the
	// tenant.
	Name string `json:"name"`
	// CounterpartyIBAN must equal the counterparty's IBAN (spaces and
	// case ignored).
	CounterpartyIBAN string `json:"counterparty_iban,omitempty"`
	// CounterpartyName must occur in the counterparty's name.
	CounterpartyName string `json:"counterparty_name,omitempty"`
	// Remittance must occur in the remittance information.
	Remittance string `json:"remittance,omitempty"`
	// BankTxCode must begin the bank transaction code (e.g. "PMNT/ICDT"
	// for every issued credit transfer).
	BankTxCode string `json:"bank_tx_code,omitempty"`
	// Account is the G/L account the transaction is booked against, 4-9
	// digits.
	Account string `json:"account"`
}

// BankAccount returns the configured account with that IBAN (compare after
// removing spaces, upper case).
func (t Tenant) BankAccount(iban string) (BankAccount, bool) {
	iban = normalIBAN(iban)
	for _, a := range t.Bank.Accounts {
		if a.IBAN == iban {
			return a, true
		}
	}
	return BankAccount{}, false
}

// Classify returns the first outgoing rule whose conditions all hold for a
// debit, in file order.
func (b Bank) Classify(counterpartyIBAN, counterpartyName, remittance, bankTxCode string) (BankRule, bool) {
	return classify(b.OutgoingRules, counterpartyIBAN, counterpartyName, remittance, bankTxCode)
}

// ClassifyIncoming returns the first incoming rule whose conditions all
// hold for a credit, in file order.
func (b Bank) ClassifyIncoming(counterpartyIBAN, counterpartyName, remittance, bankTxCode string) (BankRule, bool) {
	return classify(b.IncomingRules, counterpartyIBAN, counterpartyName, remittance, bankTxCode)
}

func classify(rules []BankRule, counterpartyIBAN, counterpartyName, remittance, bankTxCode string) (BankRule, bool) {
	iban := normalIBAN(counterpartyIBAN)
	name, rem, code := strings.ToLower(counterpartyName), strings.ToLower(remittance), strings.ToLower(bankTxCode)
	for _, r := range rules {
		if r.matches(iban, name, rem, code) {
			return r, true
		}
	}
	return BankRule{}, false
}

// matches reports whether every condition of r that is set holds for a
// transaction whose IBAN is normalised and whose other strings are lower case.
// A rule without conditions matches nothing: the validator refuses it,
// and a rule built in code must not swallow every transaction.
func (r BankRule) matches(iban, name, remittance, code string) bool {
	set := false
	if r.CounterpartyIBAN != "" {
		if normalIBAN(r.CounterpartyIBAN) != iban {
			return false
		}
		set = true
	}
	if r.CounterpartyName != "" {
		if !strings.Contains(name, strings.ToLower(r.CounterpartyName)) {
			return false
		}
		set = true
	}
	if r.Remittance != "" {
		if !strings.Contains(remittance, strings.ToLower(r.Remittance)) {
			return false
		}
		set = true
	}
	if r.BankTxCode != "" {
		if !strings.HasPrefix(code, strings.ToLower(r.BankTxCode)) {
			return false
		}
		set = true
	}
	return set
}

// normalIBAN is iban without white space, in upper case, as the file
// writes IBANs.
func normalIBAN(iban string) string {
	return strings.ToUpper(strings.Join(strings.Fields(iban), ""))
}

// ingestionJSON is the ingestion section as written in the file.
type ingestionJSON struct {
	HoldingPeriod string `json:"holding_period,omitempty"`
}

// Load reads and checks the tenants file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tenants file: %w", err)
	}
	return Parse(path, data)
}

// Parse checks data as a tenants file read from path (only used to name it
// in problems). Its error is a *FileError listing every problem found.
func Parse(path string, data []byte) (*File, error) {
	v := &validator{file: path, data: data}
	root, err := readTree(data)
	if err != nil {
		v.add(at{}, err.at, "not JSON: %s", err.msg)
		return nil, &FileError{Problems: v.problems}
	}
	v.root(root)
	if len(v.problems) > 0 {
		return nil, &FileError{Problems: v.problems}
	}
	f := &File{Path: path, tenants: map[string]Tenant{}, tax: map[string]*tax.Table{}}
	defaults := root.fields["defaults"] // nil when absent; its fields then are too
	ts := root.fields["tenants"]
	for _, id := range ts.keys {
		t, err := f.build(id, ts.fields[id], defaults, data)
		if err != nil {
			// The validator let through what cannot be decoded: a bug
			// here, reported like a problem of the file.
			v.add(at{tenant: id}, ts.keyAt[id], "%v", err)
			continue
		}
		f.ids = append(f.ids, id)
		f.tenants[id] = t
	}
	if len(v.problems) > 0 {
		return nil, &FileError{Problems: v.problems}
	}
	slices.Sort(f.ids)
	return f, nil
}

// build decodes tenant id from its checked node and the checked defaults
// (nil when the file has none).
func (f *File) build(id string, n, defaults *node, data []byte) (Tenant, error) {
	var defaultLedger, defaultIngestion *node
	if defaults != nil {
		defaultLedger, defaultIngestion = defaults.fields["ledger"], defaults.fields["ingestion"]
	}
	t := Tenant{ID: id, Ledger: Ledger{Path: "ledger"}, Ingestion: Ingestion{HoldingPeriod: DefaultHoldingPeriod}}
	effective := map[string]json.RawMessage{}
	for _, k := range n.keys {
		effective[k] = n.fields[k].raw(data)
	}
	if s, ok := n.fields["name"]; ok {
		t.Name = s.str
	}
	ledger, path := n.fields["ledger"], "ledger"
	if ledger == nil && defaultLedger != nil {
		ledger, path = defaultLedger, "defaults.ledger"
		effective["ledger"] = defaultLedger.raw(data)
	}
	if ledger != nil {
		if err := strictUnmarshal(ledger.raw(data), &t.Ledger); err != nil {
			return Tenant{}, fmt.Errorf("%s: %w", path, err)
		}
		t.Ledger.Path = path
	}
	ingestion, path := n.fields["ingestion"], "ingestion"
	if ingestion == nil && defaultIngestion != nil {
		ingestion, path = defaultIngestion, "defaults.ingestion"
		effective["ingestion"] = defaultIngestion.raw(data)
	}
	if ingestion != nil {
		var in ingestionJSON
		if err := strictUnmarshal(ingestion.raw(data), &in); err != nil {
			return Tenant{}, fmt.Errorf("%s: %w", path, err)
		}
		if in.HoldingPeriod != "" {
			d, err := time.ParseDuration(in.HoldingPeriod)
			if err != nil || d <= 0 {
				return Tenant{}, fmt.Errorf("%s.holding_period: %q is not a positive duration", path, in.HoldingPeriod)
			}
			t.Ingestion.HoldingPeriod = d
		}
		t.Ingestion.Path = path
	}
	if bank := n.fields["bank"]; bank != nil {
		if err := strictUnmarshal(bank.raw(data), &t.Bank); err != nil {
			return Tenant{}, fmt.Errorf("bank: %w", err)
		}
		t.Bank.Path = "bank"
	}
	for _, name := range ServiceSections {
		sec, path := n.fields[name], name
		if sec == nil && defaults != nil && defaults.fields[name] != nil {
			sec, path = defaults.fields[name], "defaults."+name
			effective[name] = sec.raw(data)
		}
		if sec == nil {
			continue
		}
		if t.sections == nil {
			t.sections = map[string]section{}
		}
		t.sections[name] = section{raw: slices.Clone(sec.raw(data)), path: path}
	}
	t.Matching, t.MatchingPath = t.Section("matching")
	table, err := tax.TableOf(t.Ledger.Tax)
	if err != nil {
		return Tenant{}, fmt.Errorf("%s.tax: %w", t.Ledger.Path, err)
	}
	raw, err := json.MarshalIndent(effective, "", "  ")
	if err != nil {
		return Tenant{}, err
	}
	t.raw = raw
	f.tax[id] = table
	return t, nil
}

// IDs returns the tenant ids in order.
func (f *File) IDs() []string {
	if f == nil {
		return nil
	}
	return slices.Clone(f.ids)
}

// Tenants returns every tenant, ordered by id.
func (f *File) Tenants() []Tenant {
	if f == nil {
		return nil
	}
	out := make([]Tenant, len(f.ids))
	for i, id := range f.ids {
		out[i] = f.tenants[id]
	}
	return out
}

// Tenant returns the tenant with the given id.
func (f *File) Tenant(id string) (Tenant, bool) {
	if f == nil {
		return Tenant{}, false
	}
	t, ok := f.tenants[id]
	return t, ok
}

// Check returns nil when id is a tenant of the file, an error wrapping
// ErrInvalidTenantID when it is not a tenant id at all, and an
// *UnknownTenantError (ErrUnknownTenant) when the file does not list it.
func (f *File) Check(id string) error {
	if !tenant.Valid(id) {
		shown := id
		if len(shown) > 80 {
			shown = shown[:80] + "…"
		}
		return fmt.Errorf("%w: %q: want lowercase letters, digits and single dashes, at most %d characters",
			ErrInvalidTenantID, shown, tenant.MaxLen)
	}
	if _, ok := f.Tenant(id); !ok {
		return &UnknownTenantError{Tenant: id}
	}
	return nil
}

// Tax returns the tenant's tax table: the German defaults with its ledger
// section's tax rules in front. A tenant the file does not list gets
// tax.Default().
func (f *File) Tax(id string) *tax.Table {
	if f != nil {
		if t, ok := f.tax[id]; ok {
			return t
		}
	}
	return tax.Default()
}
