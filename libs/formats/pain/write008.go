package pain

import (
	"fmt"
	"io"

	"github.com/o2c-platform/o2c/libs/sepa"
)

// namespace008 is the XML namespace of pain.008.001.08.
const namespace008 = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"

// WriteCollection writes c as a pain.008.001.08 message (SEPA Core or B2B
// direct debits). It checks all of c first and writes nothing when a check
// fails; the error then joins one FieldError per fault (at most 100).
// Counts and control sums are computed; a debit's Sequence may be empty
// (it is the batch's), and the sequence type is written per batch. Per batch it writes the service level SEPA, the scheme as local
// instrument, the sequence type, charge bearer SLEV and the creditor
// identifier with the scheme name SEPA; per debit the mandate with its
// signature date and, for an amended mandate, AmdmntInd true with the
// original mandate identification, creditor identifier and debtor IBAN,
// or SMNDA for a new debtor account (see Amendment).
func WriteCollection(w io.Writer, c Collection) error {
	sums, total, err := checkCollection(&c)
	if err != nil {
		return fmt.Errorf("pain.008 %s: %w", c.MessageID, err)
	}
	e := newEncoder(w)
	e.w.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	e.w.WriteString(`<Document xmlns="` + namespace008 + `">`)
	e.depth = 1
	e.open("CstmrDrctDbtInitn")
	e.open("GrpHdr")
	e.leaf("MsgId", c.MessageID)
	e.instant("CreDtTm", c.Created)
	e.count("NbOfTxs", total.n)
	e.decimal("CtrlSum", total.cents)
	e.open("InitgPty")
	e.leaf("Nm", text(c.Creditor.Name, maxName))
	e.close("InitgPty")
	e.close("GrpHdr")
	creditorID, _ := sepa.CheckCreditorID(c.CreditorID)
	creditorIBAN := mustIBAN(c.Creditor.IBAN)
	for i, b := range c.Batches {
		e.open("PmtInf")
		e.leaf("PmtInfId", b.PaymentInfoID)
		e.leaf("PmtMtd", "DD")
		e.count("NbOfTxs", sums[i].n)
		e.decimal("CtrlSum", sums[i].cents)
		e.open("PmtTpInf")
		e.open("SvcLvl")
		e.leaf("Cd", "SEPA")
		e.close("SvcLvl")
		e.open("LclInstrm")
		e.leaf("Cd", c.Scheme)
		e.close("LclInstrm")
		e.leaf("SeqTp", b.Sequence)
		e.close("PmtTpInf")
		e.date("ReqdColltnDt", b.Collection)
		e.party("Cdtr", c.Creditor)
		e.account("CdtrAcct", creditorIBAN)
		e.agent("CdtrAgt", c.Creditor.BIC)
		e.leaf("ChrgBr", "SLEV")
		e.schemeID("CdtrSchmeId", creditorID)
		for j := range b.Debits {
			writeDebit(e, &b.Debits[j])
		}
		e.close("PmtInf")
	}
	e.close("CstmrDrctDbtInitn")
	e.depth = 0
	e.newline()
	e.w.WriteString("</Document>")
	if err := e.flush(); err != nil {
		return fmt.Errorf("pain.008 %s: write: %w", c.MessageID, err)
	}
	return nil
}

