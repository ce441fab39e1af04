package rejection

import (
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// Policy says who may call the RejectionService every host serves; the
// host merges it into each service's policy. Rejections hold the messages
// as they came, so reading them is for those who run o2c for the tenant
// (operators), its finance staff (accountants: a rejected invoice is
// missing from the books) and its shop systems (why was my message
// refused?); replaying and resolving change what happened to a message and
// are for operators. A platform admin may do all of it for every tenant,
// and is the only one who may list without naming a tenant.
var Policy = auth.Policy{
	rejectionv1grpc.RejectionService_ListRejections_FullMethodName:   auth.Allow(identity.Operator, identity.Accountant, identity.Shop, identity.PlatformAdmin),
	rejectionv1grpc.RejectionService_GetRejection_FullMethodName:     auth.Allow(identity.Operator, identity.Accountant, identity.Shop, identity.PlatformAdmin),
	rejectionv1grpc.RejectionService_ReplayRejection_FullMethodName:  auth.Allow(identity.Operator, identity.PlatformAdmin),
	rejectionv1grpc.RejectionService_ResolveRejection_FullMethodName: auth.Allow(identity.Operator, identity.PlatformAdmin),
}
