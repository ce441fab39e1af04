package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

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
)

// clusterInvoices is how many invoices each case of
// TestClusterSurvivesAFault publishes.
const clusterInvoices = 60

// TestClusterSurvivesAFault runs ingestion and the ledger on a three-node
// NATS cluster whose streams keep three replicas (NATS_STREAM_REPLICAS=3,
// as production runs), publishes a stream of shop invoices and, halfway,
// kills one part and keeps publishing while it is down: the node leading
// ingestion's stream, or PostgreSQL. Once the part is back, every invoice
// is booked exactly once: as many InvoiceIngested events appended as
// invoices, as many OpenItemOpened events booked by the ledger's consumer,
// one open item per invoice number, and every event id once in ingestion's
// stream.
func TestClusterSurvivesAFault(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a three-node NATS cluster, PostgreSQL, ingestion and the ledger")
	}
	for _, tt := range []struct {
		name string
		// fault picks the part to kill once the streams are up.
		fault func(t *testing.T, ctx context.Context, cl *chaos.NATSCluster, pg *chaos.Postgres, js jetstream.JetStream) chaos.Target
	}{
		{"the leader of ingestion's stream", func(t *testing.T, ctx context.Context, cl *chaos.NATSCluster, _ *chaos.Postgres, js jetstream.JetStream) chaos.Target {
			st, err := js.Stream(ctx, bus.ServiceStream(ingestion.Name))
			if err != nil {
				t.Fatal(err)
			}
			info := st.CachedInfo()
			if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
				t.Fatalf("stream %s: %d replicas configured, cluster %+v; want 3 (a leader and two followers)", info.Config.Name, info.Config.Replicas, info.Cluster)
			}
			for i := range cl.Nodes() {
				if fmt.Sprintf("n%d", i+1) == info.Cluster.Leader {
					return cl.Node(i)
				}
			}
			t.Fatalf("stream %s: leader %q is none of the nodes", info.Config.Name, info.Cluster.Leader)
			return nil
		}},
		{"PostgreSQL", func(_ *testing.T, _ context.Context, _ *chaos.NATSCluster, pg *chaos.Postgres, _ jetstream.JetStream) chaos.Target {
			return pg
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
			defer cancel()
			pg := chaos.StartPostgres(t)
			if err := pg.Cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
				t.Fatal(err)
			}
			dbURL := pg.Cluster.DatabaseURL("o2c")
			cl := chaos.StartNATSCluster(t, 3)
			logs := &lockedBuffer{}
			stop := startBooking(ctx, t, dbURL, cl.URL(), logs)
			defer stop()

			nc, err := nats.Connect(cl.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			target := tt.fault(t, ctx, cl, pg, js)

			// The shop publishes with acknowledgement and retry; the part is
			// killed after half the invoices and restarted after a quarter
			// more were published while it was down.
			n := clusterInvoices
			var published atomic.Int64
			pubErr := make(chan error, 1)
			go func() {
				for i := range n {
					msg, err := shopInvoice(i)
					if err == nil {
						_, err = shoppub.Publish(ctx, js, msg, shoppub.Options{AckTimeout: time.Second, MaxBackoff: 500 * time.Millisecond})
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
			waitPublished := func(due int64) {
				t.Helper()
				for published.Load() < due {
					select {
					case err := <-pubErr:
						t.Fatalf("the shop stopped at %d invoices: %v", published.Load(), err)
					case <-ctx.Done():
						t.Fatalf("waiting for %d published invoices (have %d): %v", due, published.Load(), ctx.Err())
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
			waitPublished(int64(n / 2))
			t.Logf("after %d invoices: kill %s", published.Load(), target.Name())
			if err := target.Kill(); err != nil {
				t.Fatal(err)
			}
			if _, isNode := target.(*chaos.NATS); isNode {
				// Two of three nodes keep the streams: the shop goes on
				// while the node is down.
				waitPublished(int64(3 * n / 4))
			} else {
				time.Sleep(500 * time.Millisecond)
			}
			t.Logf("after %d invoices: restart %s", published.Load(), target.Name())
			if err := target.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-pubErr; err != nil {
				t.Fatalf("the shop: %v", err)
			}
			defer func() {
				if t.Failed() {
					t.Logf("service logs:\n%s", logs.String())
				}
			}()
			assertBookedOnce(ctx, t, dbURL, n)
			// No event was stored twice in ingestion's stream: one message
			// per event id (the relay's at-least-once publishes meet the
			// duplicate window).
			ids := streamMsgIDs(ctx, t, js, bus.ServiceStream(ingestion.Name))
			var appended int
			conn, err := pgx.Connect(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM ingestion.events`).Scan(&appended); err != nil {
				t.Fatal(err)
			}
			for id, c := range ids {
				if c != 1 {
					t.Errorf("event %s is %d times in %s", id, c, bus.ServiceStream(ingestion.Name))
				}
			}
			if len(ids) != appended {
				t.Errorf("%s holds %d events, ingestion appended %d", bus.ServiceStream(ingestion.Name), len(ids), appended)
			}
		})
	}
}

// startBooking starts ingestion and the ledger on the database dbURL and
// the NATS servers natsURL, with three replicas per stream when natsURL
// names several servers, logging to logs; stop kills both.
func startBooking(ctx context.Context, t *testing.T, dbURL, natsURL string, logs *lockedBuffer) (stop func()) {
	t.Helper()
	ts, err := demo.Tenants()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	config := func() host.Config {
		return host.Config{
			MigrateDatabaseURL: dbURL, NATSURL: natsURL, GRPCAddr: freeAddr(t), ManageStreams: true,
			StreamLimits:    bus.Limits{Replicas: 3},
			ShutdownTimeout: 2 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond,
			Auth: auth.DevConfig(func(string) string { return "" }),
		}
	}
	ingCfg, ledCfg := config(), config()
	var services []*chaos.Service
	stop = func() {
		for _, s := range services {
			if err := s.Kill(); err != nil {
				t.Errorf("at the end: %v", err)
			}
		}
	}
	ing, err := chaos.StartService(ctx, ingestion.Name, func(ctx context.Context) error {
		return ingestion.Run(ctx, ingCfg, ingestion.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	}, chaos.Serving(ingCfg.GRPCAddr))
	if err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	services = append(services, ing)
	led, err := chaos.StartService(ctx, ledger.Name, func(ctx context.Context) error {
		return ledger.Run(ctx, ledCfg, ledger.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	}, chaos.Serving(ledCfg.GRPCAddr))
	if err != nil {
		stop()
		t.Fatalf("%v\n%s", err, logs.String())
	}
	services = append(services, led)
	return stop
}

// assertBookedOnce waits until ingestion appended n InvoiceIngested and
// the ledger n OpenItemOpened events, then checks that no more come and
// that each of invoiceNumber(0..n-1) has one open item in the ledger's read
// model. The read model follows the ledger's events asynchronously (the
// projection polls), so it waits until the projection has taken in every
// event first.
func assertBookedOnce(ctx context.Context, t *testing.T, dbURL string, n int) {
	t.Helper()
	waitIngestedAndOpened(ctx, t, dbURL, n)
	waitProjected(ctx, t, dbURL)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	seen, err := openItemsByDocument(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if c := seen[invoiceNumber(i)]; c != 1 {
			t.Errorf("invoice %s has %d open items, want 1", invoiceNumber(i), c)
		}
	}
}

// waitProjected waits until the ledger's read-model projection has taken
// in every event the ledger stored: no event lies beyond its checkpoint.
func waitProjected(ctx context.Context, t *testing.T, dbURL string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for {
		var behind bool
		err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ledger.events e WHERE NOT EXISTS (
			SELECT 1 FROM ledger.checkpoints c WHERE c.name = $1 AND (e.tx_id, e.position) <= (c.tx_id, c.position)))`,
			ledger.ProjectionName).Scan(&behind)
		if err == nil && !behind {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for the ledger's projection %s to take in every event (%v): %v", ledger.ProjectionName, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// openItemsByDocument counts the ledger's open items by document number.
func openItemsByDocument(ctx context.Context, conn *pgx.Conn) (map[string]int, error) {
	rows, err := conn.Query(ctx, `SELECT document_number, count(*) FROM ledger.open_items GROUP BY document_number`)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	var doc string
	var c int
	_, err = pgx.ForEachRow(rows, []any{&doc, &c}, func() error {
		seen[doc] = c
		return nil
	})
	return seen, err
}

// streamMsgIDs reads every message of stream and counts them by
// Nats-Msg-Id. It reads each sequence through the stream's get API and
// retries a read that found no responder or timed out: right after a
// node of a cluster comes back, or under load, a request can meet a
// moment without a stream leader, which says nothing about the stream's
// content (an ordered consumer's fetch failed so once in make test).
func streamMsgIDs(ctx context.Context, t *testing.T, js jetstream.JetStream, stream string) map[string]int {
	t.Helper()
	var st jetstream.Stream
	var info *jetstream.StreamInfo
	err := retryTransient(ctx, func() (err error) {
		if st, err = js.Stream(ctx, stream); err != nil {
			return err
		}
		info, err = st.Info(ctx)
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	ids := map[string]int{}
	if info.State.Msgs == 0 {
		return ids
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		var m *jetstream.RawStreamMsg
		err := retryTransient(ctx, func() (err error) {
			m, err = st.GetMsg(ctx, seq)
			return err
		})
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			continue // deleted: not a message of the stream
		case err != nil:
			t.Fatalf("read %s at %d: %v", stream, seq, err)
		}
		ids[m.Header.Get(jetstream.MsgIDHeader)]++
	}
	return ids
}

// retryTransient runs f until it returns nil or an error other than a
// missing responder or a timeout, for at most 30 seconds.
func retryTransient(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil || !(errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)) ||
			time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// invoiceNumber is the number of the i-th invoice shopInvoice sends.
func invoiceNumber(i int) string { return fmt.Sprintf("NC-%05d", i) }

// shopInvoice is the i-th invoice of a stream as the shop sends it: the
// demo's second invoice under a number and order of its own, in protobuf,
// with the Nats-Msg-Id that makes a re-send a duplicate.
func shopInvoice(i int) (*nats.Msg, error) {
	inv := demo.Invoices()[1]
	inv.InvoiceNumber, inv.OrderId, inv.PaymentReference = invoiceNumber(i), fmt.Sprintf("NO-%05d", i), invoiceNumber(i)
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
