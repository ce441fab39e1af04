package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"
	"github.com/o2c-platform/o2c/proto/o2c/status/v1/statusv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/shoppub"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

// redriveSchemas are the services TestRedriveAfterLosingNATSData runs, by
// schema.
var redriveSchemas = []string{"ingestion", "ledger", "matching"}

// TestRedriveAfterLosingNATSData runs ingestion, the ledger and matching,
// books a stream of shop invoices and the demo's invoices and bank
// statement (matching decides the receipts and sends the ledger
// ApplyPayment commands through its own stream), and then loses the NATS
// data directory:
// the services stop, NATS is killed, its store deleted, and a fresh NATS
// started on the same port. Restarted, each service's relay finds its
// stream new and empty and re-drives every event of its event store
// (host.Relay), and every consumer takes all of them in again. Afterwards
// every service's state (every table of ingestion's, the ledger's and
// matching's schemas but the checkpoints: open items, journal, status read
// models, matching's view of the items) equals the state before, no event
// store holds an event more (no payment applied twice), and every
// service's stream holds each event once.
//
// Invoices the shop published while ingestion was down were in the SHOP
// stream only, so they are lost with it: the ledger's StatusService knows
// nothing of them (NOT_FOUND), which is how the shop finds what to send
// again; sent again, each is booked once.
func TestRedriveAfterLosingNATSData(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs NATS, PostgreSQL, ingestion, the ledger and matching twice")
	}
	const booked, unconsumed = 40, 5
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	pg := chaos.StartPostgres(t)
	if err := pg.Cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
		t.Fatal(err)
	}
	dbURL := pg.Cluster.DatabaseURL("o2c")
	ns := chaos.StartNATS(t)
	logs := &lockedBuffer{}
	defer func() {
		if t.Failed() {
			t.Logf("service logs:\n%s", logs.String())
		}
	}()
	sys := startRedriveSystem(ctx, t, dbURL, ns.URL(), logs)
	defer sys.stop()

	nc, err := nats.Connect(ns.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	publish := func(from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			msg, err := shopInvoice(i)
			if err == nil {
				_, err = shoppub.Publish(ctx, js, msg, shoppub.Options{AckTimeout: time.Second, MaxBackoff: 500 * time.Millisecond})
			}
			if err != nil {
				t.Fatalf("invoice %d: %v", i, err)
			}
		}
	}
	publish(0, booked)
	assertBookedOnce(ctx, t, dbURL, booked)
	// The demo's invoices and its bank statement: matching decides the
	// receipts and sends the ledger ApplyPayment commands, which travel in
	// matching's stream and are re-driven with it.
	for _, inv := range demo.Invoices() {
		data, err := proto.Marshal(inv)
		if err != nil {
			t.Fatal(err)
		}
		msg := nats.NewMsg("shop." + inv.GetTenant() + ".invoice.issued")
		msg.Data = data
		msg.Header.Set("Content-Type", "application/protobuf")
		msg.Header.Set(jetstream.MsgIDHeader, inv.GetTenant()+":"+inv.GetInvoiceNumber())
		if _, err := shoppub.Publish(ctx, js, msg, shoppub.Options{AckTimeout: time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	settle(ctx, t, js, dbURL, "")
	ingestionConn, err := grpc.NewClient(sys.ingestionAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer ingestionConn.Close()
	if _, err := demo.ImportBankFiles(ctx, ingestionConn); err != nil {
		t.Fatal(err)
	}
	settle(ctx, t, js, dbURL, "")
	// Ingestion stops; the shop publishes on, into the SHOP stream only.
	if err := sys.ingestion.Kill(); err != nil {
		t.Fatal(err)
	}
	publish(booked, booked+unconsumed)
	settle(ctx, t, js, dbURL, bus.ShopStream)
	before := snapshot(ctx, t, dbURL)
	if n := countRows(ctx, t, dbURL, `SELECT count(*) FROM matching.events WHERE event_type = 'o2c.ledger.v1.ApplyPayment'`); n == 0 {
		t.Fatal("matching sent the ledger no ApplyPayment: the re-drive of its commands is not tested")
	}
	opened := countRows(ctx, t, dbURL, `SELECT count(*) FROM ledger.events WHERE event_type LIKE '%OpenItemOpened'`)

	// The NATS data directory is lost.
	sys.stop()
	if err := ns.Kill(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(ns.StoreDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(ns.StoreDir(), e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := ns.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Stream(ctx, bus.ServiceStream(ingestion.Name)); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("stream %s after deleting the store: %v, want not found", bus.ServiceStream(ingestion.Name), err)
	}

	// The services start again and re-drive.
	sys = startRedriveSystem(ctx, t, dbURL, ns.URL(), logs)
	defer sys.stop()
	settle(ctx, t, js, dbURL, "")
	after := snapshot(ctx, t, dbURL)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after the re-drive differs from the state before (-before +after):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "re-driving every event of the event store") {
		t.Error("no service logged a re-drive")
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range []string{ingestion.Name, ledger.Name, matching.Name} {
		var events int
		if err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s.events`, host.Schema(s))).Scan(&events); err != nil {
			t.Fatal(err)
		}
		ids := streamMsgIDs(ctx, t, js, bus.ServiceStream(s))
		for id, c := range ids {
			if c != 1 {
				t.Errorf("event %s is %d times in %s", id, c, bus.ServiceStream(s))
			}
		}
		// Status facts and commands are relayed into other streams or
		// under other subjects of the service's own; every event of the
		// store is re-driven into some stream, none twice.
		if len(ids) > events {
			t.Errorf("%s holds %d messages after the re-drive, %s stored %d events", bus.ServiceStream(s), len(ids), s, events)
		}
		if events > 0 && len(ids) == 0 {
			t.Errorf("%s is empty after the re-drive; %s stored %d events", bus.ServiceStream(s), s, events)
		}
	}

	// What the shop must send again: what the status feed never reported.
	gc, err := grpc.NewClient(sys.ledgerAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	statuses := statusv1grpc.NewStatusServiceClient(gc)
	var resend []int
	for i := range booked + unconsumed {
		_, err := statuses.GetInvoiceStatus(ctx, &statusv1.GetInvoiceStatusRequest{Tenant: demo.Tenant, InvoiceNumber: invoiceNumber(i)})
		switch status.Code(err) {
		case codes.OK:
		case codes.NotFound:
			resend = append(resend, i)
		default:
			t.Fatalf("status of %s: %v", invoiceNumber(i), err)
		}
	}
	want := make([]int, 0, unconsumed)
	for i := booked; i < booked+unconsumed; i++ {
		want = append(want, i)
	}
	if diff := cmp.Diff(want, resend); diff != "" {
		t.Errorf("invoices the ledger does not know after the loss (-want +got):\n%s", diff)
	}
	// The shop sends them again, and one already booked for good measure:
	// the five are booked, once each, and nothing else.
	publish(booked-1, booked+unconsumed)
	settle(ctx, t, js, dbURL, "")
	if got, want := countRows(ctx, t, dbURL, `SELECT count(*) FROM ledger.events WHERE event_type LIKE '%OpenItemOpened'`), opened+unconsumed; got != want {
		t.Errorf("the ledger opened %d items in all after the shop sent again, want %d", got, want)
	}
	if got, want := countRows(ctx, t, dbURL, `SELECT count(*) FROM ingestion.events WHERE event_type LIKE '%InvoiceIngested' AND stream_id LIKE 'NC-%'`), booked+unconsumed; got != want {
		t.Errorf("ingestion stored %d of the stream's invoices, want %d", got, want)
	}
	if got, want := countRows(ctx, t, dbURL, `SELECT count(DISTINCT document_number) FROM ledger.open_items WHERE document_number LIKE 'NC-%'`), booked+unconsumed; got != want {
		t.Errorf("the ledger holds open items of %d of the stream's invoices, want %d", got, want)
	}
}

// settle waits until nothing moves any more: every relay has published its
// store and every consumer (of every stream but skip) has taken in
// everything, and no event was stored meanwhile; then until the ledger's
// read models hold every event.
func settle(ctx context.Context, t *testing.T, js jetstream.JetStream, dbURL, skip string) {
	t.Helper()
	total := func() int {
		n := 0
		for _, s := range redriveSchemas {
			n += countRows(ctx, t, dbURL, fmt.Sprintf(`SELECT count(*) FROM %s.events`, s))
		}
		return n
	}
	for {
		n := total()
		waitRelayed(ctx, t, dbURL)
		waitQuiet(ctx, t, js, skip)
		if total() == n {
			waitProjected(ctx, t, dbURL)
			return
		}
	}
}

// countRows runs a count query.
func countRows(ctx context.Context, t *testing.T, dbURL, query string) int {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// redriveSystem is ingestion, the ledger and matching, each run by chaos.
type redriveSystem struct {
	ingestion, ledger, matching *chaos.Service
	ingestionAddr, ledgerAddr   string
}

func (s *redriveSystem) stop() {
	for _, svc := range []*chaos.Service{s.matching, s.ledger, s.ingestion} {
		if svc != nil {
			_ = svc.Kill()
		}
	}
}

// startRedriveSystem starts ingestion, the ledger and matching on dbURL
// and natsURL, logging to logs.
func startRedriveSystem(ctx context.Context, t *testing.T, dbURL, natsURL string, logs *lockedBuffer) *redriveSystem {
	t.Helper()
	ts, err := demo.Tenants()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	config := func() host.Config {
		return host.Config{
			MigrateDatabaseURL: dbURL, NATSURL: natsURL, GRPCAddr: freeAddr(t), ManageStreams: true,
			ShutdownTimeout: 2 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond,
			Auth: auth.DevConfig(func(string) string { return "" }),
		}
	}
	sys := &redriveSystem{}
	start := func(name string, run func(ctx context.Context, cfg host.Config) error) *chaos.Service {
		cfg := config()
		switch name {
		case ingestion.Name:
			sys.ingestionAddr = cfg.GRPCAddr
		case ledger.Name:
			sys.ledgerAddr = cfg.GRPCAddr
		}
		s, err := chaos.StartService(ctx, name, func(ctx context.Context) error { return run(ctx, cfg) }, chaos.Serving(cfg.GRPCAddr))
		if err != nil {
			sys.stop()
			t.Fatalf("%v\n%s", err, logs.String())
		}
		return s
	}
	sys.ingestion = start(ingestion.Name, func(ctx context.Context, cfg host.Config) error {
		return ingestion.Run(ctx, cfg, ingestion.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	})
	sys.ledger = start(ledger.Name, func(ctx context.Context, cfg host.Config) error {
		return ledger.Run(ctx, cfg, ledger.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	})
	sepa := t.TempDir()
	sys.matching = start(matching.Name, func(ctx context.Context, cfg host.Config) error {
		return matching.Run(ctx, cfg, matching.Options{Tenants: ts, SepaDir: sepa}, telemetry.Providers{}, log, nil)
	})
	return sys
}

// waitQuiet waits until every durable consumer of every stream but skip
// has taken in everything: nothing pending, nothing unacknowledged, twice
// in a row a moment apart.
func waitQuiet(ctx context.Context, t *testing.T, js jetstream.JetStream, skip string) {
	t.Helper()
	var last string
	quietOnce := func() bool {
		last = ""
		for name := range js.StreamNames(ctx).Name() {
			if name == skip {
				continue
			}
			st, err := js.Stream(ctx, name)
			if err != nil {
				last = err.Error()
				return false
			}
			for ci := range st.ListConsumers(ctx).Info() {
				if ci.Config.Durable == "" {
					continue // a reader's ordered consumer, not a service's
				}
				if ci.NumPending > 0 || ci.NumAckPending > 0 {
					last = fmt.Sprintf("%s/%s: %d pending, %d unacknowledged", name, ci.Name, ci.NumPending, ci.NumAckPending)
					return false
				}
			}
		}
		return true
	}
	for quiet := 0; quiet < 2; {
		if quietOnce() {
			quiet++
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for the consumers to take in everything (last: %s): %v", last, ctx.Err())
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// waitRelayed waits until the relay of every service of redriveSchemas
// has published its event store's last event.
func waitRelayed(ctx context.Context, t *testing.T, dbURL string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range redriveSchemas {
		for {
			var behind bool
			err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce((SELECT max(position) FROM %[1]s.events), 0) >
				coalesce((SELECT position FROM %[1]s.checkpoints WHERE name = $1), 0)`, s), s+"-relay").Scan(&behind)
			if err == nil && !behind {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("waiting for %s's relay (%v): %v", s, err, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// tableRows is the content of a table, each row as its JSON text, sorted.
type tableRows struct {
	Rows []string
}

// snapshot reads every table of redriveSchemas but the checkpoints (which
// record when they were written), keyed by schema.table, without the
// column updated_at: when a row was last written is not state (matching
// writes an item's classification again when it meets it again, with the
// same content).
func snapshot(ctx context.Context, t *testing.T, dbURL string) map[string]tableRows {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' AND table_name NOT IN ('checkpoints', 'goose_db_version')
		ORDER BY 1, 2`, redriveSchemas)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var s, n string
		err := r.Scan(&s, &n)
		return s + "." + n, err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]tableRows{}
	for _, n := range names {
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT (to_jsonb(t) - 'updated_at')::text FROM %s t ORDER BY 1`, n))
		if err != nil {
			t.Fatal(err)
		}
		content, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("read %s: %v", n, err)
		}
		out[n] = tableRows{Rows: content}
	}
	return out
}
