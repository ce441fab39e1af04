package intake

import (
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/tenants"
)

// Classify says what kind of money movement t is on an account of the
// tenant whose bank section is bank: a credit that one of the tenant's
// incoming rules takes (the first that holds, its name returned as rule)
// is no debtor's payment, such as a collection agency's payout; any other
// credit (or zero) is a receipt; a debit with a return reason, or a
// reversal, is a return; any other debit is classified by the tenant's
// outgoing rules likewise, else left unclassified for the finance team.
func Classify(bank tenants.Bank, t *Transaction) (c ingestionv1.BankTransactionClassification, rule string) {
	switch {
	case t.Amount > 0 && !t.Reversal:
		if r, ok := bank.ClassifyIncoming(t.CounterpartyIBAN, t.CounterpartyName, t.Remittance, t.BankTxCode); ok {
			return ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_INCOMING_CLASSIFIED, r.Name
		}
		return ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT, ""
	case t.Amount >= 0:
		return ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT, ""
	case t.ReturnReason != "" || t.Reversal:
		return ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN, ""
	}
	if r, ok := bank.Classify(t.CounterpartyIBAN, t.CounterpartyName, t.Remittance, t.BankTxCode); ok {
		return ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED, r.Name
	}
	return ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED, ""
}
