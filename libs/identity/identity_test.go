package identity_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
	"github.com/o2c-platform/o2c/libs/identity"
)

func TestErrorsClassifyEverySentinel(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", identity.Errors)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    identity.Principal
		want []string // fragments of the error; none for a valid principal
	}{
		{"accountant of two tenants", identity.Principal{Actor: "user:anna", Tenants: []string{"acme", "beta"}, Roles: []identity.Role{identity.Accountant}}, nil},
		{"platform admin", identity.Principal{Actor: "user:root", Tenants: []string{"*"}, Roles: []identity.Role{identity.PlatformAdmin}}, nil},
		{"agency", identity.Principal{Actor: "agency:nord", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Agency}, Agency: "inkasso-nord"}, nil},
		{"dev", identity.DevPrincipal(), nil},
		{"empty", identity.Principal{}, []string{"no actor", "no roles", "no tenants"}},
		{"star without admin", identity.Principal{Actor: "a", Tenants: []string{"*"}, Roles: []identity.Role{identity.Operator}}, []string{`"*" is only for the platform-admin role`}},
		{"star beside a tenant", identity.Principal{Actor: "a", Tenants: []string{"*", "acme"}, Roles: []identity.Role{identity.PlatformAdmin}}, []string{`"*" stands alone`}},
		{"admin of one tenant", identity.Principal{Actor: "a", Tenants: []string{"acme"}, Roles: []identity.Role{identity.PlatformAdmin}}, []string{`must be ["*"]`}},
		{"unknown role", identity.Principal{Actor: "a", Tenants: []string{"acme"}, Roles: []identity.Role{"root"}}, []string{`unknown role "root"`}},
		{"bad tenant", identity.Principal{Actor: "a", Tenants: []string{"Acme"}, Roles: []identity.Role{identity.Shop}}, []string{`tenant "Acme" is not a tenant id`}},
		{"agency without agency", identity.Principal{Actor: "a", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Agency}}, []string{"needs the agency"}},
		{"agency without role", identity.Principal{Actor: "a", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Shop}, Agency: "x"}, []string{`agency "x" without the agency role`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Check()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, identity.ErrInvalidPrincipal) {
				t.Fatalf("Check() = %v, want ErrInvalidPrincipal", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestMayActFor(t *testing.T) {
	t.Parallel()
	operator := identity.Principal{Actor: "user:olga", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Operator}}
	admin := identity.Principal{Actor: "user:root", Tenants: []string{"*"}, Roles: []identity.Role{identity.PlatformAdmin}}
	// A principal that claims "*" without being a platform admin (Check
	// refuses it) is still not cross-tenant.
	forged := identity.Principal{Actor: "x", Tenants: []string{"*"}, Roles: []identity.Role{identity.Operator}}
	tests := []struct {
		p      identity.Principal
		tenant string
		want   error
	}{
		{operator, "acme", nil},
		{operator, "beta", identity.ErrForeignTenant},
		{operator, "", identity.ErrNoTenant},
		{operator, "*", identity.ErrForeignTenant},
		{admin, "acme", nil},
		{admin, "", nil},
		{forged, "acme", identity.ErrForeignTenant},
		{forged, "*", identity.ErrForeignTenant},
		{forged, "", identity.ErrNoTenant},
	}
	for _, tt := range tests {
		err := tt.p.CheckTenant(tt.tenant)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s.CheckTenant(%q) = %v, want %v", tt.p.Actor, tt.tenant, err, tt.want)
		}
		if got := tt.p.MayActFor(tt.tenant); got != (tt.want == nil) {
			t.Errorf("%s.MayActFor(%q) = %v", tt.p.Actor, tt.tenant, got)
		}
	}
	if !admin.CrossTenant() || operator.CrossTenant() || forged.CrossTenant() {
		t.Error("only the platform admin is cross-tenant")
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	for _, r := range identity.Roles() {
		got, err := identity.ParseRole(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
	if _, err := identity.ParseRole("admin"); !errors.Is(err, identity.ErrUnknownRole) {
		t.Errorf("ParseRole(admin) = %v, want ErrUnknownRole", err)
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := identity.Require(ctx); !errors.Is(err, identity.ErrNoPrincipal) {
		t.Errorf("Require on a bare context = %v, want ErrNoPrincipal", err)
	}
	p := identity.Principal{Actor: "user:anna", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Accountant}, Via: "jwt"}
	got, err := identity.Require(identity.NewContext(ctx, p))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("principal from context (-want +got):\n%s", diff)
	}
}

// TestPure keeps transport and storage out of the package, so that domain
// packages may use it.
func TestPure(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"google.golang.org/grpc", "github.com/jackc/pgx", "github.com/nats-io"} {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("identity depends on %s", dep)
			}
		}
	}
}

// TestRecordedActorMarksCrossTenantChanges: what a platform admin changes
// is recorded as made across tenants; anyone else's under their name.
func TestRecordedActorMarksCrossTenantChanges(t *testing.T) {
	t.Parallel()
	admin := identity.Principal{Actor: "ops:kim", Tenants: []string{identity.AllTenants}, Roles: []identity.Role{identity.PlatformAdmin}}
	if got := admin.RecordedActor(); got != "ops:kim (platform admin, all tenants)" {
		t.Errorf("admin records %q", got)
	}
	clerk := identity.Principal{Actor: "finance:anna", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Operator}}
	if got := clerk.RecordedActor(); got != "finance:anna" {
		t.Errorf("clerk records %q", got)
	}
}
