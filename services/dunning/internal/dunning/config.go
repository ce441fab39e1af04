package dunning

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Config is a tenant's dunning configuration: the tenants file's "dunning"
// section decoded and checked, with German-law defaults for what it leaves
// out. Amounts are minor units of Currency.
type Config struct {
	// Procedures are the tenant's procedures, every version of each; a
	// decision takes, for the debtor's group, the version of the highest
	// ValidFrom not after its date.
	Procedures []Procedure
	// WarnTimeBarredWithin is how many days ahead a decision warns of a
	// claim that becomes time-barred.
	WarnTimeBarredWithin int
	// DisputeBlocksDebtor makes a dispute on one item block the whole
	// debtor; by default only the disputed item is excluded.
	DisputeBlocksDebtor bool
	// DayCount is the interest day-count convention: "act/365" (default),
	// "act/360" or "30/360".
	DayCount string
	// MaterialCostFee is the default fee of a B2C level after the first,
	// the material costs of a letter (2.50 EUR by default).
	MaterialCostFee int64
	// Currency is the tenant's currency, the currency of every amount here.
	Currency string
}

// Procedure is one version of a dunning procedure: the levels a debtor of
// its groups goes through. Each notice records ID and Version.
type Procedure struct {
	ID        string
	Version   int
	ValidFrom Date
	// Groups are the customer groups the procedure applies to: "b2c",
	// "b2b", "key-accounts", "channel:<name>".
	Groups []string
	// Levels are in ascending Number, starting at 1.
	Levels []Level
}

// Level is one dunning level of a procedure.
type Level struct {
	// Number is the level, 1 for the first notice.
	Number int
	// DaysPastDue is how many days after the due date (plus GraceDays) an
	// item reaches the level; negative is a friendly reminder before the
	// due date.
	DaysPastDue int
	// MinIntervalDays is the least number of days since the debtor's last
	// notice before this level is sent.
	MinIntervalDays int
	// MinOpen is the least open total (minor units) of the items that
	// reach the level for the notice to be sent.
	MinOpen int64
	// MinShareBP is the least share, in basis points, of the debtor's open
	// total that those items must make.
	MinShareBP int
	// GraceDays are added to DaysPastDue per item.
	GraceDays int
	// Fee is charged once per notice at this level.
	Fee Fee
	// Interest makes the notice charge default interest.
	Interest bool
	// Template names the notice template.
	Template string
	// ListAllDue makes the notice list every due item, not only those
	// reaching the level.
	ListAllDue bool
	// AlwaysDun sends the level regardless of MinOpen and MinShareBP.
	AlwaysDun bool
	// CreatesDefault makes the notice the reminder of §286 (1) BGB that
	// puts the debtor in default (Mahnung).
	CreatesDefault bool
	// ReleaseToCollections releases the items that reach the level to
	// collections instead of sending a further reminder.
	ReleaseToCollections bool
}

// Fee is the fee of a level: "none", "fixed" (Amount), "percent" (BP of
// the open principal the notice lists) or "lump-sum-288" (the lump sum of
// §288 (5) BGB, business debtors only, once per claim).
type Fee struct {
	Kind   string
	Amount int64
	BP     int
}

// defaultsJSON is the dunning section a tenant gets when it writes none,
// and the keys it leaves out: German-law defaults (the reminder that
// creates default costs nothing, later consumer letters cost material
// costs only, businesses pay the §288 (5) lump sum once per claim instead
// of per-letter fees).
//
//go:embed defaults.json
var defaultsJSON []byte

// Fee kinds.
const (
	FeeNone    = "none"
	FeeFixed   = "fixed"
	FeePercent = "percent"
	FeeLumpSum = "lump-sum-288"
	// feeMaterial is written in the tenants file for a fixed fee of the
	// configured material costs; Config holds it as FeeFixed.
	feeMaterial = "material"
)

type configFile struct {
	WarnTimeBarredWithin *int              `json:"warn_time_barred_within_days"`
	DisputeBlocksDebtor  *bool             `json:"dispute_blocks_debtor"`
	DayCount             *string           `json:"day_count"`
	MaterialCostFee      *int64            `json:"material_cost_fee_minor"`
	Procedures           []json.RawMessage `json:"procedures"`
}

type procedureFile struct {
	ID        string            `json:"id"`
	Version   int               `json:"version"`
	ValidFrom string            `json:"valid_from"`
	Groups    []string          `json:"groups"`
	Levels    []json.RawMessage `json:"levels"`
}