func writeDebit(e *encoder, d *DirectDebit) {
	e.open("DrctDbtTxInf")
	e.open("PmtId")
	e.leaf("EndToEndId", d.EndToEndID)
	e.close("PmtId")
	e.euros("InstdAmt", d.Amount)
	e.open("DrctDbtTx")
	e.open("MndtRltdInf")
	e.leaf("MndtId", d.MandateID)
	e.date("DtOfSgntr", d.MandateSigned)
	if a := d.Amendment; a != nil {
		e.leaf("AmdmntInd", "true")
		e.open("AmdmntInfDtls")
		if a.OriginalMandateID != "" {
			e.leaf("OrgnlMndtId", a.OriginalMandateID)
		}
		if a.OriginalCreditorID != "" {
			id, _ := sepa.CheckCreditorID(a.OriginalCreditorID)
			e.schemeID("OrgnlCdtrSchmeId", id)
		}
		if a.OriginalDebtorIBAN != "" {
			e.account("OrgnlDbtrAcct", mustIBAN(a.OriginalDebtorIBAN))
		}
		if a.SameBankChanged {
			e.open("OrgnlDbtrAcct")
			e.open("Id")
			e.open("Othr")
			e.leaf("Id", "SMNDA")
			e.close("Othr")
			e.close("Id")
			e.close("OrgnlDbtrAcct")
		}
		e.close("AmdmntInfDtls")
	}
	e.close("MndtRltdInf")
	e.close("DrctDbtTx")
	e.agent("DbtrAgt", d.Debtor.BIC)
	e.party("Dbtr", d.Debtor)
	e.account("DbtrAcct", mustIBAN(d.Debtor.IBAN))
	e.remittance(d.Remittance)
	e.close("DrctDbtTxInf")
}

// total is a count and a control sum in cents.
type total struct{ n, cents int64 }

// checkCollection checks c and returns the count and sum per batch and of the message.
func checkCollection(c *Collection) ([]total, total, error) {
	ck := &checker{ids: map[string]struct{}{}}
	msg := where{}
	ck.id(msg, "GrpHdr/MsgId", c.MessageID)
	if c.Created.IsZero() {
		ck.fail(msg, "GrpHdr/CreDtTm", fmt.Errorf("creation time: %w", ErrDate))
	}
	if c.Scheme != SchemeCore && c.Scheme != SchemeB2B {
		ck.fail(msg, "PmtTpInf/LclInstrm/Cd", fmt.Errorf("%q: %w", c.Scheme, ErrScheme))
	}
	ck.party(msg, "Cdtr", "CdtrAcct", c.Creditor, false)
	if c.CreditorID == "" {
		ck.fail(msg, "CdtrSchmeId", ErrMissing)
	} else if _, err := sepa.CheckCreditorID(c.CreditorID); err != nil {
		ck.fail(msg, "CdtrSchmeId", err)
	}
	if len(c.Batches) == 0 {
		ck.fail(msg, "PmtInf", ErrEmpty)
	}
	sums := make([]total, len(c.Batches))
	var all total
	for i := range c.Batches {
		b := &c.Batches[i] // read only
		at := where{batch: b.PaymentInfoID}
		ck.id(at, "PmtInfId", b.PaymentInfoID)
		ck.unique(at, "PmtInfId", b.PaymentInfoID)
		if !validSequence(b.Sequence) {
			ck.fail(at, "PmtTpInf/SeqTp", fmt.Errorf("%q: %w", b.Sequence, ErrSequence))
		}
		switch {
		case b.Collection.IsZero():
			ck.fail(at, "ReqdColltnDt", fmt.Errorf("collection date: %w", ErrDate))
		case !c.Created.IsZero() && day(b.Collection) < day(c.Created.In(b.Collection.Location())):
			ck.fail(at, "ReqdColltnDt", fmt.Errorf("collection date %s before the message was created: %w", day(b.Collection), ErrDate))
		}
		if len(b.Debits) == 0 {
			ck.fail(at, "DrctDbtTxInf", ErrEmpty)
		}
		collection := day(b.Collection)
		for j := range b.Debits {
			d := &b.Debits[j]
			at := where{e2e: d.EndToEndID, index: j + 1, batch: b.PaymentInfoID}
			if d.Sequence != "" && d.Sequence != b.Sequence {
				ck.fail(at, "PmtTpInf/SeqTp", fmt.Errorf("%s in a batch of %s: %w", d.Sequence, b.Sequence, ErrSequence))
			}
			checkDebit(ck, at, d, collection)
			ck.amount(at, "InstdAmt", d.Amount, &sums[i].cents)
			sums[i].n++
		}
		all.n += sums[i].n
		all.cents = addSum(all.cents, max(sums[i].cents, 0))
		if sums[i].cents < 0 {
			ck.fail(at, "CtrlSum", ErrOverflow)
		}
	}
	if all.cents < 0 {
		ck.fail(msg, "GrpHdr/CtrlSum", ErrOverflow)
	}
	return sums, all, ck.err()
}

