package rpc

import (
	"testing"

	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
)

// TestPolicyCoversEveryRPC fails when an RPC of matching has no rule, or a
// rule names an RPC that does not exist, before any server runs (the
// service's matrix test calls them).
func TestPolicyCoversEveryRPC(t *testing.T) {
	t.Parallel()
	methods := 0
	for _, d := range []grpc.ServiceDesc{matchingv1grpc.MatchingService_ServiceDesc, matchingv1grpc.SepaService_ServiceDesc} {
		for _, m := range d.Methods {
			full := "/" + d.ServiceName + "/" + m.MethodName
			if r, ok := Policy[full]; !ok || len(r.Roles) == 0 || r.Public {
				t.Errorf("%s: rule %+v; every RPC of matching needs roles", full, r)
			}
		}
		if len(d.Streams) > 0 {
			t.Errorf("%s has streams; give them rules and check them here", d.ServiceName)
		}
		methods += len(d.Methods)
	}
	if len(Policy) != methods {
		t.Errorf("Policy has %d rules for %d RPCs: a rule names an RPC that does not exist", len(Policy), methods)
	}
}
