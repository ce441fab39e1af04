package books

import (
	"errors"
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/libs/tax"
)

func TestLoadSettings(t *testing.T) {
	t.Parallel()
	books4, err := LoadSettings(strings.NewReader(`{
		"default": {"chart": "SKR03"},
		"tenants": {"acme": {"chart": "SKR04", "account_length": 5, "banks": {"DE02120300000000202051": "1800"},
			"marketplaces": {"amazon.de/EUR": "690001"}, "period_actors": ["finance:anna"], "allocation_order": "due-date",
			"accounts": {"revenue-19": "4401"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	acme := books4("acme")
	if acme.Chart.Standard != SKR04 || acme.Chart.AccountLength != 5 || acme.Order != OrderDueDate ||
		acme.Chart.Banks["DE02120300000000202051"] != "1800" || len(acme.PeriodActors) != 1 {
		t.Errorf("acme = %+v", acme)
	}
	if a, err := acme.Chart.Account(Revenue19); err != nil || a != "4401" {
		t.Errorf("acme revenue-19 = %q, %v; want the merchant's 4401", a, err)
	}
	if other := books4("other"); other.Chart.Standard != SKR03 || other.Order != OrderBGB {
		t.Errorf("default = %+v", other)
	}
	for _, bad := range []string{
		`{"tenants": {"x": {"chart": "SKR99"}}}`,
		`{"tenants": {"x": {"account_length": 9}}}`,
		`{"tenants": {"x": {"allocation_order": "random"}}}`,
		`{"tenants": {"x": {"bankz": {}}}}`,
	} {
		if _, err := LoadSettings(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestLoadSettingsTax(t *testing.T) {
	t.Parallel()
	configs, err := LoadSettings(strings.NewReader(`{
		"tenants": {"acme": {"accounts": {"output-vat-oss-at": "1768"},
			"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	at := tax.KeyOf("AT", 2000, tax.OSS)
	on := tax.Date{Year: 2026, Month: 3, Day: 2}
	a, err := configs("acme").Chart.Tax.Supply(at, on)
	if err != nil {
		t.Fatalf("acme: OSS Austria: %v", err)
	}
	if n, err := configs("acme").Chart.Account(Logical(a.OutputVAT)); err != nil || n != "1768" {
		t.Errorf("acme: OSS Austria output VAT on %q, %v; want the merchant's 1768", n, err)
	}
	if _, err := configs("other").Chart.Tax.Supply(at, on); !errors.Is(err, tax.ErrUnmapped) {
		t.Errorf("default tenant: OSS Austria = %v, want tax.ErrUnmapped", err)
	}
	for _, bad := range []string{
		// A logical account the chart cannot resolve.
		`{"tenants": {"x": {"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "OSS", "output_vat": "output-vat-oss-at"}]}}}`,
		`{"tenants": {"x": {"tax": [{"country": "AT", "rate_bp": 2000, "treatment": "DOMESTIC"}]}}}`,
		`{"default": {"tax": [{"treatment": "SOMETIMES"}]}}`,
	} {
		if _, err := LoadSettings(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
