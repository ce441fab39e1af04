package service

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/consumer"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

const testIBAN = "DE02120300000000202051"

// testBooks is the configuration of every test tenant: one bank account,
// a payment provider and an agency clearing account, an Amazon debtor
// account, and "cfo" may close periods.
func testBooks(string) books.Config {
	return books.Config{
		Chart: books.Chart{
			Banks:        map[string]string{testIBAN: "1200"},
			Clearing:     map[string]string{"paypal": "1361", "inkasso-nord": "1362"},
			Marketplaces: map[string]string{books.MarketplaceKey("amazon", "EUR"): "69001"},
			// bank.outgoing_rules of the tenants file.
			OutgoingRules: map[string]string{"salaries": "4120"},
		},
		PeriodActors: []string{"cfo"},
	}
}

var ledgerTemplate = pgtest.Template{
	Name: database.TemplateName(postgres.Schema, postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

// syncBuffer is a log sink safe for the service's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// svc is a running ledger with clients.
type svc struct {
	l        *Ledger
	ownerURL string
	natsURL  string
	conn     *grpc.ClientConn // without credentials: name the caller of each call
	cmds     ledgerv1grpc.LedgerCommandServiceClient
	js       jetstream.JetStream
	reader   *sdkmetric.ManualReader
	logs     *syncBuffer
	store    *postgres.Store
}

// startService runs the ledger service on a fresh database and embedded
// NATS until the test ends.
func startService(t *testing.T) *svc {
	t.Helper()
	return startServiceWith(t, nil)
}

// startServiceWith is startService with the options changed by with (nil:
// the defaults).
func startServiceWith(t *testing.T, with func(*Options)) *svc {
	t.Helper()
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, ledgerTemplate)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := bus.EnsureStreams(ctx, js, bus.ServiceStreamConfig("ingestion")); err != nil {
		t.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	logs := &syncBuffer{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: dbURL, NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(), ManageStreams: true, ShutdownTimeout: 5 * time.Second,
		Auth: auth.Config{Authenticator: testAuth}}
	opt := Options{Tenants: testTenants(t), Books: testBooks}
	if with != nil {
		with(&opt)
	}
	l, err := New(ctx, cfg, opt, telemetry.Providers{Meter: mp}, slog.New(slog.NewJSONHandler(logs, nil)), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = mp.Shutdown(context.Background())
	})
	return &svc{l: l, ownerURL: dbURL, natsURL: ns.ClientURL(), conn: conn, cmds: ledgerv1grpc.NewLedgerCommandServiceClient(conn), js: js, reader: reader, logs: logs, store: postgres.New(l.Pool())}
}

// testAuth authenticates the callers of every ledger the tests start. The
// service's connection carries no credentials: each call names its caller
// (testAuth.As), or a connection of its own does (testAuth.DialAs).
var testAuth = authztest.NewAuthenticator()

// accountant is an accountant named actor of the tenants.
func accountant(actor string, tenants ...string) identity.Principal {
	return identity.Principal{Actor: actor, Tenants: tenants, Roles: []identity.Role{identity.Accountant}}
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

func day(y, m, d int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: d} }

// vat19 returns the VAT line of a gross amount at 19 % whose net is net.
func vat19(net int64) []*ledgerv1.VatAmount {
	return []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(net), Vat: eur(net * 19 / 100)}}
}

func invoice(tenant, debtor, number string, net int64, issue, due *commonv1.Date) *ledgerv1.RegisterInvoice {
	return &ledgerv1.RegisterInvoice{
		Tenant: tenant, IdempotencyKey: "inv:" + number, InvoiceNumber: number, DebtorId: debtor, Currency: "EUR",
		Vat: vat19(net), Gross: eur(net + net*19/100), IssueDate: issue, DueDate: due, PaymentReference: "RF-" + number,
	}
}

