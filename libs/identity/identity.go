// Package identity says who is calling: the Principal an authenticated
// caller is (its actor, the tenants it acts for, its roles and, for a
// collection agency, which agency), the roles o2c knows, and the context
// that carries a Principal from the transport to the handlers.
//
// A Principal comes from credentials only (package auth turns a client
// certificate, a JWT or a static token into one), never from a request
// field or from metadata a client sets. Handlers take the actor they
// record from FromContext.
//
// Tenancy: a principal acts for the tenants it lists. Only a platform
// admin is cross-tenant: its tenants are exactly ["*"] (AllTenants), and
// no other principal may hold "*". Every other principal must name a
// tenant of its own in each request (MayActFor). `o2c verify`, which reads
// the database directly, is the only other cross-tenant reader.
//
// The package is pure: it imports neither transport nor storage, so domain
// packages may use it.
package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/o2c-platform/o2c/libs/tenant"
)

// Role is what a principal may do. Every RPC names the roles that may call
// it (package auth, one policy table per service).
type Role string

// The roles o2c knows.
const (
	// Shop is a shop system of one tenant: it publishes invoices and may
	// read why its messages were rejected.
	Shop Role = "shop"
	// Operator runs o2c for a tenant: it inspects, replays and resolves
	// rejections and reads the books; it books nothing.
	Operator Role = "operator"
	// Accountant is finance staff of a tenant: books commands and journal
	// entries, closes and reopens periods (when also listed in the tenant's
	// period_actors), merges debtors and reads every report.
	Accountant Role = "accountant"
	// CustomerService is customer-service staff of a tenant: reads open
	// items, statements and balances and issues credit notes.
	CustomerService Role = "customer-service"
	// Agency is a collection agency: it sees only the cases handed to it
	// (Principal.Agency names it) and reports what it collected.
	Agency Role = "agency"
	// Service is another o2c service calling on its own behalf (the
	// commands matching, dunning, collections and refund import send).
	Service Role = "service"
	// PlatformAdmin operates the platform across tenants: the only
	// cross-tenant role. Its tenants are AllTenants.
	PlatformAdmin Role = "platform-admin"
	// Viewer is staff of a tenant who may look but not act: it reads what
	// customer service reads (open items, statements, dunning state,
	// collection cases, the console's pages) and changes nothing.
	Viewer Role = "viewer"
)

// Roles returns every role, in a fixed order.
func Roles() []Role {
	return []Role{Shop, Operator, Accountant, CustomerService, Agency, Service, PlatformAdmin, Viewer}
}

// ParseRole returns the role named s, or an error wrapping ErrUnknownRole.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(Roles(), r) {
		return "", fmt.Errorf("%w: %q (want one of %s)", ErrUnknownRole, s, roleList(Roles()))
	}
	return r, nil
}

// AllTenants is the tenants entry of a cross-tenant principal (a platform
// admin) and of no other.
const AllTenants = "*"

// Principal is an authenticated caller.
type Principal struct {
	// Actor names the caller as it is recorded on what it does
	// ("user:anna", "service:matching", "shop:acme"). Never empty.
	Actor string
	// Tenants are the tenants it acts for; exactly [AllTenants] for a
	// platform admin.
	Tenants []string
	// Roles are what it may do; at least one.
	Roles []Role
	// Agency names the collection agency of a principal with the Agency
	// role (and is empty for every other): it sees only that agency's
	// cases.
	Agency string
	// Via says how it authenticated ("mtls", "jwt", "token", "dev"), for
	// logs and the audit; it grants nothing.
	Via string
}

