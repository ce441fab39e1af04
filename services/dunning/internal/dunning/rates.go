package dunning

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// legalJSON holds the legal numbers with their sources: the base-rate
// table of §247 BGB, the surcharges of §288 (1), (2) BGB, the lump sum of
// §288 (5) BGB, the 30 days of §286 (3) BGB and the limitation periods.
//
//go:embed legal.json
var legalJSON []byte

// defaultLaw parses legalJSON once; the result is never changed. A broken
// embedded file is a build defect that every test catches.
var defaultLaw = sync.OnceValues(func() (BaseRates, error) { return parseLaw(legalJSON) })

// Law is the German law the engine applies, read from legal.json: every
// legal number lives there with its source, none in code.
type Law struct {
	// ConsumerPointsBP and BusinessPointsBP are the default-interest
	// surcharges over the base rate (§288 (1), (2) BGB), in basis points.
	ConsumerPointsBP, BusinessPointsBP int
	// LumpSum is the §288 (5) BGB lump sum in minor units of
	// LumpSumCurrency.
	LumpSum         int64
	LumpSumCurrency string
	// ThirtyDays is the period of §286 (3) BGB in days.
	ThirtyDays int
	// LimitationYears is the regular limitation period (§195 BGB).
	LimitationYears int
	// RunOutMonths is how long after negotiations end limitation cannot
	// expire (§203 sentence 2 BGB).
	RunOutMonths int
}

// RatePeriod is a base rate in basis points from From until the next
// period starts.
type RatePeriod struct {
	From Date
	BP   int
}

// BaseRates is a table of the base rate (Basiszinssatz) of §247 BGB, with
// the Law that goes with it. It is a value: the zero BaseRates has no rates
// and German law's surcharges.
type BaseRates struct {
	// Version names the table (the date of its last period as published).
	Version string
	// Source says where the rates come from.
	Source string
	// VerifiedThrough is the last day the table is known to be complete;
	// a decision after it warns that the last known rate was used.
	VerifiedThrough Date
	// Law holds the other legal numbers.
	Law     Law
	periods []RatePeriod
}

// NewBaseRates returns a table of the given periods (in any order) with the
// law of the embedded data; tests and backtests use it to try other rates.
func NewBaseRates(version string, periods []RatePeriod) BaseRates {
	law := DefaultBaseRates().Law
	ps := slices.Clone(periods)
	slices.SortFunc(ps, func(a, b RatePeriod) int { return a.From.Compare(b.From) })
	last := Date{}
	if len(ps) > 0 {
		last = MakeDate(9999, 12, 31)
	}
	return BaseRates{Version: version, Source: "given", VerifiedThrough: last, Law: law, periods: ps}
}

// DefaultBaseRates returns the table and law embedded in legal.json.
func DefaultBaseRates() BaseRates {
	r, err := defaultLaw()
	if err != nil {
		return BaseRates{}
	}
	return r
}

// Periods returns the table's periods, oldest first.
func (r BaseRates) Periods() []RatePeriod { return slices.Clone(r.periods) }

// At returns the base rate in basis points on d (it may be negative): the
// rate of the last period starting on or before d, the first period's
// before the table starts, 0 for an empty table. Use Covers to know
// whether d lies in the table.
func (r BaseRates) At(d Date) (bp int) {
	i := r.index(d)
	if i < 0 {
		if len(r.periods) == 0 {
			return 0
		}
		return r.periods[0].BP
	}
	return r.periods[i].BP
}

// Covers reports whether the table has a rate for d.
func (r BaseRates) Covers(d Date) bool { return r.index(d) >= 0 }

// index returns the index of the period holding d, -1 before the first.
func (r BaseRates) index(d Date) int {
	i, found := slices.BinarySearchFunc(r.periods, d, func(p RatePeriod, d Date) int { return p.From.Compare(d) })
	if found {
		return i
	}
	return i - 1
}

// nextChange returns the first day after d on which the rate may change,
// and false when no later period exists.
func (r BaseRates) nextChange(d Date) (Date, bool) {
	i := r.index(d)
	if i+1 < len(r.periods) {
		return r.periods[i+1].From, true
	}
	return Date{}, false
}

type legalFile struct {
	Version  string `json:"version"`
	BaseRate struct {
		Source          string `json:"source"`
		VerifiedThrough Date   `json:"verified_through"`
		Periods         []struct {
			From Date `json:"from"`
			BP   *int `json:"bp"`
		} `json:"periods"`
	} `json:"base_rate"`
	DefaultInterest struct {
		Consumer int `json:"consumer_points_bp"`
		Business int `json:"business_points_bp"`
	} `json:"default_interest"`
	LumpSum struct {
		Amount   int64  `json:"amount_minor"`
		Currency string `json:"currency"`
	} `json:"lump_sum"`
	ThirtyDay struct {
		Days int `json:"days"`
	} `json:"thirty_day_rule"`
	Limitation struct {
		Years  int `json:"years"`
		RunOut int `json:"negotiation_run_out_months"`
	} `json:"limitation"`
}

func parseLaw(b []byte) (BaseRates, error) {
	var f legalFile
	if err := json.Unmarshal(b, &f); err != nil {
		return BaseRates{}, fmt.Errorf("legal.json: %w", err)
	}
	r := BaseRates{
		Version: f.Version, Source: f.BaseRate.Source, VerifiedThrough: f.BaseRate.VerifiedThrough,
		Law: Law{
			ConsumerPointsBP: f.DefaultInterest.Consumer, BusinessPointsBP: f.DefaultInterest.Business,
			LumpSum: f.LumpSum.Amount, LumpSumCurrency: f.LumpSum.Currency, ThirtyDays: f.ThirtyDay.Days,
			LimitationYears: f.Limitation.Years, RunOutMonths: f.Limitation.RunOut,
		},
	}
	for i, p := range f.BaseRate.Periods {
		if p.From.IsZero() || p.BP == nil {
			return BaseRates{}, fmt.Errorf("legal.json: base_rate.periods[%d]: from and bp are required", i)
		}
		if i > 0 && !p.From.After(r.periods[i-1].From) {
			return BaseRates{}, fmt.Errorf("legal.json: base_rate.periods[%d]: %s not after the period before", i, p.From)
		}
		r.periods = append(r.periods, RatePeriod{From: p.From, BP: *p.BP})
	}
	if len(r.periods) == 0 || r.Law.LimitationYears <= 0 || r.Law.ThirtyDays <= 0 || r.Law.LumpSumCurrency == "" {
		return BaseRates{}, fmt.Errorf("legal.json: incomplete")
	}
	return r, nil
}
