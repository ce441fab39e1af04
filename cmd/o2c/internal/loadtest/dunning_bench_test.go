package loadtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	dunning "github.com/o2c-platform/o2c/services/dunning/service"
)

// envDunningItems sizes BenchmarkDunningRun: the open items, five per
// debtor. `make bench` leaves it unset (20,000 items of 4,000 debtors);
// `make bench-dunning` sets 1,000,000 (200,000 debtors), issue #17's
// scale.
const (
	envDunningItems     = "O2C_BENCH_DUNNING_ITEMS"
	defaultDunningItems = 20_000
	itemsPerDebtor      = 5
)

// dunningTenant is the benchmark's tenant (no dunning section: the
// German-law defaults).
const dunningTenant = "bench"

// dunningDay is the day of the benchmark's first run; round k runs the
// day k days later.
var dunningDay = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// BenchmarkDunningRun runs dunning's daily run (DunningService.Run over
// gRPC, as `o2c dunning run --tenant bench --date D` calls it) over
// O2C_BENCH_DUNNING_ITEMS open items (default 20,000; `make
// bench-dunning` 1,000,000) of a fifth as many debtors, against the
// dunning service in this process with durable PostgreSQL and embedded
// NATS. The read model is filled by COPY straight into dunning's tables
// (items and debtors, as its consumers of the ledger's and ingestion's
// events would leave them): the benchmark measures the run, not the
// intake, and fails loudly when the tables change shape.
//
// The book is a day in a steady state: every twentieth debtor has items
// 7 to 11 days overdue and gets a first reminder (a PDF, an e-mail in
// text and HTML and the notice's JSON in the outbox), every tenth is a
// business, one item in twenty is a marketplace's (never dunned), the
// rest are due in the coming weeks or less than a week overdue. Every
// debtor is decided; the decision is stored with its inputs in dunning's
// event store for each debtor that is sent something or has an overdue
// item (about 30 % of them here).
//
// Metrics:
//
//	items/s       open items decided per second, from the call to its last answer
//	debtors/s     debtors decided (and their decisions stored) per second
//	notices       notices issued in the round (rendered and put in the outbox)
//	peak-heap-MB  the largest live heap of this process (dunning, NATS) during the round
//	peak-rss-MB   the process's peak resident memory (VmHWM; getrusage's maxrss)
//	o2c-cores, postgres-cores, busy-cores, iowait-cores  as in BenchmarkShopInvoices
//
// Goal (issue #17): 1,000,000 items in under a minute on the 2-core
// development machine.
func BenchmarkDunningRun(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: runs PostgreSQL, NATS and dunning")
	}
	items := envInt(b, envDunningItems, defaultDunningItems)
	debtors := max(items/itemsPerDebtor, 1)
	items = debtors * itemsPerDebtor
	s, client := startDunningSystem(b)
	seed := time.Now()
	expected := seedDunning(b, s.dbURL, debtors)
	b.Logf("read model filled with %d open items of %d debtors in %v; %d debtors are due a first reminder on %s",
		items, debtors, time.Since(seed).Round(time.Millisecond), expected, dunningDay.Format(time.DateOnly))
	round := 0
	for b.Loop() {
		day := dunningDay.AddDate(0, 0, round)
		round++
		peak := watchHeap()
		cpu0 := s.cpu()
		start := time.Now()
		last, batches, err := runDunningOnce(b.Context(), client, day)
		took := time.Since(start)
		if err != nil {
			b.Fatalf("run of %s: %v", day.Format(time.DateOnly), err)
		}
		cpu := s.cpu().since(cpu0)
		heap := peak()
		if int(last.GetDebtorsDone()) != debtors {
			b.Fatalf("run of %s decided %d debtors, want %d: %v", day.Format(time.DateOnly), last.GetDebtorsDone(), debtors, last)
		}
		if round == 1 && int(last.GetNotices()) != expected {
			b.Fatalf("the first run issued %d notices, want %d (every twentieth debtor)", last.GetNotices(), expected)
		}
		b.ReportMetric(float64(items)/took.Seconds(), "items/s")
		b.ReportMetric(float64(debtors)/took.Seconds(), "debtors/s")
		b.ReportMetric(float64(last.GetNotices()), "notices")
		b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-rss-MB")
		cpu.report(b)
		b.Logf("round %d (%s): %d items of %d debtors decided in %v (%.0f items/s, %.0f debtors/s, %d progress messages), %d notices, %d charges; peak heap %.0f MiB, peak RSS %.0f MiB; %s",
			round, day.Format(time.DateOnly), items, debtors, took.Round(time.Millisecond), float64(items)/took.Seconds(), float64(debtors)/took.Seconds(),
			batches, last.GetNotices(), last.GetCharges(), float64(heap)/(1<<20), float64(peakRSS())/(1<<20), cpu)
	}
}