// Check returns nil for a well-formed principal, else an error wrapping
// ErrInvalidPrincipal that names every problem: an empty actor, no roles,
// an unknown role, no tenants, a malformed tenant id, AllTenants without
// the platform-admin role or beside other tenants, a platform admin
// without AllTenants, or an agency without the agency role (or the other
// way round).
func (p Principal) Check() error {
	var problems []string
	if strings.TrimSpace(p.Actor) == "" {
		problems = append(problems, "no actor")
	}
	if len(p.Roles) == 0 {
		problems = append(problems, "no roles")
	}
	for _, r := range p.Roles {
		if !slices.Contains(Roles(), r) {
			problems = append(problems, fmt.Sprintf("unknown role %q (want one of %s)", r, roleList(Roles())))
		}
	}
	admin := p.Has(PlatformAdmin)
	all := slices.Contains(p.Tenants, AllTenants)
	switch {
	case len(p.Tenants) == 0:
		problems = append(problems, "no tenants")
	case all && !admin:
		problems = append(problems, `tenants "*" is only for the platform-admin role`)
	case all && len(p.Tenants) > 1:
		problems = append(problems, `tenants "*" stands alone`)
	case admin && !all:
		problems = append(problems, `a platform admin acts for all tenants: its tenants must be ["*"]`)
	}
	for _, t := range p.Tenants {
		if t != AllTenants && !tenant.Valid(t) {
			problems = append(problems, fmt.Sprintf("tenant %q is not a tenant id", t))
		}
	}
	switch {
	case p.Has(Agency) && p.Agency == "":
		problems = append(problems, "the agency role needs the agency it stands for")
	case !p.Has(Agency) && p.Agency != "":
		problems = append(problems, fmt.Sprintf("agency %q without the agency role", p.Agency))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: actor %q: %s", ErrInvalidPrincipal, p.Actor, strings.Join(problems, "; "))
	}
	return nil
}

// Has reports whether p holds role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// HasAny reports whether p holds at least one of roles.
func (p Principal) HasAny(roles ...Role) bool {
	return slices.ContainsFunc(roles, p.Has)
}

// CrossTenant reports whether p may act for every tenant, and for none in
// particular: a platform admin.
func (p Principal) CrossTenant() bool {
	return p.Has(PlatformAdmin) && slices.Equal(p.Tenants, []string{AllTenants})
}

// MayActFor reports whether p may act for tenant. The empty tenant ("all
// tenants" in a query, or a record no tenant could be read from) is for
// cross-tenant principals only.
func (p Principal) MayActFor(tenant string) bool {
	if p.CrossTenant() {
		return true
	}
	return tenant != "" && tenant != AllTenants && slices.Contains(p.Tenants, tenant)
}

// CheckTenant returns nil when p may act for tenant, an error wrapping
// ErrNoTenant for the empty tenant and one wrapping ErrForeignTenant for
// a tenant p does not act for.
func (p Principal) CheckTenant(t string) error {
	switch {
	case p.MayActFor(t):
		return nil
	case t == "":
		return fmt.Errorf("%w: %s acts for %s and must name one of them", ErrNoTenant, p.Actor, strings.Join(p.Tenants, ", "))
	}
	return fmt.Errorf("%w: %s may not act for tenant %q", ErrForeignTenant, p.Actor, t)
}

// RecordedActor is the actor a state change records for p: the actor, and
// for a cross-tenant principal the actor marked "(platform admin, all
// tenants)", so that the audit shows which changes were made across
// tenants.
func (p Principal) RecordedActor() string {
	if p.CrossTenant() {
		return p.Actor + " (platform admin, all tenants)"
	}
	return p.Actor
}

// String describes p for logs: actor, roles and tenants.
func (p Principal) String() string {
	s := fmt.Sprintf("%s (%s; tenants %s", p.Actor, roleList(p.Roles), strings.Join(p.Tenants, ","))
	if p.Agency != "" {
		s += "; agency " + p.Agency
	}
	return s + ")"
}

func roleList(rs []Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

// DevPrincipal is the one caller of a service in development mode: every
// role, every tenant. It exists for the demo and tests; package auth
// refuses development mode in production.
func DevPrincipal() Principal {
	return Principal{Actor: "dev", Tenants: []string{AllTenants}, Roles: Roles(), Agency: "dev", Via: "dev"}
}

type contextKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, contextKey{}, p)
}

// FromContext returns the principal ctx carries, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(contextKey{}).(Principal)
	return p, ok
}

// Require returns the principal ctx carries, or an error wrapping
// ErrNoPrincipal: a handler reached without authentication refuses.
func Require(ctx context.Context) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, ErrNoPrincipal
	}
	return p, nil
}
