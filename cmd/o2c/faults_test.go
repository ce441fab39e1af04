package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/shoppub"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// `make faults` runs TestKillAndRestartLosesNothing with more invoices and
// more rounds of faults than `make test`.
var (
	faultInvoices = flag.Int("faults.invoices", 60, "invoices TestKillAndRestartLosesNothing publishes")
	faultRounds   = flag.Int("faults.rounds", 1, "rounds of faults (ingestion, NATS, PostgreSQL) in TestKillAndRestartLosesNothing")
)

// lockedBuffer collects the services' logs for a failure report.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr returns a loopback address with a port free now, which a
// service restarted on it listens on again.
func freeAddr(t testing.TB) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return lis.Addr().String()
}

// TestKillAndRestartLosesNothing publishes a stream of shop invoices with
// acknowledged publishes and retry while ingestion, NATS and PostgreSQL
// are killed and restarted in turn; at the end every invoice is booked
// exactly once (one InvoiceIngested, one OpenItemOpened and one open item
// per invoice) and the hash chains and read models verify.
func TestKillAndRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs ingestion, the ledger, PostgreSQL and NATS and kills each")
	}
	n, rounds := *faultInvoices, *faultRounds
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(60+n/10+30*rounds)*time.Second)
	defer cancel()

	pg := chaos.StartPostgres(t)
	if err := pg.Cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
		t.Fatal(err)
	}
	dbURL := pg.Cluster.DatabaseURL("o2c")
	ns := chaos.StartNATS(t)
	ts, err := demo.Tenants()
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	config := func() host.Config {
		return host.Config{
			MigrateDatabaseURL: dbURL, NATSURL: ns.URL(), GRPCAddr: freeAddr(t), ManageStreams: true,
			ShutdownTimeout: 2 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond,
			Auth: auth.DevConfig(func(string) string { return "" }),
		}
	}
	ingCfg, ledCfg := config(), config()
	var services []*chaos.Service
	defer func() {
		for _, s := range services {
			if err := s.Kill(); err != nil {
				t.Errorf("at the end: %v", err)
			}
		}
		if t.Failed() {
			t.Logf("service logs:\n%s", logs.String())
		}
	}()
	ing, err := chaos.StartService(ctx, ingestion.Name, func(ctx context.Context) error {
		return ingestion.Run(ctx, ingCfg, ingestion.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	}, chaos.Serving(ingCfg.GRPCAddr))
	if err != nil {
		t.Fatal(err)
	}
	services = append(services, ing)
	led, err := chaos.StartService(ctx, ledger.Name, func(ctx context.Context) error {
		return ledger.Run(ctx, ledCfg, ledger.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	}, chaos.Serving(ledCfg.GRPCAddr))
	if err != nil {
		t.Fatal(err)
	}
	services = append(services, led)

	// The shop: publishes every invoice with acknowledgement and retry.
	nc, err := nats.Connect(ns.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// Fault k strikes once invoice at[k] is due; the shop publishes it
	// only after the kill, so that every fault meets the stream midway.
	targets := []chaos.Target{ing, ns, pg}
	steps := len(targets) * rounds
	at := map[int]bool{}
	for k := range steps {
		at[(k+1)*n/(steps+1)] = true
	}
	killed := make(chan struct{})
	var published, retries atomic.Int64
	pubErr := make(chan error, 1)
	go func() {
		for i := range n {
			if at[i] {
				select {
				case <-killed:
				case <-ctx.Done():
					pubErr <- ctx.Err()
					return
				}
			}
			msg, err := faultMsg(i)
			if err == nil {
				_, err = shoppub.Publish(ctx, js, msg, shoppub.Options{AckTimeout: time.Second, MaxBackoff: 500 * time.Millisecond,
					OnRetry: func(int, error) { retries.Add(1) }})
			}
			if err != nil {
				pubErr <- fmt.Errorf("invoice %d: %w", i, err)
				return
			}
			published.Add(1)
			time.Sleep(10 * time.Millisecond) // a stream, not a burst
		}
		pubErr <- nil
	}()

	// The faults, in turn, spread over the stream.
	for k := range steps {
		due := int64((k + 1) * n / (steps + 1))
		for published.Load() < due {
			select {
			case err := <-pubErr:
				t.Fatalf("the shop stopped before fault %d: %v", k, err)
			case <-ctx.Done():
				t.Fatalf("waiting for %d published invoices (have %d): %v", due, published.Load(), ctx.Err())
			case <-time.After(5 * time.Millisecond):
			}
		}
		tg := targets[k%len(targets)]
		t.Logf("after %d invoices: kill and restart %s", published.Load(), tg.Name())
		if err := tg.Kill(); err != nil {
			t.Fatalf("kill %s: %v", tg.Name(), err)
		}
		killed <- struct{}{}
		time.Sleep(300 * time.Millisecond)
		if err := tg.Restart(ctx); err != nil {
			t.Fatalf("restart %s: %v", tg.Name(), err)
		}
	}
	if err := <-pubErr; err != nil {
		t.Fatalf("the shop: %v", err)
	}
	t.Logf("%d invoices published, %d publishes retried", n, retries.Load())

	// Every invoice booked exactly once.
	waitIngestedAndOpened(ctx, t, dbURL, n)
	items := waitOpenItems(ctx, t, ledCfg.GRPCAddr, n)
	seen := map[string]int{}
	for _, it := range items {
		seen[it.GetDocumentNumber()]++
	}
	for i := range n {
		if c := seen[faultNumber(i)]; c != 1 {
			t.Errorf("invoice %s has %d open items, want 1", faultNumber(i), c)
		}
	}
	var out bytes.Buffer
	if ok, err := chains.Verify(ctx, dbURL, chains.Schemas, &out); err != nil || !ok {
		t.Errorf("o2c verify: ok %v, %v:\n%s", ok, err, out.String())
	}
}

func faultNumber(i int) string { return fmt.Sprintf("FT-%05d", i) }

// faultMsg is the i-th invoice of the stream as the shop sends it: the
// demo's second invoice under a number and order of its own, in protobuf,
// with the Nats-Msg-Id that makes a retry a duplicate.
func faultMsg(i int) (*nats.Msg, error) {
	inv := demo.Invoices()[1]
	inv.InvoiceNumber, inv.OrderId, inv.PaymentReference = faultNumber(i), fmt.Sprintf("FO-%05d", i), faultNumber(i)
	data, err := proto.Marshal(inv)
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg("shop." + inv.GetTenant() + ".invoice.issued")
	msg.Data = data
	msg.Header.Set("Content-Type", "application/protobuf")
	msg.Header.Set(jetstream.MsgIDHeader, inv.GetTenant()+":"+inv.GetInvoiceNumber())
	return msg, nil
}

// waitOpenItems asks the ledger, as its clients do, until the demo tenant
// has n open items, and returns them.
func waitOpenItems(ctx context.Context, t *testing.T, addr string, n int) []*ledgerv1.OpenItem {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := ledgerv1grpc.NewLedgerServiceClient(conn)
	for {
		r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: demo.Tenant})
		if err == nil && len(r.GetOpenItems()) >= n {
			return r.GetOpenItems()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %d open items (have %d, %v): %v", n, len(r.GetOpenItems()), err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitIngestedAndOpened waits until ingestion appended n InvoiceIngested
// and the ledger n OpenItemOpened events, then checks that no more come. It
// connects anew for each count, so a PostgreSQL that is still restarting
// only delays it.
func waitIngestedAndOpened(ctx context.Context, t *testing.T, dbURL string, n int) {
	t.Helper()
	counts := func() (ingested, opened int, err error) {
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			return 0, 0, err
		}
		defer conn.Close(ctx)
		err = conn.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM ingestion.events WHERE event_type LIKE '%InvoiceIngested'),
			(SELECT count(*) FROM ledger.events WHERE event_type LIKE '%OpenItemOpened')`).Scan(&ingested, &opened)
		return ingested, opened, err
	}
	var ingested, opened int
	var err error
	for {
		ingested, opened, err = counts()
		if err == nil && ingested >= n && opened >= n {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %d invoices booked: ingested %d, opened %d (%v): %v", n, ingested, opened, err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	time.Sleep(500 * time.Millisecond) // a late duplicate would show now
	if ingested, opened, err = counts(); err != nil || ingested != n || opened != n {
		t.Errorf("ingested %d, opened %d (%v); want %d each", ingested, opened, err, n)
	}
}