type levelFile struct {
	DaysPastDue          int             `json:"days_past_due"`
	MinIntervalDays      int             `json:"min_interval_days"`
	MinOpen              int64           `json:"min_open_minor"`
	MinShareBP           int             `json:"min_share_bp"`
	GraceDays            int             `json:"grace_days"`
	Fee                  json.RawMessage `json:"fee"`
	Interest             bool            `json:"interest"`
	Template             string          `json:"template"`
	ListAllDue           bool            `json:"list_all_due"`
	AlwaysDun            bool            `json:"always_dun"`
	CreatesDefault       bool            `json:"creates_default"`
	ReleaseToCollections bool            `json:"release_to_collections"`
}

type feeFile struct {
	Kind   string `json:"kind"`
	Amount int64  `json:"amount_minor"`
	BP     int    `json:"bp"`
}

// ParseConfig decodes the tenants file's dunning section raw, found at
// path ("dunning" or "defaults.dunning"), for a tenant keeping its books in
// currency. A nil raw gives the German-law defaults of defaults.json; keys
// raw leaves out keep them, and procedures, when given, replace the default
// procedures. Amounts are minor units of currency. Errors wrap
// ErrInvalidConfig (*ConfigError) and name the element path, e.g.
// "dunning.procedures[1].levels[0].fee.kind".
//
// The checks enforce the law as far as a configuration can break it: the
// level that creates default and any friendly reminder before it cost
// nothing; the lump sum of §288 (5) BGB only in procedures for businesses
// only, and only in euro; a final level releasing to collections comes last.
func ParseConfig(raw json.RawMessage, path string, currency string) (Config, error) {
	if path == "" {
		path = "dunning"
	}
	if currency == "" {
		return Config{}, &ConfigError{Path: path, Reason: "no currency given for the tenant"}
	}
	var def configFile
	if err := decodeStrict(defaultsJSON, &def, "defaults.json"); err != nil {
		return Config{}, err
	}
	var own configFile
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && string(trimmed) != "null" {
		if err := decodeStrict(trimmed, &own, path); err != nil {
			return Config{}, err
		}
	}
	cfg := Config{Currency: currency}
	cfg.WarnTimeBarredWithin = *firstSet(own.WarnTimeBarredWithin, def.WarnTimeBarredWithin)
	cfg.DisputeBlocksDebtor = *firstSet(own.DisputeBlocksDebtor, def.DisputeBlocksDebtor)
	cfg.DayCount = *firstSet(own.DayCount, def.DayCount)
	cfg.MaterialCostFee = *firstSet(own.MaterialCostFee, def.MaterialCostFee)
	if cfg.WarnTimeBarredWithin < 0 {
		return Config{}, &ConfigError{Path: path + ".warn_time_barred_within_days", Reason: "must not be negative"}
	}
	if _, ok := dayCountDenominator(cfg.DayCount); !ok || cfg.DayCount == "" {
		return Config{}, &ConfigError{Path: path + ".day_count", Reason: fmt.Sprintf("%q: want act/365, act/360 or 30/360", cfg.DayCount)}
	}
	if cfg.MaterialCostFee < 0 || cfg.MaterialCostFee > maxFee {
		return Config{}, &ConfigError{Path: path + ".material_cost_fee_minor", Reason: fmt.Sprintf("%d: want 0 to %d", cfg.MaterialCostFee, maxFee)}
	}
	procs, procPath := def.Procedures, "defaults.json"
	if own.Procedures != nil {
		procs, procPath = own.Procedures, path
	}
	if len(procs) == 0 {
		return Config{}, &ConfigError{Path: procPath + ".procedures", Reason: "at least one procedure is required"}
	}
	seen := map[string]bool{}
	for i, rawProc := range procs {
		p, err := parseProcedure(rawProc, fmt.Sprintf("%s.procedures[%d]", procPath, i), cfg)
		if err != nil {
			return Config{}, err
		}
		key := fmt.Sprintf("%s/%d", p.ID, p.Version)
		if seen[key] {
			return Config{}, &ConfigError{Path: fmt.Sprintf("%s.procedures[%d].version", procPath, i), Reason: fmt.Sprintf("procedure %s version %d given twice", p.ID, p.Version)}
		}
		seen[key] = true
		cfg.Procedures = append(cfg.Procedures, p)
	}
	return cfg, nil
}

// maxFee bounds a fixed fee or minimum (minor units): far above any lawful
// dunning fee, far below any overflow.
const maxFee = 1_000_000_000_000

