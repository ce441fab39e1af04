// Package demo runs the whole of o2c in one process: an embedded NATS
// JetStream server, a throwaway PostgreSQL cluster (or the one in
// DATABASE_URL) and every service, on the same code the separate
// deployments run. It then acts as a shop of the demo tenant, publishes a
// handful of invoices (own shop and marketplace, 19 % and 7 % VAT, protobuf
// and JSON, a retry and a broken one), waits until they are booked,
// imports a bank statement (camt.053) and an Amazon settlement report as
// `o2c import` does and prints the open items, the normalized bank
// transactions, what matching booked by itself and what waits in its
// exception queue with the engine's proposals (as `o2c queue` prints
// them), the statement reconciled in the ledger, a debtor's account
// statement, the trial balance, the rejections and the hash-chain
// verification.
//
// The demo runs as securely as a deployment: nothing runs in development
// mode. Each run generates its credentials (a CA that lives as long as the
// run, the services' certificate, a client certificate for the CLI, and a
// NATS user with a fresh password for every service, the demo shop and the
// platform team, in the configuration deploy/nats has), the services
// authenticate every gRPC caller by mutual TLS and NATS every client by
// user, and the CLI finds its credentials in the file the run writes
// (package credfile).
package demo

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/credfile"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/anchors"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/telemetry"
	console "github.com/o2c-platform/o2c/services/console/service"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// Tenant is the demo merchant.
const Tenant = "demo"

// NATSPort is the NATS client port with FixedPorts (plus PortOffset): the
// port NATS clients, the services' NATS_URL included, use by default.
const NATSPort = nats.DefaultPort

// Options configure a demo run.
type Options struct {
	// DatabaseURL is an owner (superuser) URL of an existing PostgreSQL
	// database; empty starts a throwaway cluster.
	DatabaseURL string
	// Out receives the report; Log receives progress and service logs.
	Out, Log io.Writer
	// Telemetry is passed to every service (tests inject recorders).
	Telemetry telemetry.Providers
	// KeepRunning keeps the system up after the report until ctx ends.
	KeepRunning bool
	// FixedPorts listens on the default ports (NATS 4222, ingestion 9091,
	// ledger 9092, each plus PortOffset) so that `o2c open-items` and
	// friends find the system. Start fails when one of them is taken,
	// naming it, instead of moving elsewhere. Otherwise free ports are used.
	FixedPorts bool
	// PortOffset is added to every default port with FixedPorts, so that a
	// second demo can run next to a first one.
	PortOffset int
	// CredentialsFile is where the CLI's credentials file is written
	// (and removed from when the demo stops); empty writes it into the
	// run's credentials folder in $TMPDIR. A file there that `o2c demo`
	// did not write is never replaced.
	CredentialsFile string
	// Outbox is dunning's notice outbox; empty puts it in the run's
	// credentials folder, removed when the demo stops (Run makes one in
	// $TMPDIR that stays, for the reader to open the PDFs).
	Outbox string
	// SepaDir is where matching writes the SEPA files and
	// pre-notifications (below SepaDir/<tenant>); empty puts them in the
	// run's credentials folder, removed when the demo stops (Run makes one
	// in $TMPDIR that stays).
	SepaDir string
	// PackDir is where Run writes the month-end pack (MonthEndPack); empty
	// makes a folder in $TMPDIR that stays, for the reader to open.
	PackDir string
}

// Service is a service started in-process.
type Service struct {
	Name string
	Addr string
}

// System is the running all-in-one system.
type System struct {
	NATSURL     string
	DatabaseURL string
	Services    []Service
	// CredentialsFile is the CLI's credentials file: the client
	// certificate of CLIPrincipal and the NATS user of the demo shop.
	CredentialsFile string
	// SPAPI is the fake of Amazon's SP-API that refund import reads.
	SPAPI *SPAPI
	// Outbox is the directory dunning puts its notices in.
	Outbox string
	// SepaDir is the directory matching writes SEPA files below.
	SepaDir string
	// ConsoleURL is the console's web UI ("http://127.0.0.1:8080").
	ConsoleURL string
	clock      *demoClock
	conns      map[string]*grpc.ClientConn
	secrets    *secrets
	stop       func() error
}

// Conn returns a gRPC client connection to the named service that
// authenticates as CLIPrincipal.
func (s *System) Conn(name string) *grpc.ClientConn { return s.conns[name] }

