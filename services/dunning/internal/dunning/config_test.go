package dunning

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseConfigDefaults checks the German-law defaults a tenant without
// a dunning section gets.
func TestParseConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg := germanDefaults(t)
	if cfg.DayCount != "act/365" || cfg.MaterialCostFee != 250 || cfg.DisputeBlocksDebtor || cfg.Currency != "EUR" {
		t.Errorf("config = day count %q, material costs %d, dispute blocks debtor %v, currency %q; want act/365, 250, false, EUR",
			cfg.DayCount, cfg.MaterialCostFee, cfg.DisputeBlocksDebtor, cfg.Currency)
	}
	fees := map[string][]Fee{}
	for _, p := range cfg.Procedures {
		for i, l := range p.Levels {
			if l.Number != i+1 {
				t.Errorf("procedure %s level %d numbered %d", p.ID, i+1, l.Number)
			}
			fees[p.ID] = append(fees[p.ID], l.Fee)
		}
		if !p.Levels[0].CreatesDefault || !p.Levels[len(p.Levels)-1].ReleaseToCollections {
			t.Errorf("procedure %s: the first level must create default and the last release to collections", p.ID)
		}
	}
	want := map[string][]Fee{
		"consumer": {{Kind: "none"}, {Kind: "fixed", Amount: 250}, {Kind: "fixed", Amount: 250}, {Kind: "none"}},
		"business": {{Kind: "none"}, {Kind: "lump-sum-288"}, {Kind: "none"}, {Kind: "none"}},
	}
	if diff := cmp.Diff(want, fees); diff != "" {
		t.Errorf("fees per level (-want +got):\n%s", diff)
	}
}

// TestParseConfigOverrides checks that keys a tenant writes replace the
// defaults and the others stay.
func TestParseConfigOverrides(t *testing.T) {
	t.Parallel()
	cfg := config(t, `{"material_cost_fee_minor": 300, "dispute_blocks_debtor": true}`)
	if cfg.MaterialCostFee != 300 || !cfg.DisputeBlocksDebtor || cfg.WarnTimeBarredWithin != 90 {
		t.Errorf("config = material %d, dispute blocks debtor %v, warn %d; want 300, true, 90", cfg.MaterialCostFee, cfg.DisputeBlocksDebtor, cfg.WarnTimeBarredWithin)
	}
	if got := cfg.Procedures[0].Levels[1].Fee; got != (Fee{Kind: "fixed", Amount: 300}) {
		t.Errorf("consumer level 2 fee = %+v, want the configured material costs 300", got)
	}
	cfg = config(t, `{"procedures": [{"id": "p", "version": 2, "valid_from": "2026-01-01", "groups": ["b2c", "b2b"],
		"levels": [{"days_past_due": -3, "template": "friendly"}, {"days_past_due": 10, "template": "r1"},
		{"days_past_due": 20, "template": "r2", "fee": {"kind": "percent", "bp": 100}}]}]}`)
	p := cfg.Procedures[0]
	if len(cfg.Procedures) != 1 || p.ID != "p" || p.Version != 2 || p.ValidFrom != day(2026, 1, 1) {
		t.Fatalf("procedures = %+v, want only p version 2 from 2026-01-01", cfg.Procedures)
	}
	if p.Levels[0].CreatesDefault || !p.Levels[1].CreatesDefault {
		t.Errorf("without creates_default the first level after the due date creates default, not the friendly reminder: %+v", p.Levels)
	}
}