// startDunningSystem starts PostgreSQL, NATS (with the ledger's and
// ingestion's streams declared, which dunning reads and waits for) and
// dunning, and returns a client of its DunningService.
func startDunningSystem(b *testing.B) (*system, dunningv1grpc.DunningServiceClient) {
	b.Helper()
	ctx := b.Context()
	pg := chaos.StartPostgres(b)
	if err := pg.Cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
		b.Fatal(err)
	}
	s := &system{dbURL: pg.Cluster.DatabaseURL("o2c"), ns: chaos.StartNATS(b), pgDir: pg.Cluster.Dir(), logs: &lockedBuffer{}}
	nc, err := nats.Connect(s.ns.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("ledger"), bus.ServiceStreamConfig("ingestion")); err != nil {
		b.Fatal(err)
	}
	ts, err := tenants.Parse("the dunning benchmark's tenants", []byte(`{"tenants": {"`+dunningTenant+`": {
		"name": "Dunning benchmark", "ledger": {"chart": "SKR03"},
		"bank": {"accounts": [{"iban": "DE89370400440532013000", "currency": "EUR", "account": "1200", "name": "Hausbank"}]}}}}`))
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	cfg := host.Config{
		MigrateDatabaseURL: s.dbURL, NATSURL: s.ns.URL(), GRPCAddr: freeAddr(b), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond,
		Auth: auth.DevConfig(func(string) string { return "" }),
	}
	opt := dunning.Options{Tenants: ts, Outbox: b.TempDir(), RunAt: -1, Now: func() time.Time { return dunningDay.Add(12 * time.Hour) }}
	svc, err := chaos.StartService(ctx, dunning.Name, func(ctx context.Context) error {
		return dunning.Run(ctx, cfg, opt, telemetry.Providers{}, log, nil)
	}, chaos.Serving(cfg.GRPCAddr))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := svc.Kill(); err != nil {
			b.Errorf("at the end: %v", err)
		}
		if b.Failed() {
			b.Logf("service logs:\n%s", s.logs.String())
		}
	})
	conn, err := grpc.NewClient(cfg.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return s, dunningv1grpc.NewDunningServiceClient(conn)
}

// seedDunning fills dunning's read model with debtors debtors of
// itemsPerDebtor open items each and returns how many of them are due a
// first reminder on dunningDay.
func seedDunning(b *testing.B, dbURL string, debtors int) int {
	b.Helper()
	ctx := b.Context()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET search_path = "+dunning.Name); err != nil {
		b.Fatal(err)
	}
	rows := make([][]any, 0, debtors)
	for d := range debtors {
		kind := "b2c"
		if d%10 == 5 {
			kind = "b2b"
		}
		rows = append(rows, []any{dunningTenant, benchDebtor(d), kind, "", "de", ""})
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"debtors"}, []string{"tenant", "debtor_id", "kind", "grp", "language", "channel"},
		pgx.CopyFromRows(rows)); err != nil {
		b.Fatalf("fill dunning's debtors (has the table changed?): %v", err)
	}
	due := 0
	src := &itemRows{debtors: debtors}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"tenant", "item_id", "debtor_id", "kind", "claim_id", "component",
		"document_number", "currency", "amount_minor", "open_minor", "document_date", "due_date", "marketplace", "dunnable"}, src); err != nil {
		b.Fatalf("fill dunning's items (has the table changed?): %v", err)
	}
	for d := range debtors {
		if d%20 == 0 {
			due++
		}
	}
	if _, err := conn.Exec(ctx, "ANALYZE debtors; ANALYZE items"); err != nil {
		b.Fatal(err)
	}
	return due
}

// benchDebtor is the id of debtor d.
func benchDebtor(d int) string { return fmt.Sprintf("K-%07d", d) }

// itemRows generates the open items for CopyFrom: item i of debtor d,
// 10.00 to 1,009.99 EUR. Debtor d%20 == 0 has them 7 to 11 days overdue;
// every other debtor's are due between 6 days ago and 84 days ahead.
// Every twentieth item is a marketplace's.
type itemRows struct {
	debtors, n int
	row        []any
}

func (r *itemRows) Next() bool {
	if r.n >= r.debtors*itemsPerDebtor {
		return false
	}
	n := r.n
	r.n++
	d, i := n/itemsPerDebtor, n%itemsPerDebtor
	offset := -6 + (n*7919)%91 // days from dunningDay to the due date
	if d%20 == 0 {
		offset = -7 - i
	}
	due := dunningDay.AddDate(0, 0, offset)
	id := "I-" + strconv.Itoa(n)
	market := ""
	if n%20 == 19 {
		market = "amazon"
	}
	amount := int64(1000 + (n*104729)%100000)
	r.row = []any{dunningTenant, id, benchDebtor(d), "invoice", id, "principal", "RE-" + strconv.Itoa(n), "EUR", amount, amount,
		due.AddDate(0, 0, -14), due, market, market == ""}
	return true
}

func (r *itemRows) Values() ([]any, error) { return r.row, nil }

func (r *itemRows) Err() error { return nil }

// runDunningOnce runs dunning for day and returns its last answer and how
// many answers came.
func runDunningOnce(ctx context.Context, client dunningv1grpc.DunningServiceClient, day time.Time) (*dunningv1.RunResponse, int, error) {
	stream, err := client.Run(ctx, &dunningv1.RunRequest{Tenant: dunningTenant,
		Date: &commonv1.Date{Year: int32(day.Year()), Month: int32(day.Month()), Day: int32(day.Day())}})
	if err != nil {
		return nil, 0, err
	}
	var last *dunningv1.RunResponse
	n := 0
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return last, n, err
		}
		last, n = r, n+1
	}
	if !last.GetDone() {
		return last, n, errors.New("the run ended without its last answer")
	}
	return last, n, nil
}