// Dial returns a new gRPC client connection to the named service that
// authenticates as p, with a client certificate the run's CA issues for p.
// The caller closes it.
func (s *System) Dial(name string, p identity.Principal) (*grpc.ClientConn, error) {
	for _, svc := range s.Services {
		if svc.Name == name {
			return s.secrets.dial(svc.Addr, p)
		}
	}
	return nil, fmt.Errorf("the demo runs no service %s", name)
}

// ConnectNATS connects to the demo's NATS as user (natsembed.AdminUser, a
// service, or natsembed.ShopUser(Tenant)) with its password and inbox
// prefix. The caller closes the connection.
func (s *System) ConnectNATS(user string, opts ...nats.Option) (*nats.Conn, error) {
	return s.secrets.connectNATS(s.NATSURL, user, opts...)
}

// JetStream connects to the system's NATS as user and returns the
// connection's JetStream context and the function that closes the
// connection.
func (s *System) JetStream(user string) (jetstream.JetStream, func(), error) {
	nc, err := s.ConnectNATS(user)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return js, nc.Close, nil
}

// Stop stops every service, then NATS and PostgreSQL, and returns the first
// error a service returned.
func (s *System) Stop() error { return s.stop() }

type starter struct {
	name string
	addr string
	run  func(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener, peers peers) error
}

// peers is what a service the demo starts needs of the others: their
// gRPC addresses by name, and the run's credentials to reach them as
// itself.
type peers struct {
	addrs map[string]string
	sec   *secrets
	// spapi is the fake SP-API refund import reads.
	spapi *SPAPI
	// outbox and clock are dunning's notice outbox and clock.
	outbox string
	clock  *demoClock
	// sepaDir is matching's SEPA output directory.
	sepaDir string
	// consoleHTTP is the console's web listener.
	consoleHTTP net.Listener
}

// runIngestion starts ingestion with the demo's tenants (whose tax rules
// are the ledger's) and the ledger, which it asks as itself (its own
// client certificate) before erasing a debtor.
func runIngestion(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener, peers peers) error {
	ts, err := Tenants()
	if err != nil {
		return err
	}
	conn, err := peers.sec.ledgerClient(peers.addrs[ledger.Name]).Dial(telemetry.GRPCDialOption(p))
	if err != nil {
		return err
	}
	defer conn.Close()
	return ingestion.Run(ctx, cfg, ingestion.Options{Tenants: ts, Ledger: ledgerv1grpc.NewLedgerServiceClient(conn)}, p, log, lis)
}

// services lists every service that has code, in start order.
func services() []starter {
	return []starter{
		{ingestion.Name, ingestion.DefaultAddr, runIngestion},
		{ledger.Name, ledger.DefaultAddr, runLedger},
		matchingStarter(),
		refundImportStarter(),
		dunningStarter(),
		collectionsStarter(),
		consoleStarter(),
	}
}