// fataler is what the helpers need of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// caughtUp waits until the read-model projection has projected every
// stored event.
func (s *svc) caughtUp(t fataler) {
	t.Helper()
	if s.l == nil {
		return // projected synchronously by the caller
	}
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var last, done int64
		err := s.l.Pool().QueryRow(ctx, `SELECT COALESCE((SELECT max(position) FROM events), 0),
			COALESCE((SELECT position FROM checkpoints WHERE name = $1), 0)`, postgres.ProjectionName).Scan(&last, &done)
		if err != nil {
			t.Fatal(err)
		}
		if done >= last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("projection at %d of %d after 30s", done, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// breaches returns the invariant breach counter by invariant.
func (s *svc) breaches(t fataler) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name != postgres.BreachMetric {
				continue
			}
			for _, dp := range md.Data.(metricdata.Sum[int64]).DataPoints {
				if dp.Value == 0 {
					continue // every invariant's series starts at 0
				}
				v, _ := dp.Attributes.Value("invariant")
				out[v.AsString()] += dp.Value
			}
		}
	}
	return out
}

// openItems returns the debtor's open amounts by document number, after the
// projection caught up.
func (s *svc) openItems(t fataler, tenant, debtor string) map[string]int64 {
	t.Helper()
	s.caughtUp(t)
	items, err := s.store.OpenItems(context.Background(), tenant, debtor)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, it := range items {
		out[it.GetDocumentNumber()] += it.GetOpenAmount().GetMinorUnits()
	}
	return out
}

