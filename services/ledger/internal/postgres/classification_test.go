package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// TestApplyFoldedClassification projects the same open items twice: for
// tenant "old" as streams before 7 December 2026 hold them (OpenItemOpened
// followed by a separate OpenItemClassified), for tenant "new" with the
// classification inside OpenItemOpened. Both must leave the same rows,
// also when a batch replays an item already stored with another
// classification.
func TestApplyFoldedClassification(t *testing.T) {
	t.Parallel()
	e := newEnv(t, postgres.PosterOptions{})
	ctx := context.Background()
	day := &commonv1.Date{Year: 2026, Month: 3, Day: 31}
	const a, b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
	classes := map[string]*ledgerv1.OpenItemClassified{
		a: {OpenItemId: a, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, Dunnable: true},
		b: {OpenItemId: b, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS, Marketplace: "amazon.de", BuyerReference: "buyer-1"},
	}
	replay := &ledgerv1.OpenItemClassified{OpenItemId: a, Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST, BuyerReference: "buyer-2"}
	// events is item id's opening in tenant's form, with classification c.
	events := func(tenant, id, doc string, amount int64, c *ledgerv1.OpenItemClassified) []proto.Message {
		c = proto.CloneOf(c)
		c.Tenant = tenant
		o := &ledgerv1.OpenItemOpened{Tenant: tenant, OpenItemId: id, DebtorId: "D-1", DebtorAccount: "10001", Kind: "invoice",
			DocumentNumber: doc, Amount: eur(amount), DocumentDate: day, DueDate: day, EntryId: "00000000-0000-0000-0000-0000000000e1"}
		if tenant == "new" {
			o.Classification = c
			return []proto.Message{o}
		}
		return []proto.Message{o, c}
	}
	pos := int64(0)
	apply := func(payloads ...[]proto.Message) {
		t.Helper()
		var evs []eventstore.Event
		for _, ps := range payloads {
			for _, p := range ps {
				pos++
				evs = append(evs, eventstore.Event{Payload: p, Envelope: eventstore.Envelope{Position: pos, RecordedAt: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}})
			}
		}
		e.apply(t, evs...)
	}
	for _, tenant := range []string{"old", "new"} {
		apply(events(tenant, a, "R-A", 100, classes[a]), events(tenant, b, "R-B", 200, classes[b]))
		apply(events(tenant, a, "R-A", 999, replay))
	}

	type row struct {
		ID, Doc, Part, Marketplace, Buyer string
		Amount, Open                      int64
		Dunnable                          bool
	}
	read := func(tenant string) []row {
		t.Helper()
		rows, err := e.pool.Query(ctx, `SELECT id::text, document_number, part, marketplace, buyer_id, amount_minor, open_minor, dunnable
			FROM open_items WHERE tenant = $1 ORDER BY id`, tenant)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			return x, r.Scan(&x.ID, &x.Doc, &x.Part, &x.Marketplace, &x.Buyer, &x.Amount, &x.Open, &x.Dunnable)
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := []row{
		{ID: a, Doc: "R-A", Part: "interest", Buyer: "buyer-2", Amount: 100, Open: 100},
		{ID: b, Doc: "R-B", Part: "costs", Marketplace: "amazon.de", Buyer: "buyer-1", Amount: 200, Open: 200},
	}
	for _, tenant := range []string{"old", "new"} {
		if diff := cmp.Diff(want, read(tenant)); diff != "" {
			t.Errorf("open items of tenant %s (-want +got):\n%s", tenant, diff)
		}
	}
}
