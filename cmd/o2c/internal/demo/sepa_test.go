package demo

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/xsd"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

// The official schemas: pain in libs/formats/pain/testdata, camt in
// libs/xsd/testdata/schemas.
var (
	painSchemas = os.DirFS("../../../../libs/formats/pain/testdata")
	camtSchemas = os.DirFS("../../../../libs/xsd/testdata/schemas")
)

// checkXSD validates doc against the official schema name in schemas.
func checkXSD(t testing.TB, schemas fs.FS, name string, doc []byte) {
	t.Helper()
	s, err := xsd.Load(schemas, name)
	if err != nil {
		t.Fatal(err)
	}
	if problems := s.Validate(bytes.NewReader(doc)); len(problems) > 0 {
		t.Errorf("%s: %v", name, problems)
	}
}

// TestSepaStory runs the demo's SEPA story against every service, after
// the demo's statement of 18 November as in the demo: the direct-debit
// invoice is pre-notified on its issue day for its due date
// (FRST, 14 days ahead) and submitted one business day before it in a
// pain.008 that validates against the XSD, a rerun submits nothing and
// gives the same file back, the statement's collection clears the item
// by its end-to-end id and the next run books the debit (the mandate
// goes on to RCUR); the credit balance of the return is released and
// paid out in a pain.001 that validates, to the mandate's IBAN. Then the
// collection is returned (AC04): the ledger reopens the invoice, the debit
// is returned and the mandate unusable.
func TestSepaStory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts every service with PostgreSQL and NATS")
	}
	ctx := context.Background()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})
	dir := t.TempDir()
	sys, err := Start(ctx, Options{DatabaseURL: dbURL, Outbox: t.TempDir(), SepaDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	// As in the demo, the story follows the statement of 18 November,
	// which matching decided on real time.
	if _, err := Publish(ctx, sys, telemetry.Providers{}); err != nil {
		t.Fatal(err)
	}
	items, err := WaitForOpenItems(ctx, sys.Conn(ledger.Name), ExpectedOpenItems)
	if err != nil {
		t.Fatal(err)
	}
	if err := WaitForMatchingItems(ctx, js); err != nil {
		t.Fatal(err)
	}
	if err := importBank(ctx, io.Discard, sys, js); err != nil {
		t.Fatal(err)
	}
	if err := MatchStatement(ctx, io.Discard, sys, items); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := Sepa(ctx, &out, sys, js)
	if err != nil {
		t.Fatalf("%v\noutput so far:\n%s", err, out.String())
	}
	t.Logf("the demo's SEPA story:\n%s", out.String())

	debits := func(ds []*matchingv1.Debit) []string {
		var s []string
		for _, d := range ds {
			s = append(s, strings.Join([]string{d.GetDebtorId(), d.GetDocumentNumber(), d.GetSequence(), table.Date(d.GetCollectionDate()),
				table.Money(d.GetAmount().GetMinorUnits(), "EUR"), d.GetState()}, " "))
		}
		return s
	}
	if diff := cmp.Diff([]string{"K-4001 RE-2026-1010 FRST 2026-11-23 93.90 prenotified"}, debits(res.PreNotify.GetPreNotified())); diff != "" {
		t.Errorf("pre-notified on %s (-want +got):\n%s", table.Date(SepaInvoiceDay), diff)
	}
	if len(res.PreNotify.GetFiles()) != 0 || len(res.PreNotify.GetSubmitted()) != 0 {
		t.Errorf("the pre-notifying run wrote %v: nothing is collected before the debtor was told", res.PreNotify.GetFiles())
	}
	for _, want := range []string{SepaMandate, SepaCreditorID, SepaInvoice, "93.90", "2026-11-23"} {
		if !strings.Contains(res.PreNotification, want) {
			t.Errorf("the pre-notification does not say %q:\n%s", want, res.PreNotification)
		}
	}
	if diff := cmp.Diff([]string{"K-4001 RE-2026-1010 FRST 2026-11-23 93.90 submitted"}, debits(res.Submit.GetSubmitted())); diff != "" {
		t.Errorf("submitted on %s (-want +got):\n%s", table.Date(SepaSubmitDay), diff)
	}
	file := res.Submit.GetFiles()[0]
	if filepath.Dir(file.GetPath()) != filepath.Join(dir, Tenant) {
		t.Errorf("pain.008 at %s, want in %s", file.GetPath(), filepath.Join(dir, Tenant))
	}
	content, err := os.ReadFile(file.GetPath())
	if err != nil {
		t.Fatal(err)
	}
	checkXSD(t, painSchemas, "pain.008.001.08.xsd", content)
	e2e := res.Submit.GetSubmitted()[0].GetEndToEndId()
	for _, want := range []string{"<SeqTp>FRST</SeqTp>", "<EndToEndId>" + e2e + "</EndToEndId>", "<MndtId>" + SepaMandate + "</MndtId>",
		"<ReqdColltnDt>2026-11-23</ReqdColltnDt>", "<Id>" + SepaCreditorID + "</Id>", "<IBAN>" + SepaDebtorIBAN + "</IBAN>",
		`<InstdAmt Ccy="EUR">93.90</InstdAmt>`} {
		if !bytes.Contains(content, []byte(want)) {
			t.Errorf("the pain.008 lacks %s", want)
		}
	}
	if len(res.Again.GetSubmitted()) != 0 || len(res.Again.GetFiles()) != 1 || res.Again.GetFiles()[0].GetName() != file.GetName() {
		t.Errorf("the rerun submitted %v and gave files %v; want nothing submitted and %s back", debits(res.Again.GetSubmitted()),
			fileNames(res.Again.GetFiles()), file.GetName())
	}
	checkXSD(t, camtSchemas, "camt.053.001.08.xsd", res.Statement)
	if diff := cmp.Diff([]string{"K-4001 RE-2026-1010 FRST 2026-11-23 93.90 booked"}, debits(res.Debits)); diff != "" {
		t.Errorf("debits once the statement was taken in (-want +got):\n%s", diff)
	}
	if res.MandateAfter.GetNextSequence() != "RCUR" {
		t.Errorf("the mandate's next collection is %q after the booked FRST, want RCUR", res.MandateAfter.GetNextSequence())
	}

	var paid []string
	for _, d := range res.Payouts.GetDue() {
		if d.GetReleased() {
			paid = append(paid, d.GetDebtorId()+" "+table.Money(d.GetAmount().GetMinorUnits(), "EUR"))
		}
	}
	if diff := cmp.Diff([]string{"K-4001 59.90"}, paid); diff != "" {
		t.Errorf("released on %s (-want +got):\n%s", table.Date(SepaPayoutDay), diff)
	}
	pf := res.Payouts.GetFile()
	payout, err := os.ReadFile(pf.GetPath())
	if err != nil {
		t.Fatal(err)
	}
	checkXSD(t, painSchemas, "pain.001.001.09.xsd", payout)
	for _, want := range []string{"<IBAN>" + SepaDebtorIBAN + "</IBAN>", "<IBAN>" + DemoIBAN + "</IBAN>", `<InstdAmt Ccy="EUR">59.90</InstdAmt>`} {
		if !bytes.Contains(payout, []byte(want)) {
			t.Errorf("the pain.001 lacks %s", want)
		}
	}
	// The statement of the transfer: the payout is booked once, from
	// where the ledger booked the statement's debit, so the bank account
	// matches the statement's closing balance.
	checkXSD(t, camtSchemas, "camt.053.001.08.xsd", res.PayoutStatement)
	if rec := res.PayoutReconciliation; rec.GetExpected().GetMinorUnits() != SepaPayoutOpening-SepaCreditAmount || rec.GetDifference().GetMinorUnits() != 0 {
		t.Errorf("the payout's statement reconciles as %v; want closing %d, no difference", rec, SepaPayoutOpening-SepaCreditAmount)
	}
	for _, want := range []string{file.GetPath(), pf.GetPath(), res.PreNotify.GetPreNotifications()[0]} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo does not say where %s is:\n%s", filepath.Base(want), out.String())
		}
	}

	// The collection comes back: the account is closed (AC04). Matching
	// books the return of the payment with the end-to-end id, the ledger
	// reopens the invoice (in full: the credit balance was paid out, so
	// she owes what she kept and what she was paid), and the next run
	// marks the debit returned and the mandate unusable.
	ret := sepaReturnStatement(e2e, SepaInvoiceAmount, "AC04")
	checkXSD(t, camtSchemas, "camt.053.001.08.xsd", ret)
	resp, err := importFile(ctx, ingestionv1grpc.NewImportServiceClient(sys.Conn(ingestion.Name)), BankFile{Name: "camt053_demo_2026-12-03.xml", Data: ret})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetCounts().GetNew() != 1 {
		t.Fatalf("the return's statement: %v", resp)
	}
	reopened, err := waitForDebtorItems(ctx, ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name)), SepaDebtor, 1)
	if err != nil {
		t.Fatal(err)
	}
	open := map[string]int64{}
	for _, it := range reopened {
		open[it.GetDocumentNumber()] = it.GetOpenAmount().GetMinorUnits()
	}
	if open[SepaInvoice] != SepaInvoiceAmount || len(open) != 1 {
		t.Errorf("after the return the ledger has %v open of %s; want only %s open again with %d", open, SepaDebtor, SepaInvoice, SepaInvoiceAmount)
	}
	// The run takes in what matching's read model shows, which may be a
	// little behind the ledger: it is repeated (idempotent) until the
	// debit is no longer booked, within poll's bound.
	client := matchingv1grpc.NewSepaServiceClient(sys.Conn(matching.Name))
	var states []string
	err = poll(ctx, func() (bool, error) {
		if _, err := client.Collect(ctx, &matchingv1.CollectRequest{Tenant: Tenant, Date: date(2026, 12, 3)}); err != nil {
			return false, err
		}
		lc, err := client.ListCollections(ctx, &matchingv1.ListCollectionsRequest{Tenant: Tenant, DebtorId: SepaDebtor})
		if err != nil {
			return false, err
		}
		states = states[:0]
		booked := false
		for _, d := range lc.GetDebits() {
			states = append(states, d.GetEndToEndId()+" "+d.GetState()+" "+d.GetReason())
			booked = booked || d.GetState() == "booked"
		}
		return !booked, nil
	})
	if err != nil {
		t.Errorf("waiting for the run to take the return in: %v", err)
	}
	if diff := cmp.Diff([]string{e2e + " returned AC04"}, states); diff != "" {
		t.Errorf("debits after the return (-want +got):\n%s", diff)
	}
	lm, err := client.ListMandates(ctx, &matchingv1.ListMandatesRequest{Tenant: Tenant, DebtorId: SepaDebtor})
	if err != nil {
		t.Fatal(err)
	}
	if len(lm.GetMandates()) != 1 || lm.GetMandates()[0].GetUnusableReason() != "AC04" {
		t.Errorf("the mandate after an AC04 return: %v; want it unusable (AC04)", lm.GetMandates())
	}
}