func firstSet[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	if b != nil {
		return b
	}
	var zero T
	return &zero
}

func parseProcedure(raw json.RawMessage, path string, cfg Config) (Procedure, error) {
	var f procedureFile
	if err := decodeStrict(raw, &f, path); err != nil {
		return Procedure{}, err
	}
	if f.ID == "" {
		return Procedure{}, &ConfigError{Path: path + ".id", Reason: "missing"}
	}
	if f.Version < 1 {
		return Procedure{}, &ConfigError{Path: path + ".version", Reason: "want 1 or more"}
	}
	p := Procedure{ID: f.ID, Version: f.Version}
	var err error
	if p.ValidFrom, err = ParseDate(f.ValidFrom); err != nil {
		return Procedure{}, &ConfigError{Path: path + ".valid_from", Reason: err.Error()}
	}
	if len(f.Groups) == 0 {
		return Procedure{}, &ConfigError{Path: path + ".groups", Reason: "at least one group is required"}
	}
	business := true
	for i, g := range f.Groups {
		switch {
		case g == "b2c":
			business = false
		case g == "b2b", g == "key-accounts":
		case strings.HasPrefix(g, "channel:") && len(g) > len("channel:"):
			business = false
		default:
			if g == "" {
				return Procedure{}, &ConfigError{Path: fmt.Sprintf("%s.groups[%d]", path, i), Reason: "empty group"}
			}
			business = false // a shop's own group may hold consumers
		}
	}
	p.Groups = slices.Clone(f.Groups)
	if len(f.Levels) == 0 {
		return Procedure{}, &ConfigError{Path: path + ".levels", Reason: "at least one level is required"}
	}
	for i, rawLevel := range f.Levels {
		lp := fmt.Sprintf("%s.levels[%d]", path, i)
		l, err := parseLevel(rawLevel, lp, cfg, business)
		if err != nil {
			return Procedure{}, err
		}
		l.Number = i + 1
		if i > 0 && l.DaysPastDue <= p.Levels[i-1].DaysPastDue {
			return Procedure{}, &ConfigError{Path: lp + ".days_past_due", Reason: fmt.Sprintf("%d: must be more than the level before (%d)", l.DaysPastDue, p.Levels[i-1].DaysPastDue)}
		}
		if l.ReleaseToCollections && i != len(f.Levels)-1 {
			return Procedure{}, &ConfigError{Path: lp + ".release_to_collections", Reason: "only the last level may release to collections"}
		}
		if l.CreatesDefault && l.DaysPastDue <= 0 {
			return Procedure{}, &ConfigError{Path: lp + ".creates_default", Reason: "a reminder creates default only after the due date (days_past_due > 0)"}
		}
		p.Levels = append(p.Levels, l)
	}
	// The reminder that creates default is the level that says so, else
	// the first after the due date.
	first := slices.IndexFunc(p.Levels, func(l Level) bool { return l.CreatesDefault })
	if first < 0 {
		first = slices.IndexFunc(p.Levels, func(l Level) bool { return l.DaysPastDue > 0 })
		if first >= 0 {
			p.Levels[first].CreatesDefault = true
		}
	}
	for i, l := range p.Levels {
		if (first < 0 || i <= first) && l.Fee.Kind != FeeNone {
			// Dunning costs are damages for delay (§§280 (2), 286 BGB):
			// owed only for letters sent once the debtor is in default.
			return Procedure{}, &ConfigError{Path: fmt.Sprintf("%s.levels[%d].fee.kind", path, i), Reason: fmt.Sprintf("%q: a level before default or the reminder that creates default costs nothing", l.Fee.Kind)}
		}
	}
	return p, nil
}

