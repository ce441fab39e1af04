package books

import (
	"errors"

	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/debtor"
	"github.com/o2c-platform/o2c/libs/storable"
)

// CheckStorable returns nil when every populated field of cmd can be stored
// (see package storable: no NUL bytes, valid UTF-8, at most
// storable.MaxStringBytes per string, defined enum values), and otherwise
// an *InvalidCommandError naming the field that wraps the
// *storable.FieldError, so errors.Is finds both ErrInvalidCommand and
// storable.ErrNotStorable. Every command method runs it first; callers
// that look anything up by a command's ids before deciding (a route, a
// debtor account) run it before that, since PostgreSQL refuses such values
// in a query as much as in a row.
func CheckStorable(cmd proto.Message) error {
	err := storable.Check(cmd)
	if err == nil {
		return nil
	}
	var fe *storable.FieldError
	if errors.As(err, &fe) {
		return &InvalidCommandError{Field: fe.Path, Reason: fe.Problem, Err: err}
	}
	return &InvalidCommandError{Field: "(message)", Reason: err.Error(), Err: err}
}

// checkDebtorIDs refuses a command that names a reserved debtor id
// (debtor.Reserved) where the id would be taken as a debtor of the
// command's own: an invoice's buyer, the debtor of an opening balance, a
// charge or an agency collection. A merge that names a marketplace debtor
// on either side is refused by CheckMergeable, which says why. The ledger itself
// puts invoices of marketplace orders on the marketplace's debtor, from
// RegisterInvoice's marketplace field; that is the only way in. Commands
// that move money on a debtor the books already hold (ApplyPayment,
// IssueCreditNote, PayOutCreditBalance) may name a marketplace debtor:
// marketplace payouts and refunds settle its items, and as those commands
// never open a debtor, only a debtor created through the marketplace field
// can be found.
func checkDebtorIDs(cmd proto.Message) error {
	var field, id string
	switch x := cmd.(type) {
	case *ledgerv1.RegisterInvoice:
		field, id = "debtor_id", x.GetDebtorId()
	case *ledgerv1.RecordOpeningBalance:
		field, id = "debtor_id", x.GetDebtorId()
	case *ledgerv1.AssessCharge:
		field, id = "debtor_id", x.GetDebtorId()
	case *ledgerv1.RecordAgencyCollection:
		field, id = "debtor_id", x.GetDebtorId()
	case *ledgerv1.MergeDebtor:
		return CheckMergeable(x.GetDebtorId(), x.GetIntoDebtorId())
	default:
		return nil
	}
	if debtor.Reserved(id) {
		return &InvalidCommandError{Field: field, Reason: "ids starting with " + debtor.MarketplacePrefix +
			" are the ledger's marketplace debtors; a marketplace order names its marketplace instead", Err: ErrReservedDebtor}
	}
	return nil
}

// overflow is the error of a sum or product of a command's amounts that
// does not fit into int64.
func overflow(field string, err error) error {
	return &InvalidCommandError{Field: field, Reason: err.Error(), Err: err}
}
