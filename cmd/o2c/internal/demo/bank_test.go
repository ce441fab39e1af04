package demo

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/natsembed"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// checkBankImport imports the demo's bank statement and settlement report
// into the running system and checks what ingestion emitted (each
// transaction normalized and classified, the counterparties' names only in
// master data, the settlement report with its lines), that the ledger's
// bank account reconciles with the statement's closing balance, and that
// importing both again books nothing.
func checkBankImport(t *testing.T, sys *System) {
	t.Helper()
	ctx := context.Background()
	resps, err := ImportBankFiles(ctx, sys.Conn(ingestion.Name))
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		Format, Status string
		New            int32
	}
	var got []answer
	for _, r := range resps {
		got = append(got, answer{r.GetFormat(), r.GetStatus().String(), r.GetCounts().GetNew()})
	}
	want := []answer{{"camt.053.001.08", "IMPORT_STATUS_IMPORTED", StatementTransactions}, {"amazon-settlement-flat-v2", "IMPORT_STATUS_IMPORTED", 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("imports (-want +got):\n%s", diff)
	}

	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	ev, err := ReadBankEvents(ctx, js, StatementTransactions, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	names, err := Counterparties(ctx, sys.Conn(ingestion.Name), ev.Transactions)
	if err != nil {
		t.Fatal(err)
	}
	type tx struct {
		Amount         int64
		Classification string
		Counterparty   string
		Books          bool
	}
	var txs []tx
	var sum int64
	for _, e := range ev.Transactions {
		txs = append(txs, tx{e.GetAmount().GetMinorUnits(), classification(e), names[e.GetCounterpartyId()], e.GetBooks()})
		sum += e.GetAmount().GetMinorUnits()
		if e.GetAccountIban() != DemoIBAN || e.GetProvenance().GetFileName() != "camt053_demo_2026-11-18.xml" {
			t.Errorf("transaction %s: account %s, file %s", e.GetTransactionId(), e.GetAccountIban(), e.GetProvenance().GetFileName())
		}
	}
	wantTxs := []tx{
		{178381, "receipt", "Beispiel Handels GmbH", true},
		{56699, "receipt", "Erika Mustermann", true},
		{2095, "receipt", "AMAZON PAYMENTS EUROPE S.C.A.", true},
		{5000, "receipt", "J. Unbekannt", true},
		{-145000, "outgoing, rule " + RentRule, "Immobilien Schmidt GmbH", true},
	}
	if diff := cmp.Diff(wantTxs, txs); diff != "" {
		t.Errorf("bank transactions (-want +got):\n%s", diff)
	}
	if st := ev.Statements[0]; st.GetStatementId() != StatementID || st.GetClosingBooked().GetMinorUnits() != StatementClosing ||
		st.GetOpeningBooked().GetMinorUnits()+sum != StatementClosing || st.GetTransactionCount() != StatementTransactions {
		t.Errorf("statement %v; want %s closing at %d, opening + transactions = closing, %d transactions", st, StatementID, StatementClosing, StatementTransactions)
	}
	if s := ev.Settlements[0]; s.GetSettlementId() != SettlementID || s.GetTotal().GetMinorUnits() != 2095 || s.GetLineCount() != 5 {
		t.Errorf("settlement %v; want %s with 5 lines and a total of 20.95 paid out by the statement", s, SettlementID)
	}

	recs, err := WaitForReconciliation(ctx, sys.Conn(ledger.Name))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].GetBooked().GetMinorUnits() != StatementClosing || recs[0].GetAccount() != "1200" {
		t.Errorf("reconciliations %v; want bank account 1200 booked at the closing balance %d", recs, StatementClosing)
	}

	again, err := ImportBankFiles(ctx, sys.Conn(ingestion.Name))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE || r.GetCounts().GetNew() != 0 {
			t.Errorf("%s imported again: %v, want DUPLICATE_FILE with nothing new", BankFiles()[i].Name, r)
		}
	}
}