// Start brings up NATS, PostgreSQL and all services and returns once every
// service reports SERVING.
func Start(ctx context.Context, opt Options) (_ *System, err error) {
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn})))
	var cleanups []func() error
	cleanup := func() error {
		var first error
		for i := len(cleanups) - 1; i >= 0; i-- {
			if err := cleanups[i](); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	defer func() {
		if err != nil {
			_ = cleanup()
		}
	}()

	// Every port is taken before anything slow starts, so that a port in
	// use fails at once. A service's listener is closed by the service once
	// it runs; closing it again here is harmless.
	var listeners []net.Listener
	cleanups = append(cleanups, func() error {
		for _, lis := range listeners {
			_ = lis.Close()
		}
		return nil
	})
	for _, s := range services() {
		lis, err := listen(s.name+" gRPC", s.addr, opt)
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, lis)
	}
	consoleLis, err := listen("console HTTP", net.JoinHostPort("127.0.0.1", strconv.Itoa(ConsoleHTTPPort)), opt)
	if err != nil {
		return nil, err
	}
	listeners = append(listeners, consoleLis)
	sec, err := newSecrets(opt.CredentialsFile, logw)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, sec.remove)
	sec.report(logw)

	natsPort := 0
	if opt.FixedPorts {
		addr, err := offsetAddr(net.JoinHostPort("127.0.0.1", strconv.Itoa(NATSPort)), opt.PortOffset)
		if err != nil {
			return nil, err
		}
		_, port, _ := net.SplitHostPort(addr)
		natsPort, _ = strconv.Atoi(port)
	}
	fmt.Fprintln(logw, "starting embedded NATS JetStream")
	ns, err := natsembed.Start(natsembed.Options{Port: natsPort, Log: logw, ConfigFile: filepath.Join(sec.dir, natsConfFile)})
	if errors.Is(err, natsembed.ErrPortInUse) {
		return nil, portInUse(net.JoinHostPort("127.0.0.1", strconv.Itoa(natsPort)), "NATS", "`o2c demo` or a NATS server", err)
	}
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() error { ns.Shutdown(); return nil })
	fmt.Fprintf(logw, "NATS JetStream at %s (store %s)\n", ns.ClientURL(), ns.StoreDir())
	for i, s := range services() {
		fmt.Fprintf(logw, "%s gRPC at %s\n", s.name, listeners[i].Addr())
	}

	dbURL := opt.DatabaseURL
	if dbURL == "" {
		cluster, err := pgtest.Start(ctx, pgtest.Options{Log: logw})
		if err != nil {
			return nil, fmt.Errorf("start PostgreSQL (install the PostgreSQL server binaries or set DATABASE_URL): %w", err)
		}
		cleanups = append(cleanups, cluster.Stop)
		fmt.Fprintf(logw, "PostgreSQL cluster in %s\n", cluster.Dir())
		if err := cluster.CreateDatabase(ctx, "o2c", ""); err != nil {
			return nil, err
		}
		dbURL = cluster.DatabaseURL("o2c")
	}

	outbox := opt.Outbox
	if outbox == "" {
		outbox = filepath.Join(sec.dir, "dunning-outbox")
	}
	sepaDir := opt.SepaDir
	if sepaDir == "" {
		sepaDir = filepath.Join(sec.dir, "sepa")
	}
	sys := &System{NATSURL: ns.ClientURL(), DatabaseURL: dbURL, CredentialsFile: sec.credsPath, Outbox: outbox, SepaDir: sepaDir, clock: &demoClock{},
		conns: map[string]*grpc.ClientConn{}, secrets: sec}
	sys.ConsoleURL = "http://" + consoleLis.Addr().String()
	peers := peers{addrs: map[string]string{}, sec: sec, outbox: outbox, clock: sys.clock, sepaDir: sepaDir, consoleHTTP: consoleLis}
	for i, s := range services() {
		peers.addrs[s.name] = listeners[i].Addr().String()
	}
	spapi, stopSPAPI := startSPAPI()
	cleanups = append(cleanups, stopSPAPI)
	sys.SPAPI, peers.spapi = spapi, spapi
	svcCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	errs := make(chan error, len(services()))
	cleanups = append(cleanups, func() error {
		cancel()
		wg.Wait()
		close(errs)
		var first error
		for err := range errs {
			if err != nil && first == nil {
				first = err
			}
		}
		return first
	})
	for i, s := range services() {
		lis := listeners[i]
		cfg := host.Config{
			MigrateDatabaseURL: dbURL,
			NATSURL:            ns.ClientURL(),
			NATSUser:           s.name,
			NATSPassword:       sec.nats[s.name],
			GRPCAddr:           lis.Addr().String(),
			ManageStreams:      true,
			ShutdownTimeout:    5 * time.Second,
			// The demo signs its anchors with the published development
			// key: it shows the check, it proves nothing.
			AnchorKey:      eventstore.DevOnlyAnchorKey(),
			AnchorInterval: 500 * time.Millisecond,
			// Mutual TLS with the run's certificates, as a deployment.
			Auth: sec.authConfig(),
		}
		sys.Services = append(sys.Services, Service{Name: s.name, Addr: lis.Addr().String()})
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.run(svcCtx, cfg, opt.Telemetry, log, lis, peers); err != nil {
				errs <- fmt.Errorf("%s: %w", s.name, err)
				cancel()
			}
		}()
		conn, err := sec.dial(lis.Addr().String(), CLIPrincipal())
		if err != nil {
			return nil, err
		}
		sys.conns[s.name] = conn
		cleanups = append(cleanups, conn.Close)
	}
	for _, s := range sys.Services {
		if err := waitServing(ctx, svcCtx, sys.conns[s.Name]); err != nil {
			select {
			case serr := <-errs:
				return nil, serr
			default:
			}
			return nil, fmt.Errorf("%s did not become ready: %w", s.Name, err)
		}
		fmt.Fprintf(logw, "%s serving gRPC on %s\n", s.Name, s.Addr)
	}
	sys.stop = cleanup
	return sys, nil
}

