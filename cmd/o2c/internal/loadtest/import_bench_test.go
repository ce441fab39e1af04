package loadtest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/upload"
	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/formats/camt/camtgen"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// envImportMB sizes the statement of BenchmarkImportCamt053 in MiB. `make
// bench` leaves it unset (10 MiB, some 12,000 transactions, booked in a
// few minutes); `make bench-import` sets 100.
const (
	envImportMB     = "O2C_BENCH_IMPORT_MB"
	defaultImportMB = 10
)

// importTenant is the tenant of the import benchmark.
const importTenant = "bench"

// importAccounts is how many bank accounts the benchmark's tenant has:
// each round imports its statement on an account of its own, so that every
// round books anew instead of answering a duplicate.
const importAccounts = 20

// BenchmarkImportCamt053 generates a camt.053 of O2C_BENCH_IMPORT_MB MiB
// (default 10; `make bench-import` 100) with camtgen and imports it through ingestion's
// ImportService (over gRPC, 1 MiB chunks, as `o2c import` sends it) into
// the system running in this process: ingestion and the ledger, durable
// PostgreSQL, embedded NATS, development authentication. A round ends
// when the ledger's bank account reaches the statement's closing balance,
// that is when the ledger has booked every transaction and recorded the
// statement (ListBankReconciliations shows no difference).
//
// Metrics:
//
//	tx/s            transactions booked per second, first byte sent to reconciled
//	import-tx/s     transactions per second until the Import call answered (read twice, emitted, stored)
//	import-MB/s     the file's MiB per second until the Import call answered
//	peak-heap-MB    the largest live heap of this process (services, NATS client and server) during the round
//	peak-rss-MB     the process's peak resident memory (VmHWM)
//	o2c-cores, postgres-cores, busy-cores, iowait-cores  as in BenchmarkShopInvoices
func BenchmarkImportCamt053(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: runs PostgreSQL, NATS, ingestion and the ledger")
	}
	mb := envInt(b, envImportMB, defaultImportMB)
	sys := startImportSystem(b)
	round := 0
	for b.Loop() {
		if round == importAccounts {
			b.Fatalf("more than %d rounds: the tenant has no account left for a fresh statement", importAccounts)
		}
		iban, account := benchAccount(round)
		round++
		st := writeStatement(b, iban, int64(mb)<<20)
		b.Logf("round %d: %s, %d MiB, %d entries, %d transactions, closing balance %d cents on %s (G/L %s)",
			round, filepath.Base(st.path), st.size>>20, st.entries, st.transactions, st.closing, iban, account)

		peak := watchHeap()
		cpu0 := sys.cpu()
		start := time.Now()
		resp, err := sys.importFile(b.Context(), st.path)
		imported := time.Since(start)
		if err != nil {
			b.Fatalf("import: %v", err)
		}
		if resp.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED || int(resp.GetCounts().GetNew()) != st.transactions {
			b.Fatalf("import answered %v; want IMPORTED with %d new", resp, st.transactions)
		}
		b.Logf("imported in %v: %v", imported.Round(time.Millisecond), resp.GetCounts())
		sys.waitBooked(b, iban, st.closing)
		booked := time.Since(start)
		cpu := sys.cpu().since(cpu0)
		heap := peak()

		b.ReportMetric(float64(st.transactions)/booked.Seconds(), "tx/s")
		b.ReportMetric(float64(st.transactions)/imported.Seconds(), "import-tx/s")
		b.ReportMetric(float64(st.size)/(1<<20)/imported.Seconds(), "import-MB/s")
		b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-rss-MB")
		cpu.report(b)
		b.Logf("round %d: %d transactions booked in %v (%.0f tx/s), imported in %v (%.0f tx/s, %.1f MiB/s); peak heap %.0f MiB, peak RSS %.0f MiB; %s",
			round, st.transactions, booked.Round(time.Millisecond), float64(st.transactions)/booked.Seconds(), imported.Round(time.Millisecond),
			float64(st.transactions)/imported.Seconds(), float64(st.size)/(1<<20)/imported.Seconds(), float64(heap)/(1<<20), float64(peakRSS())/(1<<20), cpu)
		if err := os.Remove(st.path); err != nil {
			b.Error(err)
		}
	}
}

// benchAccount returns the IBAN and G/L account of the benchmark tenant's
// bank account k.
func benchAccount(k int) (iban, account string) {
	return germanIBAN("12030000", fmt.Sprintf("%010d", 9_000_000+k)), strconv.Itoa(1201 + k)
}

