package rpc

import (
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// DebtorPolicy is who may call each RPC of the DebtorService, each only
// for its own tenants (a platform admin for all):
//
//   - EraseDebtor: operators and platform admins. Erasure cannot be undone
//     and follows a person's request the operator has verified; customer
//     service takes requests but does not carry them out.
//   - ExportDebtor: operators, platform admins and customer service, who
//     answer subject-access requests and see this data in their work
//     anyway. Accountants and shops neither: the export is a person's whole
//     record, not bookkeeping.
var DebtorPolicy = auth.Policy{
	ingestionv1grpc.DebtorService_EraseDebtor_FullMethodName:  auth.Allow(identity.Operator, identity.PlatformAdmin),
	ingestionv1grpc.DebtorService_ExportDebtor_FullMethodName: auth.Allow(identity.Operator, identity.PlatformAdmin, identity.CustomerService),
}
