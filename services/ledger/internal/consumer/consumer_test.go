package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// recorder is a Commander that records what reaches it.
type recorder struct {
	cmds  []proto.Message
	metas []books.Meta
}

func (r *recorder) Execute(_ context.Context, cmd proto.Message, m books.Meta) (books.Result, error) {
	r.cmds = append(r.cmds, cmd)
	r.metas = append(r.metas, m)
	return books.Result{}, nil
}

// ingested returns the message ingestion's relay publishes for an invoice
// of tenant.
func ingested(tb testing.TB, tenant string) bus.Msg {
	tb.Helper()
	inv := &ingestionv1.InvoiceIngested{Tenant: tenant, InvoiceNumber: "RE-1", DebtorId: "K-1", Currency: "EUR",
		Gross: &commonv1.Money{MinorUnits: 11900, Currency: "EUR"}}
	evs, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "invoice", ID: "RE-1"},
		[]eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: inv}})
	if err != nil {
		tb.Fatal(err)
	}
	m := relay.Message("o2c."+tenant+".ingestion.invoice.ingested", evs[0])
	return bus.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}
}

// command returns a bare ApplyPayment command of tenant as matching would
// publish it.
func command(tb testing.TB, tenant string) bus.Msg {
	tb.Helper()
	cmd := &ledgerv1.ApplyPayment{Tenant: tenant, IdempotencyKey: "pay:1", PaymentId: "P-1", DebtorId: "K-1",
		Amount: &commonv1.Money{MinorUnits: 100, Currency: "EUR"}}
	data, err := proto.Marshal(cmd)
	if err != nil {
		tb.Fatal(err)
	}
	return bus.Msg{Subject: CommandSubject(tenant, "matching", cmd), Data: data}
}

func bookInvoice(b *Booker, m bus.Msg) error { return b.BookInvoice(context.Background(), m) }
func bookCommand(b *Booker, m bus.Msg) error { return b.BookCommand(context.Background(), m) }

// TestUnknownTenantIsRejected checks that an ingested invoice and a command
// for a tenant the tenants file does not list are rejected as not found
// with the reason code unknown_tenant and never reach the books, while the
// configured tenant's are booked.
func TestUnknownTenantIsRejected(t *testing.T) {
	t.Parallel()
	classify := fault.Chain(books.Errors.Classify, tenants.Errors.Classify)
	tests := []struct {
		name    string
		handle  func(*Booker, bus.Msg) error
		msg     func(testing.TB, string) bus.Msg
		tenant  string
		booked  int
		doc     string
		message string
	}{
		{"invoice of a configured tenant", bookInvoice, ingested, "demo", 1, "", ""},
		{"invoice of an unknown tenant", bookInvoice, ingested, "acme", 0, "RE-1",
			"book invoice RE-1: tenant acme does not exist (not in the tenants file)"},
		{"command of a configured tenant", bookCommand, command, "demo", 1, "", ""},
		{"command of an unknown tenant", bookCommand, command, "acme", 0, "pay:1",
			"command ApplyPayment on o2c.acme.matching.ledger.apply-payment: tenant acme does not exist (not in the tenants file)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			b := &Booker{Commands: rec, Tenants: tenantstest.File(t, "demo")}
			err := tt.handle(b, tt.msg(t, tt.tenant))
			if len(rec.cmds) != tt.booked {
				t.Errorf("%d commands reached the books, want %d", len(rec.cmds), tt.booked)
			}
			if tt.booked > 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if c := classify(err); c != fault.NotFound {
				t.Errorf("class %v (%v), want not_found: the message is rejected and recorded", c, err)
			}
			if d := fault.DetailOf(err); d.Code != "unknown_tenant" || d.Document != tt.doc {
				t.Errorf("detail %+v, want code unknown_tenant and document %s", d, tt.doc)
			}
			if err.Error() != tt.message {
				t.Errorf("reason %q, want %q", err, tt.message)
			}
		})
	}
}
