package collections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// Agency is a collection agency a tenant works with, and the rules that
// send it cases. A zero bound is no bound; empty lists accept everything.
type Agency struct {
	// ID is the agency's id: the one its credentials name
	// (identity.Principal.Agency) and the ledger's clearing account name
	// for it (the tenant's ledger.clearing must list it).
	ID string `json:"id"`
	// Name is for people.
	Name string `json:"name,omitempty"`
	// Countries are the debtor countries (ISO 3166-1 alpha-2) it takes.
	Countries []string `json:"countries,omitempty"`
	// MinAmountMinor and MaxAmountMinor bound the case's open total.
	MinAmountMinor int64 `json:"min_amount_minor,omitempty"`
	MaxAmountMinor int64 `json:"max_amount_minor,omitempty"`
	// Groups are the customer groups it takes.
	Groups []string `json:"groups,omitempty"`
	// MinAgeDays is the least age of the oldest item (days past due).
	MinAgeDays int `json:"min_age_days,omitempty"`
	// ShareBP is its share, in basis points, of the cases that several
	// agencies could take.
	ShareBP int `json:"share_bp,omitempty"`
	// CommissionBP is its commission on what it collects, in basis points,
	// for the record of each case.
	CommissionBP int `json:"commission_bp,omitempty"`
	// VATRateBP is the VAT rate it charges on fees and commission (the
	// merchant's input VAT), in basis points.
	VATRateBP int `json:"vat_rate_bp,omitempty"`
}

// Config is a tenant's collections section of the tenants file.
type Config struct {
	// Agencies, in order of preference.
	Agencies []Agency `json:"agencies"`
	// MinReleaseAmountMinor is the least open total a release hands over.
	MinReleaseAmountMinor int64 `json:"min_release_amount_minor,omitempty"`
}

// ParseConfig decodes a tenant's collections section (raw; empty or null
// is a configuration without agencies) found at path and checks it. The
// error wraps ErrInvalidConfig and names the field.
func ParseConfig(raw []byte, path string) (Config, error) {
	var c Config
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return c, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %s: %v", ErrInvalidConfig, path, err)
	}
	if c.MinReleaseAmountMinor < 0 {
		return c, fmt.Errorf("%w: %s.min_release_amount_minor: %d is negative", ErrInvalidConfig, path, c.MinReleaseAmountMinor)
	}
	seen := map[string]bool{}
	for i, a := range c.Agencies {
		at := fmt.Sprintf("%s.agencies[%d]", path, i)
		switch {
		case strings.TrimSpace(a.ID) == "":
			return c, fmt.Errorf("%w: %s.id: missing", ErrInvalidConfig, at)
		case seen[a.ID]:
			return c, fmt.Errorf("%w: %s.id: %q twice", ErrInvalidConfig, at, a.ID)
		case a.MinAmountMinor < 0 || a.MaxAmountMinor < 0:
			return c, fmt.Errorf("%w: %s: negative amount bound", ErrInvalidConfig, at)
		case a.MaxAmountMinor > 0 && a.MaxAmountMinor < a.MinAmountMinor:
			return c, fmt.Errorf("%w: %s.max_amount_minor: below min_amount_minor", ErrInvalidConfig, at)
		case a.MinAgeDays < 0:
			return c, fmt.Errorf("%w: %s.min_age_days: negative", ErrInvalidConfig, at)
		case a.ShareBP < 0 || a.ShareBP > 10000:
			return c, fmt.Errorf("%w: %s.share_bp: %d is not within 0..10000", ErrInvalidConfig, at, a.ShareBP)
		case a.CommissionBP < 0 || a.CommissionBP > 10000:
			return c, fmt.Errorf("%w: %s.commission_bp: %d is not within 0..10000", ErrInvalidConfig, at, a.CommissionBP)
		case a.VATRateBP < 0 || a.VATRateBP > 10000:
			return c, fmt.Errorf("%w: %s.vat_rate_bp: %d is not within 0..10000", ErrInvalidConfig, at, a.VATRateBP)
		}
		seen[a.ID] = true
	}
	return c, nil
}

// Agency returns the configured agency with id.
func (c Config) Agency(id string) (Agency, bool) {
	i := slices.IndexFunc(c.Agencies, func(a Agency) bool { return a.ID == id })
	if i < 0 {
		return Agency{}, false
	}
	return c.Agencies[i], true
}

// Profile is what the agency rules look at in a case.
type Profile struct {
	// CaseID makes the share choice deterministic: the same case always
	// goes to the same agency.
	CaseID string
	// Country is the debtor's country; empty (o2c does not know the
	// debtor's address) is taken as "DE", the merchants' home.
	Country string
	// Group is the debtor's customer group.
	Group string
	// TotalMinor is the open total handed over.
	TotalMinor int64
	// AgeDays is the days past due of the oldest item.
	AgeDays int
}

// fits returns why a does not take p, or "" when it does.
func (a Agency) fits(p Profile) string {
	if p.Country == "" {
		p.Country = "DE"
	}
	switch {
	case len(a.Countries) > 0 && !slices.ContainsFunc(a.Countries, func(c string) bool { return strings.EqualFold(c, p.Country) }):
		return fmt.Sprintf("country %q not among %v", p.Country, a.Countries)
	case p.TotalMinor < a.MinAmountMinor:
		return fmt.Sprintf("total %d below %d", p.TotalMinor, a.MinAmountMinor)
	case a.MaxAmountMinor > 0 && p.TotalMinor > a.MaxAmountMinor:
		return fmt.Sprintf("total %d above %d", p.TotalMinor, a.MaxAmountMinor)
	case len(a.Groups) > 0 && !slices.Contains(a.Groups, p.Group):
		return fmt.Sprintf("group %q not among %v", p.Group, a.Groups)
	case p.AgeDays < a.MinAgeDays:
		return fmt.Sprintf("%d days past due, fewer than %d", p.AgeDays, a.MinAgeDays)
	}
	return ""
}

// Choose picks the agency for a case: among the agencies whose rules take
// it, one by share (a deterministic draw from the case id weighted by
// ShareBP; without shares the first that fits). It returns the agency and
// the rule in words, or ErrNoAgency with each agency's reason.
func (c Config) Choose(p Profile) (Agency, string, error) {
	var fit []Agency
	var why []string
	for _, a := range c.Agencies {
		if r := a.fits(p); r != "" {
			why = append(why, a.ID+": "+r)
			continue
		}
		fit = append(fit, a)
	}
	if len(fit) == 0 {
		if len(why) == 0 {
			return Agency{}, "", fmt.Errorf("%w: the tenant has no agencies configured", ErrNoAgency)
		}
		return Agency{}, "", fmt.Errorf("%w: %s", ErrNoAgency, strings.Join(why, "; "))
	}
	total := 0
	for _, a := range fit {
		total += a.ShareBP
	}
	if len(fit) == 1 || total == 0 {
		return fit[0], fmt.Sprintf("rules: %s is the first agency that takes the case", fit[0].ID), nil
	}
	h := fnv.New32a()
	h.Write([]byte(p.CaseID))
	draw := int(h.Sum32() % uint32(total))
	for _, a := range fit {
		if draw < a.ShareBP {
			return a, fmt.Sprintf("rules: %d agencies take the case; share draw %d of %d falls to %s (share %d bp)",
				len(fit), draw, total, a.ID, a.ShareBP), nil
		}
		draw -= a.ShareBP
	}
	return fit[len(fit)-1], "", nil // unreachable: draw < total
}
