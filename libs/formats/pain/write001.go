package pain

import (
	"fmt"
	"io"

	"github.com/o2c-platform/o2c/libs/sepa"
)

// namespace001 is the XML namespace of pain.001.001.09.
const namespace001 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

// WritePayout writes p as a pain.001.001.09 message with one payment
// information block (SEPA credit transfers). It checks all of p first and
// writes nothing when a check fails; the error then joins one FieldError
// per fault (at most 100). Counts and control sums are computed; the block
// carries the service level SEPA and charge bearer SLEV, the execution
// date as ReqdExctnDt/Dt. A payee's BIC is written when given and left out
// otherwise (IBAN only); the payer's address is required when a payee's
// account is outside the EEA.
func WritePayout(w io.Writer, p Payout) error {
	sum, err := checkPayout(&p)
	if err != nil {
		return fmt.Errorf("pain.001 %s: %w", p.MessageID, err)
	}
	e := newEncoder(w)
	e.w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	e.w.WriteString(`<Document xmlns="` + namespace001 + `">`)
	e.depth = 1
	e.open("CstmrCdtTrfInitn")
	e.open("GrpHdr")
	e.leaf("MsgId", p.MessageID)
	e.instant("CreDtTm", p.Created)
	e.count("NbOfTxs", sum.n)
	e.decimal("CtrlSum", sum.cents)
	e.open("InitgPty")
	e.leaf("Nm", text(p.Debtor.Name, maxName))
	e.close("InitgPty")
	e.close("GrpHdr")
	e.open("PmtInf")
	e.leaf("PmtInfId", p.PaymentInfoID)
	e.leaf("PmtMtd", "TRF")
	e.count("NbOfTxs", sum.n)
	e.decimal("CtrlSum", sum.cents)
	e.open("PmtTpInf")
	e.open("SvcLvl")
	e.leaf("Cd", "SEPA")
	e.close("SvcLvl")
	e.close("PmtTpInf")
	e.open("ReqdExctnDt")
	e.date("Dt", p.Execution)
	e.close("ReqdExctnDt")
	e.party("Dbtr", p.Debtor)
	e.account("DbtrAcct", mustIBAN(p.Debtor.IBAN))
	e.agent("DbtrAgt", p.Debtor.BIC)
	e.leaf("ChrgBr", "SLEV")
	for i := range p.Transfers {
		writeTransfer(e, &p.Transfers[i])
	}
	e.close("PmtInf")
	e.close("CstmrCdtTrfInitn")
	e.depth = 0
	e.newline()
	e.w.WriteString("</Document>")
	if err := e.flush(); err != nil {
		return fmt.Errorf("pain.001 %s: write: %w", p.MessageID, err)
	}
	return nil
}

func writeTransfer(e *encoder, t *Transfer) {
	e.open("CdtTrfTxInf")
	e.open("PmtId")
	e.leaf("EndToEndId", t.EndToEndID)
	e.close("PmtId")
	e.open("Amt")
	e.euros("InstdAmt", t.Amount)
	e.close("Amt")
	if t.Creditor.BIC != "" {
		e.agent("CdtrAgt", t.Creditor.BIC)
	}
	e.party("Cdtr", t.Creditor)
	e.account("CdtrAcct", mustIBAN(t.Creditor.IBAN))
	e.remittance(t.Remittance)
	e.close("CdtTrfTxInf")
}

// checkPayout checks p and returns its count and control sum.
func checkPayout(p *Payout) (total, error) {
	ck := &checker{ids: map[string]struct{}{}}
	msg := where{}
	ck.id(msg, "GrpHdr/MsgId", p.MessageID)
	if p.Created.IsZero() {
		ck.fail(msg, "GrpHdr/CreDtTm", fmt.Errorf("creation time: %w", ErrDate))
	}
	at := where{batch: p.PaymentInfoID}
	ck.id(at, "PmtInfId", p.PaymentInfoID)
	switch {
	case p.Execution.IsZero():
		ck.fail(at, "ReqdExctnDt/Dt", fmt.Errorf("execution date: %w", ErrDate))
	case !p.Created.IsZero() && day(p.Execution) < day(p.Created.In(p.Execution.Location())):
		ck.fail(at, "ReqdExctnDt/Dt", fmt.Errorf("execution date %s before the message was created: %w", day(p.Execution), ErrDate))
	}
	if len(p.Transfers) == 0 {
		ck.fail(at, "CdtTrfTxInf", ErrEmpty)
	}
	var sum total
	outsideEEA := false
	for i := range p.Transfers {
		t := &p.Transfers[i]
		at := where{e2e: t.EndToEndID, index: i + 1, batch: p.PaymentInfoID}
		ck.id(at, "PmtId/EndToEndId", t.EndToEndID)
		ck.unique(at, "PmtId/EndToEndId", t.EndToEndID)
		ck.amount(at, "Amt/InstdAmt", t.Amount, &sum.cents)
		sum.n++
		country := ck.party(at, "Cdtr", "CdtrAcct", t.Creditor, false)
		if country != "" && !sepa.InEEA(country) {
			outsideEEA = true
		}
	}
	ck.party(at, "Dbtr", "DbtrAcct", p.Debtor, outsideEEA)
	if sum.cents < 0 {
		ck.fail(at, "CtrlSum", ErrOverflow)
	}
	return sum, ck.err()
}
