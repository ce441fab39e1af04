package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/books/directorytest"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

const bankIBAN = "DE89370400440532013000"

// TestPostingsContract runs the Postings contract suite against the read
// model, which the suite never catches up itself: Postings must.
func TestPostingsContract(t *testing.T) {
	t.Parallel()
	directorytest.RunPostings(t, func(t testing.TB) (books.EventStore, books.Postings) {
		db := newLedgerDB(t)
		return db.events, postgres.NewPostings(db.store, db.events, db.proj.Projection(0))
	})
}

// bankBooks returns a Commander on db whose tenant acme has the bank
// account bankIBAN on 1200.
func bankBooks(db ledgerDB) *books.Commander {
	cfg := books.Config{Chart: books.Chart{Banks: map[string]string{bankIBAN: "1200"}, BankCurrencies: map[string]string{bankIBAN: "EUR"}}}
	return books.NewCommander(db.events, db.store, books.CommanderOptions{
		Config:   func(string) books.Config { return cfg },
		Postings: postgres.NewPostings(db.store, db.events, db.proj.Projection(0)),
	})
}

func bankTransaction(id string, amount int64, d int32) *ledgerv1.RecordBankTransaction {
	counter := ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_RECEIPTS
	if amount < 0 {
		counter = ledgerv1.BankCounter_BANK_COUNTER_UNIDENTIFIED_PAYMENTS
	}
	return &ledgerv1.RecordBankTransaction{
		Tenant: "acme", IdempotencyKey: "bank-transaction:" + id, TransactionId: id, Iban: bankIBAN,
		Amount: eur(amount), BookingDate: day(11, d), Counter: counter,
	}
}

func bankStatement(key string, opening, closing int64, d int32) *ledgerv1.RecordStatementBalance {
	return &ledgerv1.RecordStatementBalance{
		Tenant: "acme", IdempotencyKey: "bank-statement:" + key, StatementKey: key, Iban: bankIBAN,
		OpeningBalance: eur(opening), OpeningDate: day(11, d), ClosingBalance: eur(closing), ClosingDate: day(11, d),
		StatementId: key, Sequence: "1",
	}
}

// TestBankReconciliation books two days of a bank account through the
// Commander: the first statement's transactions are all booked (it books
// its opening balance and reconciles), the second misses one transaction
// (it differs by exactly that amount); booking the missing transaction
// reconciles both. VerifyReadModels reports the difference while it lasts.
func TestBankReconciliation(t *testing.T) {
	t.Parallel()
	db := newLedgerDB(t)
	cmds := bankBooks(db)
	ctx := context.Background()
	for _, cmd := range []proto.Message{
		bankTransaction("T-1", 11900, 17), bankTransaction("T-2", -2500, 17), bankStatement("S-17", 50000, 59400, 17),
		bankTransaction("T-3", 700, 18), bankStatement("S-18", 59400, 59100, 18),
	} {
		if _, err := cmds.Execute(ctx, cmd, books.Meta{Actor: "service:ledger"}); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	db.catchUp(t)
	want := []postgres.Reconciliation{
		{Tenant: "acme", StatementKey: "S-17", StatementID: "S-17", Sequence: "1", IBAN: bankIBAN, Account: "1200", Currency: "EUR",
			ClosingDate: books.Date{Year: 2026, Month: time.November, Day: 17}, Expected: 59400, Booked: 59400},
		{Tenant: "acme", StatementKey: "S-18", StatementID: "S-18", Sequence: "1", IBAN: bankIBAN, Account: "1200", Currency: "EUR",
			ClosingDate: books.Date{Year: 2026, Month: time.November, Day: 18}, Expected: 59100, Booked: 60100},
	}
	got, err := db.store.BankReconciliations(ctx, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reconciliations with T-4 missing (-want +got):\n%s", diff)
	}
	if d := got[1].Difference(); d != 1000 {
		t.Errorf("S-18 differs by %d, want the missing debit of 1000", d)
	}
	rep, err := postgres.VerifyReadModels(ctx, db.pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Mismatches) != 0 || len(rep.Breaches) != 1 || rep.Breaches[0].Invariant != postgres.InvariantBankReconciliation ||
		!strings.Contains(rep.Breaches[0].Detail, "statement S-18 of "+bankIBAN) || !strings.Contains(rep.Breaches[0].Detail, "difference 10.00 EUR") {
		t.Errorf("verify found %+v, want one reconciliation breach of S-18 by 10.00 EUR", rep)
	}

	if _, err := cmds.Execute(ctx, bankTransaction("T-4", -1000, 18), books.Meta{Actor: "service:ledger"}); err != nil {
		t.Fatal(err)
	}
	db.catchUp(t)
	want[1].Booked = 59100
	if got, err = db.store.BankReconciliations(ctx, "acme", bankIBAN); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reconciliations with every transaction booked (-want +got):\n%s", diff)
	}
	if rep, err = postgres.VerifyReadModels(ctx, db.pool); err != nil || !rep.OK() {
		t.Errorf("verify with every transaction booked: %+v, %v", rep, err)
	}
	if got, err := db.store.BankReconciliations(ctx, "acme", "DE02120300000000202051"); err != nil || len(got) != 0 {
		t.Errorf("reconciliations of another IBAN: %v, %v; want none", got, err)
	}
}