// listen listens on addr plus opt.PortOffset with opt.FixedPorts, else on
// a free port. A taken fixed port is an error naming what (the listener's
// purpose) wanted it; it never moves to another port, since the other o2c
// commands would keep talking to whatever holds the default one.
func listen(what, addr string, opt Options) (net.Listener, error) {
	if !opt.FixedPorts {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	addr, err := offsetAddr(addr, opt.PortOffset)
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, portInUse(addr, what, "`o2c demo`", err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", what, addr, err)
	}
	return lis, nil
}

// portInUse explains that addr, wanted for what, is taken, most likely by
// holder, and how to get around it.
func portInUse(addr, what, holder string, err error) error {
	return fmt.Errorf("%s (%s) is in use — is another %s running? Stop it, or start this demo with "+
		"--ports-offset 100 (every port plus 100) or --random-ports: %w", addr, what, holder, err)
}

// offsetAddr adds offset to addr's port.
func offsetAddr(addr string, offset int) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("address %q: port: %w", addr, err)
	}
	if p+offset < 1 || p+offset > 65535 {
		return "", fmt.Errorf("port offset %d moves port %d of %s outside 1-65535", offset, p, addr)
	}
	return net.JoinHostPort(host, strconv.Itoa(p+offset)), nil
}

func waitServing(ctx, svcCtx context.Context, conn *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	client := healthpb.NewHealthClient(conn)
	for {
		r, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		if err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-svcCtx.Done():
			return errors.New("a service stopped during start-up")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Run starts the system, runs the demo scenario, prints the report, and
// stops (or, with KeepRunning, waits for ctx to end first).
func Run(ctx context.Context, opt Options) (err error) {
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	if opt.Outbox == "" {
		// The notices outlive the run, for the reader to open.
		if opt.Outbox, err = os.MkdirTemp("", "o2c-demo-outbox-"); err != nil {
			return err
		}
	}
	if opt.SepaDir == "" {
		// The SEPA files outlive the run too, for the reader to open.
		if opt.SepaDir, err = os.MkdirTemp("", "o2c-demo-sepa-"); err != nil {
			return err
		}
	}
	sys, err := Start(ctx, opt)
	if err != nil {
		return err
	}
	defer func() {
		if serr := sys.Stop(); err == nil {
			err = serr
		}
	}()
	printConsole(out, sys.ConsoleURL, opt.KeepRunning)
	invoices, err := Publish(ctx, sys, opt.Telemetry)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "published %d invoice messages for tenant %q (one is a retry, one is broken)\n\n", len(invoices), Tenant)
	items, err := WaitForOpenItems(ctx, sys.Conn(ledger.Name), ExpectedOpenItems)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Open items (o2c open-items --tenant demo):")
	table.OpenItems(out, items)
	var total int64
	for _, it := range items {
		total += it.GetOpenAmount().GetMinorUnits()
	}
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		return err
	}
	defer closeNATS()
	// Matching decides the statement's receipts against the open items
	// it has taken in.
	if err := WaitForMatchingItems(ctx, js); err != nil {
		return err
	}
	if err := importBank(ctx, out, sys, js); err != nil {
		return err
	}
	if err := MatchStatement(ctx, out, sys, items); err != nil {
		return err
	}
	items, err = WaitForOpenAmount(ctx, sys.Conn(ledger.Name), total-MatchedAutomatically-PaymentAmount)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nOpen items once the ledger booked the matches (RE-2026-1002 paid by number, the Amazon order by the payout with its fees; K-1001's %s EUR to %s cleared RE-2026-1001, due first, and part of RE-2026-1004):\n",
		table.Money(PaymentAmount, "EUR"), DemoIBAN)
	table.OpenItems(out, items)
	if err := Refunds(ctx, out, sys, js); err != nil {
		return err
	}
	st, err := Statement(ctx, sys.Conn(ledger.Name), StatementDebtor)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nDebtor statement (o2c ledger statement --tenant demo --debtor %s):\n", StatementDebtor)
	table.Statement(out, StatementDebtor, st.GetDebtorAccount(), st.GetOpeningBalances(), st.GetLines(), st.GetClosingBalances())
	rows, totals, err := TrialBalance(ctx, sys.Conn(ledger.Name))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nTrial balance (o2c ledger trial-balance --tenant demo):")
	table.TrialBalance(out, rows, totals)
	rej, err := WaitForRejections(ctx, sys.Conn(ingestion.Name), 1)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nRejected shop messages (o2c rejected --tenant demo):")
	table.Rejections(out, rej)
	if _, err := Dunning(ctx, out, sys, js); err != nil {
		return err
	}
	coll, err := Collections(ctx, out, sys)
	if err != nil {
		return err
	}
	if _, err := Sepa(ctx, out, sys, js); err != nil {
		return err
	}
	if _, err := AgencyPayout(ctx, out, sys, js, coll.AgencyBalance); err != nil {
		return err
	}
	if opt.PackDir == "" {
		if opt.PackDir, err = os.MkdirTemp("", "o2c-demo-month-end-"); err != nil {
			return err
		}
	}
	pack, err := MonthEndPack(ctx, out, sys.Conn(ledger.Name), opt.PackDir)
	if err != nil {
		return err
	}
	PrintPack(out, pack)
	fmt.Fprintln(out, "\nEvent store hash chains and anchors (o2c verify --anchors-nats ... --dev-anchor-key):")
	if err := waitForAnchors(ctx, js, len(chains.Schemas)); err != nil {
		return err
	}
	ok, err := chains.VerifyAnchored(ctx, sys.DatabaseURL, chains.Schemas, &chains.Anchors{
		Source: anchors.NewJetStream(js), PublicKey: eventstore.DevOnlyAnchorKey().Public().(ed25519.PublicKey), Name: "stream " + anchors.StreamName,
	}, out)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("an event store hash chain is broken")
	}
	if opt.KeepRunning {
		if err := printAgencySim(out, sys); err != nil {
			return err
		}
		printRunning(out, sys, cliReads())
		<-ctx.Done()
	}
	return nil
}

