package credit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/money"
)

// Section is the name of the tenants file section the rules live in
// (Tenant.Section): the console's, whose credit_notes object this package
// owns.
const Section = "console"

// Who issues a tenant's credit notes (IssuedBy).
const (
	// ByO2C numbers, books and renders the credit note in o2c and
	// announces it to the shop.
	ByO2C = "o2c"
	// ByShop sends the approved request to the shop, which issues its own
	// credit note naming the request; it is booked when that arrives.
	ByShop = "shop"
)

// Range is a tenant's credit note number range: numbers are Prefix and
// the running number Next, Next+1, … zero-padded to Width digits.
type Range struct {
	Prefix string
	Next   int64
	Width  int
}

// Number returns the number of the drawn-th credit note of the range (0
// for the first).
func (r Range) Number(drawn int64) string {
	return fmt.Sprintf("%s%0*d", r.Prefix, r.Width, r.Next+drawn)
}

// Config is a tenant's credit note rules: the console section's
// "credit_notes" object. Amounts are minor units per ISO 4217 currency.
type Config struct {
	// Range numbers the credit notes o2c issues.
	Range Range
	// Threshold is, per currency, the largest gross amount issued without
	// a second person's approval; a currency not listed needs approval
	// for every amount.
	Threshold map[string]int64
	// Limits is, per role and currency, the largest gross amount a person
	// with that role may request or approve; a role or currency not
	// listed may credit nothing. A person's limit is the largest of their
	// roles'.
	Limits map[identity.Role]map[string]int64
	// IssuedBy is ByO2C or ByShop.
	IssuedBy string
}

// DefaultRange is the range of a tenant whose section names none.
var DefaultRange = Range{Prefix: "GS-", Next: 1, Width: 6}

// ConfigError is a problem in a tenant's section, at Path (e.g.
// "console.credit_notes.limits.accountant.EUR").
type ConfigError struct {
	Path   string
	Reason string
}

func (e *ConfigError) Error() string { return e.Path + ": " + e.Reason }

// Approvers are the roles that may approve or reject a credit note
// (within their limit): finance staff and administrators.
var Approvers = []identity.Role{identity.Accountant, identity.PlatformAdmin}

var prefixRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/_.-]{0,15}$`)

type rawCreditNotes struct {
	NumberRange *struct {
		Prefix *string `json:"prefix"`
		Next   *int64  `json:"next"`
		Width  *int    `json:"width"`
	} `json:"number_range"`
	ApprovalThreshold map[string]int64            `json:"approval_threshold"`
	Limits            map[string]map[string]int64 `json:"limits"`
	IssuedBy          string                      `json:"issued_by"`
}

// ParseConfig decodes a tenant's console section (raw, at path in the
// tenants file; nil for none) and checks it. Its credit_notes object has
// number_range {prefix, next, width} (default "GS-", 1, 6),
// approval_threshold {currency: minor units}, limits {role: {currency:
// minor units}} and issued_by ("o2c", the default, or "shop"). Other keys
// of the console section belong to the console and are left alone. The
// error is a *ConfigError naming the field.
func ParseConfig(raw json.RawMessage, path string) (Config, error) {
	cfg := Config{Range: DefaultRange, Threshold: map[string]int64{}, Limits: map[identity.Role]map[string]int64{}, IssuedBy: ByO2C}
	if path == "" {
		path = Section
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return cfg, nil
	}
	var section map[string]json.RawMessage
	if err := json.Unmarshal(raw, &section); err != nil {
		return Config{}, &ConfigError{Path: path, Reason: err.Error()}
	}
	base := path + ".credit_notes"
	obj, ok := section["credit_notes"]
	if !ok {
		return cfg, nil
	}
	var cn rawCreditNotes
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cn); err != nil {
		return Config{}, &ConfigError{Path: base, Reason: err.Error() + " (want number_range, approval_threshold, limits, issued_by)"}
	}
	if nr := cn.NumberRange; nr != nil {
		if nr.Prefix != nil {
			if !prefixRe.MatchString(*nr.Prefix) {
				return Config{}, &ConfigError{Path: base + ".number_range.prefix",
					Reason: fmt.Sprintf("%q: want 1 to 16 letters, digits, '-', '_', '.' or '/', starting with a letter or digit", *nr.Prefix)}
			}
			cfg.Range.Prefix = *nr.Prefix
		}
		if nr.Next != nil {
			if *nr.Next < 1 {
				return Config{}, &ConfigError{Path: base + ".number_range.next", Reason: fmt.Sprintf("%d: want 1 or more", *nr.Next)}
			}
			cfg.Range.Next = *nr.Next
		}
		if nr.Width != nil {
			if *nr.Width < 1 || *nr.Width > 12 {
				return Config{}, &ConfigError{Path: base + ".number_range.width", Reason: fmt.Sprintf("%d: want 1 to 12 digits", *nr.Width)}
			}
			cfg.Range.Width = *nr.Width
		}
		if len(cfg.Range.Prefix)+cfg.Range.Width > 36 {
			return Config{}, &ConfigError{Path: base + ".number_range", Reason: "prefix and width make numbers longer than 36 characters, the longest document number"}
		}
	}
	for _, cur := range sortedKeys(cn.ApprovalThreshold) {
		if err := checkAmount(base+".approval_threshold."+cur, cur, cn.ApprovalThreshold[cur]); err != nil {
			return Config{}, err
		}
		cfg.Threshold[cur] = cn.ApprovalThreshold[cur]
	}
	for _, name := range sortedKeys(cn.Limits) {
		role, err := identity.ParseRole(name)
		if err != nil {
			return Config{}, &ConfigError{Path: base + ".limits." + name, Reason: err.Error()}
		}
		if !slices.Contains(Requesters, role) {
			return Config{}, &ConfigError{Path: base + ".limits." + name, Reason: "this role may not credit; want one of " + roleNames(Requesters)}
		}
		cfg.Limits[role] = map[string]int64{}
		for _, cur := range sortedKeys(cn.Limits[name]) {
			if err := checkAmount(base+".limits."+name+"."+cur, cur, cn.Limits[name][cur]); err != nil {
				return Config{}, err
			}
			cfg.Limits[role][cur] = cn.Limits[name][cur]
		}
	}
	switch cn.IssuedBy {
	case "", ByO2C:
	case ByShop:
		cfg.IssuedBy = ByShop
	default:
		return Config{}, &ConfigError{Path: base + ".issued_by", Reason: fmt.Sprintf("%q: want \"o2c\" or \"shop\"", cn.IssuedBy)}
	}
	return cfg, nil
}

// Requesters are the roles that may request credit notes (within their
// limit).
var Requesters = []identity.Role{identity.CustomerService, identity.Accountant, identity.PlatformAdmin}

func checkAmount(path, cur string, v int64) error {
	if _, ok := money.Exponent(cur); !ok || strings.ToUpper(cur) != cur {
		return &ConfigError{Path: path, Reason: fmt.Sprintf("%q is not an ISO 4217 currency code", cur)}
	}
	if v < 0 {
		return &ConfigError{Path: path, Reason: fmt.Sprintf("%d: want minor units, 0 or more", v)}
	}
	return nil
}

// Limit is the largest gross amount in cur that p may request or
// approve: the largest of its roles' limits.
func (c Config) Limit(p identity.Principal, cur string) int64 {
	var best int64
	for _, r := range p.Roles {
		if l, ok := c.Limits[r][cur]; ok && l > best {
			best = l
		}
	}
	return best
}

// NeedsApproval reports whether a credit note of gross in cur waits for a
// second person.
func (c Config) NeedsApproval(gross int64, cur string) bool {
	t, ok := c.Threshold[cur]
	return !ok || gross > t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func roleNames(rs []identity.Role) string {
	var s []string
	for _, r := range rs {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}