func checkDebit(ck *checker, at where, d *DirectDebit, collection string) {
	ck.id(at, "PmtId/EndToEndId", d.EndToEndID)
	ck.unique(at, "PmtId/EndToEndId", d.EndToEndID)
	ck.id(at, "DrctDbtTx/MndtRltdInf/MndtId", d.MandateID)
	switch {
	case d.MandateSigned.IsZero():
		ck.fail(at, "DrctDbtTx/MndtRltdInf/DtOfSgntr", fmt.Errorf("signature date: %w", ErrDate))
	case day(d.MandateSigned) > collection:
		ck.fail(at, "DrctDbtTx/MndtRltdInf/DtOfSgntr", fmt.Errorf("mandate signed %s, after the collection date %s: %w", day(d.MandateSigned), collection, ErrDate))
	}
	country := ck.account(at, "DbtrAcct/Id/IBAN", d.Debtor.IBAN)
	if text(d.Debtor.Name, maxName) == "" {
		ck.fail(at, "Dbtr/Nm", ErrMissing)
	}
	if d.Debtor.BIC != "" {
		if err := sepa.CheckBIC(d.Debtor.BIC); err != nil {
			ck.fail(at, "DbtrAgt/FinInstnId/BICFI", err)
		}
	}
	ck.address(at, "Dbtr/PstlAdr", d.Debtor, country != "" && !sepa.InEEA(country))
	if a := d.Amendment; a != nil {
		checkAmendment(ck, at, d, a)
	}
}

func checkAmendment(ck *checker, at where, d *DirectDebit, a *Amendment) {
	const base = "DrctDbtTx/MndtRltdInf/AmdmntInfDtls"
	if a.OriginalMandateID == "" && a.OriginalCreditorID == "" && a.OriginalDebtorIBAN == "" && !a.SameBankChanged {
		ck.fail(at, base, fmt.Errorf("nothing changed: %w", ErrAmendment))
		return
	}
	if a.OriginalMandateID != "" {
		ck.id(at, base+"/OrgnlMndtId", a.OriginalMandateID)
		if a.OriginalMandateID == d.MandateID {
			ck.fail(at, base+"/OrgnlMndtId", fmt.Errorf("equals the mandate identification: %w", ErrAmendment))
		}
	}
	if a.OriginalCreditorID != "" {
		if _, err := sepa.CheckCreditorID(a.OriginalCreditorID); err != nil {
			ck.fail(at, base+"/OrgnlCdtrSchmeId", err)
		}
	}
	if a.OriginalDebtorIBAN != "" {
		if a.SameBankChanged {
			ck.fail(at, base+"/OrgnlDbtrAcct", fmt.Errorf("either the original IBAN or SMNDA (SameBankChanged), not both: %w", ErrAmendment))
		}
		n, err := sepa.CheckIBAN(a.OriginalDebtorIBAN)
		switch {
		case err != nil:
			ck.fail(at, base+"/OrgnlDbtrAcct/Id/IBAN", err)
		case n == mustIBAN(d.Debtor.IBAN):
			ck.fail(at, base+"/OrgnlDbtrAcct/Id/IBAN", fmt.Errorf("equals the debtor's IBAN: %w", ErrAmendment))
		}
	}
}

func validSequence(s string) bool {
	switch s {
	case SeqFirst, SeqRecurrent, SeqOneOff, SeqFinal:
		return true
	}
	return false
}