// importBank imports the demo's bank statement and Amazon settlement
// report as `o2c import` does and prints the answers, the normalized bank
// transactions as the rest of o2c reads them, and the statement
// reconciled in the ledger.
func importBank(ctx context.Context, out io.Writer, sys *System, js jetstream.JetStream) error {
	resps, err := ImportBankFiles(ctx, sys.Conn(ingestion.Name))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nThe bank's statement of 18 November and Amazon's settlement report arrive as files (o2c import --tenant demo FILE...):")
	PrintImports(out, BankFiles(), resps)
	ev, err := ReadBankEvents(ctx, js, StatementTransactions, 1, 1)
	if err != nil {
		return err
	}
	names, err := Counterparties(ctx, sys.Conn(ingestion.Name), ev.Transactions)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nNormalized bank transactions (o2c.demo.ingestion.bank-transaction.received; the events carry counterparty ids, the names are ingestion's master data):")
	PrintBankTransactions(out, ev.Transactions, names)
	PrintSettlements(out, ev.Settlements)
	fmt.Fprintln(out, "The statement's third credit is this payout. The ledger books every transaction on bank account 1200, receipts against unidentified receipts")
	fmt.Fprintln(out, "until matching applies them, the rent against the rent rule's account 4210; the statement's opening balance opens the account.")
	recs, err := WaitForReconciliation(ctx, sys.Conn(ledger.Name))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nBank reconciliation (o2c ledger bank-reconciliation --tenant demo):")
	table.BankReconciliations(out, recs)
	return nil
}

// cliReads is the credentials file the CLI reads when told none:
// O2C_CREDENTIALS, else credfile.DefaultPath ("" when there is none).
func cliReads() string {
	if v := os.Getenv(credfile.Env); v != "" {
		return v
	}
	p, _ := credfile.DefaultPath()
	return p
}

// printRunning prints where the system listens and which credentials file
// the CLI uses and, when that is not where the other o2c commands look by
// default (cliReads), how to point them there.
func printRunning(out io.Writer, sys *System, cliReads string) {
	fmt.Fprintf(out, "\nRunning. NATS %s, PostgreSQL %s\n", sys.NATSURL, sys.DatabaseURL)
	var env []string
	if sys.CredentialsFile != cliReads {
		env = append(env, credfile.Env+"="+sys.CredentialsFile)
	}
	if sys.NATSURL != nats.DefaultURL {
		env = append(env, "O2C_NATS_URL="+sys.NATSURL)
	}
	for _, s := range sys.Services {
		fmt.Fprintf(out, "  %-10s %s\n", s.Name, s.Addr)
		for _, d := range services() {
			if d.name == s.Name && d.addr != s.Addr && d.name != console.Name {
				env = append(env, "O2C_"+strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_"))+"_ADDR="+s.Addr)
			}
		}
	}
	fmt.Fprintf(out, "The CLI authenticates as %s and publishes as NATS user %s with the credentials file\n  %s\n",
		describe(CLIPrincipal()), natsembed.ShopUser(Tenant), sys.CredentialsFile)
	if len(env) > 0 {
		fmt.Fprintf(out, "Not where the other o2c commands look by default: point them here with\n  export %s\n", strings.Join(env, " "))
	}
	if sys.ConsoleURL != "" {
		fmt.Fprintf(out, "The console: %s (users cs, finance, viewer and admin, password demo)\n", sys.ConsoleURL)
	}
	fmt.Fprintln(out, "Press Ctrl-C (or send SIGTERM) to stop; PostgreSQL, the NATS store and the credentials are removed on the way out.")
}

// WaitForOpenItems polls the ledger until the demo tenant has n open items.
func WaitForOpenItems(ctx context.Context, conn *grpc.ClientConn, n int) ([]*ledgerv1.OpenItem, error) {
	client := ledgerv1grpc.NewLedgerServiceClient(conn)
	var last int
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant})
		if err != nil {
			return false, err
		}
		last = len(r.GetOpenItems())
		return last >= n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for %d open items (have %d): %w", n, last, err)
	}
	r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant})
	return r.GetOpenItems(), err
}

