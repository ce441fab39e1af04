package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

// running is ingestion started by run against its own database and NATS.
type running struct {
	js      jetstream.JetStream
	dbURL   string
	rejects rejectionv1grpc.RejectionServiceClient
}

func startIngestion(t *testing.T) *running {
	t.Helper()
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, template)
	addr := freeAddr(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// Development mode: the test lists every tenant's rejections, as only
	// a platform admin (and the dev user) may.
	env := map[string]string{"MIGRATE_DATABASE_URL": dbURL, "NATS_URL": ns.ClientURL(), "GRPC_ADDR": addr,
		"O2C_TENANTS": tenantstest.Write(t, tenantstest.JSON("acme")), "O2C_AUTH": "dev"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	eventually(t, "health SERVING", func() bool {
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	return &running{js: js, dbURL: dbURL, rejects: rejectionv1grpc.NewRejectionServiceClient(conn)}
}

func (r *running) publishRaw(t *testing.T, subject string, hdr nats.Header, data []byte) {
	t.Helper()
	msg := nats.NewMsg(subject)
	for k, v := range hdr {
		msg.Header[k] = v
	}
	msg.Header.Set("Nats-Msg-Id", uuid.NewString())
	msg.Data = data
	if _, err := r.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatalf("publish on %.60q: %v", subject, err)
	}
}

func (r *running) publishJSON(t *testing.T, inv *shopv1.InvoiceIssued, hdr nats.Header) {
	t.Helper()
	data, err := protojson.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	h := nats.Header{"Content-Type": {"application/json"}}
	for k, v := range hdr {
		h[k] = v
	}
	r.publishRaw(t, "shop."+inv.GetTenant()+".invoice.issued", h, data)
}

func (r *running) open(t *testing.T) []*rejectionv1.Rejection {
	t.Helper()
	resp, err := r.rejects.ListRejections(context.Background(), &rejectionv1.ListRejectionsRequest{State: rejectionv1.RejectionState_REJECTION_STATE_OPEN})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetRejections()
}

// TestHostileMessagesEndInTheRejectionStore publishes messages whose text
// PostgreSQL cannot store or index, in the payload, the headers and the
// subject. Each must end as an open rejection with a readable reason,
// recorded once, and none may be lost to endless redelivery.
func TestHostileMessagesEndInTheRejectionStore(t *testing.T) {
	t.Parallel()
	r := startIngestion(t)

	// A JSON body of invalid bytes: the decode error quotes them.
	r.publishRaw(t, "shop.acme.invoice.issued", nats.Header{"Content-Type": {"application/json"}}, []byte("\xff\xfe{\"tenant\":\x00}"))
	// A NUL byte in the debtor's name and in the invoice number.
	nulName := testInvoice("NUL-1", 1000)
	nulName.Debtor.Name = "Evil\x00Corp"
	r.publishJSON(t, nulName, nil)
	nulNumber := testInvoice("NUL\x002", 1000)
	r.publishJSON(t, nulNumber, nil)
	// A header value with a NUL byte on an invalid invoice: the rejection
	// stores the headers.
	badTotals := testInvoice("HDR-1", 1000)
	badTotals.Totals.Net = eur(1)
	r.publishJSON(t, badTotals, nats.Header{"X-Shop-Trace": {"a\x00b"}})
	// An 8,000-character customer id (too large for an index row).
	long := testInvoice("LONG-1", 1000)
	long.Debtor.CustomerId = strings.Repeat("k", 8000)
	r.publishJSON(t, long, nil)
	// A 3,000-character tenant in the subject, and one of invalid UTF-8.
	r.publishRaw(t, "shop."+strings.Repeat("t", 3000)+".invoice.issued", nats.Header{"Content-Type": {"application/json"}}, []byte(`{}`))
	r.publishRaw(t, "shop.\xc3\x28.invoice.issued", nats.Header{"Content-Type": {"application/json"}}, []byte(`{}`))
	// And one good invoice, which must be accepted in between.
	r.publishJSON(t, testInvoice("GOOD-1", 1000), nil)

	const want = 7
	deadline := time.Now().Add(60 * time.Second)
	var got []*rejectionv1.Rejection
	for time.Now().Before(deadline) {
		if got = r.open(t); len(got) >= want {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(got) != want {
		for _, x := range got {
			t.Logf("rejection: %s %q %s", x.GetReasonCode(), x.GetSubject(), x.GetReason())
		}
		t.Fatalf("%d open rejections, want %d", len(got), want)
	}
	for _, x := range got {
		if x.GetReason() == "" || x.GetService() != "ingestion" || x.GetConsumer() != "ingestion-invoices" {
			t.Errorf("rejection without reason or origin: %v", x)
		}
		if x.GetReasonCode() == "gave_up" || x.GetReasonCode() == "unknown" {
			t.Errorf("rejection %q classed %s, want a permanent reason: %s", x.GetSubject(), x.GetReasonCode(), x.GetReason())
		}
		if len(x.GetSubject()) > 600 {
			t.Errorf("subject stored with %d bytes, want it cut", len(x.GetSubject()))
		}
	}
	// The good invoice was stored (its debtor saved), the others changed
	// nothing.
	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var invoices int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM ingestion.events WHERE stream_type = 'invoice'`).Scan(&invoices); err != nil {
		t.Fatal(err)
	}
	if invoices != 1 {
		t.Errorf("%d invoices stored, want 1 (GOOD-1)", invoices)
	}
}

// TestRejectedInvoiceChangesNoMasterData sends invoice X, then X again
// with other lines and a changed debtor name and e-mail: the second is
// rejected as a conflict and the debtor keeps the first name and e-mail.
func TestRejectedInvoiceChangesNoMasterData(t *testing.T) {
	t.Parallel()
	r := startIngestion(t)
	first := testInvoice("X-1", 1000)
	first.Debtor.Name, first.Debtor.Email = "Original", "original@example.com"
	r.publishJSON(t, first, nil)
	changed := testInvoice("X-1", 2000)
	changed.Debtor.Name, changed.Debtor.Email = "Changed", "changed@example.com"
	r.publishJSON(t, changed, nil)
	// An invalid invoice for the same debtor must not change it either.
	invalid := testInvoice("X-2", 1000)
	invalid.Totals.Net = eur(3)
	invalid.Debtor.Name = "Invalid"
	r.publishJSON(t, invalid, nil)
	eventually(t, "two rejections", func() bool { return len(r.open(t)) == 2 })

	conn, err := pgx.Connect(context.Background(), r.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var name, email string
	if err := conn.QueryRow(context.Background(), `SELECT name, email FROM ingestion.debtors WHERE tenant = 'acme' AND debtor_id = 'C-1'`).Scan(&name, &email); err != nil {
		t.Fatal(err)
	}
	if name != "Original" || email != "original@example.com" {
		t.Errorf("debtor = %q <%s>, want Original <original@example.com>", name, email)
	}
}
