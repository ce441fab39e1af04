package pain

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/fault/faulttest"
	"github.com/o2c-platform/o2c/libs/sepa"
	"github.com/o2c-platform/o2c/libs/xsd"
)

func TestFaultTable(t *testing.T) {
	t.Parallel()
	faulttest.CheckTable(t, ".", Errors)
}

func TestWriteCollectionGolden(t *testing.T) {
	t.Parallel()
	b2b := coreCollection()
	b2b.Scheme = SchemeB2B
	b2b.MessageID = "DEMO-20261207T091500-2"
	b2b.Batches = b2b.Batches[1:]
	b2b.Batches[0].Debits = b2b.Batches[0].Debits[:1]
	tests := []struct {
		name string
		c    Collection
	}{
		{"core.pain.008.xml", coreCollection()},
		{"b2b.pain.008.xml", b2b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := WriteCollection(&buf, tt.c); err != nil {
				t.Fatal(err)
			}
			validate(t, "pain.008.001.08.xsd", buf.Bytes())
			if want := "<Cd>" + tt.c.Scheme + "</Cd>"; !bytes.Contains(buf.Bytes(), []byte(want)) {
				t.Errorf("no %s in the file", want)
			}
			golden(t, tt.name, buf.Bytes())
		})
	}
}

func TestWritePayoutGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WritePayout(&buf, payout()); err != nil {
		t.Fatal(err)
	}
	validate(t, "pain.001.001.09.xsd", buf.Bytes())
	golden(t, "payout.pain.001.xml", buf.Bytes())
}