// balances returns the tenant's account balances by account (EUR only).
func (s *svc) balances(t testing.TB, tenant string) map[string]int64 {
	t.Helper()
	s.caughtUp(t)
	bal, err := s.store.Balances(context.Background(), tenant, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, b := range bal {
		if b.GetBalance().GetMinorUnits() != 0 {
			out[b.GetAccount()] = b.GetBalance().GetMinorUnits()
		}
	}
	return out
}

// expect checks the debtor's open items and the tenant's balances through
// the read models, and that no invariant was breached.
func (s *svc) expect(t *testing.T, step, tenant, debtor string, items, bal map[string]int64) {
	t.Helper()
	if diff := cmp.Diff(items, s.openItems(t, tenant, debtor)); diff != "" {
		// The service's log says whether a message was rejected (twice
		// in full CI runs nothing was booked after waitConsumed).
		t.Errorf("%s: open items of %s (-want +got):\n%s\nlog:\n%s", step, debtor, diff, s.logs.String())
	}
	if bal != nil {
		if diff := cmp.Diff(bal, s.balances(t, tenant)); diff != "" {
			t.Errorf("%s: balances (-want +got):\n%s", step, diff)
		}
	}
	if b := s.breaches(t); len(b) != 0 {
		t.Errorf("%s: invariant breaches %v; log:\n%s", step, b, s.logs.String())
	}
}

// call runs one command RPC as actor, an accountant of the command's
// tenant, and returns its result or error.
func call(t *testing.T, c ledgerv1grpc.LedgerCommandServiceClient, actor string, cmd proto.Message) (*ledgerv1.CommandResult, error) {
	t.Helper()
	ctx := context.Background()
	tenants, _ := auth.TenantsOf(cmd)
	as := testAuth.As(accountant(actor, tenants...))
	var res interface {
		GetResult() *ledgerv1.CommandResult
	}
	var err error
	switch x := cmd.(type) {
	case *ledgerv1.RegisterInvoice:
		res, err = c.RegisterInvoice(ctx, &ledgerv1.RegisterInvoiceRequest{Command: x}, as)
	case *ledgerv1.RecordOpeningBalance:
		res, err = c.RecordOpeningBalance(ctx, &ledgerv1.RecordOpeningBalanceRequest{Command: x}, as)
	case *ledgerv1.IssueCreditNote:
		res, err = c.IssueCreditNote(ctx, &ledgerv1.IssueCreditNoteRequest{Command: x}, as)
	case *ledgerv1.ApplyPayment:
		res, err = c.ApplyPayment(ctx, &ledgerv1.ApplyPaymentRequest{Command: x}, as)
	case *ledgerv1.ReturnPayment:
		res, err = c.ReturnPayment(ctx, &ledgerv1.ReturnPaymentRequest{Command: x}, as)
	case *ledgerv1.AssessCharge:
		res, err = c.AssessCharge(ctx, &ledgerv1.AssessChargeRequest{Command: x}, as)
	case *ledgerv1.WriteOff:
		res, err = c.WriteOff(ctx, &ledgerv1.WriteOffRequest{Command: x}, as)
	case *ledgerv1.RecoverWrittenOff:
		res, err = c.RecoverWrittenOff(ctx, &ledgerv1.RecoverWrittenOffRequest{Command: x}, as)
	case *ledgerv1.RecordAgencyCollection:
		res, err = c.RecordAgencyCollection(ctx, &ledgerv1.RecordAgencyCollectionRequest{Command: x}, as)
	case *ledgerv1.ReverseEntry:
		res, err = c.ReverseEntry(ctx, &ledgerv1.ReverseEntryRequest{Command: x}, as)
	case *ledgerv1.PayOutCreditBalance:
		res, err = c.PayOutCreditBalance(ctx, &ledgerv1.PayOutCreditBalanceRequest{Command: x}, as)
	case *ledgerv1.ClosePeriod:
		res, err = c.ClosePeriod(ctx, &ledgerv1.ClosePeriodRequest{Command: x}, as)
	case *ledgerv1.ReopenPeriod:
		res, err = c.ReopenPeriod(ctx, &ledgerv1.ReopenPeriodRequest{Command: x}, as)
	case *ledgerv1.MergeDebtor:
		res, err = c.MergeDebtor(ctx, &ledgerv1.MergeDebtorRequest{Command: x}, as)
	default:
		t.Fatalf("no RPC for %T", cmd)
	}
	if err != nil {
		return nil, err
	}
	return res.GetResult(), nil
}

// must runs a command RPC that has to succeed and book something new.
func must(t *testing.T, c ledgerv1grpc.LedgerCommandServiceClient, cmd proto.Message) *ledgerv1.CommandResult {
	t.Helper()
	r, err := call(t, c, "clerk", cmd)
	if err != nil {
		t.Fatalf("%T: %v", cmd, err)
	}
	if r.GetReplayed() || len(r.GetEventIds()) == 0 {
		t.Fatalf("%T: result %v, want a new booking", cmd, r)
	}
	return r
}

func wantCode(t *testing.T, step string, err error, code codes.Code, text string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), text) {
		t.Errorf("%s: error %v, want %s containing %q", step, err, code, text)
	}
}

