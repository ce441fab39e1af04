package engine

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	def := DefaultConfig()
	stricter := DefaultConfig()
	stricter.AutoThreshold, stricter.Tolerance.AbsoluteMinor, stricter.NumberPatterns = 95, 200, []string{`RE-\d{4}-\d{4}`}
	for _, tc := range []struct {
		name string
		raw  string
		want Config
	}{
		{"empty", ``, def},
		{"null", `null`, def},
		{"empty object", `{}`, def},
		{"some keys", `{"auto_threshold": 95, "tolerance": {"absolute_minor": 200}, "number_patterns": ["RE-\\d{4}-\\d{4}"]}`, stricter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseConfig([]byte(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseConfigNamesTheField: every problem names the field.
func TestParseConfigNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw, field string
	}{
		{`{"auto_treshold": 90}`, "auto_treshold"},
		{`{"tolerance": {"percent": 1}}`, "tolerance.percent"},
		{`{"marketplaces": [{"channel": "amazon", "payer_patterns": ["a"], "debtor": "x"}]}`, "marketplaces[0].debtor"},
		{`{"auto_threshold": "high"}`, "auto_threshold"},
		{`{"tolerance": {"absolute_minor": 1.5}}`, "tolerance.absolute_minor"},
		{`{"auto_threshold": 101}`, "auto_threshold"},
		{`{"auto_threshold": 80, "propose_threshold": 85}`, "propose_threshold"},
		{`{"home_currency": "EURO"}`, "home_currency"},
		{`{"tolerance": {"absolute_minor": -1}}`, "tolerance.absolute_minor"},
		{`{"tolerance": {"percent_bp": 10001}}`, "tolerance.percent_bp"},
		{`{"tolerance": {"rounding_minor": -5}}`, "tolerance.rounding_minor"},
		{`{"tolerance": {"fx_percent_bp": -1}}`, "tolerance.fx_percent_bp"},
		{`{"cash_discount_grace_days": 400}`, "cash_discount_grace_days"},
		{`{"write_off_limit_minor": -1}`, "write_off_limit_minor"},
		{`{"number_patterns": ["RE-(\\d"]}`, "number_patterns[0]"},
		{`{"marketplaces": [{"channel": "", "payer_patterns": ["a"]}]}`, "marketplaces[0].channel"},
		{`{"marketplaces": [{"channel": "amazon", "payer_patterns": []}]}`, "marketplaces[0].payer_patterns"},
		{`{"marketplaces": [{"channel": "a", "payer_patterns": ["x"]}, {"channel": "a", "payer_patterns": ["y"]}]}`, "marketplaces[1].channel"},
		{`{"max_subset_size": 0}`, "max_subset_size"},
		{`{"returns": {"charge_debtor": "all"}}`, "returns.charge_debtor"},
		{`{"returns": {"max_bank_charge_minor": -1}}`, "returns.max_bank_charge_minor"},
		{`{"reversal_codes": [""]}`, "reversal_codes[0]"},
		{`{"auto_threshold": 90} {}`, "matching"},
		{`[90]`, "matching"},
	} {
		_, err := ParseConfig([]byte(tc.raw))
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ParseConfig(%s) = %v, want a *FieldError with ErrInvalidConfig", tc.raw, err)
			continue
		}
		if fe.Field != tc.field {
			t.Errorf("ParseConfig(%s) names %q, want %q (%v)", tc.raw, fe.Field, tc.field, err)
		}
	}
}
