package pain

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/xsd"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, berlin) }

// creditor is the tenant of the tests.
var creditor = Party{Name: "Müller & Söhne Versand GmbH", IBAN: "DE89 3704 0044 0532 0130 00", BIC: "COBADEFFXXX"}

const creditorID = "DE98ZZZ09999999999"

// coreCollection returns a SEPA Core collection with a FRST batch (a new
// mandate, an amended mandate reference, a new IBAN with the old one
// stated) and a RCUR batch (a new IBAN marked SMNDA, umlauts, a Swiss debtor with
// address, IBAN only).
func coreCollection() Collection {
	return Collection{
		MessageID:  "DEMO-20261207T091500-1",
		Created:    time.Date(2026, 12, 7, 9, 15, 0, 0, time.UTC),
		Scheme:     SchemeCore,
		Creditor:   creditor,
		CreditorID: creditorID,
		Batches: []DebitBatch{
			{
				PaymentInfoID: "DEMO-FRST-20261222", Sequence: SeqFirst, Collection: date(2026, 12, 22),
				Debits: []DirectDebit{
					{
						EndToEndID: "INV-2026-0001", MandateID: "MNDT-K3001-1", MandateSigned: date(2026, 11, 30),
						Amount:     11900,
						Debtor:     Party{Name: "Jan Schmidt", IBAN: "DE02120300000000202051", BIC: "BYLADEM1001"},
						Remittance: "Rechnung INV-2026-0001 vom 30.11.2026",
					},
					{
						EndToEndID: "INV-2026-0002", MandateID: "MNDT-K3002-2", MandateSigned: date(2025, 3, 1),
						Amendment:  &Amendment{OriginalMandateID: "MNDT-K3002-1"},
						Amount:     4250,
						Debtor:     Party{Name: "Sabine Weber", IBAN: "DE02500105170137075030"},
						Remittance: "Rechnung INV-2026-0002",
					},
					{
						EndToEndID: "INV-2026-0003", MandateID: "MNDT-K3003-1", MandateSigned: date(2024, 6, 15),
						Amendment: &Amendment{OriginalDebtorIBAN: "DE12500105170648489890"},
						Amount:    1,
						Debtor:    Party{Name: "Ömer Yılmaz", IBAN: "DE44500105175407324931"},
					},
				},
			},
			{
				PaymentInfoID: "DEMO-RCUR-20261210", Sequence: SeqRecurrent, Collection: date(2026, 12, 10),
				Debits: []DirectDebit{
					{
						EndToEndID: "INV-2026-0004", MandateID: "MNDT-K3004-1", MandateSigned: date(2023, 1, 2), Sequence: SeqRecurrent,
						Amendment:  &Amendment{SameBankChanged: true},
						Amount:     99_999_999_999,
						Debtor:     Party{Name: "Jörg Müller-Lüdenscheidt", IBAN: "DE75512108001245126199"},
						Remittance: "Abo Dezember – Straße & Hausnr. <egal> 🎉 " + strings.Repeat("x", 200),
					},
					{
						EndToEndID: "INV-2026-0005", MandateID: "MNDT-K3005-1", MandateSigned: date(2026, 1, 5),
						Amount: 2999,
						Debtor: Party{
							Name: "Zoë Brändli", IBAN: "CH9300762011623852957",
							Address: []string{"Bahnhofstrasse 1"}, PostCode: "8001", Town: "Zürich", Country: "CH",
						},
						Remittance: "Rechnung INV-2026-0005",
					},
				},
			},
		},
	}
}

// payout returns a payout of two credit balances.
func payout() Payout {
	return Payout{
		MessageID: "DEMO-PAY-20261207T091500-1",
		Created:   time.Date(2026, 12, 7, 9, 15, 0, 0, time.UTC),
		Execution: date(2026, 12, 8),
		Debtor:    creditor, PaymentInfoID: "DEMO-PAY-20261208",
		Transfers: []Transfer{
			{EndToEndID: "CB-K3001-20261207", Amount: 1550, Creditor: Party{Name: "Jan Schmidt", IBAN: "DE02120300000000202051", BIC: "BYLADEM1001"}, Remittance: "Auszahlung Guthaben Kundennr. K-3001"},
			{EndToEndID: "CB-K3002-20261207", Amount: 23, Creditor: Party{Name: "Françoise Lefèvre", IBAN: "FR1420041010050500013M02606"}, Remittance: "Auszahlung Guthaben – merci!"},
		},
	}
}

var schemas sync.Map // file name -> *xsd.Schema

// validate checks doc against the named XSD in testdata.
func validate(tb testing.TB, name string, doc []byte) {
	tb.Helper()
	s, ok := schemas.Load(name)
	if !ok {
		loaded, err := xsd.Load(os.DirFS("testdata"), name)
		if err != nil {
			tb.Fatalf("load %s: %v", name, err)
		}
		s, _ = schemas.LoadOrStore(name, loaded)
	}
	if problems := s.(*xsd.Schema).Validate(bytes.NewReader(doc)); len(problems) > 0 {
		for _, p := range problems {
			tb.Errorf("%s: %s", name, p)
		}
	}
}

// golden compares got with testdata/name, or writes it there with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Errorf("%s differs (-want +got; -update rewrites it):\n%s", name, diff)
	}
}

