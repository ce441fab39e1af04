package auth

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"github.com/o2c-platform/o2c/libs/identity"
)

// Rule says who may call one method.
type Rule struct {
	// Roles may call the method; a caller needs at least one of them.
	Roles []identity.Role
	// Public methods need no credentials at all: health and reflection.
	Public bool
}

// Allow is the rule letting roles call a method.
func Allow(roles ...identity.Role) Rule { return Rule{Roles: roles} }

// Allows reports whether p may call a method under r (its tenant aside).
func (r Rule) Allows(p identity.Principal) bool { return r.Public || p.HasAny(r.Roles...) }

// Policy maps full method names ("/o2c.ledger.v1.LedgerService/ListOpenItems")
// to their rules. Each service keeps its table in one place; the host
// merges it with the RejectionService's and PublicPolicy. A method missing
// from the merged table is refused for everyone, and a host does not start
// with one (Uncovered).
type Policy map[string]Rule

// PublicPolicy makes the gRPC health service and server reflection (v1 and
// v1alpha) public: orchestrators probe health without credentials.
func PublicPolicy() Policy {
	p := Policy{}
	for _, d := range []grpc.ServiceDesc{healthpb.Health_ServiceDesc, reflectionv1.ServerReflection_ServiceDesc, reflectionv1alpha.ServerReflection_ServiceDesc} {
		for _, m := range d.Methods {
			p["/"+d.ServiceName+"/"+m.MethodName] = Rule{Public: true}
		}
		for _, s := range d.Streams {
			p["/"+d.ServiceName+"/"+s.StreamName] = Rule{Public: true}
		}
	}
	return p
}

// Merge returns one policy holding every rule of ps. A method in two of
// them, and a rule that is neither public nor names a role, is an error.
func Merge(ps ...Policy) (Policy, error) {
	out := Policy{}
	var problems []string
	for _, p := range ps {
		for _, m := range slices.Sorted(maps.Keys(p)) {
			r := p[m]
			if _, dup := out[m]; dup {
				problems = append(problems, m+" has a rule in two tables")
				continue
			}
			if !r.Public && len(r.Roles) == 0 {
				problems = append(problems, m+" has a rule that names no role and is not public")
				continue
			}
			out[m] = r
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrBadPolicy, strings.Join(problems, "; "))
	}
	return out, nil
}

// Uncovered returns, sorted, the methods of the services registered on a
// server (grpc.Server.GetServiceInfo) that p has no rule for.
func (p Policy) Uncovered(services map[string]grpc.ServiceInfo) []string {
	var out []string
	for name, info := range services {
		for _, m := range info.Methods {
			full := "/" + name + "/" + m.Name
			if _, ok := p[full]; !ok {
				out = append(out, full)
			}
		}
	}
	slices.Sort(out)
	return out
}
