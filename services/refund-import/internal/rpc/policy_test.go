package rpc

import (
	"testing"

	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"
)

// TestPolicyCoversEveryRPC fails when an RPC of refund import has no rule,
// or a rule names an RPC that does not exist.
func TestPolicyCoversEveryRPC(t *testing.T) {
	t.Parallel()
	d := refundv1grpc.RefundService_ServiceDesc
	var names []string
	for _, m := range d.Methods {
		names = append(names, m.MethodName)
	}
	for _, s := range d.Streams {
		names = append(names, s.StreamName)
	}
	for _, n := range names {
		full := "/" + d.ServiceName + "/" + n
		if r, ok := Policy[full]; !ok || len(r.Roles) == 0 || r.Public {
			t.Errorf("%s: rule %+v; every RPC of refund import needs roles", full, r)
		}
	}
	if len(Policy) != len(names) {
		t.Errorf("Policy has %d rules for %d RPCs: a rule names an RPC that does not exist", len(Policy), len(names))
	}
}
