package service

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
)

// importedMsgs returns the messages ingestion's relay publishes for the
// events of one imported bank file, in order.
func importedMsgs(t *testing.T, tenant string, payloads ...proto.Message) []*nats.Msg {
	t.Helper()
	var out []*nats.Msg
	for _, p := range payloads {
		ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: p}
		prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "bank-file", ID: uuid.NewString()}, []eventstore.Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		name := string(p.ProtoReflect().Descriptor().FullName())
		out = append(out, relay.Message("o2c."+tenant+".ingestion."+bus.EventName(name), prepared[0]))
	}
	return out
}

// The bank transaction classes the tests use.
var (
	classReceipt      = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT
	classReturn       = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN
	classClassified   = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED
	classUnclassified = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED
)

// bankTx is a booked transaction of testIBAN on 2026-05-d, as ingestion
// publishes it.
func bankTx(tn, id string, amount int64, d int32, class ingestionv1.BankTransactionClassification, rule string) *ingestionv1.BankTransactionReceived {
	return &ingestionv1.BankTransactionReceived{
		Tenant: tn, TransactionId: id, AccountIban: testIBAN, Currency: "EUR", Amount: eur(amount),
		BookingDate: day(2026, 5, d), ValueDate: day(2026, 5, d), Status: "BOOK", Classification: class, Rule: rule,
		BookingText: "SEPA", StatementKey: "final/" + testIBAN + "/STMT", Books: true,
	}
}

// bankStatement is a statement of testIBAN for 2026-05-d with its opening
// and closing booked balances, as ingestion publishes it.
func bankStatement(tn, key string, kind ingestionv1.BankStatementKind, opening, closing int64, d int32) *ingestionv1.BankStatementReceived {
	return &ingestionv1.BankStatementReceived{
		Tenant: tn, StatementKey: key, Kind: kind, AccountIban: testIBAN, Currency: "EUR", StatementId: key, Sequence: "1",
		FromDate: day(2026, 5, d), ToDate: day(2026, 5, d), ClosingDate: day(2026, 5, d),
		OpeningBooked: eur(opening), HasOpeningBooked: true, ClosingBooked: eur(closing), HasClosingBooked: true,
	}
}

// reconciliation is a statement's reconciliation row.
type reconciliation struct {
	Key                          string
	Expected, Booked, Difference int64
}

