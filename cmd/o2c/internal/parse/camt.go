package parse

import (
	"errors"
	"io"
	"strconv"

	"github.com/o2c-platform/o2c/libs/formats/camt"
	"github.com/o2c-platform/o2c/libs/formats/detect"
)

// camtFormat reads ISO 20022 camt.052, camt.053 and camt.054 messages with
// libs/formats/camt and writes them in the contract's bank-statement shape. Every
// transaction carries an extra "fingerprint" (see camt.Entry.Fingerprint),
// amounts rounded from more decimals than the currency has carry
// "amount_exact", and each entry its own "fingerprint".
var camtFormat = format{
	name:       "camt",
	detect:     detect.IsCamt,
	emit:       emitCamt,
	readsUTF16: true,
}

func emitCamt(r io.Reader, _ Options, w *Writer) (Result, error) {
	cr := camt.NewReader(r)
	var (
		res     Result
		inStmt  bool
		first   bool
		stmtOne = true
	)
	w.WriteString(`,"statements":[`)
	for {
		kind, err := cr.Next()
		res.Format = cr.Message()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Warnings = cr.Warnings()
			return res, err
		}
		switch kind {
		case camt.KindStatement:
			inStmt = true
		case camt.KindStatementEnd:
			inStmt = false
		}
		if w.discard {
			continue
		}
		s := cr.Statement()
		buf := w.buffer()
		switch kind {
		case camt.KindStatement:
			if !stmtOne {
				buf = append(buf, ',')
			}
			stmtOne = false
			buf = append(buf, `{"id":`...)
			buf = appendString(buf, s.ID)
			buf = append(buf, `,"sequence":`...)
			buf = appendString(buf, s.Sequence)
			buf = append(buf, `,"account":`...)
			buf = appendString(buf, s.Account)
			buf = append(buf, `,"opening_booked_minor":`...)
			buf = appendAmountOrNull(buf, s.OpeningBooked)
			buf = append(buf, `,"closing_booked_minor":`...)
			buf = appendAmountOrNull(buf, s.ClosingBooked)
			buf = append(buf, `,"entries":[`...)
			first = true
		case camt.KindEntry:
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendEntry(buf, cr.Entry())
		case camt.KindStatementEnd:
			buf = append(buf, `],"currency":`...)
			buf = appendString(buf, s.Currency)
			buf = append(buf, `,"balance_check":`...)
			buf = appendString(buf, s.BalanceCheck)
			buf = append(buf, `,"entry_count":`...)
			buf = strconv.AppendInt(buf, int64(s.Entries), 10)
			buf = append(buf, '}')
		}
		w.commit(buf)
	}
	if inStmt {
		return res, errors.New("camt: statement not closed")
	}
	w.WriteString(`]`)
	res.Warnings = cr.Warnings()
	return res, w.Err()
}

func appendAmountOrNull(buf []byte, a *camt.Amount) []byte {
	if a == nil {
		return append(buf, "null"...)
	}
	return strconv.AppendInt(buf, a.Minor, 10)
}

func appendEntry(buf []byte, e *camt.Entry) []byte {
	buf = append(buf, `{"amount_minor":`...)
	buf = strconv.AppendInt(buf, e.Amount.Minor, 10)
	if e.Amount.Exact != "" {
		buf = append(buf, `,"amount_exact":`...)
		buf = appendString(buf, e.Amount.Exact)
	}
	buf = append(buf, `,"currency":`...)
	buf = appendString(buf, e.Amount.Currency)
	buf = append(buf, `,"booking_date":`...)
	buf = appendDate(buf, e.BookingDate)
	buf = append(buf, `,"value_date":`...)
	buf = appendDate(buf, e.ValueDate)
	buf = append(buf, `,"reversal":`...)
	buf = strconv.AppendBool(buf, e.Reversal)
	buf = append(buf, `,"status":`...)
	buf = appendString(buf, e.Status)
	ref := e.AcctSvcrRef
	if ref == "" {
		ref = e.EntryRef
	}
	buf = append(buf, `,"bank_reference":`...)
	buf = appendString(buf, ref)
	buf = append(buf, `,"bank_tx_code":`...)
	buf = appendString(buf, e.BankTxCode)
	buf = append(buf, `,"booking_text":`...)
	buf = appendString(buf, e.BookingText)
	buf = append(buf, `,"fingerprint":`...)
	buf = appendString(buf, e.Fingerprint())
	buf = append(buf, `,"transactions":[`...)
	for i := range e.Transactions {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendTransaction(buf, &e.Transactions[i])
	}
	return append(buf, "]}"...)
}

func appendTransaction(buf []byte, tx *camt.Transaction) []byte {
	buf = append(buf, `{"amount_minor":`...)
	buf = strconv.AppendInt(buf, tx.Amount.Minor, 10)
	if tx.Amount.Exact != "" {
		buf = append(buf, `,"amount_exact":`...)
		buf = appendString(buf, tx.Amount.Exact)
	}
	fields := [...]struct{ k, v string }{
		{"end_to_end_id", tx.EndToEndID},
		{"mandate_id", tx.MandateID},
		{"creditor_id", tx.CreditorID},
		{"remittance", tx.Remittance},
	}
	for _, f := range fields {
		buf = append(buf, ',', '"')
		buf = append(buf, f.k...)
		buf = append(buf, '"', ':')
		buf = appendString(buf, f.v)
	}
	buf = append(buf, `,"creditor_references":[`...)
	for i, ref := range tx.CreditorReferences {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, ref)
	}
	buf = append(buf, ']')
	fields2 := [...]struct{ k, v string }{
		{"counterparty_name", tx.CounterpartyName},
		{"counterparty_iban", tx.CounterpartyIBAN},
		{"counterparty_bic", tx.CounterpartyBIC},
		{"return_reason", tx.ReturnReason},
		{"fingerprint", tx.Fingerprint()},
	}
	for _, f := range fields2 {
		buf = append(buf, ',', '"')
		buf = append(buf, f.k...)
		buf = append(buf, '"', ':')
		buf = appendString(buf, f.v)
	}
	buf = append(buf, `,"charges_minor":`...)
	buf = strconv.AppendInt(buf, tx.Charges, 10)
	return append(buf, '}')
}

func appendDate(buf []byte, d string) []byte {
	if d == "" {
		return append(buf, "null"...)
	}
	return appendString(buf, d)
}
