package service_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
	"github.com/o2c-platform/o2c/services/ledger/service"
)

// world is what every sub-benchmark shares: one durable PostgreSQL cluster
// with a migrated template database, and one embedded NATS server.
type world struct {
	cluster  *pgtest.Cluster
	template string
	nats     *natsembed.Server
	dbs      int
	// admin is a superuser pool on database postgres, for cluster-wide
	// figures (WAL, pg_stat_statements).
	admin *pgxpool.Pool
	// profile is the directory O2C_LEDGER_PROFILE names, "" when the
	// rounds do not profile themselves.
	profile string
}

func newWorld(b *testing.B) *world {
	b.Helper()
	ctx := context.Background()
	c, err := pgtest.Start(ctx, pgtest.Options{Durable: true})
	if errors.Is(err, pgtest.ErrNoPostgres) && os.Getenv("CI") == "" {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := c.Stop(); err != nil {
			b.Error(err)
		}
	})
	w := &world{cluster: c, template: "ledger_bench_template", profile: os.Getenv("O2C_LEDGER_PROFILE")}
	if w.profile != "" {
		w.enableProfiling(b)
	}
	if w.admin, err = pgxpool.New(ctx, c.URL()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.admin.Close)
	if err := c.CreateDatabase(ctx, w.template, ""); err != nil {
		b.Fatal(err)
	}
	if _, err := database.Migrate(ctx, c.DatabaseURL(w.template), service.Name, postgres.Migrations()); err != nil {
		b.Fatal(err)
	}
	if w.nats, err = natsembed.Start(natsembed.Options{}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.nats.Shutdown)
	// The ledger consumes what ingestion publishes; ingestion would
	// declare that stream.
	nc, err := nats.Connect(w.nats.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("ingestion")); err != nil {
		b.Fatal(err)
	}
	return w
}

// ledger is one running ledger service on its own fresh database.
type ledger struct {
	svc    *service.Ledger
	client ledgerv1grpc.LedgerServiceClient
	stop   func()
	posted int // entries posted in earlier rounds
}

func (w *world) startLedger(b *testing.B) *ledger {
	b.Helper()
	ctx := context.Background()
	w.dbs++
	name := fmt.Sprint("ledger_bench_", w.dbs)
	if err := w.cluster.CreateDatabase(ctx, name, w.template); err != nil {
		b.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cfg := host.Config{
		MigrateDatabaseURL: w.cluster.DatabaseURL(name),
		NATSURL:            w.nats.ClientURL(),
		GRPCAddr:           lis.Addr().String(),
		ManageStreams:      true,
		ShutdownTimeout:    10 * time.Second,
		Auth:               auth.Config{Mode: auth.Dev},
	}
	svc, err := service.New(ctx, cfg, service.Options{Tenants: tenantstest.File(b, "bench")}, telemetry.Providers{}, slog.New(slog.NewTextHandler(io.Discard, nil)), lis)
	if err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Serve(runCtx) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	return &ledger{svc: svc, client: ledgerv1grpc.NewLedgerServiceClient(conn), stop: func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			b.Errorf("ledger service: %v", err)
		}
		if err := w.cluster.DropDatabase(context.Background(), name); err != nil {
			b.Error(err)
		}
	}}
}

// entry is entry i of a run: a two-leg transfer between two of the
// accounts, different for every i.
func entry(run string, i, accounts int) *ledgerv1.PostJournalEntryRequest {
	a := (i * 7919) % accounts
	c := (a + 1 + i%(accounts-1)) % accounts
	if c == a {
		c = (a + 1) % accounts
	}
	amount := int64(100 + i%10000)
	return &ledgerv1.PostJournalEntryRequest{
		Tenant: "bench", IdempotencyKey: run + "-" + strconv.Itoa(i),
		EffectiveDate:  &commonv1.Date{Year: 2026, Month: 11, Day: 1 + int32(i%28)},
		DocumentNumber: "BN-" + strconv.Itoa(i), Text: "Benchmark transfer",
		Legs: []*ledgerv1.JournalLeg{
			{Account: strconv.Itoa(100000 + a), Amount: &commonv1.Money{MinorUnits: amount, Currency: "EUR"}},
			{Account: strconv.Itoa(100000 + c), Amount: &commonv1.Money{MinorUnits: -amount, Currency: "EUR"}},
		},
	}
}