// sepaReturnStatement is the bank's camt.053 of 3 December: the collection
// of amount cents with the end-to-end id comes back with the reason code
// (PMNT/IDDT/UPDD, an unpaid direct debit), after the statement of the
// collection.
func sepaReturnStatement(e2e string, amount int64, reason string) []byte {
	opening := int64(SepaPayoutOpening - SepaCreditAmount) // after the payout's statement
	r := strings.NewReplacer("{E2E}", e2e, "{AMT}", table.Money(amount, "EUR"), "{OPEN}", table.Money(opening, "EUR"),
		"{CLOSE}", table.Money(opening-amount, "EUR"), "{IBAN}", DemoIBAN, "{DEBTOR}", SepaDebtorName, "{DEBTOR_IBAN}", SepaDebtorIBAN,
		"{MANDATE}", SepaMandate, "{REASON}", reason, "{INVOICE}", SepaInvoice)
	return []byte(r.Replace(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>DEMO-053-20261203</MsgId><CreDtTm>2026-12-03T22:05:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>DEMO-STMT-2026-12-03</Id><ElctrncSeqNb>240</ElctrncSeqNb><LglSeqNb>240</LglSeqNb>
      <CreDtTm>2026-12-03T22:05:00+01:00</CreDtTm>
      <FrToDt><FrDtTm>2026-12-03T00:00:00+01:00</FrDtTm><ToDtTm>2026-12-03T23:59:59+01:00</ToDtTm></FrToDt>
      <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy><Ownr><Nm>Demo Shop GmbH</Nm></Ownr></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{OPEN}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-03</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{CLOSE}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-03</Dt></Dt></Bal>
      <Ntry>
        <NtryRef>1</NtryRef><Amt Ccy="EUR">{AMT}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-12-03</Dt></BookgDt><ValDt><Dt>2026-12-03</Dt></ValDt><AcctSvcrRef>2026120300001</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{E2E}</EndToEndId><MndtId>{MANDATE}</MndtId></Refs>
          <Amt Ccy="EUR">{AMT}</Amt><CdtDbtInd>DBIT</CdtDbtInd>
          <RltdPties><Dbtr><Pty><Nm>{DEBTOR}</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>{DEBTOR_IBAN}</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>{INVOICE}</Ustrd></RmtInf>
          <RtrInf><Rsn><Cd>{REASON}</Cd></Rsn></RtrInf>
        </TxDtls></NtryDtls>
        <AddtlNtryInf>SEPA-Lastschrift Rueckgabe</AddtlNtryInf>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
`))
}
