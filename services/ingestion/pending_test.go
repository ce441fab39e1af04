package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// publish sends m as the shop of acme would, as JSON on its subject.
func (r *shopRun) publish(t *testing.T, m proto.Message) {
	t.Helper()
	data, err := protojson.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(subjectOf(t, m))
	msg.Header.Set("Content-Type", "application/json")
	msg.Data = data
	if _, err := r.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

// held returns what is held, as "event type document waits for kind key".
func (r *shopRun) held(t *testing.T) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(),
		`SELECT event_type || ' ' || document || ' waits for ' || waits_kind || ' ' || waits_key FROM ingestion.pending ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// streamLen returns how many events ingestion stored in acme's stream of
// type typ and id.
func (r *shopRun) streamLen(t *testing.T, typ, id string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(),
		`SELECT count(*) FROM ingestion.events WHERE stream_type = $1 AND stream_id = $2`, typ, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOutOfOrderIsHeldAndReleased publishes over NATS a credit note before
// its invoice, a chargeback before its capture and an invoice that names
// only its customer before the customer's data: each is held, waiting for
// what it misses, and stored once that arrives. An invoice that carries
// its debtor data is accepted at once even though no customer event was
// ever sent for it.
func TestOutOfOrderIsHeldAndReleased(t *testing.T) {
	t.Parallel()
	r := startShopRun(t)

	byRef := testInvoice("RE-7", 1000)
	byRef.Debtor = &shopv1.Debtor{CustomerId: "C-7"}
	c7 := customer("c7@example.com")
	c7.CustomerNumber = "C-7"

	r.publish(t, creditNote("GS-1", "RE-1", "C-1", 500))
	r.publish(t, chargeback("dp_1", 11900))
	r.publish(t, byRef)
	r.publish(t, testInvoice("RE-9", 1000)) // carries its debtor: never held
	eventually(t, "RE-9 stored", func() bool { return r.streamLen(t, "invoice", "RE-9") == 1 })
	want := []string{
		"credit_note.issued GS-1 waits for invoice RE-1",
		"invoice.issued RE-7 waits for customer C-7",
		"payment.charged_back stripe/dp_1 waits for capture stripe/ch_1",
	}
	if diff := cmp.Diff(want, r.held(t)); diff != "" {
		t.Fatalf("held (-want +got):\n%s", diff)
	}
	// ListPending answers the same, over gRPC.
	resp, err := r.ingest.ListPending(context.Background(), &ingestionv1.ListPendingRequest{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, p := range resp.GetPending() {
		listed = append(listed, p.GetEventType()+" "+p.GetDocument()+" waits for "+p.GetWaitsForKind()+" "+p.GetWaitsForKey())
		if got := p.GetExpiresAt().AsTime().Sub(p.GetHeldSince().AsTime()); got != 14*24*time.Hour {
			t.Errorf("%s %s held for %s, want the default 14 days", p.GetEventType(), p.GetDocument(), got)
		}
	}
	slices.Sort(listed)
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("ListPending (-want +got):\n%s", diff)
	}
	if n := r.streamLen(t, "invoice", "RE-7"); n != 0 {
		t.Errorf("invoice RE-7 stored before its customer: %d events", n)
	}

	r.publish(t, testInvoice("RE-1", 10000))
	r.publish(t, capture("ch_1", 11900))
	r.publish(t, &shopv1.CustomerRegistered{Tenant: "acme", Customer: c7, UpdatedAt: at(8)})
	eventually(t, "every hold released", func() bool { return len(r.held(t)) == 0 })
	for _, s := range []struct {
		typ, id string
		n       int
	}{
		{"invoice", "RE-1", 2},        // the invoice and the credit note
		{"payment", "stripe/ch_1", 2}, // the capture and the chargeback
		{"invoice", "RE-7", 1},
	} {
		if n := r.streamLen(t, s.typ, s.id); n != s.n {
			t.Errorf("stream %s %s: %d events, want %d", s.typ, s.id, n, s.n)
		}
	}
}