// BenchmarkPostJournalEntry is the ledger's write-path benchmark, which
// `make bench` runs with the other Go benchmarks. It posts simple
// two-leg journal entries through the in-process write path (the Poster the
// gRPC handler calls) and through the public gRPC API, with 1, 4 and 20
// concurrent clients over 10, 50 and 10,000 accounts, against a throwaway
// PostgreSQL cluster with the default durability (fsync and
// synchronous_commit on) and an embedded NATS JetStream server that the
// ledger's outbox relay publishes to. The whole ledger service runs as in
// production: gRPC server, group committer, balance projection with its
// invariant checks, and relay.
//
// Each sub-benchmark reports, besides ns/op (one op is one entry):
//
//	entries/s      posted entries per second of wall time
//	p50-ms p99-ms max-ms   latency of one post as its client sees it
//	bytes/entry    size of events, journal lines and balance tables
//	               (pg_total_relation_size, indexes and TOAST included)
//	               divided by the number of stored entries
//	pool-conns     the size of the service's connection pool (its
//	               MaxConns); conns-used is how many it had open at the end
//	relay-lag-ms   from the last post's commit until the relay's checkpoint
//	               covered the last event (published and acknowledged by
//	               JetStream)
//	go-cpu-us/entry, pg-cpu-us/entry   CPU time of this process (client,
//	               service and NATS alike) and of the PostgreSQL server
//	               processes per entry, while the clients post
//	cpu-us/entry   both together, counted until the relay and the
//	               projection (with its invariant checks) have caught up,
//	               so that work they do after the last post is not left out
//	wal-bytes/entry   WAL written by the cluster per entry, from the first
//	               post until the relay and the projection caught up
//
// Run it alone with
//
//	go test -run '^$' -bench . -benchtime 1s ./services/ledger/service/
//
// With O2C_LEDGER_PROFILE set to a directory, the rounds also profile
// themselves (see profile_test.go and `make profile-ledger`).
func BenchmarkPostJournalEntry(b *testing.B) {
	w := newWorld(b)
	for _, mode := range []string{"inprocess", "grpc"} {
		for _, clients := range []int{1, 4, 20} {
			for _, accounts := range []int{10, 50, 10000} {
				name := fmt.Sprintf("%s/clients=%d/accounts=%d", mode, clients, accounts)
				var l *ledger
				b.Run(name, func(b *testing.B) {
					if l == nil {
						l = w.startLedger(b)
					}
					w.round(b, l, mode, clients, accounts)
				})
				if l != nil {
					l.stop()
				}
			}
		}
	}
}

