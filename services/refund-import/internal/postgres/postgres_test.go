package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/refund-import/internal/job"
	"github.com/o2c-platform/o2c/services/refund-import/internal/refund"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName(Schema, Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, Schema, Migrations())
		return err
	},
}

// newStore returns a store on a fresh database, connected as the app role.
func newStore(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDB(t, template)
	app, err := database.AppURL(url, Schema+"_app")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := database.Connect(ctx, app, Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	events, err := eventstore.New(pool, Schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return New(pool, events)
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

var posted = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func decided(adj, order string, state refund.State, version int64) refund.Decided {
	return refund.Decided{Refund: refund.Refund{AdjustmentID: adj, OrderID: order, SKU: "SKU", Kind: refund.KindRefund,
		Source: refund.SourceAPI, Currency: "EUR", Amount: 5950, Posted: posted, SellerAccount: "eu"},
		State: state, Version: version, OpenItemID: "I-" + order, CreditNoteNumber: "amazon-refund:" + adj}
}

func save(t testing.TB, s *Store, d refund.Decided) error {
	t.Helper()
	stream := es.StreamID{Tenant: "acme", Type: job.RefundStream, ID: d.Key()}
	at := posted.Add(time.Hour)
	ev := &refundv1.RefundDecided{Tenant: "acme", Refund: d.Proto(at)}
	w := job.Write{Stream: stream, Expected: es.ExpectedVersion(d.Version), Refund: &d, At: at,
		Events: []es.Event{{Envelope: es.Envelope{EventID: job.EventID(stream, d.Version, 0), OccurredAt: at}, Payload: ev}}}
	errs, err := s.Save(context.Background(), [][]job.Write{{w}})
	if err != nil {
		t.Fatal(err)
	}
	return errs[0]
}

// TestDecisionsAreStoredOnceByVersion: a decision is stored with its row;
// the same append again is recognised (no error, nothing new); a decision
// on an outdated version is refused as a version conflict and leaves the
// row as it was; the situation of a refund shows its prior decision, its
// order's item with the credit notes that cleared it, and the entry the
// ledger reported for its credit note.
func TestDecisionsAreStoredOnceByVersion(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	waiting := decided("ADJ-1", "O-1", refund.Waiting, 0)
	if err := save(t, s, waiting); err != nil {
		t.Fatal(err)
	}
	if err := save(t, s, waiting); err != nil {
		t.Fatalf("the same append again: %v, want it recognised", err)
	}
	booked := decided("ADJ-1", "O-1", refund.Booked, 1)
	if err := save(t, s, booked); err != nil {
		t.Fatal(err)
	}
	if err := save(t, s, decided("ADJ-1", "O-1", refund.Held, 1)); !errors.Is(err, es.ErrContentMismatch) {
		t.Fatalf("another decision on version 1: %v, want it refused (same event ids, other content)", err)
	}
	if err := save(t, s, decided("ADJ-1", "O-1", refund.Held, 0)); !errors.Is(err, es.ErrContentMismatch) && !errors.Is(err, es.ErrVersionConflict) {
		t.Fatalf("a decision on version 0 again: %v, want it refused", err)
	}

	if _, err := s.OpenItem(ctx, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-O-1", DebtorId: "mp", Kind: "invoice",
		OrderId: "O-1", Amount: eur(11900)}); err != nil {
		t.Fatal(err)
	}
	r := booked.Refund
	if sit, err := situation(s, r); err != nil || sit.Item != nil {
		t.Fatalf("situation before classification: item %v, %v; want none (no VAT lines yet)", sit.Item, err)
	}
	vat := []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}}
	order, err := s.ClassifyItem(ctx, &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: "I-O-1", ClaimOpenItemId: "I-O-1", Vat: vat})
	if err != nil || order != "O-1" {
		t.Fatalf("classify: order %q, %v", order, err)
	}
	orders, err := s.SettleItem(ctx, &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-O-1", Settlements: []*ledgerv1.Settlement{
		{SettlementId: "ST-1", Amount: eur(5950), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE, Document: "amazon-refund:ADJ-1", EntryId: "E-1"},
		{SettlementId: "ST-2", Amount: eur(100), Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT, Document: "P-1", EntryId: "E-2"},
	}})
	if err != nil || !cmp.Equal(orders, []string{"O-1"}) {
		t.Fatalf("settle: orders %v, %v; want O-1", orders, err)
	}
	sit, err := situation(s, r)
	if err != nil {
		t.Fatal(err)
	}
	if sit.Prior == nil || sit.Prior.State != refund.Booked || sit.Prior.Version != 2 || sit.Prior.EntryID != "E-1" {
		t.Errorf("prior %+v; want booked at version 2 with entry E-1", sit.Prior)
	}
	want := &refund.Item{ID: "I-O-1", OrderID: "O-1", Debtor: "mp", Currency: "EUR", Amount: 11900,
		CreditNotes: []refund.CreditNote{{Number: "amazon-refund:ADJ-1", Amount: 5950, EntryID: "E-1"}}}
	if diff := cmp.Diff(want, sit.Item, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".VAT" }, cmp.Ignore())); diff != "" {
		t.Errorf("item (-want +got):\n%s", diff)
	}
	if len(sit.Item.VAT) != 1 || sit.Item.VAT[0].GetNet().GetMinorUnits() != 10000 {
		t.Errorf("VAT %v, want the classified line", sit.Item.VAT)
	}
	if err := s.ReopenItem(ctx, &ledgerv1.OpenItemReopened{Tenant: "acme", OpenItemId: "I-O-1", SettlementIds: []string{"ST-1"}}); err != nil {
		t.Fatal(err)
	}
	if it, err := s.OrderItem(ctx, "acme", "O-1", "EUR"); err != nil || len(it.CreditNotes) != 0 {
		t.Errorf("credit notes after the reopening: %v, %v; want none", it.CreditNotes, err)
	}
	// A credit note booked as a credit balance names the refund's order.
	orders, err = s.OpenItem(ctx, &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "CB-1", DebtorId: "mp", Kind: "credit_balance",
		DocumentNumber: "amazon-refund:ADJ-1", Amount: eur(-5950), EntryId: "E-1"})
	if err != nil || !cmp.Equal(orders, []string{"O-1"}) {
		t.Errorf("credit balance: orders %v, %v; want O-1", orders, err)
	}
}