// The documents as read back with encoding/xml, independently of the
// writer: the fields the tests look at.
type (
	doc008 struct {
		XMLName xml.Name `xml:"urn:iso:std:iso:20022:tech:xsd:pain.008.001.08 Document"`
		GrpHdr  grpHdr   `xml:"CstmrDrctDbtInitn>GrpHdr"`
		PmtInf  []struct {
			PmtInfID   string `xml:"PmtInfId"`
			NbOfTxs    string `xml:"NbOfTxs"`
			CtrlSum    string `xml:"CtrlSum"`
			SvcLvl     string `xml:"PmtTpInf>SvcLvl>Cd"`
			LclInstrm  string `xml:"PmtTpInf>LclInstrm>Cd"`
			SeqTp      string `xml:"PmtTpInf>SeqTp"`
			Collection string `xml:"ReqdColltnDt"`
			CdtrNm     string `xml:"Cdtr>Nm"`
			CdtrIBAN   string `xml:"CdtrAcct>Id>IBAN"`
			CdtrBIC    string `xml:"CdtrAgt>FinInstnId>BICFI"`
			ChrgBr     string `xml:"ChrgBr"`
			SchemeID   string `xml:"CdtrSchmeId>Id>PrvtId>Othr>Id"`
			SchemeName string `xml:"CdtrSchmeId>Id>PrvtId>Othr>SchmeNm>Prtry"`
			Tx         []struct {
				EndToEndID string `xml:"PmtId>EndToEndId"`
				Amt        amount `xml:"InstdAmt"`
				MndtID     string `xml:"DrctDbtTx>MndtRltdInf>MndtId"`
				Signed     string `xml:"DrctDbtTx>MndtRltdInf>DtOfSgntr"`
				AmdmntInd  string `xml:"DrctDbtTx>MndtRltdInf>AmdmntInd"`
				OrgnlMndt  string `xml:"DrctDbtTx>MndtRltdInf>AmdmntInfDtls>OrgnlMndtId"`
				OrgnlCdtr  string `xml:"DrctDbtTx>MndtRltdInf>AmdmntInfDtls>OrgnlCdtrSchmeId>Id>PrvtId>Othr>Id"`
				OrgnlIBAN  string `xml:"DrctDbtTx>MndtRltdInf>AmdmntInfDtls>OrgnlDbtrAcct>Id>IBAN"`
				OrgnlAcct  string `xml:"DrctDbtTx>MndtRltdInf>AmdmntInfDtls>OrgnlDbtrAcct>Id>Othr>Id"`
				OrgnlAgt   string `xml:"DrctDbtTx>MndtRltdInf>AmdmntInfDtls>OrgnlDbtrAgt>FinInstnId>Othr>Id"`
				DbtrBIC    string `xml:"DbtrAgt>FinInstnId>BICFI"`
				DbtrAgtID  string `xml:"DbtrAgt>FinInstnId>Othr>Id"`
				DbtrNm     string `xml:"Dbtr>Nm"`
				DbtrTown   string `xml:"Dbtr>PstlAdr>TwnNm"`
				DbtrCtry   string `xml:"Dbtr>PstlAdr>Ctry"`
				DbtrIBAN   string `xml:"DbtrAcct>Id>IBAN"`
				Ustrd      string `xml:"RmtInf>Ustrd"`
			} `xml:"DrctDbtTxInf"`
		} `xml:"CstmrDrctDbtInitn>PmtInf"`
	}
	doc001 struct {
		XMLName xml.Name `xml:"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09 Document"`
		GrpHdr  grpHdr   `xml:"CstmrCdtTrfInitn>GrpHdr"`
		PmtInf  struct {
			PmtInfID  string `xml:"PmtInfId"`
			PmtMtd    string `xml:"PmtMtd"`
			NbOfTxs   string `xml:"NbOfTxs"`
			CtrlSum   string `xml:"CtrlSum"`
			SvcLvl    string `xml:"PmtTpInf>SvcLvl>Cd"`
			Execution string `xml:"ReqdExctnDt>Dt"`
			DbtrNm    string `xml:"Dbtr>Nm"`
			DbtrIBAN  string `xml:"DbtrAcct>Id>IBAN"`
			ChrgBr    string `xml:"ChrgBr"`
			Tx        []struct {
				EndToEndID string `xml:"PmtId>EndToEndId"`
				Amt        amount `xml:"Amt>InstdAmt"`
				CdtrBIC    string `xml:"CdtrAgt>FinInstnId>BICFI"`
				CdtrNm     string `xml:"Cdtr>Nm"`
				CdtrIBAN   string `xml:"CdtrAcct>Id>IBAN"`
				Ustrd      string `xml:"RmtInf>Ustrd"`
			} `xml:"CdtTrfTxInf"`
		} `xml:"CstmrCdtTrfInitn>PmtInf"`
	}
	grpHdr struct {
		MsgID   string `xml:"MsgId"`
		CreDtTm string `xml:"CreDtTm"`
		NbOfTxs string `xml:"NbOfTxs"`
		CtrlSum string `xml:"CtrlSum"`
		InitgNm string `xml:"InitgPty>Nm"`
	}
	amount struct {
		Ccy   string `xml:"Ccy,attr"`
		Value string `xml:",chardata"`
	}
)

// cents parses a decimal with exactly two places, as the writer must
// produce them, without floating point.
func cents(tb testing.TB, s string) int64 {
	tb.Helper()
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || whole == "" {
		tb.Fatalf("amount %q is not a decimal with two places", s)
	}
	var n int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			tb.Fatalf("amount %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