// TestCollectionReadBack reads the written file back with encoding/xml and
// checks what the rulebook asks of each field.
func TestCollectionReadBack(t *testing.T) {
	t.Parallel()
	c := coreCollection()
	var buf bytes.Buffer
	if err := WriteCollection(&buf, c); err != nil {
		t.Fatal(err)
	}
	var d doc008
	if err := xml.Unmarshal(buf.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if got, want := d.GrpHdr.CreDtTm, "2026-12-07T09:15:00Z"; got != want {
		t.Errorf("CreDtTm = %q, want %q", got, want)
	}
	if got, want := d.GrpHdr.InitgNm, "Mueller + Soehne Versand GmbH"; got != want {
		t.Errorf("InitgPty/Nm = %q, want %q", got, want)
	}
	var total, count int64
	for i, p := range d.PmtInf {
		var sum int64
		for _, tx := range p.Tx {
			if tx.Amt.Ccy != "EUR" {
				t.Errorf("%s: currency %q", tx.EndToEndID, tx.Amt.Ccy)
			}
			sum += cents(t, tx.Amt.Value)
			for _, id := range []string{tx.EndToEndID, tx.MndtID} {
				if len(id) == 0 || len(id) > 35 {
					t.Errorf("identifier %q is not 1 to 35 characters", id)
				}
			}
			if len(tx.Ustrd) > 140 || !sepa.IsLatin(tx.Ustrd) || !sepa.IsLatin(tx.DbtrNm) {
				t.Errorf("%s: text outside the SEPA set or too long: %q %q", tx.EndToEndID, tx.DbtrNm, tx.Ustrd)
			}
		}
		if got := cents(t, p.CtrlSum); got != sum {
			t.Errorf("batch %s: CtrlSum %d, sum of amounts %d", p.PmtInfID, got, sum)
		}
		if p.NbOfTxs != strconv.Itoa(len(p.Tx)) || len(p.Tx) != len(c.Batches[i].Debits) {
			t.Errorf("batch %s: NbOfTxs %s, %d transactions written, %d given", p.PmtInfID, p.NbOfTxs, len(p.Tx), len(c.Batches[i].Debits))
		}
		got := []string{p.SvcLvl, p.LclInstrm, p.SeqTp, p.Collection, p.ChrgBr, p.SchemeID, p.SchemeName, p.CdtrIBAN, p.CdtrBIC}
		want := []string{"SEPA", "CORE", c.Batches[i].Sequence, c.Batches[i].Collection.Format(time.DateOnly), "SLEV", creditorID, "SEPA", "DE89370400440532013000", "COBADEFFXXX"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("batch %s (-want +got):\n%s", p.PmtInfID, diff)
		}
		total += sum
		count += int64(len(p.Tx))
	}
	if got := cents(t, d.GrpHdr.CtrlSum); got != total {
		t.Errorf("GrpHdr/CtrlSum %d, sum of amounts %d", got, total)
	}
	if d.GrpHdr.NbOfTxs != strconv.FormatInt(count, 10) {
		t.Errorf("GrpHdr/NbOfTxs %s, %d transactions", d.GrpHdr.NbOfTxs, count)
	}

	frst, rcur := d.PmtInf[0].Tx, d.PmtInf[1].Tx
	type amendment struct{ Ind, Mandate, Creditor, IBAN, Account, Agent string }
	gotAm := []amendment{}
	for _, tx := range append(append(frst[:0:0], frst...), rcur...) {
		gotAm = append(gotAm, amendment{tx.AmdmntInd, tx.OrgnlMndt, tx.OrgnlCdtr, tx.OrgnlIBAN, tx.OrgnlAcct, tx.OrgnlAgt})
	}
	wantAm := []amendment{
		{},
		{Ind: "true", Mandate: "MNDT-K3002-1"}, // new mandate reference: the original one
		{Ind: "true", IBAN: "DE12500105170648489890"}, // new IBAN, the old one stated
		{Ind: "true", Account: "SMNDA"},               // new IBAN at the same bank: SMNDA
		{},
	}
	if diff := cmp.Diff(wantAm, gotAm); diff != "" {
		t.Errorf("amendments (-want +got):\n%s", diff)
	}

	if got, want := frst[0].Signed, "2026-11-30"; got != want {
		t.Errorf("DtOfSgntr = %q, want %q", got, want)
	}
	if got, want := frst[0].Amt.Value, "119.00"; got != want {
		t.Errorf("amount = %q, want %q", got, want)
	}
	if got, want := frst[2].Amt.Value, "0.01"; got != want {
		t.Errorf("amount = %q, want %q", got, want)
	}
	if got, want := rcur[0].Amt.Value, "999999999.99"; got != want {
		t.Errorf("amount = %q, want %q", got, want)
	}
	// BIC given: BICFI; IBAN only: NOTPROVIDED.
	if frst[0].DbtrBIC != "BYLADEM1001" || frst[1].DbtrBIC != "" || frst[1].DbtrAgtID != "NOTPROVIDED" {
		t.Errorf("debtor agents: %q, %q/%q", frst[0].DbtrBIC, frst[1].DbtrBIC, frst[1].DbtrAgtID)
	}
	// Umlauts, ß, &, <, > and emoji transliterated; remittance cut to 140.
	if got, want := rcur[0].DbtrNm, "Joerg Mueller-Luedenscheidt"; got != want {
		t.Errorf("Dbtr/Nm = %q, want %q", got, want)
	}
	if got, want := frst[2].DbtrNm, "Oemer Yilmaz"; got != want {
		t.Errorf("Dbtr/Nm = %q, want %q", got, want)
	}
	if want := "Abo Dezember - Strasse + Hausnr. (egal)  xxx"; !strings.HasPrefix(rcur[0].Ustrd, want) || len(rcur[0].Ustrd) != 140 {
		t.Errorf("Ustrd = %q (%d), want %q… cut to 140", rcur[0].Ustrd, len(rcur[0].Ustrd), want)
	}
	if got := []string{rcur[1].DbtrNm, rcur[1].DbtrTown, rcur[1].DbtrCtry}; !cmp.Equal(got, []string{"Zoe Braendli", "Zuerich", "CH"}) {
		t.Errorf("Swiss debtor = %q", got)
	}
}

func TestPayoutReadBack(t *testing.T) {
	t.Parallel()
	p := payout()
	var buf bytes.Buffer
	if err := WritePayout(&buf, p); err != nil {
		t.Fatal(err)
	}
	var d doc001
	if err := xml.Unmarshal(buf.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, tx := range d.PmtInf.Tx {
		sum += cents(t, tx.Amt.Value)
	}
	if cents(t, d.PmtInf.CtrlSum) != sum || cents(t, d.GrpHdr.CtrlSum) != sum || sum != 1573 {
		t.Errorf("control sums %s/%s, amounts %d", d.GrpHdr.CtrlSum, d.PmtInf.CtrlSum, sum)
	}
	got := []string{d.PmtInf.PmtMtd, d.PmtInf.SvcLvl, d.PmtInf.ChrgBr, d.PmtInf.Execution, d.PmtInf.DbtrIBAN, d.PmtInf.NbOfTxs,
		d.PmtInf.Tx[0].CdtrBIC, d.PmtInf.Tx[1].CdtrBIC, d.PmtInf.Tx[1].CdtrNm, d.PmtInf.Tx[1].Ustrd}
	want := []string{"TRF", "SEPA", "SLEV", "2026-12-08", "DE89370400440532013000", "2",
		"BYLADEM1001", "", "Francoise Lefevre", "Auszahlung Guthaben - merci."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payout (-want +got):\n%s", diff)
	}
}

func TestWriteCollectionRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *Collection)
		err    error
		e2e    string
		field  string
	}{
		{"message id too long", func(c *Collection) { c.MessageID = strings.Repeat("M", 36) }, ErrIdentifier, "", "GrpHdr/MsgId"},
		{"message id with umlaut", func(c *Collection) { c.MessageID = "MSG-Ä" }, ErrIdentifier, "", "GrpHdr/MsgId"},
		{"no creation time", func(c *Collection) { c.Created = time.Time{} }, ErrDate, "", "GrpHdr/CreDtTm"},
		{"scheme", func(c *Collection) { c.Scheme = "COR1" }, ErrScheme, "", "PmtTpInf/LclInstrm/Cd"},
		{"creditor id check digits", func(c *Collection) { c.CreditorID = "DE99ZZZ09999999999" }, sepa.ErrCreditorID, "", "CdtrSchmeId"},
		{"creditor id missing", func(c *Collection) { c.CreditorID = "" }, ErrMissing, "", "CdtrSchmeId"},
		{"creditor IBAN", func(c *Collection) { c.Creditor.IBAN = "DE89370400440532013001" }, sepa.ErrIBANChecksum, "", "CdtrAcct/Id/IBAN"},
		{"creditor BIC", func(c *Collection) { c.Creditor.BIC = "COBADEF" }, sepa.ErrBIC, "", "CdtrAgt/FinInstnId/BICFI"},
		{"creditor name", func(c *Collection) { c.Creditor.Name = "🎉" }, ErrMissing, "", "Cdtr/Nm"},
		{"no batches", func(c *Collection) { c.Batches = nil }, ErrEmpty, "", "PmtInf"},
		{"empty batch", func(c *Collection) { c.Batches[1].Debits = nil }, ErrEmpty, "", "DrctDbtTxInf"},
		{"batch sequence", func(c *Collection) { c.Batches[0].Sequence = "RPRE" }, ErrSequence, "", "PmtTpInf/SeqTp"},
		{"duplicate batch id", func(c *Collection) { c.Batches[1].PaymentInfoID = c.Batches[0].PaymentInfoID }, ErrDuplicate, "", "PmtInfId"},
		{"no collection date", func(c *Collection) { c.Batches[0].Collection = time.Time{} }, ErrDate, "", "ReqdColltnDt"},
		{"collection date in the past", func(c *Collection) { c.Batches[1].Collection = date(2026, 12, 6) }, ErrDate, "", "ReqdColltnDt"},
		{"debit sequence differs", func(c *Collection) { c.Batches[1].Debits[0].Sequence = SeqFirst }, ErrSequence, "INV-2026-0004", "PmtTpInf/SeqTp"},
		{"end-to-end id too long", func(c *Collection) { c.Batches[0].Debits[0].EndToEndID = strings.Repeat("E", 36) }, ErrIdentifier, strings.Repeat("E", 36), "PmtId/EndToEndId"},
		{"end-to-end id with //", func(c *Collection) { c.Batches[0].Debits[0].EndToEndID = "INV//1" }, ErrIdentifier, "INV//1", "PmtId/EndToEndId"},
		{"end-to-end id with space", func(c *Collection) { c.Batches[0].Debits[0].EndToEndID = "INV 1" }, ErrIdentifier, "INV 1", "PmtId/EndToEndId"},
		{"duplicate end-to-end id", func(c *Collection) { c.Batches[1].Debits[1].EndToEndID = "INV-2026-0001" }, ErrDuplicate, "INV-2026-0001", "PmtId/EndToEndId"},
		{"mandate id missing", func(c *Collection) { c.Batches[0].Debits[1].MandateID = "" }, ErrMissing, "INV-2026-0002", "DrctDbtTx/MndtRltdInf/MndtId"},
		{"mandate id starts with /", func(c *Collection) { c.Batches[0].Debits[1].MandateID = "/M1" }, ErrIdentifier, "INV-2026-0002", "DrctDbtTx/MndtRltdInf/MndtId"},
		{"mandate not signed", func(c *Collection) { c.Batches[0].Debits[0].MandateSigned = time.Time{} }, ErrDate, "INV-2026-0001", "DrctDbtTx/MndtRltdInf/DtOfSgntr"},
		{"mandate signed after collection", func(c *Collection) { c.Batches[0].Debits[0].MandateSigned = date(2026, 12, 23) }, ErrDate, "INV-2026-0001", "DrctDbtTx/MndtRltdInf/DtOfSgntr"},
		{"zero amount", func(c *Collection) { c.Batches[0].Debits[0].Amount = 0 }, ErrAmount, "INV-2026-0001", "InstdAmt"},
		{"negative amount", func(c *Collection) { c.Batches[0].Debits[0].Amount = -100 }, ErrAmount, "INV-2026-0001", "InstdAmt"},
		{"amount above the SEPA maximum", func(c *Collection) { c.Batches[0].Debits[0].Amount = 100_000_000_000 }, ErrAmount, "INV-2026-0001", "InstdAmt"},
		{"debtor IBAN", func(c *Collection) { c.Batches[0].Debits[0].Debtor.IBAN = "DE02120300000000202052" }, sepa.ErrIBANChecksum, "INV-2026-0001", "DbtrAcct/Id/IBAN"},
		{"debtor IBAN length", func(c *Collection) { c.Batches[0].Debits[0].Debtor.IBAN = "DE0212030000000020205" }, sepa.ErrIBAN, "INV-2026-0001", "DbtrAcct/Id/IBAN"},
		{"debtor IBAN missing", func(c *Collection) { c.Batches[0].Debits[0].Debtor.IBAN = "" }, ErrMissing, "INV-2026-0001", "DbtrAcct/Id/IBAN"},
		{"debtor IBAN outside SEPA", func(c *Collection) { c.Batches[0].Debits[0].Debtor.IBAN = "TR330006100519786457841326" }, ErrNotSEPA, "INV-2026-0001", "DbtrAcct/Id/IBAN"},
		{"debtor BIC", func(c *Collection) { c.Batches[0].Debits[0].Debtor.BIC = "byladem1001" }, sepa.ErrBIC, "INV-2026-0001", "DbtrAgt/FinInstnId/BICFI"},
		{"debtor name", func(c *Collection) { c.Batches[0].Debits[0].Debtor.Name = "  " }, ErrMissing, "INV-2026-0001", "Dbtr/Nm"},
		{"Swiss debtor without address", func(c *Collection) {
			d := &c.Batches[1].Debits[1].Debtor
			d.Address, d.PostCode, d.Town, d.Country = nil, "", "", ""
		}, ErrAddress, "INV-2026-0005", "Dbtr/PstlAdr"},
		{"address without town", func(c *Collection) { c.Batches[1].Debits[1].Debtor.Town = "" }, ErrAddress, "INV-2026-0005", "Dbtr/PstlAdr/TwnNm"},
		{"address with three lines", func(c *Collection) { c.Batches[1].Debits[1].Debtor.Address = []string{"a", "b", "c"} }, ErrAddress, "INV-2026-0005", "Dbtr/PstlAdr/AdrLine"},
		{"address country", func(c *Collection) { c.Batches[1].Debits[1].Debtor.Country = "Schweiz" }, ErrAddress, "INV-2026-0005", "Dbtr/PstlAdr/Ctry"},
		{"empty amendment", func(c *Collection) { c.Batches[0].Debits[1].Amendment = &Amendment{} }, ErrAmendment, "INV-2026-0002", "DrctDbtTx/MndtRltdInf/AmdmntInfDtls"},
		{"amendment of the same mandate id", func(c *Collection) { c.Batches[0].Debits[1].Amendment.OriginalMandateID = "MNDT-K3002-2" }, ErrAmendment, "INV-2026-0002", "DrctDbtTx/MndtRltdInf/AmdmntInfDtls/OrgnlMndtId"},
		{"amendment IBAN and SMNDA", func(c *Collection) { c.Batches[0].Debits[2].Amendment.SameBankChanged = true }, ErrAmendment, "INV-2026-0003", "DrctDbtTx/MndtRltdInf/AmdmntInfDtls/OrgnlDbtrAcct"},
		{"amendment IBAN unchanged", func(c *Collection) {
			c.Batches[0].Debits[2].Amendment.OriginalDebtorIBAN = "DE44 5001 0517 5407 3249 31"
		}, ErrAmendment, "INV-2026-0003", "DrctDbtTx/MndtRltdInf/AmdmntInfDtls/OrgnlDbtrAcct/Id/IBAN"},
		{"amendment IBAN invalid", func(c *Collection) { c.Batches[0].Debits[2].Amendment.OriginalDebtorIBAN = "DE12500105170648489891" }, sepa.ErrIBANChecksum, "INV-2026-0003", "DrctDbtTx/MndtRltdInf/AmdmntInfDtls/OrgnlDbtrAcct/Id/IBAN"},
		{"amendment creditor id", func(c *Collection) { c.Batches[0].Debits[1].Amendment.OriginalCreditorID = "DE00ZZZ09999999999" }, sepa.ErrCreditorID, "INV-2026-0002", "DrctDbtTx/MndtRltdInf/AmdmntInfDtls/OrgnlCdtrSchmeId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := coreCollection()
			tt.change(&c)
			var buf bytes.Buffer
			err := WriteCollection(&buf, c)
			if !errors.Is(err, tt.err) {
				t.Fatalf("WriteCollection = %v, want %v", err, tt.err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%v is not a FieldError", err)
			}
			if fe.EndToEndID != tt.e2e || fe.Field != tt.field || !errors.Is(fe, tt.err) {
				t.Errorf("first error names %q %q (%v), want %q %q", fe.EndToEndID, fe.Field, fe.Err, tt.e2e, tt.field)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
			if tt.e2e != "" && !strings.Contains(err.Error(), tt.e2e) {
				t.Errorf("error %q does not name the debit", err)
			}
		})
	}
}

