package rpc

import (
	"testing"

	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
)

// TestPolicyCoversEveryRPC fails when an RPC of matching has no rule, or a
// rule names an RPC that does not exist, before any server runs (the
// service's matrix test calls them).
func TestPolicyCoversEveryRPC(t *testing.T) {
	t.Parallel()
	d := matchingv1grpc.MatchingService_ServiceDesc
	for _, m := range d.Methods {
		full := "/" + d.ServiceName + "/" + m.MethodName
		if r, ok := Policy[full]; !ok || len(r.Roles) == 0 || r.Public {
			t.Errorf("%s: rule %+v; every RPC of matching needs roles", full, r)
		}
	}
	if len(d.Streams) > 0 {
		t.Errorf("%s has streams; give them rules and check them here", d.ServiceName)
	}
	if len(Policy) != len(d.Methods) {
		t.Errorf("Policy has %d rules for %d RPCs: a rule names an RPC that does not exist", len(Policy), len(d.Methods))
	}
}
