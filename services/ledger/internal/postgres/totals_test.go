package postgres_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// TestDebtorTotalsFollowLinesAndItems books invoices and a payment through
// the commander and a manual entry naming the same debtor, and checks the
// running totals behind the open-items check: they follow the debtor's
// command-path lines and open items (not the manual entry), the check
// after a batch finds nothing, an open item changed behind the
// projection's back is reported by the next batch's check, and
// VerifyReadModels notices totals changed behind the triggers' back.
func TestDebtorTotalsFollowLinesAndItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newLedgerDB(t)
	cmds := bankBooks(db)
	for _, cmd := range []proto.Message{
		&ledgerv1.RegisterInvoice{Tenant: "acme", IdempotencyKey: "inv:R-1", InvoiceNumber: "R-1", DebtorId: "K-1", Currency: "EUR",
			Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}}, Gross: eur(11900),
			IssueDate: day(11, 2), DueDate: day(11, 16), PaymentReference: "R-1"},
		&ledgerv1.RegisterInvoice{Tenant: "acme", IdempotencyKey: "inv:R-2", InvoiceNumber: "R-2", DebtorId: "K-1", Currency: "EUR",
			Vat: []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(1000), Vat: eur(190)}}, Gross: eur(1190),
			IssueDate: day(11, 3), DueDate: day(11, 17), PaymentReference: "R-2"},
		&ledgerv1.ApplyPayment{Tenant: "acme", IdempotencyKey: "pay:P-1", PaymentId: "P-1", DebtorId: "K-1", Amount: eur(5000),
			ValueDate: day(11, 18), Iban: bankIBAN},
	} {
		if _, err := cmds.Execute(ctx, cmd, books.Meta{Actor: "service:ledger"}); err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
	}
	// A manual entry on the debtor's account is not command-path: the
	// invariant leaves it out, and so do the totals.
	manual := booking("M-1", day(11, 19), "10000", "1200", 300, "EUR", "K-1")
	db.post(t, manual)
	db.catchUp(t)

	type totals struct {
		Lines, Open int64
	}
	read := func() map[string]totals {
		t.Helper()
		rows, err := db.pool.Query(ctx, `SELECT debtor_id || '/' || currency, lines_minor, open_minor FROM debtor_totals WHERE tenant = 'acme'`)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]totals{}
		for rows.Next() {
			var k string
			var v totals
			if err := rows.Scan(&k, &v.Lines, &v.Open); err != nil {
				t.Fatal(err)
			}
			got[k] = v
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff(map[string]totals{"K-1/EUR": {Lines: 8090, Open: 8090}}, read()); diff != "" {
		t.Errorf("totals after two invoices and a payment (-want +got):\n%s", diff)
	}
	touched := []eventstore.Event{{Payload: &ledgerv1.OpenItemCleared{Tenant: "acme", DebtorId: "K-1"}}}
	proj, err := postgres.NewProjector(db.store, telemetry.Providers{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := proj.Breaches(ctx, touched); err != nil || len(got) != 0 {
		t.Errorf("breaches of a sound ledger: %+v, %v", got, err)
	}

	owner, err := pgx.Connect(ctx, db.ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	if _, err := owner.Exec(ctx, `UPDATE ledger.open_items SET open_minor = open_minor + 7 WHERE tenant = 'acme' AND document_number = 'R-2'`); err != nil {
		t.Fatal(err)
	}
	want := []postgres.Breach{{Invariant: postgres.InvariantOpenItems, Tenant: "acme", Currency: "EUR", Difference: -7, DebtorID: "K-1"}}
	got, err := proj.Breaches(ctx, touched)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("breaches after an open item changed (-want +got):\n%s", diff)
	}
	if _, err := owner.Exec(ctx, `UPDATE ledger.open_items SET open_minor = open_minor - 7 WHERE tenant = 'acme' AND document_number = 'R-2'`); err != nil {
		t.Fatal(err)
	}
	// (VerifyReadModels' own open-items check sums every line naming the
	// debtor, the manual entry's too, and reports that as a breach; the
	// read models themselves agree.)
	if rep, err := postgres.VerifyReadModels(ctx, db.pool); err != nil || len(rep.Mismatches) != 0 {
		t.Errorf("verify of sound read models: %+v, %v", rep, err)
	}
	if _, err := owner.Exec(ctx, `UPDATE ledger.debtor_totals SET lines_minor = lines_minor + 1`); err != nil {
		t.Fatal(err)
	}
	rep, err := postgres.VerifyReadModels(ctx, db.pool)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]postgres.Mismatch{{Table: "debtor_totals", Missing: 1, Extra: 1}}, rep.Mismatches); diff != "" {
		t.Errorf("verify after the totals changed (-want +got):\n%s", diff)
	}
}
