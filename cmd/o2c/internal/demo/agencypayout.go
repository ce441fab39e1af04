package demo

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// DemoBankAccount is the ledger's G/L account of DemoIBAN.
const DemoBankAccount = "1200"

// AgencyIBAN is the account the reference agency pays the merchant from.
const AgencyIBAN = "DE51700500000000123456"

// AgencyPayoutRule is the demo tenant's incoming rule (bank.incoming_rules)
// that takes credits from AgencyIBAN: the agency's payouts, booked against
// its clearing account AgencyAccount instead of waiting in matching's
// queue as receipts of no debtor.
const AgencyPayoutRule = "agency-sim-payout"

// AgencyPayoutStatementID is the id of the statement that shows the
// agency's payout, and AgencyPayoutDay its day: after every other
// statement of the demo.
const AgencyPayoutStatementID = "DEMO-STMT-2026-12-INKASSO"

// AgencyPayoutDay is the day of the agency's payout.
var AgencyPayoutDay = date(2026, 12, 3)

// AgencyPayoutOutcome is what the demo's agency payout step did, for its
// test.
type AgencyPayoutOutcome struct {
	// Statement is the camt.053 imported.
	Statement []byte
	// Classification is how ingestion classified the payout's transaction.
	Classification ingestionv1.BankTransactionClassification
	// Rule is the incoming rule that classified it.
	Rule string
	// AgencyBalance is the agency's clearing account after the payout.
	AgencyBalance int64
	// Reconciliation is the statement's bank reconciliation.
	Reconciliation *ledgerv1.BankReconciliation
}

// AgencyPayout tells the end of the collections story: the reference
// agency transfers what it owes (amount, the balance of its clearing
// account after Collections) from AgencyIBAN, and the bank's statement of
// AgencyPayoutDay shows it. Ingestion's incoming rule AgencyPayoutRule
// classifies the credit as the agency's payout, the ledger books it on the
// bank account against the agency's clearing account, which is then
// settled (0), and the statement reconciles. The statement opens with the
// bank account's balance in the ledger, so the step runs after any other
// that imports a statement (and after every one of them is booked).
func AgencyPayout(ctx context.Context, out io.Writer, sys *System, js jetstream.JetStream, amount int64) (AgencyPayoutOutcome, error) {
	var res AgencyPayoutOutcome
	if amount <= 0 {
		return res, fmt.Errorf("the agency owes %s EUR: nothing to pay out", table.Money(amount, "EUR"))
	}
	opening, err := bankBalance(ctx, sys.Conn(ledger.Name))
	if err != nil {
		return res, err
	}
	res.Statement = AgencyPayoutStatement(amount, opening, AgencyPayoutDay)
	name := "camt053_demo_" + table.Date(AgencyPayoutDay) + ".xml"
	resp, err := importFile(ctx, ingestionv1grpc.NewImportServiceClient(sys.Conn(ingestion.Name)), BankFile{Name: name, Data: res.Statement})
	if err != nil {
		return res, fmt.Errorf("import %s: %w", name, err)
	}
	fmt.Fprintf(out, "\nThe agency pays out what it owes, %s EUR, from %s; the bank's statement of %s shows the credit (o2c import --tenant demo %s):\n  ",
		table.Money(amount, "EUR"), AgencyIBAN, table.Date(AgencyPayoutDay), name)
	PrintImports(out, []BankFile{{Name: name}}, []*ingestionv1.ImportResponse{resp})
	var payout *ingestionv1.BankTransactionReceived
	if _, err := ReadBankEventsUntil(ctx, js, func(ev *BankEvents) bool {
		for _, tx := range ev.Transactions {
			if tx.GetProvenance().GetStatementId() == AgencyPayoutStatementID {
				payout = tx
			}
		}
		return payout != nil
	}); err != nil {
		return res, fmt.Errorf("waiting for the transaction of statement %s: %w", AgencyPayoutStatementID, err)
	}
	res.Classification, res.Rule = payout.GetClassification(), payout.GetRule()
	if res.Classification != ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_INCOMING_CLASSIFIED {
		return res, fmt.Errorf("ingestion classified the agency's payout as %s, not by the incoming rule %s", classification(payout), AgencyPayoutRule)
	}
	fmt.Fprintf(out, "Ingestion classifies it by the tenant's incoming rule (bank.incoming_rules, the agency's IBAN): %s; matching leaves it alone.\n",
		classification(&ingestionv1.BankTransactionReceived{Classification: res.Classification, Rule: res.Rule}))
	lc := ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name))
	if res.AgencyBalance, err = WaitForAccountBalance(ctx, lc, AgencyAccount, 0); err != nil {
		return res, err
	}
	if res.Reconciliation, err = waitReconciled(ctx, sys.Conn(ledger.Name), AgencyPayoutStatementID); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "The ledger books bank account 1200 against the agency's clearing account %s, which is settled (%s EUR), and the statement reconciles (closing %s EUR, booked %s EUR).\n",
		AgencyAccount, table.Money(res.AgencyBalance, "EUR"), table.Money(res.Reconciliation.GetExpected().GetMinorUnits(), "EUR"),
		table.Money(res.Reconciliation.GetBooked().GetMinorUnits(), "EUR"))
	return res, nil
}

