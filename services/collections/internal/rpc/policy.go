package rpc

import (
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// Policy is who may call each RPC of collections: its one access table
// (the RejectionService's is rejection.Policy). Every caller acts only
// for its own tenants.
//
//   - AgencyService (every RPC): agencies only, each on the cases assigned
//     to the agency its credentials name (checked by the handlers).
//   - CollectionsService ListCases, GetCase and Report: accountants,
//     operators and customer service, who answer a customer asking about
//     a case but decide nothing, and viewers.
//   - CollectionsService ReleaseItems, RecallCase and AnswerQuestion
//     (what hands receivables over and takes them back): accountants and
//     operators.
//
// Shops, services and platform admins have no business here: collections
// hands over personal data and receivables, so nobody without a role in
// the merchant's books may.
var Policy = func() auth.Policy {
	agency := auth.Allow(identity.Agency)
	readers := auth.Allow(identity.Accountant, identity.Operator, identity.CustomerService, identity.Viewer)
	deciders := auth.Allow(identity.Accountant, identity.Operator)
	return auth.Policy{
		collectionsv1grpc.AgencyService_ListCases_FullMethodName:     agency,
		collectionsv1grpc.AgencyService_GetCase_FullMethodName:       agency,
		collectionsv1grpc.AgencyService_StreamCases_FullMethodName:   agency,
		collectionsv1grpc.AgencyService_AcceptCase_FullMethodName:    agency,
		collectionsv1grpc.AgencyService_RejectCase_FullMethodName:    agency,
		collectionsv1grpc.AgencyService_ReportStatus_FullMethodName:  agency,
		collectionsv1grpc.AgencyService_ReportPayment_FullMethodName: agency,
		collectionsv1grpc.AgencyService_AskQuestion_FullMethodName:   agency,
		collectionsv1grpc.AgencyService_GetAnswers_FullMethodName:    agency,
		collectionsv1grpc.AgencyService_ConfirmRecall_FullMethodName: agency,
		collectionsv1grpc.AgencyService_CloseCase_FullMethodName:     agency,

		collectionsv1grpc.CollectionsService_ReleaseItems_FullMethodName:   deciders,
		collectionsv1grpc.CollectionsService_ListCases_FullMethodName:      readers,
		collectionsv1grpc.CollectionsService_GetCase_FullMethodName:        readers,
		collectionsv1grpc.CollectionsService_RecallCase_FullMethodName:     deciders,
		collectionsv1grpc.CollectionsService_AnswerQuestion_FullMethodName: deciders,
		collectionsv1grpc.CollectionsService_Report_FullMethodName:         readers,
	}
}()
