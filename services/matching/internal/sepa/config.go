package sepa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/o2c-platform/o2c/libs/sepa"
)

// Config is a tenant's sepa section of the tenants file.
type Config struct {
	// CreditorAccounts are the tenant's accounts with its creditor
	// identifier. Collections go to a mandate's account (Mandate.Account,
	// by IBAN) or the first; payouts leave from the first.
	CreditorAccounts []CreditorAccount `json:"creditor_accounts"`
	// PreNotificationDays is how many calendar days before the collection
	// date the debtor is told of it. Default 14 (the rulebook's, unless
	// the tenant's terms agreed a shorter period); at least 1.
	PreNotificationDays int `json:"pre_notification_days"`
	// LeadDays is the submission lead time per scheme in TARGET business
	// days: the file reaches the bank at least that many business days
	// before the collection date. Default 1 for CORE and for B2B (both
	// D-1 since the rulebooks of November 2016; a bank may ask for more).
	LeadDays LeadDays `json:"lead_days"`
	// Payouts are the rules that release credit balances.
	Payouts PayoutRules `json:"payouts"`
	// OutputDir is where the files and pre-notifications go, one directory
	// per tenant below it; empty means the service's SEPA_OUTPUT_DIR.
	OutputDir string `json:"output_dir"`
}

// CreditorAccount is an account of the tenant as a SEPA creditor.
type CreditorAccount struct {
	IBAN       string `json:"iban"`
	BIC        string `json:"bic"`
	CreditorID string `json:"creditor_id"`
	Name       string `json:"name"`
}

// LeadDays is the submission lead time per scheme.
type LeadDays struct {
	Core int `json:"core"`
	B2B  int `json:"b2b"`
}

// PayoutRules say which credit balances are paid out.
type PayoutRules struct {
	// ThresholdMinor is the smallest credit balance (euro cents, summed
	// per debtor) paid out. Default 100 (1.00 EUR).
	ThresholdMinor int64 `json:"threshold_minor"`
	// MinAgeDays is how old (days since its document date) the youngest
	// credit must be. Default 14.
	MinAgeDays int `json:"min_age_days"`
	// ExecutionDays is how many TARGET business days after the run the
	// transfer is executed. Default 1.
	ExecutionDays int `json:"execution_days"`
	// Disabled turns payouts off for the tenant.
	Disabled bool `json:"disabled"`
	// RunWeekdays are the days of the week ("mon" to "sun") on which the
	// scheduled SEPA run (matching's SEPA_RUN_AT) also runs the payouts,
	// after the collections. Empty: payouts run only on request (o2c
	// sepa payouts).
	RunWeekdays []string `json:"run_weekdays"`
}

// weekdays are the names RunWeekdays takes.
var weekdays = map[string]time.Weekday{"mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday}

// RunsOn reports whether the scheduled run of a day that is d also runs
// the payouts.
func (p PayoutRules) RunsOn(d time.Weekday) bool {
	if p.Disabled {
		return false
	}
	for _, w := range p.RunWeekdays {
		if weekdays[w] == d {
			return true
		}
	}
	return false
}

// DefaultConfig is the configuration of a tenant without a sepa section:
// no creditor account, so nothing is collected or paid out.
func DefaultConfig() Config {
	return Config{PreNotificationDays: 14, LeadDays: LeadDays{Core: 1, B2B: 1},
		Payouts: PayoutRules{ThresholdMinor: 100, MinAgeDays: 14, ExecutionDays: 1}}
}

// ParseConfig decodes and checks a sepa section; nil gives DefaultConfig.
// Unknown keys are refused. IBANs and creditor identifiers are returned
// in their normal form.
func ParseConfig(raw []byte) (Config, error) {
	c := DefaultConfig()
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return c, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	for i := range c.CreditorAccounts {
		a := &c.CreditorAccounts[i]
		iban, err := sepa.CheckIBAN(a.IBAN)
		if err != nil {
			return Config{}, fmt.Errorf("%w: creditor_accounts[%d].iban: %v", ErrInvalidConfig, i, err)
		}
		a.IBAN = iban
		if a.BIC != "" {
			if err := sepa.CheckBIC(a.BIC); err != nil {
				return Config{}, fmt.Errorf("%w: creditor_accounts[%d].bic: %v", ErrInvalidConfig, i, err)
			}
		}
		ci, err := sepa.CheckCreditorID(a.CreditorID)
		if err != nil {
			return Config{}, fmt.Errorf("%w: creditor_accounts[%d].creditor_id: %v", ErrInvalidConfig, i, err)
		}
		a.CreditorID = ci
		if a.Name == "" {
			return Config{}, fmt.Errorf("%w: creditor_accounts[%d].name: required", ErrInvalidConfig, i)
		}
	}
	switch {
	case c.PreNotificationDays < 1:
		return Config{}, fmt.Errorf("%w: pre_notification_days: at least 1", ErrInvalidConfig)
	case c.LeadDays.Core < 1 || c.LeadDays.B2B < 1:
		return Config{}, fmt.Errorf("%w: lead_days: at least 1 business day per scheme", ErrInvalidConfig)
	case c.Payouts.ThresholdMinor < 1:
		return Config{}, fmt.Errorf("%w: payouts.threshold_minor: at least 1", ErrInvalidConfig)
	case c.Payouts.MinAgeDays < 0 || c.Payouts.ExecutionDays < 0:
		return Config{}, fmt.Errorf("%w: payouts: days must not be negative", ErrInvalidConfig)
	}
	for i, w := range c.Payouts.RunWeekdays {
		if _, ok := weekdays[w]; !ok {
			return Config{}, fmt.Errorf("%w: payouts.run_weekdays[%d]: %q is not a day of the week (mon, tue, wed, thu, fri, sat, sun)", ErrInvalidConfig, i, w)
		}
	}
	return c, nil
}

// Account returns the creditor account with the IBAN, or the first when
// iban is empty or not one of them.
func (c Config) Account(iban string) (CreditorAccount, error) {
	if len(c.CreditorAccounts) == 0 {
		return CreditorAccount{}, ErrNoCreditorAccount
	}
	for _, a := range c.CreditorAccounts {
		if a.IBAN == iban {
			return a, nil
		}
	}
	return c.CreditorAccounts[0], nil
}

// Lead returns the submission lead time of the scheme in business days.
func (c Config) Lead(scheme string) int {
	if scheme == SchemeB2B {
		return c.LeadDays.B2B
	}
	return c.LeadDays.Core
}
