package refund

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Defaults of a seller account.
const (
	// DefaultSchedule is how often a seller account is imported.
	DefaultSchedule = 4 * time.Hour
	// DefaultOverlap is how far back each import reaches before where the
	// last one got to, for events Amazon posts late.
	DefaultOverlap = 48 * time.Hour
)

// Config is a tenant's refunds section.
type Config struct {
	SellerAccounts []SellerAccount
}

// SellerAccount is one Amazon seller account of a tenant.
type SellerAccount struct {
	// ID names the account within the tenant.
	ID string
	// Region is "eu", "na" or "fe".
	Region string
	// Marketplaces are the marketplace ids it sells on.
	Marketplaces []string
	// CredentialsRef says where the account's LWA client id, client secret
	// and refresh token are: "env:NAME" or "secret:NAME/KEY"; never the
	// secrets themselves.
	CredentialsRef string
	// Schedule is how often it is imported.
	Schedule time.Duration
	// Overlap is how far each import reaches back before where the last
	// one got to.
	Overlap time.Duration
	// Start is the first instant imported when nothing was before.
	Start time.Time
}

// Account returns the seller account with the id, or false.
func (c Config) Account(id string) (SellerAccount, bool) {
	for _, a := range c.SellerAccounts {
		if a.ID == id {
			return a, true
		}
	}
	return SellerAccount{}, false
}

type rawConfig struct {
	SellerAccounts []rawAccount `json:"seller_accounts"`
}

type rawAccount struct {
	ID             string   `json:"id"`
	Region         string   `json:"region"`
	Marketplaces   []string `json:"marketplaces"`
	CredentialsRef string   `json:"credentials_ref"`
	Schedule       string   `json:"schedule"`
	Overlap        string   `json:"overlap"`
	Start          string   `json:"start"`
}

var (
	envRef    = regexp.MustCompile(`^env:[A-Za-z_][A-Za-z0-9_]*$`)
	secretRef = regexp.MustCompile(`^secret:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[-._A-Za-z0-9]+$`)
	accountID = regexp.MustCompile(`^[a-z0-9][-a-z0-9_]*$`)
)

// ParseConfig decodes and checks a tenant's refunds section (raw as the
// tenants file has it; nil or empty is no seller account). Unknown fields
// are refused. The error wraps a *FieldError (ErrInvalidConfig).
func ParseConfig(raw json.RawMessage) (Config, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return Config{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var rc rawConfig
	if err := dec.Decode(&rc); err != nil {
		return Config{}, &FieldError{Field: "", Reason: err.Error()}
	}
	var c Config
	seen := map[string]bool{}
	for i, ra := range rc.SellerAccounts {
		at := func(f string) string { return fmt.Sprintf("seller_accounts[%d].%s", i, f) }
		a := SellerAccount{ID: ra.ID, Region: ra.Region, Marketplaces: ra.Marketplaces, CredentialsRef: ra.CredentialsRef,
			Schedule: DefaultSchedule, Overlap: DefaultOverlap, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		switch {
		case !accountID.MatchString(ra.ID):
			return Config{}, &FieldError{Field: at("id"), Reason: fmt.Sprintf("%q is not an id (lower case letters, digits, - and _)", ra.ID)}
		case seen[ra.ID]:
			return Config{}, &FieldError{Field: at("id"), Reason: fmt.Sprintf("%q is given twice", ra.ID)}
		}
		seen[ra.ID] = true
		switch ra.Region {
		case "eu", "na", "fe":
		default:
			return Config{}, &FieldError{Field: at("region"), Reason: fmt.Sprintf("%q is not eu, na or fe", ra.Region)}
		}
		if len(ra.Marketplaces) == 0 {
			return Config{}, &FieldError{Field: at("marketplaces"), Reason: "at least one marketplace id is needed"}
		}
		for j, m := range ra.Marketplaces {
			if strings.TrimSpace(m) == "" || strings.ContainsAny(m, " \t/?&") {
				return Config{}, &FieldError{Field: fmt.Sprintf("seller_accounts[%d].marketplaces[%d]", i, j), Reason: fmt.Sprintf("%q is not a marketplace id", m)}
			}
		}
		if !envRef.MatchString(ra.CredentialsRef) && !secretRef.MatchString(ra.CredentialsRef) {
			return Config{}, &FieldError{Field: at("credentials_ref"),
				Reason: `want "env:NAME" or "secret:NAME/KEY" (a reference to the credentials, never the credentials)`}
		}
		var err error
		if a.Schedule, err = duration(ra.Schedule, DefaultSchedule); err != nil {
			return Config{}, &FieldError{Field: at("schedule"), Reason: err.Error()}
		}
		if a.Overlap, err = duration(ra.Overlap, DefaultOverlap); err != nil {
			return Config{}, &FieldError{Field: at("overlap"), Reason: err.Error()}
		}
		if ra.Start != "" {
			if a.Start, err = time.Parse(time.DateOnly, ra.Start); err != nil {
				return Config{}, &FieldError{Field: at("start"), Reason: fmt.Sprintf("%q is not a date (YYYY-MM-DD)", ra.Start)}
			}
		}
		c.SellerAccounts = append(c.SellerAccounts, a)
	}
	return c, nil
}

func duration(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (e.g. \"4h\")", s)
	}
	return d, nil
}

// From is where an import of a seller account starts: since when given,
// else the overlap before where the last import got to (completed, zero
// when none did), never before the account's start.
func (a SellerAccount) From(completed, since time.Time) time.Time {
	if !since.IsZero() {
		return since
	}
	if completed.IsZero() {
		return a.Start
	}
	from := completed.Add(-a.Overlap)
	if from.Before(a.Start) {
		return a.Start
	}
	return from
}