// round posts b.N entries with the given number of concurrent clients and
// reports the metrics.
func (w *world) round(b *testing.B, l *ledger, mode string, clients, accounts int) {
	ctx := context.Background()
	post := func(req *ledgerv1.PostJournalEntryRequest) error {
		if mode == "grpc" {
			_, err := l.client.PostJournalEntry(ctx, req)
			return err
		}
		_, err := l.svc.Poster().Post(ctx, postgres.Entry{
			Tenant: req.GetTenant(), IdempotencyKey: req.GetIdempotencyKey(), EffectiveDate: req.GetEffectiveDate(),
			DocumentNumber: req.GetDocumentNumber(), Text: req.GetText(), Legs: req.GetLegs(),
		})
		return err
	}
	// Warm up: the service is serving and the connections are open.
	if err := post(entry("warm", l.posted, accounts)); err != nil {
		b.Fatal(err)
	}
	first := l.posted + 1
	l.posted += b.N + 1
	run := fmt.Sprint(mode, clients, accounts)
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	wal := w.walLSN(b)
	prof := w.startProfile(b)
	goCPU, pgCPU := processCPU(), w.postgresCPU()
	goCPU0, pgCPU0 := goCPU, pgCPU
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t := time.Now()
				if err := post(entry(run, first+i, accounts)); err != nil {
					failed.Store(err)
					return
				}
				latencies[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	goCPU, pgCPU = processCPU()-goCPU, w.postgresCPU()-pgCPU
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	relayLag := w.waitFor(b, l, service.RelayName)
	w.waitFor(b, l, postgres.ProjectionName)
	totalCPU := processCPU() - goCPU0 + w.postgresCPU() - pgCPU0
	walBytes := w.walSince(b, wal)
	prof.stop(b, b.N, walBytes)
	bytes, entries := storedBytes(b, l)

	slices.Sort(latencies)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(ms(latencies[b.N/2]), "p50-ms")
	b.ReportMetric(ms(latencies[(b.N*99)/100]), "p99-ms")
	b.ReportMetric(ms(latencies[b.N-1]), "max-ms")
	b.ReportMetric(float64(bytes)/float64(entries), "bytes/entry")
	b.ReportMetric(float64(l.svc.Pool().Config().MaxConns), "pool-conns")
	b.ReportMetric(float64(l.svc.Pool().Stat().TotalConns()), "conns-used")
	b.ReportMetric(ms(relayLag), "relay-lag-ms")
	b.ReportMetric(float64(goCPU.Microseconds())/float64(b.N), "go-cpu-us/entry")
	b.ReportMetric(float64(pgCPU.Microseconds())/float64(b.N), "pg-cpu-us/entry")
	b.ReportMetric(float64(totalCPU.Microseconds())/float64(b.N), "cpu-us/entry")
	b.ReportMetric(float64(walBytes)/float64(b.N), "wal-bytes/entry")
}

// walLSN returns the cluster's current WAL insert location.
func (w *world) walLSN(b *testing.B) string {
	b.Helper()
	var lsn string
	if err := w.admin.QueryRow(context.Background(), `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		b.Fatal(err)
	}
	return lsn
}

// walSince returns the bytes of WAL the cluster wrote since lsn.
func (w *world) walSince(b *testing.B, lsn string) int64 {
	b.Helper()
	var n int64
	if err := w.admin.QueryRow(context.Background(), `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::text::pg_lsn)::bigint`, lsn).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// waitFor waits until checkpoint name covers the last stored event and
// returns how long that took.
func (w *world) waitFor(b *testing.B, l *ledger, name string) time.Duration {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	var last eventstore.Cursor
	var tx string
	if err := l.svc.Pool().QueryRow(ctx, `SELECT tx_id::text, position FROM events ORDER BY tx_id DESC, position DESC LIMIT 1`).Scan(&tx, &last.Position); err != nil {
		b.Fatal(err)
	}
	last.TxID, _ = strconv.ParseUint(tx, 10, 64)
	for {
		c, err := l.svc.Events().Checkpoint(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		if !c.Less(last) {
			return time.Since(start)
		}
		if time.Since(start) > time.Minute {
			b.Fatalf("%s did not reach %v within a minute (at %v)", name, last, c)
		}
		time.Sleep(time.Millisecond)
	}
}

// storedBytes returns the size of the ledger's tables and the number of
// stored entries.
func storedBytes(b *testing.B, l *ledger) (bytes, entries int64) {
	b.Helper()
	err := l.svc.Pool().QueryRow(context.Background(), `
		SELECT pg_total_relation_size('events') + pg_total_relation_size('journal_lines')
		     + pg_total_relation_size('account_balances') + pg_total_relation_size('control_balances'),
		       (SELECT count(*) FROM events)`).Scan(&bytes, &entries)
	if err != nil {
		b.Fatal(err)
	}
	return bytes, entries
}

// processCPU is the user and system CPU time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is Linux's USER_HZ, the unit of CPU times in /proc/<pid>/stat.
const clockTicks = 100

// postgresCPU is the CPU time used so far by the cluster's postmaster and
// its live child processes (backends, WAL writer, checkpointer, ...), read
// from /proc; zero where /proc is not there.
func (w *world) postgresCPU() time.Duration {
	var ticks int64
	for _, pid := range w.postgresPIDs() {
		stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		k := strings.LastIndexByte(s, ')')
		if k < 0 {
			continue
		}
		f := strings.Fields(s[k+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// postgresPIDs returns the cluster's postmaster and its children.
func (w *world) postgresPIDs() []int {
	pidFile, err := os.ReadFile(filepath.Join(w.cluster.Dir(), "data", "postmaster.pid"))
	if err != nil {
		return nil
	}
	postmaster := strings.SplitN(string(pidFile), "\n", 2)[0]
	pm, err := strconv.Atoi(postmaster)
	if err != nil {
		return nil
	}
	out := []int{pm}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		k := strings.LastIndexByte(s, ')')
		if k < 0 {
			continue
		}
		if f := strings.Fields(s[k+1:]); len(f) > 1 && f[1] == postmaster {
			out = append(out, pid)
		}
	}
	return out
}