// TestListsPage: refunds list newest posted first, by order, in pages
// whose tokens continue where the last stopped; a foreign token is
// refused.
func TestListsPage(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	for i, adj := range []string{"A", "B", "C", "D", "E"} {
		d := decided(adj, "O-1", refund.Booked, 0)
		d.Posted = posted.Add(time.Duration(i) * time.Hour)
		if err := save(t, s, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := save(t, s, decided("Z", "O-2", refund.Held, 0)); err != nil {
		t.Fatal(err)
	}
	var got []string
	tok := ""
	for range 10 {
		rs, next, err := s.Refunds(ctx, "acme", "O-1", false, 2, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			got = append(got, r.GetAdjustmentId())
		}
		if tok = next; tok == "" {
			break
		}
	}
	if diff := cmp.Diff([]string{"E", "D", "C", "B", "A"}, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	if _, _, err := s.Refunds(ctx, "acme", "", false, 10, "not-a-token"); !errors.Is(err, ErrBadPageToken) {
		t.Errorf("bad token: %v, want ErrBadPageToken", err)
	}
	if ws, err := s.WaitingOrders(ctx, "acme"); err != nil || len(ws) != 0 {
		t.Errorf("waiting orders %v, %v; want none", ws, err)
	}
}

// TestProgressOnlyMovesForward: the completed window and the reports'
// mark never move back.
func TestProgressOnlyMovesForward(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	later, earlier := posted.Add(48*time.Hour), posted
	for _, at := range []time.Time{later, earlier} {
		if err := s.Completed(ctx, "acme", "eu", at); err != nil {
			t.Fatal(err)
		}
		if err := s.ReportsFetched(ctx, "acme", "eu", at); err != nil {
			t.Fatal(err)
		}
	}
	c, r, err := s.Progress(ctx, "acme", "eu")
	if err != nil || !c.Equal(later) || !r.Equal(later) {
		t.Errorf("progress %s, %s, %v; want both at %s", c, r, err, later)
	}
	if c, r, err := s.Progress(ctx, "acme", "other"); err != nil || !c.IsZero() || !r.IsZero() {
		t.Errorf("progress of an account never run: %s, %s, %v; want none", c, r, err)
	}
}

func situation(s *Store, r refund.Refund) (refund.Situation, error) {
	sits, err := s.Situations(context.Background(), "acme", []refund.Refund{r})
	if err != nil {
		return refund.Situation{}, err
	}
	return sits[0], nil
}
