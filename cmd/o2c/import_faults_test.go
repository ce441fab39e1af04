package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
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

// faultStatementKB sizes each statement of
// TestKillDuringImportBooksEachTransactionOnce: 1 MiB is some 1,200
// transactions, which ingestion stores in two batches, so that a kill can
// meet an import with part of it stored. Its rounds are -faults.rounds.
var faultStatementKB = flag.Int("faults.statement-kb", 1024, "KiB of each statement TestKillDuringImportBooksEachTransactionOnce imports")

// faultTenant is the tenant of the import fault test.
const faultTenant = "acme"

// TestKillDuringImportBooksEachTransactionOnce imports camt.053
// statements (camtgen, each on a bank account of its own) through
// ingestion's ImportService while ingestion, NATS and PostgreSQL are
// killed in turn in the middle of an import and restarted; the client
// then imports the file again, as a client does after an error or a lost
// answer. At the end every statement reconciles: the ledger's bank account
// equals the statement's closing balance, it holds one line per
// transaction of the statement (and the opening balance) with no
// transaction booked twice, ingestion emitted each transaction once, and
// the hash chains and read models verify.
func TestKillDuringImportBooksEachTransactionOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs ingestion, the ledger, PostgreSQL and NATS and kills each")
	}
	rounds := *faultRounds
	ctx, cancel := context.WithTimeout(t.Context(), time.Duration(120+90*rounds)*time.Second)
	defer cancel()

	pg := chaos.StartPostgres(t)
	if err := pg.Cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
		t.Fatal(err)
	}
	dbURL := pg.Cluster.DatabaseURL("o2c")
	ns := chaos.StartNATS(t)
	targetsPerRound := 3
	steps := targetsPerRound * rounds
	ts := faultTenants(t, steps)
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
	imports := ingestionv1grpc.NewImportServiceClient(insecureConn(t, ingCfg.GRPCAddr))
	queries := ledgerv1grpc.NewLedgerQueryServiceClient(insecureConn(t, ledCfg.GRPCAddr))

	targets := []chaos.Target{ing, ns, pg}
	stmts := make([]faultStatement, steps)
	total := 0
	for k := range steps {
		iban, _ := faultAccount(k)
		st := writeFaultStatement(t, iban, int64(*faultStatementKB)<<10)
		stmts[k] = st
		before, err := countBankEvents(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		type answer struct {
			resp *ingestionv1.ImportResponse
			err  error
		}
		first := make(chan answer, 1)
		go func() {
			resp, err := importStatement(ctx, imports, st.path)
			first <- answer{resp, err}
		}()

		// Kill once part of the statement is stored, or, should the
		// import be done before a poll sees it, right away.
		var stored int
		var finished *answer
		for finished == nil && stored <= before {
			select {
			case a := <-first:
				finished = &a
			case <-ctx.Done():
				t.Fatalf("statement %d: waiting for its import to store something: %v", k+1, ctx.Err())
			case <-time.After(2 * time.Millisecond):
				if n, err := countBankEvents(ctx, dbURL); err == nil {
					stored = n
				}
			}
		}
		tg := targets[k%len(targets)]
		if finished == nil {
			t.Logf("statement %d (%d transactions): kill %s with %d of its transactions stored", k+1, st.transactions, tg.Name(), stored-before)
		} else {
			t.Logf("statement %d (%d transactions): its import answered (%v) before the kill of %s", k+1, st.transactions, finished.err, tg.Name())
		}
		if err := chaos.Outage(ctx, tg, 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if finished == nil {
			a := <-first
			finished = &a
		}
		t.Logf("statement %d: the first import answered %v, %v", k+1, finished.resp.GetStatus(), finished.err)

		// The client imports the file again until it gets an answer.
		for {
			resp, err := importStatement(ctx, imports, st.path)
			if err == nil {
				if s := resp.GetStatus(); s != ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED && s != ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE {
					t.Fatalf("statement %d imported again: %v, want IMPORTED or DUPLICATE_FILE", k+1, resp)
				}
				t.Logf("statement %d imported again: %v, %d new, %d duplicate", k+1, resp.GetStatus(), resp.GetCounts().GetNew(), resp.GetCounts().GetDuplicate())
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("statement %d: importing again: %v (last: %v)", k+1, ctx.Err(), err)
			case <-time.After(200 * time.Millisecond):
			}
		}
		total += st.transactions
	}

	// Every statement reconciles, with each transaction booked once.
	for k, st := range stmts {
		iban, account := faultAccount(k)
		waitReconciled(ctx, t, queries, iban, st.closing)
		lines := journalLines(ctx, t, queries, account)
		docs := map[string]int{}
		opening := 0
		for _, l := range lines {
			if strings.HasPrefix(l.GetText(), "Saldenvortrag") {
				opening++
				continue
			}
			docs[l.GetDocumentNumber()]++
		}
		if len(lines) != st.transactions+opening || len(docs) != st.transactions || opening > 1 {
			t.Errorf("statement %d: %d lines on bank account %s (%d opening), %d transactions booked; want %d transactions, one line each",
				k+1, len(lines), account, opening, len(docs), st.transactions)
		}
		for doc, n := range docs {
			if n != 1 {
				t.Errorf("statement %d: transaction %s booked %d times", k+1, doc, n)
			}
		}
	}
	if n, err := countBankEvents(ctx, dbURL); err != nil || n != total {
		t.Errorf("ingestion emitted %d bank transactions (%v), want %d: one per transaction of the statements", n, err, total)
	}
	var out bytes.Buffer
	if ok, err := chains.Verify(ctx, dbURL, chains.Schemas, &out); err != nil || !ok {
		t.Errorf("o2c verify: ok %v, %v:\n%s", ok, err, out.String())
	}
}

// insecureConn returns a client connection without TLS, as services with
// development authentication serve, closed when the test ends.
func insecureConn(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// faultAccount returns the IBAN and G/L account of the fault test's bank
// account k.
func faultAccount(k int) (iban, account string) {
	blz, number := "12030000", fmt.Sprintf("%010d", 8_000_000+k)
	n, _ := new(big.Int).SetString(blz+number+"131400", 10) // "DE" is 13 14
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("DE%02d%s%s", check, blz, number), strconv.Itoa(1201 + k)
}

// faultTenants is a tenants file with faultTenant and n bank accounts.
func faultTenants(t testing.TB, n int) *tenants.File {
	t.Helper()
	var accts []string
	for k := range n {
		iban, account := faultAccount(k)
		accts = append(accts, fmt.Sprintf(`{"iban": %q, "currency": "EUR", "account": %q}`, iban, account))
	}
	f, err := tenants.Parse("the import fault test's tenants", []byte(`{"tenants": {"`+faultTenant+`": {
		"name": "Acme", "ledger": {"chart": "SKR03"}, "bank": {"accounts": [`+strings.Join(accts, ", ")+`]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// faultStatement is a generated camt.053 and what it holds.
type faultStatement struct {
	path         string
	transactions int
	closing      int64 // cents
}

// camtgenIBAN is the account camtgen writes its statements for.
const camtgenIBAN = "DE02120300000000202051"

var camtgenClosing = regexp.MustCompile(`<Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">([0-9]+)\.([0-9]{2})</Amt>`)

// writeFaultStatement writes a camtgen statement of about size bytes for
// iban (in camtgen's place, in the header) into a temporary file.
func writeFaultStatement(t testing.TB, iban string, size int64) faultStatement {
	t.Helper()
	var buf bytes.Buffer
	entries, err := camtgen.Write(&buf, size)
	if err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	head := data[:min(len(data), 4096)]
	i := bytes.Index(head, []byte("<IBAN>"+camtgenIBAN+"</IBAN>"))
	m := camtgenClosing.FindSubmatch(head)
	if i < 0 || m == nil {
		t.Fatalf("camtgen's header has no account %s or no closing balance:\n%s", camtgenIBAN, head)
	}
	copy(data[i+len("<IBAN>"):], iban)
	euros, _ := strconv.ParseInt(string(m[1]), 10, 64)
	cents, _ := strconv.ParseInt(string(m[2]), 10, 64)
	path := filepath.Join(t.TempDir(), "camt053_"+iban+".xml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// Every fourth entry is a batch of two direct debits.
	return faultStatement{path: path, transactions: entries + entries/4, closing: euros*100 + cents}
}

// importStatement streams the file at path to the ImportService for
// faultTenant, as `o2c import` does.
func importStatement(ctx context.Context, c ingestionv1grpc.ImportServiceClient, path string) (*ingestionv1.ImportResponse, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return upload.Send(ctx, c, upload.File{Tenant: faultTenant, Data: bytes.NewReader(data),
		Header: &ingestionv1.ImportHeader{FileName: filepath.Base(path), Size: int64(len(data))}})
}

// countBankEvents counts the bank transactions ingestion stored.
func countBankEvents(ctx context.Context, dbURL string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM ingestion.events WHERE event_type LIKE '%BankTransactionReceived'`).Scan(&n)
	return n, err
}

// waitReconciled polls the ledger until the statement on iban is recorded
// and the bank account's booked balance equals its closing balance.
func waitReconciled(ctx context.Context, t *testing.T, c ledgerv1grpc.LedgerQueryServiceClient, iban string, closing int64) {
	t.Helper()
	var last []*ledgerv1.BankReconciliation
	for {
		resp, err := c.ListBankReconciliations(ctx, &ledgerv1.ListBankReconciliationsRequest{Tenant: faultTenant, Iban: iban})
		if err == nil {
			last = resp.GetReconciliations()
			for _, r := range last {
				if r.GetExpected().GetMinorUnits() == closing && r.GetDifference().GetMinorUnits() == 0 {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never reconciled at %d cents: last %v (%v): %v", iban, closing, last, err, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// journalLines returns every journal line on account.
func journalLines(ctx context.Context, t *testing.T, c ledgerv1grpc.LedgerQueryServiceClient, account string) []*ledgerv1.JournalListingLine {
	t.Helper()
	req := &ledgerv1.ListJournalLinesRequest{Tenant: faultTenant, Account: account, PageSize: 1000}
	var out []*ledgerv1.JournalListingLine
	for {
		resp, err := c.ListJournalLines(ctx, req)
		if err != nil {
			t.Fatalf("journal of %s: %v", account, err)
		}
		out = append(out, resp.GetLines()...)
		if resp.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = resp.GetNextPageToken()
	}
}
