// Package authztest tests who may call what on a running gRPC server. Its
// Authenticator issues bearer tokens for any principal a test names, so
// that one server can be called as every role; CheckMatrix calls every
// method the server registers as every role, and with a foreign and an
// empty tenant, and checks each answer against the policy: a method
// without a rule fails the test, an allowed call must not be refused
// (PERMISSION_DENIED or UNAUTHENTICATED), a forbidden one must be
// PERMISSION_DENIED.
//
// Typical use in a service's test:
//
//	kit := authztest.NewAuthenticator()
//	cfg.Auth = auth.Config{Authenticator: kit}
//	h, _ := host.New(ctx, spec, cfg, ...)   // or the service's New
//	conn, _ := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
//	authztest.CheckMatrix(t, h.GRPC, conn, kit, h.Policy, "acme", "beta")
package authztest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// Authenticator accepts the bearer tokens it issued (Token, As, DialAs)
// and no others. A principal that fails identity.Principal.Check is
// refused at the call, as real credentials describing it would be. It is
// safe for concurrent use.
type Authenticator struct {
	mu      sync.Mutex
	byToken map[string]identity.Principal
}

// NewAuthenticator returns an Authenticator that has issued nothing.
func NewAuthenticator() *Authenticator {
	return &Authenticator{byToken: map[string]identity.Principal{}}
}

// Authenticate implements auth.Authenticator.
func (a *Authenticator) Authenticate(ctx context.Context) (identity.Principal, error) {
	tok, err := auth.BearerToken(ctx)
	if err != nil {
		return identity.Principal{}, err
	}
	a.mu.Lock()
	p, ok := a.byToken[tok]
	a.mu.Unlock()
	if !ok {
		return identity.Principal{}, fmt.Errorf("%w: token not issued by authztest", auth.ErrBadCredentials)
	}
	if err := p.Check(); err != nil {
		return identity.Principal{}, fmt.Errorf("%w: %w", auth.ErrBadCredentials, err)
	}
	return p, nil
}

// Token issues a token for p.
func (a *Authenticator) Token(p identity.Principal) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	tok := "authztest-" + strconv.Itoa(len(a.byToken)+1)
	p.Via = "authztest"
	a.byToken[tok] = p
	return tok
}

// As is the call option that makes one call as p (over clear text).
func (a *Authenticator) As(p identity.Principal) grpc.CallOption {
	return auth.BearerCall(a.Token(p), true)
}

// DialAs is the dial option that makes every call of a connection as p
// (over clear text).
func (a *Authenticator) DialAs(p identity.Principal) grpc.DialOption {
	return auth.WithBearer(a.Token(p), true)
}

// Principal is a principal holding role alone for tenant: a platform
// admin acts for all tenants whatever tenant says, an agency stands for
// the agency "authztest".
func Principal(role identity.Role, tenant string) identity.Principal {
	p := identity.Principal{Actor: "authztest:" + string(role), Roles: []identity.Role{role}, Tenants: []string{tenant}}
	switch role {
	case identity.PlatformAdmin:
		p.Tenants = []string{identity.AllTenants}
	case identity.Agency:
		p.Agency = "authztest"
	}
	return p
}

// callTimeout bounds each call CheckMatrix makes.
const callTimeout = 30 * time.Second

