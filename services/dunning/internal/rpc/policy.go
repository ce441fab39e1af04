package rpc

import (
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// Policy is who may call each RPC of dunning: its one access table (the
// RejectionService's is rejection.Policy). Every caller acts only for its
// own tenants.
//
//   - Status, ListBlocks, ListNotices, GetNotice and ListProcedures
//     (reading why a debtor was reminded, and copies of the notices):
//     accountants and operators, and customer service and viewers, who
//     answer a customer asking about a reminder.
//   - SetBlock and LiftBlock (stopping dunning for a dispute, a promise
//     to pay, a claim, and lifting the stop): accountants, operators and
//     customer service, who take the customer's call; the block records
//     who set and who lifted it.
//   - Run and Simulate (what sends notices and books fees): accountants
//     and operators.
//
// Shops, agencies, services and platform admins have no business in a
// merchant's dunning: a platform admin runs the platform, not the books.
var Policy = func() auth.Policy {
	readers := auth.Allow(identity.Accountant, identity.Operator, identity.CustomerService, identity.Viewer)
	deciders := auth.Allow(identity.Accountant, identity.Operator)
	blockers := auth.Allow(identity.Accountant, identity.Operator, identity.CustomerService)
	return auth.Policy{
		dunningv1grpc.DunningService_Run_FullMethodName:            deciders,
		dunningv1grpc.DunningService_Status_FullMethodName:         readers,
		dunningv1grpc.DunningService_SetBlock_FullMethodName:       blockers,
		dunningv1grpc.DunningService_LiftBlock_FullMethodName:      blockers,
		dunningv1grpc.DunningService_ListBlocks_FullMethodName:     readers,
		dunningv1grpc.DunningService_ListNotices_FullMethodName:    readers,
		dunningv1grpc.DunningService_GetNotice_FullMethodName:      readers,
		dunningv1grpc.DunningService_Simulate_FullMethodName:       deciders,
		dunningv1grpc.DunningService_ListProcedures_FullMethodName: readers,
	}
}()