func parseLevel(raw json.RawMessage, path string, cfg Config, business bool) (Level, error) {
	var f levelFile
	if err := decodeStrict(raw, &f, path); err != nil {
		return Level{}, err
	}
	l := Level{
		DaysPastDue: f.DaysPastDue, MinIntervalDays: f.MinIntervalDays, MinOpen: f.MinOpen, MinShareBP: f.MinShareBP,
		GraceDays: f.GraceDays, Interest: f.Interest, Template: f.Template, ListAllDue: f.ListAllDue,
		AlwaysDun: f.AlwaysDun, CreatesDefault: f.CreatesDefault, ReleaseToCollections: f.ReleaseToCollections,
	}
	switch {
	case f.MinIntervalDays < 0:
		return Level{}, &ConfigError{Path: path + ".min_interval_days", Reason: "must not be negative"}
	case f.MinOpen < 0 || f.MinOpen > maxFee:
		return Level{}, &ConfigError{Path: path + ".min_open_minor", Reason: fmt.Sprintf("%d: want 0 to %d", f.MinOpen, maxFee)}
	case f.MinShareBP < 0 || f.MinShareBP > 10000:
		return Level{}, &ConfigError{Path: path + ".min_share_bp", Reason: fmt.Sprintf("%d: want 0 to 10000", f.MinShareBP)}
	case f.GraceDays < 0:
		return Level{}, &ConfigError{Path: path + ".grace_days", Reason: "must not be negative"}
	case f.Template == "":
		return Level{}, &ConfigError{Path: path + ".template", Reason: "missing"}
	case f.DaysPastDue < -365 || f.DaysPastDue > 3650:
		return Level{}, &ConfigError{Path: path + ".days_past_due", Reason: fmt.Sprintf("%d: want -365 to 3650", f.DaysPastDue)}
	}
	fee := feeFile{Kind: FeeNone}
	if len(bytes.TrimSpace(f.Fee)) > 0 && string(bytes.TrimSpace(f.Fee)) != "null" {
		if err := decodeStrict(f.Fee, &fee, path+".fee"); err != nil {
			return Level{}, err
		}
	}
	fp := path + ".fee"
	switch fee.Kind {
	case FeeNone, "":
		l.Fee = Fee{Kind: FeeNone}
	case feeMaterial:
		l.Fee = Fee{Kind: FeeFixed, Amount: cfg.MaterialCostFee}
	case FeeFixed:
		if fee.Amount <= 0 || fee.Amount > maxFee {
			return Level{}, &ConfigError{Path: fp + ".amount_minor", Reason: fmt.Sprintf("%d: want 1 to %d", fee.Amount, maxFee)}
		}
		l.Fee = Fee{Kind: FeeFixed, Amount: fee.Amount}
	case FeePercent:
		if fee.BP <= 0 || fee.BP > 10000 {
			return Level{}, &ConfigError{Path: fp + ".bp", Reason: fmt.Sprintf("%d: want 1 to 10000", fee.BP)}
		}
		l.Fee = Fee{Kind: FeePercent, BP: fee.BP}
	case FeeLumpSum:
		if !business {
			return Level{}, &ConfigError{Path: fp + ".kind", Reason: "the lump sum of §288 (5) BGB is owed by businesses only: use it in procedures whose groups are b2b or key-accounts"}
		}
		if cfg.Currency != DefaultBaseRates().Law.LumpSumCurrency {
			return Level{}, &ConfigError{Path: fp + ".kind", Reason: fmt.Sprintf("the lump sum of §288 (5) BGB is fixed in %s, the tenant books in %s", DefaultBaseRates().Law.LumpSumCurrency, cfg.Currency)}
		}
		l.Fee = Fee{Kind: FeeLumpSum}
	default:
		return Level{}, &ConfigError{Path: fp + ".kind", Reason: fmt.Sprintf("%q: want none, material, fixed, percent or lump-sum-288", fee.Kind)}
	}
	if fee.Kind != FeeFixed && fee.Kind != FeePercent && (fee.Amount != 0 || fee.BP != 0) {
		return Level{}, &ConfigError{Path: fp, Reason: fmt.Sprintf("kind %q takes no amount_minor or bp", fee.Kind)}
	}
	if l.ReleaseToCollections && l.Fee.Kind != FeeNone {
		return Level{}, &ConfigError{Path: fp + ".kind", Reason: "the level that releases to collections sends no notice and charges no fee"}
	}
	return l, nil
}

// decodeStrict decodes one JSON object into v, refusing unknown keys and
// naming path and field in every error.
func decodeStrict(raw []byte, v any, path string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			where := path
			if te.Field != "" {
				where = path + "." + te.Field
			}
			return &ConfigError{Path: where, Reason: fmt.Sprintf("%s where %s is expected", te.Value, jsonKind(te.Type.Kind().String()))}
		case errors.As(err, &se):
			return &ConfigError{Path: path, Reason: fmt.Sprintf("not JSON: %v", err)}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &ConfigError{Path: path + "." + name, Reason: "unknown key"}
		}
		return &ConfigError{Path: path, Reason: err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &ConfigError{Path: path, Reason: "more than one JSON value"}
	}
	return nil
}

func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice":
		return "an array"
	case kind == "struct", kind == "map":
		return "an object"
	}
	return kind
}
