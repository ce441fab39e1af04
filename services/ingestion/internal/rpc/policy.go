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
//     record, not bookkeeping. Not viewers: it is an act with legal
//     weight, not a look at an account.
//   - SearchDebtors and ListInvoices (finding a debtor by name, number or
//     IBAN, the console's start page, and the links to its invoices'
//     copies): customer service, viewers, accountants, operators and
//     platform admins.
var DebtorPolicy = auth.Policy{
	ingestionv1grpc.DebtorService_EraseDebtor_FullMethodName:  auth.Allow(identity.Operator, identity.PlatformAdmin),
	ingestionv1grpc.DebtorService_ExportDebtor_FullMethodName: auth.Allow(identity.Operator, identity.PlatformAdmin, identity.CustomerService),
	ingestionv1grpc.DebtorService_SearchDebtors_FullMethodName: auth.Allow(identity.CustomerService, identity.Viewer, identity.Accountant,
		identity.Operator, identity.PlatformAdmin),
	ingestionv1grpc.DebtorService_ListInvoices_FullMethodName: auth.Allow(identity.CustomerService, identity.Viewer, identity.Accountant,
		identity.Operator, identity.PlatformAdmin),
}

// IngestionPolicy is who may call each RPC of the IngestionService, each
// only for its own tenants (a platform admin for all):
//
//   - SubmitShopEvents: shops submit their own tenant's events, operators
//     theirs (re-submitting what a shop could not deliver); nobody else,
//     platform admins included, since what is submitted becomes the
//     merchant's books.
//   - ListPending: operators, shops and platform admins. A shop sees what
//     of its own it sent out of order and what it still has to send; an
//     operator watches the holds before their holding period ends.
var IngestionPolicy = auth.Policy{
	ingestionv1grpc.IngestionService_SubmitShopEvents_FullMethodName: auth.Allow(identity.Shop, identity.Operator),
	ingestionv1grpc.IngestionService_ListPending_FullMethodName:      auth.Allow(identity.Shop, identity.Operator, identity.PlatformAdmin),
}

// ImportPolicy is who may call each RPC of the ImportService, each only
// for its own tenants:
//
//   - Import: operators and accountants, who receive the bank's files and
//     answer for the books they become, and the service role: the refund
//     import hands over the settlement reports it fetches from Amazon's
//     Reports API (the drop folder imports in-process, without an RPC).
//   - ListImports: operators and accountants.
//   - GetCounterparties: the service role (matching resolves the payer of
//     a receipt), operators and accountants. Not customer service or
//     shops: bank counterparties are personal data of people who are not
//     necessarily the shop's customers.
var ImportPolicy = auth.Policy{
	ingestionv1grpc.ImportService_Import_FullMethodName:            auth.Allow(identity.Service, identity.Operator, identity.Accountant),
	ingestionv1grpc.ImportService_ListImports_FullMethodName:       auth.Allow(identity.Operator, identity.Accountant),
	ingestionv1grpc.ImportService_GetCounterparties_FullMethodName: auth.Allow(identity.Service, identity.Operator, identity.Accountant),
}

// CreditNotePolicy is who may call each RPC of the CreditNoteService, each
// only for its own tenants (a platform admin for all). The amounts each
// person may credit or approve are the tenant's console section's limits
// per role (package credit), checked by the handlers:
//
//   - RequestCreditNote: customer service, accountants and platform
//     admins, the roles a tenant may give a limit.
//   - ApproveCreditNote, RejectCreditNote: accountants and platform
//     admins (four eyes: never the requester, package credit).
//   - ListCreditNotes, GetCreditNoteDocument: those, operators, who read
//     what o2c sent, viewers, who read what customer service reads, and
//     the tenant's shop, which fetches the PDF of a credit note announced
//     on the status feed and lists what it missed while disconnected.
var CreditNotePolicy = auth.Policy{
	ingestionv1grpc.CreditNoteService_RequestCreditNote_FullMethodName: auth.Allow(identity.CustomerService, identity.Accountant, identity.PlatformAdmin),
	ingestionv1grpc.CreditNoteService_ApproveCreditNote_FullMethodName: auth.Allow(identity.Accountant, identity.PlatformAdmin),
	ingestionv1grpc.CreditNoteService_RejectCreditNote_FullMethodName:  auth.Allow(identity.Accountant, identity.PlatformAdmin),
	ingestionv1grpc.CreditNoteService_ListCreditNotes_FullMethodName: auth.Allow(identity.CustomerService, identity.Accountant,
		identity.PlatformAdmin, identity.Operator, identity.Viewer, identity.Shop),
	ingestionv1grpc.CreditNoteService_GetCreditNoteDocument_FullMethodName: auth.Allow(identity.CustomerService, identity.Accountant,
		identity.PlatformAdmin, identity.Operator, identity.Viewer, identity.Shop),
}
