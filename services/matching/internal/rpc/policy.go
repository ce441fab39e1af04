package rpc

import (
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// Policy is who may call each RPC of matching: its one access table (the
// RejectionService's is rejection.Policy). Every caller acts only for its
// own tenants.
//
//   - ListExceptions and GetException (reading the queue, with the payer
//     from ingestion's master data): accountants and operators, who work
//     the queue, and customer service, who answer a customer asking about
//     a payment but decide nothing, and viewers.
//   - ConfirmProposal, MatchManually, Split, Park and Unmatch (decisions
//     that book, or undo a booking, in the ledger): accountants and
//     operators.
//
// Shops, agencies, services and platform admins have no business in a
// merchant's cash application: a platform admin runs the platform, not the
// books, and no other service calls the queue.
var Policy = func() auth.Policy {
	readers := auth.Allow(identity.Accountant, identity.Operator, identity.CustomerService, identity.Viewer)
	deciders := auth.Allow(identity.Accountant, identity.Operator)
	return auth.Policy{
		matchingv1grpc.MatchingService_ListExceptions_FullMethodName:  readers,
		matchingv1grpc.MatchingService_GetException_FullMethodName:    readers,
		matchingv1grpc.MatchingService_ConfirmProposal_FullMethodName: deciders,
		matchingv1grpc.MatchingService_MatchManually_FullMethodName:   deciders,
		matchingv1grpc.MatchingService_Split_FullMethodName:           deciders,
		matchingv1grpc.MatchingService_Park_FullMethodName:            deciders,
		matchingv1grpc.MatchingService_Unmatch_FullMethodName:         deciders,
		// SEPA (issue #18): mandates are kept by operators; accountants
		// read them and run collections and payouts too, and import the
		// bank's status reports on the files (as they do Collect).
		matchingv1grpc.SepaService_ListMandates_FullMethodName:       deciders,
		matchingv1grpc.SepaService_PutMandate_FullMethodName:         auth.Allow(identity.Operator),
		matchingv1grpc.SepaService_RevokeMandate_FullMethodName:      auth.Allow(identity.Operator),
		matchingv1grpc.SepaService_Collect_FullMethodName:            deciders,
		matchingv1grpc.SepaService_ListCollections_FullMethodName:    deciders,
		matchingv1grpc.SepaService_Payouts_FullMethodName:            deciders,
		matchingv1grpc.SepaService_GetFile_FullMethodName:            deciders,
		matchingv1grpc.SepaService_ImportStatusReport_FullMethodName: deciders,
	}
}()
