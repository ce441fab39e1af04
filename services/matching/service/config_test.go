package service

import (
	"errors"
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

// TestConfigsNameTheField: a tenant's matching section that breaks a rule
// stops matching at start with the file, tenant and field named; one
// without a section gets the defaults, and defaults.matching applies to
// every tenant without its own.
func TestConfigsNameTheField(t *testing.T) {
	t.Parallel()
	f := tenantstest.Parse(t, []byte(`{"defaults": {"matching": {"auto_threshold": 95}},
		"tenants": {"acme": {"name": "Acme"}, "beta": {"name": "Beta", "matching": {"auto_threshold": 80, "tolerance": {"absolute_minor": 100}}}}}`))
	got, err := Configs(f)
	if err != nil {
		t.Fatal(err)
	}
	if got["acme"].AutoThreshold != 95 || got["beta"].AutoThreshold != 80 || got["beta"].Tolerance.AbsoluteMinor != 100 {
		t.Errorf("configs %+v", got)
	}
	bad := tenantstest.Parse(t, []byte(`{"tenants": {"acme": {"name": "Acme", "matching": {"tolerance": {"percent_bp": -1}}}}}`))
	_, err = Configs(bad)
	var fe *tenants.FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 1 || fe.Problems[0].Tenant != "acme" || fe.Problems[0].Field != "matching.tolerance.percent_bp" ||
		!strings.Contains(err.Error(), "-1") {
		t.Errorf("invalid section: %v", err)
	}
}
