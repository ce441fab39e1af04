package rpc

import (
	"testing"

	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"

	"github.com/o2c-platform/o2c/libs/identity"
)

// TestPolicyCoversEveryRPC fails when an RPC of collections has no rule,
// before any server runs (the service's matrix test calls them), and
// checks that agencies reach only AgencyService and nobody else does.
func TestPolicyCoversEveryRPC(t *testing.T) {
	t.Parallel()
	n := 0
	for _, d := range []grpc.ServiceDesc{collectionsv1grpc.AgencyService_ServiceDesc, collectionsv1grpc.CollectionsService_ServiceDesc} {
		var names []string
		for _, m := range d.Methods {
			names = append(names, m.MethodName)
		}
		for _, s := range d.Streams {
			names = append(names, s.StreamName)
		}
		for _, m := range names {
			full := "/" + d.ServiceName + "/" + m
			n++
			r, ok := Policy[full]
			if !ok || len(r.Roles) == 0 || r.Public {
				t.Errorf("%s: rule %+v; every RPC of collections needs roles", full, r)
				continue
			}
			agencyOnly := len(r.Roles) == 1 && r.Roles[0] == identity.Agency
			if isAgency := d.ServiceName == collectionsv1grpc.AgencyService_ServiceDesc.ServiceName; agencyOnly != isAgency {
				t.Errorf("%s: roles %v; AgencyService is for agencies alone, CollectionsService never for them", full, r.Roles)
			}
		}
	}
	if len(Policy) != n {
		t.Errorf("Policy has %d rules for %d RPCs: a rule names an RPC that does not exist", len(Policy), n)
	}
}