// bankBalance returns the balance of the demo account's G/L account (1200)
// in the ledger: what the bank shows once every statement imported so far
// is booked.
func bankBalance(ctx context.Context, conn *grpc.ClientConn) (int64, error) {
	r, err := ledgerv1grpc.NewLedgerServiceClient(conn).ListAccountBalances(ctx, &ledgerv1.ListAccountBalancesRequest{Tenant: Tenant, Account: DemoBankAccount})
	if err != nil {
		return 0, fmt.Errorf("balance of %s: %w", DemoBankAccount, err)
	}
	var have int64
	for _, b := range r.GetBalances() {
		if b.GetBalance().GetCurrency() == "EUR" {
			have = b.GetBalance().GetMinorUnits()
		}
	}
	return have, nil
}

// AgencyPayoutStatement is the bank's camt.053 of day for the demo
// account: opening at opening, one SEPA credit transfer received
// (PMNT/RCDT/ESCT) of amount cents from the reference agency's AgencyIBAN.
func AgencyPayoutStatement(amount, opening int64, day *commonv1.Date) []byte {
	return oneEntryStatement{
		ID: AgencyPayoutStatementID, Sequence: 232, Day: day, Opening: opening, Amount: amount,
		EndToEndID: "SIM-PAYOUT-" + strings.ReplaceAll(table.Date(day), "-", ""), CounterpartyName: "Reference Agency Inkasso GmbH",
		CounterpartyIBAN: AgencyIBAN, Remittance: "Auszahlung Inkasso " + table.Date(day), Info: "SEPA-Gutschrift",
	}.camt()
}

// oneEntryStatement is a day's camt.053 of the demo account with one
// SEPA credit transfer: received (Amount positive, PMNT/RCDT/ESCT) or
// issued (negative, PMNT/ICDT/ESCT).
type oneEntryStatement struct {
	ID                                 string
	Sequence                           int
	Day                                *commonv1.Date
	Opening, Amount                    int64
	EndToEndID                         string
	CounterpartyName, CounterpartyIBAN string
	Remittance, Info                   string
}

// camt renders s.
func (s oneEntryStatement) camt() []byte {
	d := table.Date(s.Day)
	indicator, family := "CRDT", "RCDT"
	debtor, debtorIBAN, creditor, creditorIBAN := s.CounterpartyName, s.CounterpartyIBAN, "Demo Shop GmbH", DemoIBAN
	amount := s.Amount
	if amount < 0 {
		indicator, family, amount = "DBIT", "ICDT", -amount
		debtor, debtorIBAN, creditor, creditorIBAN = creditor, creditorIBAN, debtor, debtorIBAN
	}
	r := strings.NewReplacer("{AMT}", table.Money(amount, "EUR"), "{OPEN}", table.Money(s.Opening, "EUR"),
		"{CLOSE}", table.Money(s.Opening+s.Amount, "EUR"), "{IBAN}", DemoIBAN, "{CDI}", indicator, "{FMLY}", family,
		"{DEBTOR}", debtor, "{DEBTOR_IBAN}", debtorIBAN, "{CREDITOR}", creditor, "{CREDITOR_IBAN}", creditorIBAN,
		"{E2E}", s.EndToEndID, "{REMIT}", s.Remittance, "{INFO}", s.Info, "{SEQ}", fmt.Sprint(s.Sequence),
		"{ID}", s.ID, "{DAY}", d, "{DAYNUM}", strings.ReplaceAll(d, "-", ""))
	return []byte(r.Replace(oneEntryStatementTemplate))
}

const oneEntryStatementTemplate = `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>DEMO-053-{DAYNUM}</MsgId><CreDtTm>{DAY}T22:05:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{ID}</Id><ElctrncSeqNb>{SEQ}</ElctrncSeqNb><LglSeqNb>{SEQ}</LglSeqNb>
      <CreDtTm>{DAY}T22:05:00+01:00</CreDtTm>
      <FrToDt><FrDtTm>{DAY}T00:00:00+01:00</FrDtTm><ToDtTm>{DAY}T23:59:59+01:00</ToDtTm></FrToDt>
      <Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy><Ownr><Nm>Demo Shop GmbH</Nm></Ownr></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{OPEN}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{DAY}</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{CLOSE}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{DAY}</Dt></Dt></Bal>
      <Ntry>
        <NtryRef>1</NtryRef><Amt Ccy="EUR">{AMT}</Amt><CdtDbtInd>{CDI}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{DAY}</Dt></BookgDt><ValDt><Dt>{DAY}</Dt></ValDt><AcctSvcrRef>{DAYNUM}00001</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{FMLY}</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{E2E}</EndToEndId></Refs>
          <Amt Ccy="EUR">{AMT}</Amt><CdtDbtInd>{CDI}</CdtDbtInd>
          <RltdPties><Dbtr><Pty><Nm>{DEBTOR}</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>{DEBTOR_IBAN}</IBAN></Id></DbtrAcct>
            <Cdtr><Pty><Nm>{CREDITOR}</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>{CREDITOR_IBAN}</IBAN></Id></CdtrAcct></RltdPties>
          <RmtInf><Ustrd>{REMIT}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
        <AddtlNtryInf>{INFO}</AddtlNtryInf>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
`
