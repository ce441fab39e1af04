package rpc

import (
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// Policy is who may call each RPC of refund import: its one access table
// (the RejectionService's is rejection.Policy). Every caller acts only for
// its own tenants.
//
//   - RunImport (books credit notes in the ledger): accountants and
//     operators.
//   - ReviewRefund (books a held refund's credit note, or dismisses it):
//     accountants and operators.
//   - ListRefunds and ListSettlementFetches (what was imported and why):
//     accountants, operators and customer service, who answer a buyer's
//     question about a refund but start nothing, and viewers.
var Policy = func() auth.Policy {
	readers := auth.Allow(identity.Accountant, identity.Operator, identity.CustomerService, identity.Viewer)
	runners := auth.Allow(identity.Accountant, identity.Operator)
	return auth.Policy{
		refundv1grpc.RefundService_RunImport_FullMethodName:             runners,
		refundv1grpc.RefundService_ReviewRefund_FullMethodName:          runners,
		refundv1grpc.RefundService_ListRefunds_FullMethodName:           readers,
		refundv1grpc.RefundService_ListSettlementFetches_FullMethodName: readers,
	}
}()