// germanIBAN returns the IBAN of a German bank code and account number,
// with its check digits (ISO 13616, mod 97).
func germanIBAN(blz, account string) string {
	n, _ := new(big.Int).SetString(blz+account+"131400", 10) // "DE" is 13 14
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("DE%02d%s%s", check, blz, account)
}

// importTenants is the benchmark's tenants file: one tenant with
// importAccounts bank accounts and no outgoing rules, so that every debit
// waits on unidentified payments.
func importTenants(b *testing.B) *tenants.File {
	b.Helper()
	var accts []string
	for k := range importAccounts {
		iban, account := benchAccount(k)
		accts = append(accts, fmt.Sprintf(`{"iban": %q, "currency": "EUR", "account": %q}`, iban, account))
	}
	f, err := tenants.Parse("the import benchmark's tenants", []byte(`{"tenants": {"`+importTenant+`": {
		"name": "Import benchmark", "ledger": {"chart": "SKR03"},
		"bank": {"accounts": [`+strings.Join(accts, ", ")+`]}}}}`))
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// statementFile is a generated camt.053.
type statementFile struct {
	path                  string
	size                  int64
	entries, transactions int
	closing               int64 // cents
}

// camtgenAccount is the account camtgen writes its statements for.
const camtgenAccount = "DE02120300000000202051"

// closingRE finds camtgen's closing booked balance in its header.
var closingRE = regexp.MustCompile(`<Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">([0-9]+)\.([0-9]{2})</Amt>`)

// writeStatement writes a camtgen statement of about size bytes for iban
// into a temporary file.
func writeStatement(b *testing.B, iban string, size int64) statementFile {
	b.Helper()
	path := filepath.Join(b.TempDir(), "camt053_"+iban+".xml")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := &accountWriter{w: f, iban: iban}
	entries, err := camtgen.Write(w, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	if !w.replaced {
		b.Fatalf("camtgen no longer writes its statements for %s", camtgenAccount)
	}
	st := statementFile{path: path, size: w.n, entries: entries, transactions: camtgenTransactions(entries)}
	m := closingRE.FindSubmatch(w.head)
	if m == nil {
		b.Fatalf("no closing balance in camtgen's header:\n%s", w.head)
	}
	euros, _ := strconv.ParseInt(string(m[1]), 10, 64)
	cents, _ := strconv.ParseInt(string(m[2]), 10, 64)
	st.closing = euros*100 + cents
	return st
}

// camtgenTransactions is the number of transactions of a camtgen statement
// of n entries: every fourth entry is a batch of two direct debits.
func camtgenTransactions(entries int) int { return entries + entries/4 }

// accountWriter puts iban in place of camtgen's account in the header (the
// first write) and keeps the header.
type accountWriter struct {
	w        io.Writer
	iban     string
	head     []byte
	n        int64
	replaced bool
}

func (a *accountWriter) Write(p []byte) (int, error) {
	if a.head == nil {
		a.head = bytes.Clone(p[:min(len(p), 4096)])
		if i := bytes.Index(p, []byte("<IBAN>"+camtgenAccount+"</IBAN>")); i >= 0 && i < len(a.head) {
			p = bytes.Clone(p)
			copy(p[i+len("<IBAN>"):], a.iban)
			a.replaced = true
		}
	}
	n, err := a.w.Write(p)
	a.n += int64(n)
	return n, err
}

// importSystem is PostgreSQL, NATS, ingestion and the ledger in this
// process, and gRPC connections to ingestion and the ledger.
type importSystem struct {
	*system
	imports ingestionv1grpc.ImportServiceClient
	queries ledgerv1grpc.LedgerQueryServiceClient
}

func startImportSystem(b *testing.B) *importSystem {
	b.Helper()
	ctx := b.Context()
	pg := chaos.StartPostgres(b)
	if err := pg.Cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
		b.Fatal(err)
	}
	s := &system{dbURL: pg.Cluster.DatabaseURL("o2c"), ns: chaos.StartNATS(b), pgDir: pg.Cluster.Dir(), logs: &lockedBuffer{}}
	ts := importTenants(b)
	log := slog.New(redact.NewHandler(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	config := func() host.Config {
		return host.Config{
			MigrateDatabaseURL: s.dbURL, NATSURL: s.ns.URL(), GRPCAddr: freeAddr(b), ManageStreams: true,
			ShutdownTimeout: 5 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond,
			Auth: auth.DevConfig(func(string) string { return "" }),
		}
	}
	s.ingCfg, s.ledCfg = config(), config()
	b.Cleanup(func() {
		for _, svc := range []*chaos.Service{s.led, s.ing} {
			if svc != nil {
				if err := svc.Kill(); err != nil {
					b.Errorf("at the end: %v", err)
				}
			}
		}
		if b.Failed() {
			b.Logf("service logs:\n%s", s.logs.String())
		}
	})
	var err error
	s.ing, err = chaos.StartService(ctx, ingestion.Name, func(ctx context.Context) error {
		return ingestion.Run(ctx, s.ingCfg, ingestion.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	}, chaos.Serving(s.ingCfg.GRPCAddr))
	if err != nil {
		b.Fatal(err)
	}
	s.led, err = chaos.StartService(ctx, ledger.Name, func(ctx context.Context) error {
		return ledger.Run(ctx, s.ledCfg, ledger.Options{Tenants: ts}, telemetry.Providers{}, log, nil)
	}, chaos.Serving(s.ledCfg.GRPCAddr))
	if err != nil {
		b.Fatal(err)
	}
	dial := func(addr string) *grpc.ClientConn {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close() })
		return conn
	}
	return &importSystem{system: s,
		imports: ingestionv1grpc.NewImportServiceClient(dial(s.ingCfg.GRPCAddr)),
		queries: ledgerv1grpc.NewLedgerQueryServiceClient(dial(s.ledCfg.GRPCAddr))}
}

// importFile streams the file at path to the ImportService in 1 MiB
// chunks, every message naming the tenant, as `o2c import` does.
func (s *importSystem) importFile(ctx context.Context, path string) (*ingestionv1.ImportResponse, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := s.imports.Import(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&ingestionv1.ImportRequest{Tenant: importTenant, Part: &ingestionv1.ImportRequest_Header{
		Header: &ingestionv1.ImportHeader{Tenant: importTenant, FileName: filepath.Base(path), Size: fi.Size()}}}); err != nil {
		return nil, sendError(stream, err)
	}
	r := bufio.NewReaderSize(f, 1<<20)
	buf := make([]byte, 1<<20)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if err := stream.Send(&ingestionv1.ImportRequest{Tenant: importTenant, Part: &ingestionv1.ImportRequest_Chunk{
				Chunk: &ingestionv1.ImportChunk{Data: buf[:n]}}}); err != nil {
				return nil, sendError(stream, err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	return upload.Finish(stream, nil)
}

// sendError returns the server's status when a Send failed because the
// server ended the stream (io.EOF), else err.
func sendError(stream ingestionv1grpc.ImportService_ImportClient, err error) error {
	if !errors.Is(err, io.EOF) {
		return err
	}
	if _, rerr := upload.Finish(stream, nil); rerr != nil {
		return rerr
	}
	return err
}

// waitBooked polls the ledger until the bank account of iban reconciles
// at closing (cents), failing the benchmark when its booked balance does
// not move for two minutes.
func (s *importSystem) waitBooked(b *testing.B, iban string, closing int64) {
	b.Helper()
	var last int64
	lastChange, lastLog := time.Now(), time.Now()
	for {
		resp, err := s.queries.ListBankReconciliations(b.Context(), &ledgerv1.ListBankReconciliationsRequest{Tenant: importTenant, Iban: iban})
		if err == nil {
			for _, r := range resp.GetReconciliations() {
				if r.GetExpected().GetMinorUnits() == closing && r.GetDifference().GetMinorUnits() == 0 {
					return
				}
			}
		}
		bal, err := s.queries.GetAccountBalance(b.Context(), &ledgerv1.GetAccountBalanceRequest{Tenant: importTenant, Account: accountOf(iban)})
		if err == nil && len(bal.GetBalances()) > 0 {
			if v := bal.GetBalances()[0].GetBalance().GetMinorUnits(); v != last {
				last, lastChange = v, time.Now()
			}
		}
		if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			b.Logf("waiting: the bank account stands at %d cents of %d", last, closing)
		}
		if time.Since(lastChange) > 2*time.Minute {
			b.Fatalf("the bank account of %s has stood at %d cents for two minutes; want %d", iban, last, closing)
		}
		select {
		case <-b.Context().Done():
			b.Fatal(b.Context().Err())
		case <-time.After(time.Second):
		}
	}
}

// accountOf returns the G/L account of one of the benchmark's IBANs.
func accountOf(iban string) string {
	for k := range importAccounts {
		if i, a := benchAccount(k); i == iban {
			return a
		}
	}
	return ""
}

// watchHeap samples the live heap every 50 ms until the returned function
// is called, which returns the largest sample.
func watchHeap() func() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			read()
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	return func() uint64 {
		close(stop)
		wg.Wait()
		read()
		return peak.Load()
	}
}

// peakRSS returns the process's peak resident set size (VmHWM), 0 where
// /proc does not say.
func peakRSS() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
