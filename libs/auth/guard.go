package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/o2c-platform/o2c/libs/identity"
)

// Guard admits the calls of one gRPC server, in this order:
//
//  1. The method must have a rule in the policy; one without is refused
//     (PERMISSION_DENIED) and logged as the bug it is.
//  2. A public method (health, reflection) goes through as it is.
//  3. The Authenticator names the principal; without valid credentials
//     the answer is UNAUTHENTICATED.
//  4. The principal must hold a role of the rule (PERMISSION_DENIED).
//  5. Every tenant the request names (TenantsOf) must be one the principal
//     acts for; an empty one only a cross-tenant principal may send
//     (PERMISSION_DENIED). A request without a tenant field (by id) is
//     checked by its handler against the record it loads.
//  6. The handler runs with the principal in its context
//     (identity.FromContext).
//
// Every call a cross-tenant principal makes (a platform admin) is logged
// with its actor, method and tenants, as the audit of cross-tenant access;
// development mode's calls are not. Denials are logged at info level with
// the actor and the method.
type Guard struct {
	auth   Authenticator
	policy Policy
	log    *slog.Logger
}

// NewGuard returns the guard of a server whose callers a authenticates
// under policy.
func NewGuard(a Authenticator, policy Policy, log *slog.Logger) *Guard {
	if log == nil {
		log = slog.Default()
	}
	return &Guard{auth: a, policy: policy, log: log}
}

// Unary is the guard as a unary interceptor; install it first.
func (g *Guard) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, p, err := g.admit(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		if p != nil {
			if err := g.checkTenants(*p, info.FullMethod, req); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

// Stream is the guard as a stream interceptor; the tenants of each
// message the client sends are checked as it is received.
func (g *Guard) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, p, err := g.admit(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		if p == nil {
			return handler(srv, ss)
		}
		return handler(srv, &guardedStream{ServerStream: ss, ctx: ctx, g: g, p: *p, method: info.FullMethod})
	}
}

type guardedStream struct {
	grpc.ServerStream
	ctx    context.Context
	g      *Guard
	p      identity.Principal
	method string
}

func (s *guardedStream) Context() context.Context { return s.ctx }

func (s *guardedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.g.checkTenants(s.p, s.method, m)
}

// admit applies steps 1 to 4 and returns the context for the handler and
// the principal, nil for a public method.
func (g *Guard) admit(ctx context.Context, method string) (context.Context, *identity.Principal, error) {
	rule, ok := g.policy[method]
	if !ok {
		g.log.Error("refused a call of a method without an access policy; give it a rule in its service's policy table", "method", method)
		return ctx, nil, status.Errorf(codes.PermissionDenied, "%s: %v", method, ErrNoPolicy)
	}
	if rule.Public {
		return ctx, nil, nil
	}
	p, err := g.auth.Authenticate(ctx)
	if err != nil {
		if !errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrBadCredentials) {
			// A failure of the authenticator itself, not of the caller.
			g.log.Error("authentication failed", "method", method, "error", err)
			return ctx, nil, status.Error(codes.Unavailable, "authentication is unavailable for now, try again")
		}
		g.log.Info("access denied", "method", method, "reason", "unauthenticated", "error", err)
		return ctx, nil, status.Errorf(codes.Unauthenticated, "%s: %v", method, err)
	}
	if !rule.Allows(p) {
		g.log.Info("access denied", "method", method, "actor", p.Actor, "roles", roleNames(p.Roles), "reason", "role")
		return ctx, nil, status.Errorf(codes.PermissionDenied, "%s: %v: %s holds %s and needs one of %s",
			method, ErrRoleDenied, p.Actor, roleNames(p.Roles), roleNames(rule.Roles))
	}
	return identity.NewContext(ctx, p), &p, nil
}

// checkTenants applies step 5 to one request message.
func (g *Guard) checkTenants(p identity.Principal, method string, req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	tenants, scoped := TenantsOf(m)
	if !scoped {
		if p.CrossTenant() && p.Via != "dev" {
			g.log.Info("cross-tenant call", "actor", p.Actor, "method", method, "via", p.Via)
		}
		return nil
	}
	for _, t := range tenants {
		if err := p.CheckTenant(t); err != nil {
			g.log.Info("access denied", "method", method, "actor", p.Actor, "tenant", t, "reason", "tenant")
			return status.Errorf(codes.PermissionDenied, "%s: %v", method, err)
		}
	}
	if p.CrossTenant() && p.Via != "dev" {
		g.log.Info("cross-tenant call", "actor", p.Actor, "method", method, "tenants", strings.Join(tenants, ","), "via", p.Via)
	}
	return nil
}

// TenantsOf returns the tenants a request names and whether it names any:
// its own string field "tenant", else the "tenant" field of each of its
// singular message fields that has one (the command a command request
// wraps). An unset field names the empty tenant. A request without such a
// field (one that names a record by id) is not scoped: its handler checks
// the tenant of what it loads.
func TenantsOf(m proto.Message) (tenants []string, scoped bool) {
	r := m.ProtoReflect()
	if f := tenantField(r.Descriptor()); f != nil {
		return []string{r.Get(f).String()}, true
	}
	fields := r.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Kind() != protoreflect.MessageKind || f.IsList() || f.IsMap() {
			continue
		}
		if tf := tenantField(f.Message()); tf != nil {
			tenants = append(tenants, r.Get(f).Message().Get(tf).String())
		}
	}
	return tenants, len(tenants) > 0
}

func tenantField(d protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	f := d.Fields().ByName("tenant")
	if f == nil || f.Kind() != protoreflect.StringKind || f.Cardinality() == protoreflect.Repeated {
		return nil
	}
	return f
}

func roleNames(rs []identity.Role) string {
	if len(rs) == 0 {
		return "no role"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