func TestParseConfigErrorsNameThePath(t *testing.T) {
	t.Parallel()
	const okProc = `{"id": "a", "version": 1, "valid_from": "2026-01-01", "groups": ["b2c"], "levels": [{"days_past_due": 7, "template": "t"}]}`
	for _, tc := range []struct {
		name, raw, path, currency, want string
	}{
		{name: "unknown fee kind", raw: `{"procedures": [` + okProc + `, {"id": "b", "version": 1, "valid_from": "2026-01-01", "groups": ["b2c"],
			"levels": [{"days_past_due": 7, "template": "t", "fee": {"kind": "gold"}}]}]}`, want: "dunning.procedures[1].levels[0].fee.kind"},
		{name: "unknown key", raw: `{"colour": "red"}`, want: "dunning.colour"},
		{name: "wrong type", raw: `{"day_count": 365}`, want: "dunning.day_count"},
		{name: "unknown day count", raw: `{"day_count": "act/act"}`, want: "dunning.day_count"},
		{name: "the reminder that creates default costs something", raw: `{"procedures": [{"id": "a", "version": 1, "valid_from": "2026-01-01",
			"groups": ["b2c"], "levels": [{"days_past_due": 7, "template": "t", "fee": {"kind": "material"}}]}]}`, want: "dunning.procedures[0].levels[0].fee.kind"},
		{name: "lump sum for consumers", raw: `{"procedures": [{"id": "a", "version": 1, "valid_from": "2026-01-01", "groups": ["b2c"],
			"levels": [{"days_past_due": 7, "template": "t"}, {"days_past_due": 14, "template": "t", "fee": {"kind": "lump-sum-288"}}]}]}`, want: "dunning.procedures[0].levels[1].fee.kind"},
		{name: "lump sum outside the euro", raw: `null`, currency: "USD", want: "defaults.json.procedures[1].levels[1].fee.kind"},
		{name: "release before the last level", raw: `{"procedures": [{"id": "a", "version": 1, "valid_from": "2026-01-01", "groups": ["b2c"],
			"levels": [{"days_past_due": 7, "template": "t", "release_to_collections": true}, {"days_past_due": 14, "template": "t"}]}]}`, want: "dunning.procedures[0].levels[0].release_to_collections"},
		{name: "levels out of order", raw: `{"procedures": [{"id": "a", "version": 1, "valid_from": "2026-01-01", "groups": ["b2c"],
			"levels": [{"days_past_due": 14, "template": "t"}, {"days_past_due": 7, "template": "t"}]}]}`, want: "dunning.procedures[0].levels[1].days_past_due"},
		{name: "a version twice", raw: `{"procedures": [` + okProc + `, ` + okProc + `]}`, want: "dunning.procedures[1].version"},
		{name: "a date that is none", raw: `{"procedures": [{"id": "a", "version": 1, "valid_from": "2026-02-30", "groups": ["b2c"], "levels": []}]}`, want: "dunning.procedures[0].valid_from"},
		{name: "in the defaults section", path: "defaults.dunning", raw: `{"warn_time_barred_within_days": -1}`, want: "defaults.dunning.warn_time_barred_within_days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path, cur := tc.path, tc.currency
			if path == "" {
				path = "dunning"
			}
			if cur == "" {
				cur = "EUR"
			}
			_, err := ParseConfig([]byte(tc.raw), path, cur)
			var ce *ConfigError
			if !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &ce) {
				t.Fatalf("ParseConfig = %v, want a *ConfigError wrapping ErrInvalidConfig", err)
			}
			if ce.Path != tc.want {
				t.Errorf("error %q names %q, want %q", err, ce.Path, tc.want)
			}
		})
	}
}

// FuzzParseConfig checks that ParseConfig never panics and that what it
// accepts is a configuration Decide can use.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"material_cost_fee_minor": 300}`))
	f.Add([]byte(`{"procedures": [{"id": "a", "version": 1, "valid_from": "2026-01-01", "groups": ["b2c"], "levels": [{"days_past_due": 7, "template": "t"}]}]}`))
	f.Add(defaultsJSON)
	f.Fuzz(func(t *testing.T, raw []byte) {
		cfg, err := ParseConfig(raw, "dunning", "EUR")
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		for _, p := range cfg.Procedures {
			if len(p.Levels) == 0 || p.ID == "" {
				t.Fatalf("accepted an empty procedure %+v", p)
			}
		}
	})
}
