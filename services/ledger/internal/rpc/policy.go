package rpc

import (
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/status/v1/statusv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// Policy is who may call each RPC of the ledger: its one access table
// (the RejectionService's is rejection.Policy). Every caller acts only for
// its own tenants; a platform admin for all of them.
//
//   - Reports and open items (LedgerService queries, LedgerQueryService):
//     accountants, customer service, viewers, operators and platform
//     admins.
//   - The DATEV export (ExportService): accountants, operators and
//     platform admins; it hands over the whole books, so not customer
//     service.
//     ListOpenItems also services (the service role), for the tenants
//     their credentials name: ingestion asks it before erasing a debtor.
//   - The month-end reports (ReportService): reading, reproducing and
//     fetching issued reports as the other reports; issuing one (which
//     records it for the retention period) accountants and operators.
//   - Commands the other services send (RegisterInvoice, ApplyPayment,
//     ReturnPayment, AssessCharge, WriteOff, RecoverWrittenOff,
//     RecordAgencyCollection, IssueCreditNote, and the bank side,
//     RecordBankTransaction and RecordStatementBalance, which the ledger
//     otherwise books from ingestion's bank events): accountants, and
//     services (the service role) calling over gRPC instead of JetStream;
//     credit notes also customer service.
//   - Everything else that books (PostJournalEntry, RecordOpeningBalance,
//     ReverseEntry, PayOutCreditBalance, MergeDebtor): accountants only.
//   - ClosePeriod and ReopenPeriod: accountants, and of them only those the
//     tenant's period_actors list (the books check the actor).
//   - The StatusService (what the shops' status feed published last):
//     shops for their own tenant, customer service, viewers, operators and
//     accountants.
//
// Shops, agencies and platform admins book nothing here: shops publish
// invoices to ingestion, agencies report to collections, and a platform
// admin runs the platform, not a merchant's books.
var Policy = func() auth.Policy {
	readers := auth.Allow(identity.Accountant, identity.CustomerService, identity.Operator, identity.PlatformAdmin, identity.Viewer)
	bookers := auth.Allow(identity.Accountant, identity.Service)
	accountants := auth.Allow(identity.Accountant)
	statusReaders := auth.Allow(identity.Shop, identity.CustomerService, identity.Operator, identity.Accountant, identity.Viewer)
	return auth.Policy{
		ledgerv1grpc.LedgerService_ListOpenItems_FullMethodName:       auth.Allow(identity.Accountant, identity.CustomerService, identity.Viewer, identity.Operator, identity.PlatformAdmin, identity.Service),
		ledgerv1grpc.LedgerService_ListAccountBalances_FullMethodName: readers,
		ledgerv1grpc.LedgerService_PostJournalEntry_FullMethodName:    accountants,

		ledgerv1grpc.LedgerQueryService_GetAccountBalance_FullMethodName:       readers,
		ledgerv1grpc.LedgerQueryService_ListOpenItemsAtKeyDate_FullMethodName:  readers,
		ledgerv1grpc.LedgerQueryService_GetDebtorStatement_FullMethodName:      readers,
		ledgerv1grpc.LedgerQueryService_GetTrialBalance_FullMethodName:         readers,
		ledgerv1grpc.LedgerQueryService_ListJournalLines_FullMethodName:        readers,
		ledgerv1grpc.LedgerQueryService_ListBankReconciliations_FullMethodName: readers,

		ledgerv1grpc.ExportService_ExportDATEV_FullMethodName: auth.Allow(identity.Accountant, identity.Operator, identity.PlatformAdmin),

		ledgerv1grpc.ReportService_OpenItems_FullMethodName:         readers,
		ledgerv1grpc.ReportService_Aging_FullMethodName:             readers,
		ledgerv1grpc.ReportService_TrialBalance_FullMethodName:      readers,
		ledgerv1grpc.ReportService_DebtorBalances_FullMethodName:    readers,
		ledgerv1grpc.ReportService_DSO_FullMethodName:               readers,
		ledgerv1grpc.ReportService_IssueReport_FullMethodName:       auth.Allow(identity.Accountant, identity.Operator),
		ledgerv1grpc.ReportService_ReproduceReport_FullMethodName:   readers,
		ledgerv1grpc.ReportService_GetIssuedReport_FullMethodName:   readers,
		ledgerv1grpc.ReportService_ListIssuedReports_FullMethodName: readers,

		ledgerv1grpc.LedgerCommandService_RegisterInvoice_FullMethodName:        bookers,
		ledgerv1grpc.LedgerCommandService_RecordOpeningBalance_FullMethodName:   accountants,
		ledgerv1grpc.LedgerCommandService_IssueCreditNote_FullMethodName:        auth.Allow(identity.Accountant, identity.Service, identity.CustomerService),
		ledgerv1grpc.LedgerCommandService_ApplyPayment_FullMethodName:           bookers,
		ledgerv1grpc.LedgerCommandService_ReturnPayment_FullMethodName:          bookers,
		ledgerv1grpc.LedgerCommandService_AssessCharge_FullMethodName:           bookers,
		ledgerv1grpc.LedgerCommandService_WriteOff_FullMethodName:               bookers,
		ledgerv1grpc.LedgerCommandService_RecoverWrittenOff_FullMethodName:      bookers,
		ledgerv1grpc.LedgerCommandService_RecordAgencyCollection_FullMethodName: bookers,
		ledgerv1grpc.LedgerCommandService_ReverseEntry_FullMethodName:           accountants,
		ledgerv1grpc.LedgerCommandService_PayOutCreditBalance_FullMethodName:    accountants,
		ledgerv1grpc.LedgerCommandService_ClosePeriod_FullMethodName:            accountants,
		ledgerv1grpc.LedgerCommandService_ReopenPeriod_FullMethodName:           accountants,
		ledgerv1grpc.LedgerCommandService_MergeDebtor_FullMethodName:            accountants,
		ledgerv1grpc.LedgerCommandService_RecordBankTransaction_FullMethodName:  bookers,
		ledgerv1grpc.LedgerCommandService_RecordStatementBalance_FullMethodName: bookers,

		statusv1grpc.StatusService_GetInvoiceStatus_FullMethodName:  statusReaders,
		statusv1grpc.StatusService_GetCustomerStatus_FullMethodName: statusReaders,
	}
}()