// TestCommandsOverGRPC sends every command once through the gRPC command
// service and checks open items, balances and invariants after each.
func TestCommandsOverGRPC(t *testing.T) {
	t.Parallel()
	s := startService(t)
	c := s.cmds
	const tn = "acme"
	mar1, apr1, may1 := day(2026, 3, 1), day(2026, 4, 1), day(2026, 5, 1)

	// Two invoices, one payment allocated over both.
	must(t, c, invoice(tn, "D1", "R-1", 10000, mar1, apr1)) // 119.00
	must(t, c, invoice(tn, "D1", "R-2", 5000, mar1, apr1))  // 59.50
	s.expect(t, "two invoices", tn, "D1", map[string]int64{"R-1": 11900, "R-2": 5950},
		map[string]int64{"10000": 17850, "8400": -15000, "1776": -2850})
	r1, err := call(t, c, "clerk", &ledgerv1.ApplyPayment{
		Tenant: tn, IdempotencyKey: "pay:P-1", PaymentId: "P-1", DebtorId: "D1", Amount: eur(10950), ValueDate: day(2026, 4, 2), Iban: testIBAN,
		Allocations: []*ledgerv1.Allocation{
			{OpenItemId: "", Amount: eur(5000)},
		},
	})
	wantCode(t, "allocation without item", err, codes.InvalidArgument, "no such open item")
	inv1, _ := s.itemID(t, tn, "D1", "R-1")
	inv2, _ := s.itemID(t, tn, "D1", "R-2")
	r1 = must(t, c, &ledgerv1.ApplyPayment{
		Tenant: tn, IdempotencyKey: "pay:P-1", PaymentId: "P-1", DebtorId: "D1", Amount: eur(10950), ValueDate: day(2026, 4, 2), Iban: testIBAN,
		Allocations: []*ledgerv1.Allocation{{OpenItemId: inv1, Amount: eur(5000)}, {OpenItemId: inv2, Amount: eur(5950)}},
	})
	if len(r1.GetEntryIds()) != 1 {
		t.Errorf("payment entries %v, want one", r1.GetEntryIds())
	}
	s.expect(t, "payment over two items", tn, "D1", map[string]int64{"R-1": 6900},
		map[string]int64{"10000": 6900, "1200": 10950, "8400": -15000, "1776": -2850})

	// Idempotent retries: the same command replays, other content under the
	// same key is refused.
	again, err := call(t, c, "clerk", &ledgerv1.ApplyPayment{
		Tenant: tn, IdempotencyKey: "pay:P-1", PaymentId: "P-1", DebtorId: "D1", Amount: eur(10950), ValueDate: day(2026, 4, 2), Iban: testIBAN,
		Allocations: []*ledgerv1.Allocation{{OpenItemId: inv1, Amount: eur(5000)}, {OpenItemId: inv2, Amount: eur(5950)}},
	})
	if err != nil || !again.GetReplayed() || !cmp.Equal(again.GetEventIds(), r1.GetEventIds()) || !cmp.Equal(again.GetEntryIds(), r1.GetEntryIds()) {
		t.Errorf("retry: %v, %v; want a replay of %v", again, err, r1)
	}
	_, err = call(t, c, "clerk", &ledgerv1.ApplyPayment{
		Tenant: tn, IdempotencyKey: "pay:P-1", PaymentId: "P-1", DebtorId: "D1", Amount: eur(10000), ValueDate: day(2026, 4, 2), Iban: testIBAN,
	})
	wantCode(t, "same key, other content", err, codes.AlreadyExists, "idempotency key")

	// A dunning fee on R-1's claim.
	must(t, c, &ledgerv1.AssessCharge{
		Tenant: tn, IdempotencyKey: "fee:M-1", DocumentNumber: "M-1", DebtorId: "D1", ClaimOpenItemId: inv1,
		Kind: ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE, Amount: eur(500), AssessedDate: day(2026, 4, 20), DueDate: may1,
	})
	s.expect(t, "dunning fee", tn, "D1", map[string]int64{"R-1": 6900, "M-1": 500}, nil)

	// The return reopens exactly what P-1 cleared, with a bank fee.
	must(t, c, &ledgerv1.ReturnPayment{
		Tenant: tn, IdempotencyKey: "ret:P-1", PaymentId: "P-1", Kind: ledgerv1.ReturnKind_RETURN_KIND_RETURNED_DEBIT,
		ReturnDate: day(2026, 4, 21), BankFee: eur(300),
	})
	s.expect(t, "return", tn, "D1", map[string]int64{"R-1": 11900, "R-2": 5950, "M-1": 500},
		map[string]int64{"10000": 18350, "1200": -300, "4970": 300, "8400": -15000, "1776": -2850, "2700": -500})

	// Automatic allocation (§366 BGB: the one due first) and an
	// overpayment that becomes a credit balance, later paid out.
	must(t, c, invoice(tn, "D2", "R-3", 10000, mar1, may1))
	must(t, c, invoice(tn, "D2", "R-4", 10000, mar1, apr1))
	must(t, c, &ledgerv1.ApplyPayment{
		Tenant: tn, IdempotencyKey: "pay:P-2", PaymentId: "P-2", DebtorId: "D2", Amount: eur(15000), ValueDate: day(2026, 4, 10), Iban: testIBAN,
	})
	s.expect(t, "automatic allocation", tn, "D2", map[string]int64{"R-3": 8800}, nil)
	must(t, c, &ledgerv1.ApplyPayment{
		Tenant: tn, IdempotencyKey: "pay:P-3", PaymentId: "P-3", DebtorId: "D2", Amount: eur(10000), ValueDate: day(2026, 4, 11), ClearingAccount: "paypal",
	})
	s.expect(t, "overpayment", tn, "D2", map[string]int64{"P-3": -1200}, nil)
	credit, _ := s.itemID(t, tn, "D2", "P-3")
	must(t, c, &ledgerv1.PayOutCreditBalance{
		Tenant: tn, IdempotencyKey: "payout:A-1", PayoutId: "A-1", DebtorId: "D2", OpenItemId: credit, Amount: eur(1200),
		PayoutDate: day(2026, 4, 15), Iban: testIBAN,
	})
	s.expect(t, "payout", tn, "D2", map[string]int64{}, nil)

	// Write-off with the §17 UStG correction, then a recovery.
	r5 := must(t, c, invoice(tn, "D3", "R-5", 10000, mar1, apr1))
	must(t, c, &ledgerv1.WriteOff{
		Tenant: tn, IdempotencyKey: "wo:W-1", WriteOffId: "W-1", OpenItemId: r5.GetOpenItemIds()[0], Amount: eur(11900),
		WriteOffDate: day(2026, 4, 30), Reason: "insolvent",
	})
	s.expect(t, "write-off", tn, "D3", map[string]int64{}, nil)
	bal := s.balances(t, tn)
	if bal["2406"] != 10000 {
		t.Errorf("bad debt 19%% (2406) = %d, want 10000", bal["2406"])
	}
	must(t, c, &ledgerv1.RecoverWrittenOff{
		Tenant: tn, IdempotencyKey: "rec:V-1", RecoveryId: "V-1", OpenItemId: r5.GetOpenItemIds()[0], Amount: eur(11900),
		ValueDate: day(2026, 5, 3), Iban: testIBAN,
	})
	s.expect(t, "recovery", tn, "D3", map[string]int64{}, nil)
	if d := s.balances(t, tn)["1776"] - bal["1776"]; d != -1900 {
		t.Errorf("recovery moved output VAT by %d, want -1900", d)
	}

	// Reversal of an invoice cancels its item.
	r6 := must(t, c, invoice(tn, "D4", "R-6", 2000, mar1, apr1))
	must(t, c, &ledgerv1.ReverseEntry{Tenant: tn, IdempotencyKey: "rev:R-6", EntryId: r6.GetEntryIds()[0], Reason: "issued in error"})
	s.expect(t, "reversal", tn, "D4", map[string]int64{}, nil)
	_, err = call(t, c, "clerk", &ledgerv1.ReverseEntry{Tenant: tn, IdempotencyKey: "rev:R-6b", EntryId: r6.GetEntryIds()[0]})
	wantCode(t, "second reversal", err, codes.FailedPrecondition, "already reversed")

	// Opening balance and an agency collection against it.
	ob := must(t, c, &ledgerv1.RecordOpeningBalance{
		Tenant: tn, IdempotencyKey: "ob:OB-1", DocumentNumber: "OB-1", DebtorId: "D5", Amount: eur(20000),
		DocumentDate: day(2025, 12, 1), DueDate: day(2025, 12, 31), BookingDate: day(2026, 1, 1),
	})
	must(t, c, &ledgerv1.RecordAgencyCollection{
		Tenant: tn, IdempotencyKey: "ag:K-1", CollectionId: "K-1", Agency: "inkasso-nord", DebtorId: "D5",
		Collected: eur(15000), Commission: eur(1500), CollectedDate: day(2026, 4, 5),
		Allocations: []*ledgerv1.Allocation{{OpenItemId: ob.GetOpenItemIds()[0], Amount: eur(15000)}},
	})
	s.expect(t, "agency collection", tn, "D5", map[string]int64{"OB-1": 5000}, nil)

	// A marketplace order sits on the marketplace's debtor, not the buyer.
	must(t, c, &ledgerv1.RegisterInvoice{
		Tenant: tn, IdempotencyKey: "inv:AMZ-1", InvoiceNumber: "AMZ-1", DebtorId: "buyer-9", OrderId: "302-1", Currency: "EUR",
		Vat: vat19(1000), Gross: eur(1190), IssueDate: mar1, DueDate: apr1, Marketplace: "amazon",
	})
	s.expect(t, "marketplace order", tn, books.MarketplaceDebtorID("amazon", "EUR"), map[string]int64{"AMZ-1": 1190}, nil)
	if got := s.balances(t, tn)["69001"]; got != 1190 {
		t.Errorf("marketplace debtor account 69001 = %d, want 1190", got)
	}

	// Periods: only cfo closes; a closed period rejects entries dated in it.
	closeMarch := &ledgerv1.ClosePeriod{Tenant: tn, IdempotencyKey: "close:2026-03", Year: 2026, Month: 3, Reason: "month end"}
	_, err = call(t, c, "clerk", closeMarch)
	wantCode(t, "close by clerk", err, codes.PermissionDenied, "not authorised")
	if _, err := call(t, c, "cfo", closeMarch); err != nil {
		t.Fatalf("close March: %v", err)
	}
	_, err = call(t, c, "clerk", invoice(tn, "D6", "R-7", 1000, day(2026, 3, 31), apr1))
	wantCode(t, "invoice in closed period", err, codes.FailedPrecondition, "period 2026-03 is closed: entry dated 2026-03-31 rejected")
	if _, err := call(t, c, "cfo", &ledgerv1.ReopenPeriod{Tenant: tn, IdempotencyKey: "reopen:2026-03", Year: 2026, Month: 3, Reason: "late invoice"}); err != nil {
		t.Fatalf("reopen March: %v", err)
	}
	must(t, c, invoice(tn, "D6", "R-7", 1000, day(2026, 3, 31), apr1))
	s.expect(t, "after reopening", tn, "D6", map[string]int64{"R-7": 1190}, nil)
	var closed bool
	if err := s.l.Pool().QueryRow(context.Background(), `SELECT closed FROM periods WHERE tenant = $1 AND year = 2026 AND month = 3`, tn).Scan(&closed); err != nil || closed {
		t.Errorf("periods row: closed=%v, %v; want reopened", closed, err)
	}

	// Credit note with VAT per rate on a mixed-rate invoice.
	mixed := &ledgerv1.RegisterInvoice{
		Tenant: tn, IdempotencyKey: "inv:R-8", InvoiceNumber: "R-8", DebtorId: "D7", Currency: "EUR",
		Vat:   []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}, {RateBp: 700, Net: eur(5000), Vat: eur(350)}},
		Gross: eur(17250), IssueDate: mar1, DueDate: apr1,
	}
	r8 := must(t, c, mixed)
	before := s.balances(t, tn)
	must(t, c, &ledgerv1.IssueCreditNote{
		Tenant: tn, IdempotencyKey: "cn:G-1", CreditNoteNumber: "G-1", DebtorId: "D7", OpenItemId: r8.GetOpenItemIds()[0], Currency: "EUR",
		Vat:   []*ledgerv1.VatAmount{{RateBp: 1900, Net: eur(1000), Vat: eur(190)}, {RateBp: 700, Net: eur(2000), Vat: eur(140)}},
		Gross: eur(3330), IssueDate: day(2026, 4, 3),
	})
	s.expect(t, "credit note", tn, "D7", map[string]int64{"R-8": 13920}, nil)
	after := s.balances(t, tn)
	got := map[string]int64{}
	for _, a := range []string{"8400", "8300", "1776", "1771"} {
		got[a] = after[a] - before[a]
	}
	if diff := cmp.Diff(map[string]int64{"8400": 1000, "8300": 2000, "1776": 190, "1771": 140}, got); diff != "" {
		t.Errorf("credit note moved revenue and VAT (-want +got):\n%s", diff)
	}

	rep, err := VerifyReadModels(context.Background(), s.l.Pool())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("read models differ from a rebuild or break an invariant: %+v", rep)
	}
}