// CheckMatrix calls every unary method registered on srv through conn
// (which must carry no credentials of its own), and checks:
//
//   - every method (streaming ones too) has a rule in policy;
//   - without credentials a non-public method answers UNAUTHENTICATED;
//   - as a principal of each role for tenant, a method answers
//     PERMISSION_DENIED exactly when its rule does not allow the role;
//   - for a method whose request names a tenant (auth.TenantsOf), each
//     allowed role that is not cross-tenant is refused for foreign and for
//     the empty tenant, and an allowed platform admin is not refused for
//     foreign.
//
// The requests are empty but for their tenant, so allowed calls are
// expected to fail on their arguments (or to answer an empty result) and
// change nothing. tenant must be configured on the server; foreign must be
// another valid tenant id.
func CheckMatrix(t testing.TB, srv *grpc.Server, conn grpc.ClientConnInterface, a *Authenticator, policy auth.Policy, tenant, foreign string) {
	t.Helper()
	services := srv.GetServiceInfo()
	for _, name := range slices.Sorted(maps.Keys(services)) {
		info := services[name]
		for _, m := range info.Methods {
			full := "/" + name + "/" + m.Name
			rule, ok := policy[full]
			if !ok {
				t.Errorf("%s has no rule in the policy: give it one in its service's policy table", full)
				continue
			}
			if m.IsClientStream || m.IsServerStream {
				continue
			}
			newReq, respType, err := messages(name, m.Name)
			if err != nil {
				t.Errorf("%s: %v", full, err)
				continue
			}
			call := func(req proto.Message, opts ...grpc.CallOption) error {
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				defer cancel()
				return conn.Invoke(ctx, full, req, respType.New().Interface(), opts...)
			}
			refused := func(err error) bool {
				c := status.Code(err)
				return c == codes.PermissionDenied || c == codes.Unauthenticated
			}
			if rule.Public {
				if err := call(newReq(tenant)); refused(err) {
					t.Errorf("%s is public, but without credentials: %v", full, err)
				}
				continue
			}
			if err := call(newReq(tenant)); status.Code(err) != codes.Unauthenticated {
				t.Errorf("%s without credentials: %v, want UNAUTHENTICATED", full, err)
			}
			_, scoped := auth.TenantsOf(newReq(tenant))
			for _, role := range identity.Roles() {
				p := Principal(role, tenant)
				err := call(newReq(tenant), a.As(p))
				switch allowed := rule.Allows(p); {
				case allowed && refused(err):
					t.Errorf("%s as %s: %v; the policy allows the role", full, role, err)
				case !allowed && status.Code(err) != codes.PermissionDenied:
					t.Errorf("%s as %s: %v, want PERMISSION_DENIED (the policy allows %v)", full, role, err, rule.Roles)
				}
				if !scoped || !rule.Allows(p) {
					continue
				}
				if p.CrossTenant() {
					if err := call(newReq(foreign), a.As(p)); refused(err) {
						t.Errorf("%s as %s for tenant %s: %v; a platform admin acts for every tenant", full, role, foreign, err)
					}
					continue
				}
				for _, other := range []string{foreign, ""} {
					if err := call(newReq(other), a.As(p)); status.Code(err) != codes.PermissionDenied {
						t.Errorf("%s as %s of %s for tenant %q: %v, want PERMISSION_DENIED", full, role, tenant, other, err)
					}
				}
			}
		}
	}
}

// messages returns a constructor of method's request with a tenant set
// where auth.TenantsOf reads it, and its response type.
func messages(service, method string) (func(tenant string) proto.Message, protoreflect.MessageType, error) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return nil, nil, fmt.Errorf("service descriptor: %w", err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, nil, fmt.Errorf("%s is not a service", service)
	}
	md := sd.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return nil, nil, fmt.Errorf("no method %s in the descriptor", method)
	}
	in, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return nil, nil, err
	}
	out, err := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	if err != nil {
		return nil, nil, err
	}
	return func(tenant string) proto.Message {
		m := in.New()
		setTenant(m, tenant)
		return m.Interface()
	}, out, nil
}

// setTenant sets every field auth.TenantsOf reads in m to tenant.
func setTenant(m protoreflect.Message, tenant string) {
	if f := m.Descriptor().Fields().ByName("tenant"); f != nil && f.Kind() == protoreflect.StringKind && f.Cardinality() != protoreflect.Repeated {
		m.Set(f, protoreflect.ValueOfString(tenant))
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Kind() != protoreflect.MessageKind || f.IsList() || f.IsMap() {
			continue
		}
		tf := f.Message().Fields().ByName("tenant")
		if tf == nil || tf.Kind() != protoreflect.StringKind || tf.Cardinality() == protoreflect.Repeated {
			continue
		}
		m.Mutable(f).Message().Set(tf, protoreflect.ValueOfString(tenant))
	}
}

// readPrefixes start the names of the RPCs that only read: List, Get,
// Search, Status. Reports are named otherwise and listed by the caller.
var readPrefixes = []string{"List", "Get", "Search", "Status"}

// CheckViewer fails for every method of policy that a viewer may call
// and customer service may not (a viewer reads what customer service
// reads, nothing more), and for every read that customer service may
// call and a viewer may not: the methods whose names start with List,
// Get, Search or Status, and those named in reads (full method names),
// less those in exceptions (full method names, each a read customer
// service keeps for itself, such as a subject-access export).
func CheckViewer(t testing.TB, policy auth.Policy, reads, exceptions []string) {
	t.Helper()
	viewer := Principal(identity.Viewer, "acme")
	cs := Principal(identity.CustomerService, "acme")
	for method, rule := range policy {
		if rule.Public {
			continue
		}
		if rule.Allows(viewer) && !rule.Allows(cs) {
			t.Errorf("%s: viewers may call it, customer service may not; a viewer reads what customer service reads, nothing more", method)
		}
		name := method[strings.LastIndexByte(method, '/')+1:]
		read := slices.Contains(reads, method) || slices.ContainsFunc(readPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
		if read && rule.Allows(cs) && !rule.Allows(viewer) && !slices.Contains(exceptions, method) {
			t.Errorf("%s: customer service may read it, viewers may not", method)
		}
	}
}