// WaitForRejections polls ingestion until the demo tenant has n open rejections.
func WaitForRejections(ctx context.Context, conn *grpc.ClientConn, n int) ([]*rejectionv1.Rejection, error) {
	client := rejectionv1grpc.NewRejectionServiceClient(conn)
	var rs []*rejectionv1.Rejection
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: Tenant, State: rejectionv1.RejectionState_REJECTION_STATE_OPEN})
		if err != nil {
			return false, err
		}
		rs = r.GetRejections()
		return len(rs) >= n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for %d rejections (have %d): %w", n, len(rs), err)
	}
	return rs, nil
}

func poll(ctx context.Context, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		ok, err := done()
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
			}
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Publish publishes the demo invoices on shop.demo.invoice.issued as the
// demo tenant's shop would, with its NATS user, each message inside a
// producer span, and returns them.
func Publish(ctx context.Context, sys *System, p telemetry.Providers) ([]*shopv1.InvoiceIssued, error) {
	js, closeNATS, err := sys.JetStream(natsembed.ShopUser(Tenant))
	if err != nil {
		return nil, err
	}
	defer closeNATS()
	invoices := Invoices()
	for i, inv := range invoices {
		msg := nats.NewMsg("shop." + inv.GetTenant() + ".invoice.issued")
		asJSON := i%2 == 1
		if asJSON {
			msg.Data, err = protojson.Marshal(inv)
			msg.Header.Set("Content-Type", "application/json")
		} else {
			msg.Data, err = proto.Marshal(inv)
			msg.Header.Set("Content-Type", "application/protobuf")
		}
		if err != nil {
			return nil, err
		}
		pctx, span := telemetry.StartPublish(ctx, p, msg)
		_, err = js.PublishMsg(pctx, msg)
		telemetry.EndSpan(span, err)
		if err != nil {
			return nil, fmt.Errorf("publish %s: %w", inv.GetInvoiceNumber(), err)
		}
	}
	return invoices, nil
}

// waitForAnchors waits until the anchor stream holds at least n anchors:
// one per service once each anchored its first events.
func waitForAnchors(ctx context.Context, js jetstream.JetStream, n int) error {
	var have uint64
	err := poll(ctx, func() (bool, error) {
		st, err := js.Stream(ctx, anchors.StreamName)
		if err != nil {
			return false, nil // not declared yet
		}
		info, err := st.Info(ctx)
		if err != nil {
			return false, err
		}
		have = info.State.Msgs
		return have >= uint64(n), nil
	})
	if err != nil {
		return fmt.Errorf("waiting for %d anchors (have %d): %w", n, have, err)
	}
	return nil
}