func TestWriteCollectionReportsEveryDebit(t *testing.T) {
	t.Parallel()
	c := coreCollection()
	c.Batches[0].Debits[0].Amount = 0
	c.Batches[1].Debits[1].Debtor.IBAN = "CH9300762011623852958"
	c.Batches[1].Debits[0].EndToEndID = ""
	err := WriteCollection(&bytes.Buffer{}, c)
	var got []string
	for _, fe := range FieldErrors(err) {
		got = append(got, fe.Error())
	}
	want := []string{
		`transaction "INV-2026-0001": InstdAmt: 0.00 EUR: invalid amount`,
		`batch "DEMO-RCUR-20261210" transaction 1: PmtId/EndToEndId: required field missing`,
		`transaction "INV-2026-0005": DbtrAcct/Id/IBAN: "CH9300762011623852958": IBAN check digits do not match`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestWriteCollectionCapsErrors(t *testing.T) {
	t.Parallel()
	c := coreCollection()
	debits := make([]DirectDebit, 150)
	for i := range debits {
		debits[i] = c.Batches[0].Debits[0]
		debits[i].EndToEndID = "E" + strconv.Itoa(i)
		debits[i].Amount = -1
	}
	c.Batches[0].Debits = debits
	err := WriteCollection(&bytes.Buffer{}, c)
	if !errors.Is(err, ErrAmount) || !strings.Contains(err.Error(), "50 more errors not shown") {
		t.Errorf("WriteCollection = %.200v…, want 100 errors and a note of 50 more", err)
	}
}

func TestWritePayoutRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(p *Payout)
		err    error
		e2e    string
		field  string
	}{
		{"message id", func(p *Payout) { p.MessageID = "" }, ErrMissing, "", "GrpHdr/MsgId"},
		{"payment information id", func(p *Payout) { p.PaymentInfoID = strings.Repeat("P", 36) }, ErrIdentifier, "", "PmtInfId"},
		{"no execution date", func(p *Payout) { p.Execution = time.Time{} }, ErrDate, "", "ReqdExctnDt/Dt"},
		{"execution date in the past", func(p *Payout) { p.Execution = date(2026, 12, 6) }, ErrDate, "", "ReqdExctnDt/Dt"},
		{"no transfers", func(p *Payout) { p.Transfers = nil }, ErrEmpty, "", "CdtTrfTxInf"},
		{"debtor IBAN", func(p *Payout) { p.Debtor.IBAN = "DE89370400440532013001" }, sepa.ErrIBANChecksum, "", "DbtrAcct/Id/IBAN"},
		{"payee IBAN", func(p *Payout) { p.Transfers[1].Creditor.IBAN = "FR1420041010050500013M02607" }, sepa.ErrIBANChecksum, "CB-K3002-20261207", "CdtrAcct/Id/IBAN"},
		{"payee BIC", func(p *Payout) { p.Transfers[0].Creditor.BIC = "BYLADEM10" }, sepa.ErrBIC, "CB-K3001-20261207", "CdtrAgt/FinInstnId/BICFI"},
		{"payee name", func(p *Payout) { p.Transfers[0].Creditor.Name = "" }, ErrMissing, "CB-K3001-20261207", "Cdtr/Nm"},
		{"amount", func(p *Payout) { p.Transfers[0].Amount = 0 }, ErrAmount, "CB-K3001-20261207", "Amt/InstdAmt"},
		{"duplicate end-to-end id", func(p *Payout) { p.Transfers[1].EndToEndID = p.Transfers[0].EndToEndID }, ErrDuplicate, "CB-K3001-20261207", "PmtId/EndToEndId"},
		{"payee in the UK without payer address", func(p *Payout) { p.Transfers[1].Creditor.IBAN = "GB82WEST12345698765432" }, ErrAddress, "", "Dbtr/PstlAdr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := payout()
			tt.change(&p)
			var buf bytes.Buffer
			err := WritePayout(&buf, p)
			if !errors.Is(err, tt.err) {
				t.Fatalf("WritePayout = %v, want %v", err, tt.err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%v is not a FieldError", err)
			}
			if fe.EndToEndID != tt.e2e || fe.Field != tt.field {
				t.Errorf("first error names %q %q (%v), want %q %q", fe.EndToEndID, fe.Field, fe.Err, tt.e2e, tt.field)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
}

func TestPayoutOutsideEEAWithAddress(t *testing.T) {
	t.Parallel()
	p := payout()
	p.Transfers[1].Creditor.IBAN = "GB82WEST12345698765432"
	p.Debtor.Address = []string{"Hauptstraße 5"}
	p.Debtor.PostCode, p.Debtor.Town, p.Debtor.Country = "10115", "Berlin", "DE"
	var buf bytes.Buffer
	if err := WritePayout(&buf, p); err != nil {
		t.Fatal(err)
	}
	validate(t, "pain.001.001.09.xsd", buf.Bytes())
	if !bytes.Contains(buf.Bytes(), []byte("<AdrLine>Hauptstrasse 5</AdrLine>")) {
		t.Errorf("payer's address missing:\n%s", buf.Bytes())
	}
}

func TestAddSum(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b, want int64 }{
		{0, 1, 1},
		{maxSum - 1, 1, maxSum},
		{maxSum, 1, -1},
		{maxSum - maxAmount + 1, maxAmount, -1},
		{-1, 5, -1},
		{1 << 62, 1 << 62, -1},
	}
	for _, tt := range tests {
		if got := addSum(tt.a, tt.b); got != tt.want {
			t.Errorf("addSum(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

var errDisk = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return w.n, errDisk
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	if err := WriteCollection(&failWriter{n: 100}, coreCollection()); !errors.Is(err, errDisk) {
		t.Errorf("WriteCollection = %v, want %v", err, errDisk)
	}
	if err := WritePayout(&failWriter{n: 100}, payout()); !errors.Is(err, errDisk) {
		t.Errorf("WritePayout = %v, want %v", err, errDisk)
	}
}

// TestSchemaCatchesBreakage makes sure the XSD check of the other tests
// can fail: the written file, broken in ways the rulebook cares about, is
// refused by the schema.
func TestSchemaCatchesBreakage(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := WriteCollection(&buf, coreCollection()); err != nil {
		t.Fatal(err)
	}
	s, err := xsd.Load(os.DirFS("testdata"), "pain.008.001.08.xsd")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to string }{
		{"<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>FREE</ChrgBr>"},
		{"<SeqTp>FRST</SeqTp>", "<SeqTp>FIRST</SeqTp>"},
		{"<EndToEndId>INV-2026-0001</EndToEndId>", "<EndToEndId>" + strings.Repeat("X", 36) + "</EndToEndId>"},
		{">119.00<", ">119.001234<"},
		{"<IBAN>DE02120300000000202051</IBAN>", "<IBAN>de02120300000000202051</IBAN>"},
	} {
		broken := bytes.Replace(buf.Bytes(), []byte(tc.from), []byte(tc.to), 1)
		if bytes.Equal(broken, buf.Bytes()) {
			t.Fatalf("%q not in the output", tc.from)
		}
		if problems := s.Validate(bytes.NewReader(broken)); len(problems) == 0 {
			t.Errorf("%s -> %s: no problem found", tc.from, tc.to)
		}
	}
}