// itemID returns the id of the debtor's open item with the document number.
func (s *svc) itemID(t testing.TB, tenant, debtor, doc string) (string, int64) {
	t.Helper()
	s.caughtUp(t)
	items, err := s.store.OpenItems(context.Background(), tenant, debtor)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.GetDocumentNumber() == doc {
			return it.GetId(), it.GetOpenAmount().GetMinorUnits()
		}
	}
	t.Fatalf("no open item %s of %s", doc, debtor)
	return "", 0
}

// TestCommandsOverJetStream publishes ApplyPayment (binary, typed by
// header) and ReturnPayment (as a relayed event) on the matching service's
// subjects, IssueCreditNote (JSON, typed by subject) on refund import's,
// and a rejected command that is terminated with one log line.
func TestCommandsOverJetStream(t *testing.T) {
	t.Parallel()
	s := startService(t)
	ctx := context.Background()
	const tn = "shop-1"
	must(t, s.cmds, invoice(tn, "D1", "R-1", 10000, day(2026, 3, 1), day(2026, 4, 1)))
	must(t, s.cmds, invoice(tn, "D1", "R-2", 10000, day(2026, 3, 2), day(2026, 4, 2)))

	publish := func(from string, cmd proto.Message, header nats.Header, data []byte) {
		t.Helper()
		msg := &nats.Msg{Subject: consumer.CommandSubject(tn, from, cmd), Header: header, Data: data}
		if _, err := s.js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(what string, want map[string]int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := s.openItems(t, tn, "D1")
			if cmp.Equal(want, got) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: open items %v, want %v", what, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if b := s.breaches(t); len(b) != 0 {
			t.Errorf("%s: breaches %v", what, b)
		}
	}

	pay := &ledgerv1.ApplyPayment{
		Tenant: tn, IdempotencyKey: "pay:P-1", PaymentId: "P-1", DebtorId: "D1", Amount: eur(15000), ValueDate: day(2026, 4, 5), Iban: testIBAN,
	}
	data, err := proto.Marshal(pay)
	if err != nil {
		t.Fatal(err)
	}
	publish("matching", pay, nats.Header{relay.HeaderEventType: {"o2c.ledger.v1.ApplyPayment"}, jetstream.MsgIDHeader: {"m-1"}}, data)
	waitFor("payment", map[string]int64{"R-2": 8800})

	cn := &ledgerv1.IssueCreditNote{
		Tenant: tn, IdempotencyKey: "cn:G-1", CreditNoteNumber: "G-1", DebtorId: "D1", Currency: "EUR",
		Vat: vat19(1000), Gross: eur(1190), IssueDate: day(2026, 4, 6),
	}
	js, err := protojson.Marshal(cn)
	if err != nil {
		t.Fatal(err)
	}
	publish("refund-import", cn, nats.Header{relay.HeaderContentType: {"application/json"}}, js)
	waitFor("credit note", map[string]int64{"R-2": 7610})

	ret := &ledgerv1.ReturnPayment{
		Tenant: tn, IdempotencyKey: "ret:P-1", PaymentId: "P-1", Kind: ledgerv1.ReturnKind_RETURN_KIND_CHARGEBACK, ReturnDate: day(2026, 4, 8),
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(ret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	ev := eventstore.Event{
		Envelope: eventstore.Envelope{
			EventID: uuid.New(), Type: "o2c.ledger.v1.ReturnPayment", Stream: eventstore.StreamID{Tenant: tn, Type: "payment", ID: "P-1"},
			Version: 1, OccurredAt: now, RecordedAt: now, Position: 1, Actor: "service:matching",
		},
		Data: raw,
	}
	ev.ContentHash = eventstore.ContentHash(&ev)
	relayed := relay.Message(consumer.CommandSubject(tn, "matching", ret), ev)
	if _, err := s.js.PublishMsg(ctx, relayed); err != nil {
		t.Fatal(err)
	}
	waitFor("return", map[string]int64{"R-1": 11900, "R-2": 10710})

	// A write-off of more than is open is rejected for good: recorded in
	// the rejection store and logged once, nothing booked.
	id, _ := s.itemID(t, tn, "D1", "R-1")
	wo := &ledgerv1.WriteOff{Tenant: tn, IdempotencyKey: "wo:W-1", WriteOffId: "W-1", OpenItemId: id, Amount: eur(99999), WriteOffDate: day(2026, 4, 9)}
	data, _ = proto.Marshal(wo)
	publish("matching", wo, nats.Header{}, data)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.logs.String(), "message rejected") {
		if time.Now().After(deadline) {
			t.Fatalf("rejected command not logged; log:\n%s", s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := strings.Count(s.logs.String(), "message rejected"); n != 1 {
		t.Errorf("%d log lines for the rejected command, want 1:\n%s", n, s.logs.String())
	}
	recorded, err := s.l.h.Rejections.List(ctx, tn, "open", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 1 || recorded[0].Document != "wo:W-1" || recorded[0].ReasonCode != "precondition" || len(recorded[0].Payload) == 0 {
		t.Errorf("recorded rejections = %+v, want the write-off as a precondition failure with its message", recorded)
	}
	waitFor("rejected write-off", map[string]int64{"R-1": 11900, "R-2": 10710})
}

// TestOpenItemsBreachIsCountedAndLogged corrupts an open item and checks
// that the next batch for that debtor reports the open-items invariant.
func TestOpenItemsBreachIsCountedAndLogged(t *testing.T) {
	t.Parallel()
	s := startService(t)
	ctx := context.Background()
	must(t, s.cmds, invoice("acme", "D1", "R-1", 10000, day(2026, 3, 1), day(2026, 4, 1)))
	s.expect(t, "sound", "acme", "D1", map[string]int64{"R-1": 11900}, nil)
	owner, err := database.Connect(ctx, s.ownerURL, postgres.Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if _, err := owner.Exec(ctx, `UPDATE open_items SET open_minor = open_minor + 7 WHERE tenant = 'acme' AND debtor_id = 'D1'`); err != nil {
		t.Fatal(err)
	}
	must(t, s.cmds, invoice("acme", "D1", "R-2", 100, day(2026, 3, 1), day(2026, 4, 1)))
	s.caughtUp(t)
	// The checks run right after the batch's commit, so the checkpoint can
	// be seen a moment before the metric moves.
	for deadline := time.Now().Add(10 * time.Second); len(s.breaches(t)) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if diff := cmp.Diff(map[string]int64{postgres.InvariantOpenItems: 1}, s.breaches(t)); diff != "" {
		t.Errorf("breaches (-want +got):\n%s", diff)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		if strings.Contains(l, "invariant breached") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d breach log lines, want 1:\n%s", len(lines), s.logs.String())
	}
	for _, part := range []string{`"invariant":"open_items"`, `"tenant":"acme"`, `"currency":"EUR"`, `"difference_minor":-7`, `"debtor_id":"D1"`} {
		if !strings.Contains(lines[0], part) {
			t.Errorf("breach log line lacks %s: %s", part, lines[0])
		}
	}
}
