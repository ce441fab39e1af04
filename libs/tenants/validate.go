package tenants

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/tenant"
)

// pattern is a string rule shared with the schema: re is the schema's
// "pattern" verbatim (a test checks that every pattern of the schema is one
// of these), what is what a matching string is.
type pattern struct {
	re   *regexp.Regexp
	what string
}

func newPattern(re, what string) pattern { return pattern{re: regexp.MustCompile(re), what: what} }

var (
	tenantIDPattern = newPattern(`^[a-z0-9]+(-[a-z0-9]+)*$`, "a tenant id (lowercase letters and digits in groups joined by single dashes, at most 63 characters)")
	accountPattern  = newPattern(`^[0-9]{4,9}$`, "an account number (4 to 9 digits)")
	logicalPattern  = newPattern(`^[a-z0-9]+(-[a-z0-9]+)*$`, "a logical account name (lowercase letters and digits joined by dashes, e.g. revenue-19)")
	ibanPattern     = newPattern(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`, "an IBAN (country code, check digits, account; upper case, no spaces)")
	clearingPattern = newPattern(`^[^\s/]{1,100}$`, "a clearing account name (no spaces or slashes, at most 100 characters)")
	marketPattern   = newPattern(`^[^\s/]{1,100}/[A-Z]{3}$`, "a marketplace and currency (e.g. amazon.de/EUR)")
	countryPattern  = newPattern(`^[A-Z]{2}$`, "a country code (ISO 3166-1 alpha-2, upper case)")
	datePattern     = newPattern(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, "a date (YYYY-MM-DD)")
	taxKeyPattern   = newPattern(`^[0-9]{1,4}$`, "a DATEV tax key (1 to 4 digits)")
	durationPattern = newPattern(`^([0-9]+(h|m|s))+$`, "a duration in whole hours, minutes and seconds (e.g. 336h for 14 days, 36h30m)")
	currencyPattern = newPattern(`^[A-Z]{3}$`, "a currency (ISO 4217: three upper-case letters, e.g. EUR)")
)

// patterns lists every pattern, for the test that compares them with the
// schema's.
var patterns = []pattern{tenantIDPattern, accountPattern, logicalPattern, ibanPattern, clearingPattern, marketPattern,
	countryPattern, datePattern, taxKeyPattern, durationPattern, currencyPattern}

// Enumerations shared with the schema.
var (
	charts           = []string{"SKR03", "SKR04"}
	allocationOrders = []string{"bgb", "due-date", "document-date"}
	treatments       = []string{"DOMESTIC", "INTRA_EU_SUPPLY", "EXPORT", "EXEMPT", "OSS"}
)

// Keys of each object, in the order the schema lists them.
var (
	fileKeys    = []string{"$schema", "tenants", "defaults"}
	defaultKeys = []string{"ledger", "ingestion", "matching", "dunning", "refunds", "sepa", "collections", "reports", "console"}
	tenantKeys  = []string{"name", "ledger", "ingestion", "bank", "matching", "dunning", "refunds", "sepa", "collections",
		"reports", "console"}
	ledgerKeys = []string{"chart", "account_length", "accounts", "banks", "clearing", "marketplaces", "period_actors",
		"allocation_order", "tax"}
	ingestionKeys   = []string{"holding_period"}
	bankKeys        = []string{"accounts", "outgoing_rules", "incoming_rules"}
	bankAccountKeys = []string{"iban", "currency", "account", "name"}
	bankRuleKeys    = []string{"name", "counterparty_iban", "counterparty_name", "remittance", "bank_tx_code", "account"}
	taxKeys         = []string{"country", "rate_bp", "treatment", "from", "to", "revenue", "output_vat", "cash_discount",
		"sales_deduction", "bad_debt", "tax_key", "tax_key_outside"}
)

// at is where a value lies: the tenant it is under (empty for the top level
// and defaults) and its field path.
type at struct {
	tenant, field string
}

func (a at) child(name string) at {
	if a.field == "" {
		return at{a.tenant, name}
	}
	return at{a.tenant, a.field + "." + name}
}

func (a at) index(i int) at { return at{a.tenant, fmt.Sprintf("%s[%d]", a.field, i)} }

func (a at) key(k string) at { return at{a.tenant, fmt.Sprintf("%s[%s]", a.field, strconv.Quote(k))} }

// Fields of a bank section that a value must have, with what is wanted.
var (
	bankAccountRequired = []field{
		{"iban", "the account's IBAN, upper case without spaces"},
		{"currency", "the account's currency, e.g. EUR"},
		{"account", "the ledger's G/L account for this bank account (4 to 9 digits)"},
	}
	outgoingRuleRequired = []field{
		{"name", "a logical-account name for the rule, e.g. salaries"},
		{"account", "the G/L account the debit is booked to (4 to 9 digits)"},
	}
	incomingRuleRequired = []field{
		{"name", "a logical-account name for the rule, e.g. inkasso-payout"},
		{"account", "the G/L account the credit is booked against (4 to 9 digits), e.g. the agency's clearing account"},
	}
	// ruleConditions are the fields of a bank rule that are conditions; a
	// rule needs at least one.
	ruleConditions = []string{"counterparty_iban", "counterparty_name", "remittance", "bank_tx_code"}
)

// Length limits of the bank section's free text, in characters: a SEPA
// remittance line holds 140, a bank transaction code (ISO 20022
// domain/family/sub-family, or a SWIFT or GVC code) far fewer.
const (
	maxConditionText = 140
	maxBankTxCode    = 35
)

// validator collects the problems of one file.
type validator struct {
	file     string
	data     []byte
	problems []Problem
	// defaultLedger is the defaults' ledger section, nil when there is
	// none: the ledger section of a tenant that has none of its own.
	defaultLedger *node
}

func (v *validator) add(a at, off int64, format string, args ...any) {
	line := 0
	if off >= 0 {
		line = 1 + bytes.Count(v.data[:min(off, int64(len(v.data)))], []byte{'\n'})
	}
	v.problems = append(v.problems, Problem{File: v.file, Line: line, Tenant: a.tenant, Field: a.field, Message: fmt.Sprintf(format, args...)})
}

// object reports unless n is an object whose keys are all in allowed and
// written once, and says whether n is an object.
func (v *validator) object(n *node, a at, allowed []string) bool {
	if n.kind != kindObject {
		v.add(a, n.start, "is %s, want an object", n.kind)
		return false
	}
	for _, d := range n.dups {
		v.add(a.child(d.key), d.at, "written twice; keep one")
	}
	for _, k := range n.keys {
		if slices.Contains(allowed, k) {
			continue
		}
		if why, ok := misplaced[a.child(k).field]; ok && a.tenant == "" {
			v.add(a.child(k), n.keyAt[k], "not allowed here: %s", why)
			continue
		}
		v.add(a.child(k), n.keyAt[k], "unknown field%s; want %s", suggest(k, allowed), strings.Join(allowed, ", "))
	}
	return true
}

// misplaced says why a field of the file's top level or defaults that is
// valid elsewhere is not allowed where it is written.
var misplaced = map[string]string{
	"defaults.bank": "bank accounts belong to one tenant, so there is no default bank section; write it under each tenant",
}

// suggest returns ` (did you mean "x"?)` for the allowed key closest to k
// when it is a likely typo, else "".
func suggest(k string, allowed []string) string {
	best, bestDist := "", 3
	lower := strings.ToLower(k)
	for _, a := range allowed {
		d := distance(lower, a)
		if len(lower) >= 3 && strings.HasPrefix(a, lower) {
			d = 1 // "rate" for "rate_bp"
		}
		if d < bestDist {
			best, bestDist = a, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of a and b, in bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (v *validator) str(n *node, a at) (string, bool) {
	if n.kind != kindString {
		v.add(a, n.start, "is %s, want a string", n.kind)
		return "", false
	}
	return n.str, true
}

func (v *validator) match(n *node, a at, p pattern) (string, bool) {
	s, ok := v.str(n, a)
	if !ok {
		return "", false
	}
	if !p.re.MatchString(s) {
		v.add(a, n.start, "%q is not %s", s, p.what)
		return "", false
	}
	return s, true
}

func (v *validator) oneOf(n *node, a at, what string, values []string) {
	s, ok := v.str(n, a)
	if ok && !slices.Contains(values, s) {
		v.add(a, n.start, "%q is not %s; want %s", s, what, strings.Join(values, ", "))
	}
}

func (v *validator) integer(n *node, a at, lo, hi int64) {
	if n.kind != kindNumber {
		v.add(a, n.start, "is %s, want a whole number from %d to %d", n.kind, lo, hi)
		return
	}
	i, err := strconv.ParseInt(n.num.String(), 10, 64)
	if err != nil {
		if _, ok := new(big.Int).SetString(n.num.String(), 10); ok {
			v.add(a, n.start, "%s: want %d to %d", n.num, lo, hi)
			return
		}
		v.add(a, n.start, "%s: want a whole number from %d to %d, written without a fraction or exponent", n.num, lo, hi)
		return
	}
	if i < lo || i > hi {
		v.add(a, n.start, "%d: want %d to %d", i, lo, hi)
	}
}

// stringMap checks an object of strings to strings, its keys by keys and
// its values by values.
func (v *validator) stringMap(n *node, a at, keys, values pattern) {
	if n.kind != kindObject {
		v.add(a, n.start, "is %s, want an object", n.kind)
		return
	}
	for _, d := range n.dups {
		v.add(a.key(d.key), d.at, "written twice; keep one")
	}
	for _, k := range n.keys {
		if !keys.re.MatchString(k) {
			v.add(a.key(k), n.keyAt[k], "%q is not %s", k, keys.what)
		} else if keys == ibanPattern && !ibanChecksumOK(k) {
			v.add(a.key(k), n.keyAt[k], "%q has wrong check digits: not an IBAN (a typo?)", k)
		}
		v.match(n.fields[k], a.key(k), values)
	}
}

// ibanChecksumOK reports whether an IBAN of the right shape has valid
// check digits (ISO 13616, mod 97).
func ibanChecksumOK(iban string) bool {
	s := iban[4:] + iban[:4]
	rem := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		default:
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	return rem == 1
}

// root checks the whole file.
func (v *validator) root(n *node) {
	if n.kind != kindObject {
		v.add(at{}, n.start, "the file is %s, want an object with \"tenants\"", n.kind)
		return
	}
	v.object(n, at{}, fileKeys)
	if s, ok := n.fields["$schema"]; ok {
		v.str(s, at{field: "$schema"})
	}
	if d, ok := n.fields["defaults"]; ok && v.object(d, at{field: "defaults"}, defaultKeys) {
		if l, ok := d.fields["ledger"]; ok {
			v.ledger(l, at{field: "defaults.ledger"})
		}
		if i, ok := d.fields["ingestion"]; ok {
			v.ingestion(i, at{field: "defaults.ingestion"})
		}
		for _, name := range ServiceSections {
			if m, ok := d.fields[name]; ok {
				v.serviceSection(m, at{field: "defaults." + name}, name)
			}
		}
		if l := d.fields["ledger"]; l != nil && l.kind == kindObject {
			v.defaultLedger = l
		}
	}
	ts, ok := n.fields["tenants"]
	switch {
	case !ok:
		v.add(at{field: "tenants"}, -1, "missing: list the tenants o2c keeps books for, e.g. {\"tenants\": {\"acme\": {\"name\": \"ACME GmbH\"}}}")
		return
	case ts.kind != kindObject:
		v.add(at{field: "tenants"}, ts.start, "is %s, want an object of tenant id to tenant", ts.kind)
		return
	case len(ts.keys) == 0:
		v.add(at{field: "tenants"}, ts.start, "no tenants: list at least one")
	}
	for _, d := range ts.dups {
		v.add(at{tenant: d.key}, d.at, "listed twice; keep one")
	}
	for _, id := range ts.keys {
		if !tenant.Valid(id) {
			v.add(at{tenant: strconv.Quote(id)}, ts.keyAt[id], "not %s", tenantIDPattern.what)
			continue
		}
		v.tenant(ts.fields[id], at{tenant: id})
	}
}

func (v *validator) tenant(n *node, a at) {
	if !v.object(n, a, tenantKeys) {
		return
	}
	if name, ok := n.fields["name"]; ok {
		if s, ok := v.str(name, a.child("name")); ok {
			if c := utf8.RuneCountInString(s); c < 1 || c > 200 {
				v.add(a.child("name"), name.start, "%d characters; want 1 to 200", c)
			}
		}
	}
	if l, ok := n.fields["ledger"]; ok {
		v.ledger(l, a.child("ledger"))
	}
	if i, ok := n.fields["ingestion"]; ok {
		v.ingestion(i, a.child("ingestion"))
	}
	if b, ok := n.fields["bank"]; ok {
		ledger, path := n.fields["ledger"], "ledger"
		if ledger == nil {
			ledger, path = v.defaultLedger, "defaults.ledger"
		}
		v.bank(b, a.child("bank"), ledger, path)
	}
	for _, name := range ServiceSections {
		if m, ok := n.fields[name]; ok {
			v.serviceSection(m, a.child(name), name)
		}
	}
}

// serviceSection checks a section a service owns (ServiceSections) only
// for being an object without a key written twice anywhere inside (the
// service's decoder would silently keep the last): the service owns what
// it means and checks the rest.
func (v *validator) serviceSection(n *node, a at, name string) {
	if n.kind != kindObject {
		v.add(a, n.start, "is %s, want an object (the %s service documents its fields)", n.kind, sectionOwner(name))
		return
	}
	v.noDuplicates(n, a)
}

// noDuplicates reports every key written twice in n or below it.
func (v *validator) noDuplicates(n *node, a at) {
	for _, d := range n.dups {
		v.add(a.child(d.key), d.at, "written twice; keep one")
	}
	for _, k := range n.keys {
		v.noDuplicates(n.fields[k], a.child(k))
	}
	for i, e := range n.elems {
		v.noDuplicates(e, a.index(i))
	}
}

// bank checks a bank section. ledger is the tenant's effective ledger
// section (nil when it has none) written at ledgerPath: an IBAN it maps
// to a G/L account must map to the same one here.
func (v *validator) bank(n *node, a at, ledger *node, ledgerPath string) {
	if !v.object(n, a, bankKeys) {
		return
	}
	var banks *node
	if ledger != nil && ledger.kind == kindObject {
		if b := ledger.fields["banks"]; b != nil && b.kind == kindObject {
			banks = b
		}
	}
	if accts, ok := n.fields["accounts"]; ok {
		if accts.kind != kindArray {
			v.add(a.child("accounts"), accts.start, "is %s, want an array of bank accounts", accts.kind)
		} else {
			seen := map[string]int{}
			for i, e := range accts.elems {
				v.bankAccount(e, a.child("accounts").index(i), seen, i, banks, ledgerPath)
			}
		}
	}
	for _, r := range []struct {
		key, what string
		required  []field
		takes     string
	}{
		{"outgoing_rules", "outgoing rules", outgoingRuleRequired, "debit"},
		{"incoming_rules", "incoming rules", incomingRuleRequired, "credit"},
	} {
		rules, ok := n.fields[r.key]
		if !ok {
			continue
		}
		if rules.kind != kindArray {
			v.add(a.child(r.key), rules.start, "is %s, want an array of %s", rules.kind, r.what)
			continue
		}
		seen := map[string]int{}
		for i, e := range rules.elems {
			v.bankRule(e, a.child(r.key).index(i), r.key, r.required, r.takes, seen, i)
		}
	}
}

// field is a required field and what it holds.
type field struct{ name, what string }

// required reports each of fields that object n lacks, on n's line.
func (v *validator) required(n *node, a at, fields []field) {
	for _, f := range fields {
		if _, ok := n.fields[f.name]; !ok {
			v.add(a.child(f.name), n.start, "missing; want %s", f.what)
		}
	}
}

// bankAccount checks accounts[i]. seen maps each IBAN met so far to its
// index; banks is the effective ledger section's "banks" (nil when none).
func (v *validator) bankAccount(n *node, a at, seen map[string]int, i int, banks *node, ledgerPath string) {
	if !v.object(n, a, bankAccountKeys) {
		return
	}
	v.required(n, a, bankAccountRequired)
	iban, ibanOK := "", false
	if e, ok := n.fields["iban"]; ok {
		iban, ibanOK = v.iban(e, a.child("iban"))
		if ibanOK {
			if j, dup := seen[iban]; dup {
				v.add(a.child("iban"), e.start, "%q is listed twice (also accounts[%d]); keep one", iban, j)
			} else {
				seen[iban] = i
			}
		}
	}
	if e, ok := n.fields["currency"]; ok {
		v.match(e, a.child("currency"), currencyPattern)
	}
	if e, ok := n.fields["account"]; ok {
		acct, ok := v.match(e, a.child("account"), accountPattern)
		if ok && ibanOK && banks != nil {
			if l, listed := banks.fields[iban]; listed && l.kind == kindString && l.str != acct {
				v.add(a.child("account"), e.start, "%q here, but %s.banks[%q] books this IBAN to %q; give both the same G/L account",
					acct, ledgerPath, iban, l.str)
			}
		}
	}
	if e, ok := n.fields["name"]; ok {
		v.text(e, a.child("name"), 200)
	}
}

// iban checks an IBAN: its shape, then its check digits.
func (v *validator) iban(n *node, a at) (string, bool) {
	s, ok := v.match(n, a, ibanPattern)
	if !ok {
		return "", false
	}
	if !ibanChecksumOK(s) {
		v.add(a, n.start, "%q has wrong check digits: not an IBAN (a typo?)", s)
		return "", false
	}
	return s, true
}

// text checks a string of 1 to most characters.
func (v *validator) text(n *node, a at, most int) {
	if s, ok := v.str(n, a); ok {
		if c := utf8.RuneCountInString(s); c < 1 || c > most {
			v.add(a, n.start, "%d characters; want 1 to %d", c, most)
		}
	}
}

// bankRule checks rules[i] of the bank section's list key (outgoing_rules
// or incoming_rules), whose rules take a debit or a credit (takes). seen
// maps each rule name met so far in the list to its index.
func (v *validator) bankRule(n *node, a at, key string, required []field, takes string, seen map[string]int, i int) {
	if !v.object(n, a, bankRuleKeys) {
		return
	}
	v.required(n, a, required)
	if !slices.ContainsFunc(ruleConditions, func(k string) bool { _, ok := n.fields[k]; return ok }) {
		v.add(a, n.start, "no condition: a rule without one would take every %s; want at least one of %s",
			takes, strings.Join(ruleConditions, ", "))
	}
	for _, k := range n.keys {
		e, ka := n.fields[k], a.child(k)
		switch k {
		case "name":
			s, ok := v.match(e, ka, logicalPattern)
			switch {
			case !ok:
			case len(s) > 100:
				v.add(ka, e.start, "%d characters; want at most 100", len(s))
			default:
				if j, dup := seen[s]; dup {
					v.add(ka, e.start, "%q is the name of %s[%d] too; names are unique", s, key, j)
				} else {
					seen[s] = i
				}
			}
		case "counterparty_iban":
			v.iban(e, ka)
		case "counterparty_name", "remittance":
			v.text(e, ka, maxConditionText)
		case "bank_tx_code":
			v.text(e, ka, maxBankTxCode)
		case "account":
			v.match(e, ka, accountPattern)
		}
	}
}

// ingestion checks an ingestion section: a holding period is a positive
// duration of at most ten years.
func (v *validator) ingestion(n *node, a at) {
	if !v.object(n, a, ingestionKeys) {
		return
	}
	p, ok := n.fields["holding_period"]
	if !ok {
		return
	}
	s, ok := v.match(p, a.child("holding_period"), durationPattern)
	if !ok {
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		v.add(a.child("holding_period"), p.start, "%q: %v", s, err)
	case d <= 0:
		v.add(a.child("holding_period"), p.start, "%q: want a positive duration (the default is 336h, 14 days)", s)
	case d > maxHoldingPeriod:
		v.add(a.child("holding_period"), p.start, "%q: want at most %s (ten years)", s, maxHoldingPeriod)
	}
}

// maxHoldingPeriod bounds a holding period: ten years, far beyond any
// retention a shop message needs, and well inside time.Duration.
const maxHoldingPeriod = 10 * 365 * 24 * time.Hour

func (v *validator) ledger(n *node, a at) {
	if !v.object(n, a, ledgerKeys) {
		return
	}
	before := len(v.problems)
	f := n.fields
	if c, ok := f["chart"]; ok {
		v.oneOf(c, a.child("chart"), "a chart", charts)
	}
	if l, ok := f["account_length"]; ok {
		v.integer(l, a.child("account_length"), 4, 8)
	}
	if m, ok := f["accounts"]; ok {
		v.stringMap(m, a.child("accounts"), logicalPattern, accountPattern)
	}
	if m, ok := f["banks"]; ok {
		v.stringMap(m, a.child("banks"), ibanPattern, accountPattern)
	}
	if m, ok := f["clearing"]; ok {
		v.stringMap(m, a.child("clearing"), clearingPattern, accountPattern)
	}
	if m, ok := f["marketplaces"]; ok {
		v.stringMap(m, a.child("marketplaces"), marketPattern, accountPattern)
	}
	if p, ok := f["period_actors"]; ok {
		v.actors(p, a.child("period_actors"))
	}
	if o, ok := f["allocation_order"]; ok {
		v.oneOf(o, a.child("allocation_order"), "an allocation order", allocationOrders)
	}
	if t, ok := f["tax"]; ok {
		if t.kind != kindArray {
			v.add(a.child("tax"), t.start, "is %s, want an array of tax rules", t.kind)
		} else {
			for i, r := range t.elems {
				v.taxRule(r, a.child("tax").index(i))
			}
		}
	}
	if len(v.problems) > before {
		return
	}
	// The shape is right: check what the tax rules mean.
	if t, ok := f["tax"]; ok {
		v.taxTable(t, a.child("tax"))
	}
}

func (v *validator) actors(n *node, a at) {
	if n.kind != kindArray {
		v.add(a, n.start, "is %s, want an array of actor names", n.kind)
		return
	}
	seen := map[string]bool{}
	for i, e := range n.elems {
		s, ok := v.str(e, a.index(i))
		if !ok {
			continue
		}
		if c := utf8.RuneCountInString(s); c < 1 || c > 200 {
			v.add(a.index(i), e.start, "%d characters; want 1 to 200", c)
		}
		if seen[s] {
			v.add(a.index(i), e.start, "%q is listed twice", s)
		}
		seen[s] = true
	}
}

func (v *validator) taxRule(n *node, a at) {
	if !v.object(n, a, taxKeys) {
		return
	}
	for _, k := range n.keys {
		e, ka := n.fields[k], a.child(k)
		switch k {
		case "country":
			v.match(e, ka, countryPattern)
		case "rate_bp":
			v.integer(e, ka, 0, 10000)
		case "treatment":
			v.oneOf(e, ka, "a tax treatment", treatments)
		case "from", "to":
			if s, ok := v.match(e, ka, datePattern); ok {
				if _, err := tax.ParseDate(s); err != nil {
					v.add(ka, e.start, "%q is not a calendar date", s)
				}
			}
		case "revenue", "output_vat", "cash_discount", "sales_deduction", "bad_debt":
			if s, ok := v.match(e, ka, logicalPattern); ok && len(s) > 100 {
				v.add(ka, e.start, "%d characters; want at most 100", len(s))
			}
		case "tax_key", "tax_key_outside":
			v.match(e, ka, taxKeyPattern)
		}
	}
}

// taxTable checks that the rules of a well-formed tax array make a table:
// each rule alone, then all of them together (no two map a key on the same
// day).
func (v *validator) taxTable(n *node, a at) {
	var rules []tax.Setting
	if err := strictUnmarshal(n.raw(v.data), &rules); err != nil {
		v.add(a, n.start, "%v", err)
		return
	}
	bad := false
	for i, r := range rules {
		if _, err := tax.TableOf([]tax.Setting{r}); err != nil {
			v.add(a.index(i), n.elems[i].start, "%s", taxMessage(err))
			bad = true
		}
	}
	if bad {
		return
	}
	if _, err := tax.TableOf(rules); err != nil {
		v.add(a, n.start, "%s", taxMessage(err))
	}
}

// taxMessage is the message of a tax.TableOf error without the prefixes
// that name the rule by its index, which the field path names already.
func taxMessage(err error) string {
	for {
		s := err.Error()
		inner := errors.Unwrap(err)
		if inner == nil || !(strings.HasPrefix(s, "tax[") || strings.HasPrefix(s, "tax: ") || strings.HasPrefix(s, "tax rule ")) {
			return strings.TrimPrefix(s, "tax: ")
		}
		err = inner
	}
}

// strictUnmarshal decodes JSON that must have no fields beyond v's.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
