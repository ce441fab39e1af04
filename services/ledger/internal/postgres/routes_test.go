package postgres_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// TestExecuteBatchStoresRoutesWithTheEvents: given a Commander with the
// Appender, when a batch registers invoices of two debtors and a
// write-off that names only an invoice's item, then the events of the
// invoices and their routes are stored in one transaction, and the
// write-off finds its debtor through the route.
func TestExecuteBatchStoresRoutesWithTheEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, postgres.PosterOptions{})
	cmds := books.NewCommander(e.events, e.store, books.CommanderOptions{Appender: postgres.NewAppender(e.events)})
	invoice := func(number, debtor string) books.Command {
		return books.Command{Meta: books.Meta{Actor: "service:ledger"}, Msg: &ledgerv1.RegisterInvoice{
			Tenant: "acme", IdempotencyKey: "invoice:" + number, InvoiceNumber: number, DebtorId: debtor, Currency: "EUR",
			Vat:   []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}},
			Gross: eur(11900), IssueDate: &commonv1.Date{Year: 2026, Month: 3, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 4, Day: 2},
		}}
	}
	writeOff := books.Command{Meta: books.Meta{Actor: "service:ledger"}, Msg: &ledgerv1.WriteOff{
		Tenant: "acme", IdempotencyKey: "write-off:RE-2", WriteOffId: "W-2", OpenItemId: books.InvoiceItemID("acme", "RE-2"),
		Amount: eur(11900), WriteOffDate: &commonv1.Date{Year: 2026, Month: 3, Day: 20}, Reason: "insolvent",
	}}
	results, errs := cmds.ExecuteBatch(ctx, []books.Command{invoice("RE-1", "K-1"), invoice("RE-2", "K-2"), writeOff})
	for i, err := range errs {
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
	}
	if len(results[2].EntryIDs) == 0 {
		t.Errorf("the write-off booked %+v, want an entry", results[2])
	}
	var txs []uint64
	for _, d := range []string{"K-1", "K-2"} {
		evs, err := e.events.ReadStream(ctx, books.DebtorStream("acme", d), 1, 1)
		if err != nil || len(evs) != 1 {
			t.Fatalf("stream of %s: %d events, %v", d, len(evs), err)
		}
		txs = append(txs, evs[0].Cursor.TxID)
	}
	if txs[0] != txs[1] {
		t.Errorf("the two invoices were stored in transactions %v, want one", txs)
	}
	var routeTx []uint64
	rows, err := e.pool.Query(ctx, `SELECT xmin::text::bigint FROM command_routes WHERE kind = 'item' AND ref = ANY($1) ORDER BY ref`,
		[]string{books.InvoiceItemID("acme", "RE-1"), books.InvoiceItemID("acme", "RE-2")})
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x uint64
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		routeTx = append(routeTx, x)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{txs[0] & 0xffffffff, txs[0] & 0xffffffff}, routeTx); diff != "" {
		t.Errorf("transactions of the items' routes (-the invoices' +routes):\n%s", diff)
	}
}
