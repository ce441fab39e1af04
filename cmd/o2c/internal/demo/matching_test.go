package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

// erikaIBAN is the account K-1001's transfer in the demo statement comes
// from, which confirming its proposal teaches matching.
const erikaIBAN = "DE75512108001245126199"

// camtEntry is one entry of a generated camt.053: amount in cents, signed.
type camtEntry struct {
	ref, code, e2e, mandate, remittance, party, iban, returnReason string
	amount, charges                                                int64
}

// camtStatement writes a camt.053.001.08 of the demo's account for day
// (2026-11-DD) with sequence number seq, opening at opening cents, with
// entries; the closing balance is the opening plus the entries.
func camtStatement(seq, day int, opening int64, entries ...camtEntry) []byte {
	eur := func(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
	closing := opening
	var b strings.Builder
	for _, e := range entries {
		closing += e.amount
		ind, party, acct, amt := "CRDT", "Dbtr", "DbtrAcct", e.amount
		if e.amount < 0 {
			ind, party, acct, amt = "DBIT", "Cdtr", "CdtrAcct", -e.amount
		}
		fam, sub, _ := strings.Cut(e.code, "/")
		refs := "<EndToEndId>" + e.e2e + "</EndToEndId>"
		if e.mandate != "" {
			refs += "<MndtId>" + e.mandate + "</MndtId>"
		}
		extra := ""
		if e.charges != 0 {
			extra += `<Chrgs><Rcrd><Amt Ccy="EUR">` + eur(e.charges) + `</Amt><CdtDbtInd>DBIT</CdtDbtInd></Rcrd></Chrgs>`
		}
		if e.returnReason != "" {
			extra += "<RtrInf><Rsn><Cd>" + e.returnReason + "</Cd></Rsn></RtrInf>"
		}
		fmt.Fprintf(&b, `
      <Ntry>
        <NtryRef>%[1]s</NtryRef><Amt Ccy="EUR">%[2]s</Amt><CdtDbtInd>%[3]s</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-11-%[4]d</Dt></BookgDt><ValDt><Dt>2026-11-%[4]d</Dt></ValDt><AcctSvcrRef>202611%[4]d%[1]s</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>%[5]s</Cd><SubFmlyCd>%[6]s</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs>%[7]s</Refs>
          <Amt Ccy="EUR">%[2]s</Amt><CdtDbtInd>%[3]s</CdtDbtInd>
          <RltdPties><%[8]s><Pty><Nm>%[9]s</Nm></Pty></%[8]s><%[10]s><Id><IBAN>%[11]s</IBAN></Id></%[10]s></RltdPties>
          <RmtInf><Ustrd>%[12]s</Ustrd></RmtInf>%[13]s
        </TxDtls></NtryDtls>
      </Ntry>`, e.ref, eur(amt), ind, day, fam, sub, refs, party, e.party, acct, e.iban, e.remittance, extra)
	}
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>DEMO-053-202611%[1]d</MsgId><CreDtTm>2026-11-%[1]dT22:05:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>DEMO-STMT-2026-11-%[1]d</Id><ElctrncSeqNb>%[2]d</ElctrncSeqNb><LglSeqNb>%[2]d</LglSeqNb>
      <CreDtTm>2026-11-%[1]dT22:05:00+01:00</CreDtTm>
      <Acct><Id><IBAN>%[3]s</IBAN></Id><Ccy>EUR</Ccy><Ownr><Nm>Demo Shop GmbH</Nm></Ownr></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%[4]s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-%[1]d</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%[5]s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-%[1]d</Dt></Dt></Bal>%[6]s
    </Stmt>
  </BkToCstmrStmt>
</Document>
`, day, seq, DemoIBAN, eur(opening), eur(closing), b.String())
}

// openOf returns debtor's open items in the ledger by document number.
func openOf(ctx context.Context, sys *System, debtor string) (map[string]int64, error) {
	r, err := ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name)).ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant, DebtorId: debtor})
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, it := range r.GetOpenItems() {
		out[it.GetDocumentNumber()] += it.GetOpenAmount().GetMinorUnits()
	}
	return out, nil
}

// waitOpen polls the ledger until want(debtor's open items) holds and
// returns them; on timeout the test fails with the last ones.
func waitOpen(ctx context.Context, t *testing.T, sys *System, debtor, what string, want func(map[string]int64) bool) map[string]int64 {
	t.Helper()
	var last map[string]int64
	err := poll(ctx, func() (bool, error) {
		var err error
		last, err = openOf(ctx, sys, debtor)
		return err == nil && want(last), err
	})
	if err != nil {
		t.Fatalf("waiting until %s: %v; %s's open items: %v; matching's decisions:\n%s", what, err, debtor, last, decisionsText(sys))
	}
	return last
}

// decisionsText lists matching's decisions of the demo tenant, one line
// each, for a failure message: what a payment that did not book became.
func decisionsText(sys *System) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := matchingv1grpc.NewMatchingServiceClient(sys.Conn(matching.Name)).ListExceptions(ctx, &matchingv1.ListExceptionsRequest{
		Tenant: Tenant, States: []matchingv1.ExceptionState{matchingv1.ExceptionState_EXCEPTION_STATE_OPEN,
			matchingv1.ExceptionState_EXCEPTION_STATE_PARKED, matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED,
			matchingv1.ExceptionState_EXCEPTION_STATE_SPLIT}})
	if err != nil {
		return "  (cannot list: " + err.Error() + ")"
	}
	var b strings.Builder
	for _, e := range r.GetExceptions() {
		fmt.Fprintf(&b, "  %s %s %q: %s %s score %d: %s\n", e.GetPayment().GetPaymentId(), e.GetPayment().GetAmount(),
			e.GetPayment().GetRemittance(), e.GetState(), e.GetDecision(), e.GetScore(), e.GetExplanation())
	}
	return b.String()
}

// paymentsFee returns the balance of the ledger's payment fees account
// (SKR03 4970) in cents.
func paymentsFee(ctx context.Context, t *testing.T, sys *System) int64 {
	t.Helper()
	r, err := ledgerv1grpc.NewLedgerQueryServiceClient(sys.Conn(ledger.Name)).GetAccountBalance(ctx, &ledgerv1.GetAccountBalanceRequest{Tenant: Tenant, Account: "4970", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, b := range r.GetBalances() {
		sum += b.GetBalance().GetMinorUnits()
	}
	return sum
}

// TestReturnedDirectDebitReopensTheItem runs the system as the demo does
// up to K-1001's transfer confirmed from the exception queue, then imports
// two more statements through ingestion as `o2c import` does. On the 19th:
// a transfer from K-1001's account naming nothing, which matching books by
// itself because confirming the transfer taught it the IBAN, and a SEPA
// direct debit collecting a new invoice by its mandate. On the 20th: the
// direct debit comes back (AM04, 3.50 charged by the bank). The ledger
// then holds the invoice open again, the charge passed on to K-1001 as an
// item of its own, and the bank's fee booked as an expense; and its DSO
// report of November has a match rate from matching's decisions.
func TestReturnedDirectDebitReopensTheItem(t *testing.T) {
	ctx := context.Background()
	sys, err := Start(ctx, Options{DatabaseURL: pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	if _, err := Publish(ctx, sys, telemetry.Providers{}); err != nil {
		t.Fatal(err)
	}
	items, err := WaitForOpenItems(ctx, sys.Conn(ledger.Name), ExpectedOpenItems)
	if err != nil {
		t.Fatal(err)
	}
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	if err := WaitForMatchingItems(ctx, js); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportBankFiles(ctx, sys.Conn(ingestion.Name)); err != nil {
		t.Fatal(err)
	}
	if err := MatchStatement(ctx, io.Discard, sys, items); err != nil {
		t.Fatal(err)
	}
	waitOpen(ctx, t, sys, StatementDebtor, "K-1001's transfer is booked", func(o map[string]int64) bool {
		return len(o) == 1 && o["RE-2026-1004"] == 2490
	})

	// A new invoice of K-1001, collected by direct debit.
	inv := invoice("RE-2026-1006", "WEB-50006", &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		&shopv1.Debtor{CustomerId: StatementDebtor, Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Erika Mustermann", Email: "erika@example.org"},
		date(2026, 11, 10), &shopv1.PaymentTerms{NetDays: 14}, line{"Milchaufschäumer", "1", 5000, 1900})
	publishInvoice(ctx, t, sys, inv)
	waitOpen(ctx, t, sys, StatementDebtor, "RE-2026-1006 is open", func(o map[string]int64) bool { return o["RE-2026-1006"] == 5950 })
	if err := WaitForMatchingItems(ctx, js); err != nil {
		t.Fatal(err)
	}
	feesBefore := paymentsFee(ctx, t, sys)

	client := ingestionv1grpc.NewImportServiceClient(sys.Conn(ingestion.Name))
	const mandate = "MNDT-K-1001-01"
	day19 := camtStatement(219, 19, StatementClosing,
		camtEntry{ref: "1", code: "RCDT/ESCT", e2e: "NOTPROVIDED", remittance: "Danke fuer die schnelle Lieferung", party: "Erika Mustermann", iban: erikaIBAN, amount: 2490},
		camtEntry{ref: "2", code: "IDDT/ESDD", e2e: "RE-2026-1006", mandate: mandate, remittance: "RE-2026-1006 Milchaufschaeumer", party: "Erika Mustermann", iban: erikaIBAN, amount: 5950})
	if r, err := importFile(ctx, client, BankFile{Name: "camt053_demo_2026-11-19.xml", Data: day19}); err != nil || r.GetCounts().GetNew() != 2 {
		t.Fatalf("import the 19th: %v, %v", r, err)
	}
	waitOpen(ctx, t, sys, StatementDebtor, "the transfer and the direct debit are booked", func(o map[string]int64) bool { return len(o) == 0 })
	decisions, err := matchingv1grpc.NewMatchingServiceClient(sys.Conn(matching.Name)).ListExceptions(ctx, &matchingv1.ListExceptionsRequest{
		Tenant: Tenant, States: []matchingv1.ExceptionState{matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range decisions.GetExceptions() {
		if e.GetPayment().GetRemittance() != "Danke fuer die schnelle Lieferung" {
			continue
		}
		if e.GetDecision() != matchingv1.DecisionKind_DECISION_KIND_AUTO || e.GetMatch().GetDebtorId() != StatementDebtor {
			t.Errorf("the transfer from K-1001's IBAN was decided %v for %q (%s); want auto for K-1001, whose IBAN a clerk confirmed",
				e.GetDecision(), e.GetMatch().GetDebtorId(), e.GetExplanation())
		}
	}

	day20 := camtStatement(220, 20, StatementClosing+2490+5950,
		camtEntry{ref: "1", code: "IDDT/UPDD", e2e: "RE-2026-1006", mandate: mandate, remittance: "RUECKLASTSCHRIFT RE-2026-1006 AM04 Deckung unzureichend",
			party: "Erika Mustermann", iban: erikaIBAN, returnReason: "AM04", amount: -6300, charges: 350})
	if r, err := importFile(ctx, client, BankFile{Name: "camt053_demo_2026-11-20.xml", Data: day20}); err != nil || r.GetCounts().GetNew() != 1 {
		t.Fatalf("import the 20th: %v, %v", r, err)
	}
	open := waitOpen(ctx, t, sys, StatementDebtor, "the return reopens RE-2026-1006 and passes the charge on", func(o map[string]int64) bool {
		var sum int64
		for _, v := range o {
			sum += v
		}
		return o["RE-2026-1006"] == 5950 && sum == 5950+350
	})
	if len(open) != 2 {
		t.Errorf("K-1001's open items after the return: %v; want RE-2026-1006 again and the 3.50 charge", open)
	}
	poll(ctx, func() (bool, error) { return paymentsFee(ctx, t, sys) == feesBefore+350, nil })
	if got := paymentsFee(ctx, t, sys); got != feesBefore+350 {
		t.Errorf("payment fees (4970) %d after the return, want %d: the bank's 3.50 booked as an expense", got, feesBefore+350)
	}
	// The bank account's books follow the statements: the return's 63.00
	// left it as the bank says.
	var recs []*ledgerv1.BankReconciliation
	err = poll(ctx, func() (bool, error) {
		r, err := ledgerv1grpc.NewLedgerQueryServiceClient(sys.Conn(ledger.Name)).ListBankReconciliations(ctx,
			&ledgerv1.ListBankReconciliationsRequest{Tenant: Tenant, Iban: DemoIBAN})
		recs = r.GetReconciliations()
		for _, rec := range recs {
			if rec.GetStatementId() == "DEMO-STMT-2026-11-20" {
				return rec.GetDifference().GetMinorUnits() == 0, err
			}
		}
		return false, err
	})
	if err != nil {
		t.Errorf("the statement of the 20th does not reconcile: %v (%v)", recs, err)
	}

	// The ledger's DSO of November knows who decided the month's
	// payments: a clerk K-1001's first transfer, matching the 19th's by
	// itself, so the match rate lies strictly between none and all.
	var row *ledgerv1.DSORow
	err = poll(ctx, func() (bool, error) {
		st, err := ledgerv1grpc.NewReportServiceClient(sys.Conn(ledger.Name)).DSO(ctx, &ledgerv1.DSORequest{Tenant: Tenant,
			From: date(2026, 11, 1), AsOf: date(2026, 11, 30)})
		if err != nil {
			return false, err
		}
		resp, err := st.Recv()
		if err != nil || len(resp.GetRows()) != 1 {
			return false, err
		}
		row = resp.GetRows()[0]
		return row.GetHasMatchRate() && row.GetMatchRateBasisPoints() > 0 && row.GetMatchRateBasisPoints() < 10000, nil
	})
	if err != nil {
		t.Errorf("November's DSO %v (%v): want a match rate between 0 and 100 %%", row, err)
	}
	t.Logf("November's match rate: %d basis points; cleared %d", row.GetMatchRateBasisPoints(), row.GetCleared().GetMinorUnits())
}

// publishInvoice publishes inv on shop.demo.invoice.issued as the demo
// shop does.
func publishInvoice(ctx context.Context, t *testing.T, sys *System, inv *shopv1.InvoiceIssued) {
	t.Helper()
	js, closeNATS, err := sys.JetStream(natsembed.ShopUser(Tenant))
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	msg := nats.NewMsg("shop." + Tenant + ".invoice.issued")
	if msg.Data, err = proto.Marshal(inv); err != nil {
		t.Fatal(err)
	}
	msg.Header.Set("Content-Type", "application/protobuf")
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		t.Fatal(err)
	}
}
