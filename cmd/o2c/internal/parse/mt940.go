package parse

import (
	"fmt"
	"io"

	"github.com/o2c-platform/o2c/libs/formats/detect"
	"github.com/o2c-platform/o2c/libs/formats/mt940"
)

// mt940Format handles SWIFT MT940 statements and MT942 interim reports.
var mt940Format = format{
	name:   "mt940",
	detect: detect.IsMT940,
	emit:   emitMT940,
}

// mt940Entry is one entry of the o2c parse contract, plus the MT940 fields
// an operator needs to find the line in the file.
type mt940Entry struct {
	AmountMinor       int64               `json:"amount_minor"`
	AmountExact       string              `json:"amount_exact,omitempty"`
	Currency          string              `json:"currency"`
	BookingDate       string              `json:"booking_date"`
	ValueDate         string              `json:"value_date"`
	Reversal          bool                `json:"reversal"`
	Status            string              `json:"status"`
	BankReference     string              `json:"bank_reference"`
	BankTxCode        string              `json:"bank_tx_code"`
	BookingText       string              `json:"booking_text"`
	Transactions      [1]mt940Transaction `json:"transactions"`
	Line              int                 `json:"line"`
	Mark              string              `json:"mark"`
	FundsCode         string              `json:"funds_code"`
	TypeCode          string              `json:"type_code"`
	CustomerReference string              `json:"customer_reference"`
	Supplementary     string              `json:"supplementary_details"`
	GVC               string              `json:"gvc"`
	Info              string              `json:"info"`
}

type mt940Transaction struct {
	AmountMinor          int64    `json:"amount_minor"`
	EndToEndID           string   `json:"end_to_end_id"`
	MandateID            string   `json:"mandate_id"`
	CreditorID           string   `json:"creditor_id"`
	Remittance           string   `json:"remittance"`
	CreditorReferences   []string `json:"creditor_references"`
	CounterpartyName     string   `json:"counterparty_name"`
	CounterpartyIBAN     string   `json:"counterparty_iban"`
	CounterpartyBIC      string   `json:"counterparty_bic"`
	ReturnReason         string   `json:"return_reason"`
	ChargesMinor         int64    `json:"charges_minor"`
	Fingerprint          string   `json:"fingerprint"`
	Purpose              string   `json:"purpose"`
	CustomerRef          string   `json:"customer_ref"`
	UltimateParty        string   `json:"ultimate_party"`
	CounterpartyAccount  string   `json:"counterparty_account"`
	CounterpartyBankCode string   `json:"counterparty_bank_code"`
	ReturnCode           string   `json:"return_code"`
}

func emitMT940(r io.Reader, opt Options, w *Writer) (Result, error) {
	rd := mt940.NewReader(r, mt940.Options{Encoding: opt.Encoding})
	w.WriteString(`,"statements":[`)
	statements, entries := 0, 0
	for {
		it, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Result{Format: rd.Format()}, fmt.Errorf("MT940 %w", err)
		}
		st := &it.Statement
		switch it.Kind {
		case mt940.KindStatementStart:
			if statements > 0 {
				w.WriteString(",")
			}
			statements++
			entries = 0
			w.WriteString(`{"id":`)
			w.Value(st.Reference)
			w.Member("sequence", st.Sequence)
			w.Member("account", st.Account)
			w.Member("account_currency", st.AccountCurrency)
			w.Member("related_reference", st.RelatedReference)
			w.Member("line", st.Line)
			w.WriteString(`,"entries":[`)
		case mt940.KindEntry:
			if entries > 0 {
				w.WriteString(",")
			}
			entries++
			w.Value(entryJSON(it.Entry))
		case mt940.KindStatementEnd:
			w.WriteString("]")
			w.Member("currency", st.Currency)
			w.Member("opening_booked_minor", balanceMinor(st.Opening))
			w.Member("closing_booked_minor", balanceMinor(st.Closing))
			w.Member("closing_available_minor", balanceMinor(st.Available))
			w.Member("balance_check", st.BalanceCheck)
			w.Member("entry_count", st.Entries)
			w.Member("info", st.Info)
			if st.DateTime != "" || st.FloorLimit != "" || st.Debits != nil || st.Credits != nil {
				w.Member("date_time", st.DateTime)
				w.Member("floor_limit", st.FloorLimit)
				w.Member("debits", st.Debits)
				w.Member("credits", st.Credits)
			}
			w.WriteString("}")
		}
	}
	w.WriteString("]")
	return Result{Format: rd.Format(), Warnings: rd.Warnings()}, nil
}

func balanceMinor(b *mt940.Balance) *int64 {
	if b == nil {
		return nil
	}
	return &b.Amount
}

func entryJSON(e *mt940.Entry) mt940Entry {
	d := &e.Details
	code := e.TypeCode
	if d.GVC != "" {
		code = d.GVC
	}
	refs := d.CreditorReferences
	if refs == nil {
		refs = []string{}
	}
	return mt940Entry{
		AmountMinor:   e.Amount,
		AmountExact:   e.AmountExact,
		Currency:      e.Currency,
		BookingDate:   e.BookingDate.String(),
		ValueDate:     e.ValueDate.String(),
		Reversal:      e.Reversal,
		Status:        "BOOK",
		BankReference: e.BankReference,
		BankTxCode:    code,
		BookingText:   d.BookingText,
		Transactions: [1]mt940Transaction{{
			AmountMinor:          e.Amount,
			EndToEndID:           d.EndToEndID,
			MandateID:            d.MandateID,
			CreditorID:           d.CreditorID,
			Remittance:           d.Remittance,
			CreditorReferences:   refs,
			CounterpartyName:     d.CounterpartyName,
			CounterpartyIBAN:     d.CounterpartyIBAN,
			CounterpartyBIC:      d.CounterpartyBIC,
			ReturnReason:         d.ReturnReason,
			ChargesMinor:         e.Charges,
			Fingerprint:          e.Fingerprint(),
			Purpose:              d.Purpose,
			CustomerRef:          d.CustomerRef,
			UltimateParty:        d.UltimateParty,
			CounterpartyAccount:  d.CounterpartyAccount,
			CounterpartyBankCode: d.CounterpartyBankCode,
			ReturnCode:           d.ReturnCode,
		}},
		Line:              e.Line,
		Mark:              e.Mark,
		FundsCode:         e.FundsCode,
		TypeCode:          e.TypeCode,
		CustomerReference: e.CustomerReference,
		Supplementary:     e.Supplementary,
		GVC:               d.GVC,
		Info:              e.Info,
	}
}