// reconciliations lists tn's reconciliations through
// ListBankReconciliations once the projection has caught up.
func (s *svc) reconciliations(t *testing.T, tn string) []reconciliation {
	t.Helper()
	s.caughtUp(t)
	conn, err := grpc.NewClient(s.l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), testAuth.DialAs(accountant("user:anna", tn)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := ledgerv1grpc.NewLedgerQueryServiceClient(conn).ListBankReconciliations(context.Background(), &ledgerv1.ListBankReconciliationsRequest{Tenant: tn})
	if err != nil {
		t.Fatal(err)
	}
	var got []reconciliation
	for _, r := range resp.GetReconciliations() {
		got = append(got, reconciliation{r.GetStatementKey(), r.GetExpected().GetMinorUnits(), r.GetBooked().GetMinorUnits(), r.GetDifference().GetMinorUnits()})
	}
	return got
}

// TestBankEventsAreBookedAndReconciled publishes, as ingestion's relay
// does, two days of a bank account: transactions (a receipt, a returned
// direct debit, a salary an outgoing rule classified, an unclassified
// debit, a pending and a notification transaction that book nothing) each
// followed by its final statement, and an intraday report. The bank
// account ends at the last statement's closing balance, the first
// statement having booked the opening balance; each statement reconciles
// (ListBankReconciliations); the clearing accounts hold what waits for
// matching and the finance team; verify is clean. The same events again
// book nothing.
func TestBankEventsAreBookedAndReconciled(t *testing.T) {
	t.Parallel()
	s := startService(t)
	ctx := context.Background()
	const tn = "acme"
	pending := bankTx(tn, "T-P", 99999, 4, classReceipt, "")
	pending.Status, pending.Books = "PDNG", false
	notification := bankTx(tn, "T-N", 11900, 4, classReceipt, "")
	notification.Books, notification.DetailOf = false, "T-1"
	final := ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_FINAL
	events := []proto.Message{
		bankTx(tn, "T-1", 11900, 4, classReceipt, ""),
		bankTx(tn, "T-2", -5000, 4, classReturn, ""),
		bankTx(tn, "T-3", -250000, 4, classClassified, "salaries"),
		pending, notification,
		bankStatement(tn, "S-04", final, 500000, 500000+11900-5000-250000, 4),
		bankTx(tn, "T-4", -3000, 5, classUnclassified, ""),
		bankTx(tn, "T-5", 20000, 5, classReceipt, ""),
		// An intraday report's balance is not the day's: it is not recorded.
		bankStatement(tn, "S-05-intraday", ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_INTRADAY, 0, 1, 5),
		bankStatement(tn, "S-05", final, 256900, 256900-3000+20000, 5),
	}
	publish := func() {
		t.Helper()
		for _, m := range importedMsgs(t, tn, events...) {
			if _, err := s.js.PublishMsg(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		s.waitConsumed(t, "ledger-invoices")
	}
	publish()

	wantBal := map[string]int64{
		"1200": 273900,                // the bank: the last closing balance
		"9000": -500000,               // the opening balance of the first statement
		"1591": -11900 + 5000 - 20000, // receipts and the return, waiting for matching
		"4120": 250000,                // the salaries rule's account
		"1599": 3000,                  // the unclassified debit, for the finance team
	}
	if diff := cmp.Diff(wantBal, s.balances(t, tn)); diff != "" {
		// Once, under a load of three test packages on 2 cores, nothing
		// was booked here although the consumer had settled every
		// message; the service's log says whether they were rejected.
		t.Errorf("balances (-want +got):\n%s\nledger log:\n%s", diff, s.logs.String())
	}
	want := []reconciliation{{"S-04", 256900, 256900, 0}, {"S-05", 273900, 273900, 0}}
	if diff := cmp.Diff(want, s.reconciliations(t, tn)); diff != "" {
		t.Errorf("reconciliations (-want +got):\n%s", diff)
	}
	if rep := s.verify(t); !rep.OK() {
		t.Errorf("verify: %+v", rep)
	}

	var stored int
	count := func() int {
		t.Helper()
		var n int
		if err := s.l.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE tenant = $1`, tn).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	stored = count()
	publish()
	if n := count(); n != stored {
		t.Errorf("%d events after the same events again, want %d", n, stored)
	}
	if diff := cmp.Diff(wantBal, s.balances(t, tn)); diff != "" {
		t.Errorf("balances after the same events again (-want +got):\n%s", diff)
	}
}

// TestBankStatementsOutOfOrderReconcile publishes three days of a bank
// account as ingestion would after a retried import: the 6th's file, then
// the 4th's, then the 5th's, each with its transactions before its
// statement. The 4th's opening balance opens the books (the 6th's opening
// entry is reversed), every statement reconciles, and verify is clean.
func TestBankStatementsOutOfOrderReconcile(t *testing.T) {
	t.Parallel()
	s := startService(t)
	ctx := context.Background()
	const tn = "acme"
	final := ingestionv1.BankStatementKind_BANK_STATEMENT_KIND_FINAL
	days := [][]proto.Message{
		{bankTx(tn, "T-6", 700, 6, classReceipt, ""), bankStatement(tn, "S-06", final, 101200, 101900, 6)},
		{bankTx(tn, "T-4", 500, 4, classReceipt, ""), bankStatement(tn, "S-04", final, 100000, 100500, 4)},
		{bankTx(tn, "T-5", 700, 5, classReceipt, ""), bankStatement(tn, "S-05", final, 100500, 101200, 5)},
	}
	for _, d := range days {
		for _, m := range importedMsgs(t, tn, d...) {
			if _, err := s.js.PublishMsg(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		// One day's file is booked before the next arrives, as a retried
		// import's would be.
		s.waitConsumed(t, "ledger-invoices")
	}
	want := []reconciliation{{"S-04", 100500, 100500, 0}, {"S-05", 101200, 101200, 0}, {"S-06", 101900, 101900, 0}}
	if diff := cmp.Diff(want, s.reconciliations(t, tn)); diff != "" {
		t.Errorf("reconciliations (-want +got):\n%s\nledger log:\n%s", diff, s.logs.String())
	}
	if diff := cmp.Diff(map[string]int64{"1200": 101900, "9000": -100000, "1591": -1900}, s.balances(t, tn)); diff != "" {
		t.Errorf("balances (-want +got):\n%s", diff)
	}
	if rep := s.verify(t); !rep.OK() {
		t.Errorf("verify: %+v", rep)
	}
}
