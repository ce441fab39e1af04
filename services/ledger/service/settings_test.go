package service

import (
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/services/ledger/internal/books"
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
	if acme.Chart.Standard != books.SKR04 || acme.Chart.AccountLength != 5 || acme.Order != books.OrderDueDate ||
		acme.Chart.Banks["DE02120300000000202051"] != "1800" || len(acme.PeriodActors) != 1 {
		t.Errorf("acme = %+v", acme)
	}
	if a, err := acme.Chart.Account(books.Revenue19); err != nil || a != "4401" {
		t.Errorf("acme revenue-19 = %q, %v; want the merchant's 4401", a, err)
	}
	if other := books4("other"); other.Chart.Standard != books.SKR03 || other.Order != books.OrderBGB {
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
