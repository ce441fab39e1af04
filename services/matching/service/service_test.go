package service

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

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
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName("matching", postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, Name, postgres.Migrations())
		return err
	},
}

// testAuth authenticates the callers of every service the tests start.
var testAuth = authztest.NewAuthenticator()

func accountant(tenant string) identity.Principal {
	return identity.Principal{Actor: "user:clara", Tenants: []string{tenant}, Roles: []identity.Role{identity.Accountant}}
}

// ingestion is a fake of ingestion's master data: counterparties and
// debtor profiles.
type ingestion struct {
	ingestionv1grpc.UnimplementedImportServiceServer
	ingestionv1grpc.UnimplementedDebtorProfileServiceServer
	mu       sync.Mutex
	payers   map[string]*ingestionv1.Counterparty
	profiles []*ingestionv1.DebtorProfile
}

func (f *ingestion) GetCounterparties(_ context.Context, req *ingestionv1.GetCounterpartiesRequest) (*ingestionv1.GetCounterpartiesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &ingestionv1.GetCounterpartiesResponse{}
	for _, id := range req.GetIds() {
		if c, ok := f.payers[id]; ok {
			out.Counterparties = append(out.Counterparties, c)
		}
	}
	return out, nil
}

func (f *ingestion) ListDebtorProfiles(_ context.Context, req *ingestionv1.ListDebtorProfilesRequest) (*ingestionv1.ListDebtorProfilesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &ingestionv1.ListDebtorProfilesResponse{}
	for _, p := range f.profiles {
		if len(req.GetDebtorIds()) == 0 || slices.Contains(req.GetDebtorIds(), p.GetDebtorId()) {
			out.Profiles = append(out.Profiles, p)
		}
	}
	return out, nil
}

const (
	ibanD1      = "DE89370400440532013000"
	ibanUnknown = "DE02120300000000202051"
)

// startIngestion serves the fake on a local port and returns a client
// connection to it.
func startIngestion(t testing.TB) (*ingestion, *grpc.ClientConn) {
	t.Helper()
	f := &ingestion{
		payers: map[string]*ingestionv1.Counterparty{
			"CP-1": {Id: "CP-1", Name: "Beispiel GmbH", Iban: ibanD1},
			"CP-2": {Id: "CP-2", Name: "H. Mustermann", Iban: ibanUnknown},
		},
		profiles: []*ingestionv1.DebtorProfile{
			{DebtorId: "D-1", Business: true, Name: "Beispiel GmbH", Ibans: []string{ibanD1}, CustomerNumber: "D-1"},
			{DebtorId: "D-2", Business: true, Name: "Muster AG", CustomerNumber: "D-2"},
		},
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	ingestionv1grpc.RegisterImportServiceServer(srv, f)
	ingestionv1grpc.RegisterDebtorProfileServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return f, conn
}

// svc is a running matching service with what a test drives it through.
type svc struct {
	m      *Matching
	js     jetstream.JetStream
	conn   *grpc.ClientConn
	queue  matchingv1grpc.MatchingServiceClient
	dbURL  string
	nats   string
	ing    *grpc.ClientConn
	fake   *ingestion
	cancel func()
}

// env is what several services started over one database share.
type env struct {
	dbURL, natsURL string
	js             jetstream.JetStream
	fake           *ingestion
	ing            *grpc.ClientConn
	// handlers is Options.BankHandlers (4 unless set).
	handlers int
}

func newEnv(t testing.TB) env {
	t.Helper()
	ns, js := natsembed.TestJetStream(t)
	// Ingestion and the ledger declare their streams; matching waits for
	// them.
	if err := bus.EnsureStreams(context.Background(), js, bus.ServiceStreamConfig("ingestion"), bus.ServiceStreamConfig("ledger")); err != nil {
		t.Fatal(err)
	}
	fake, conn := startIngestion(t)
	return env{dbURL: pgtest.NewDB(t, template), natsURL: ns.ClientURL(), js: js, fake: fake, ing: conn}
}

// start runs a matching service in e until stop (or the test's end).
func (e env) start(t testing.TB) (*svc, func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: e.dbURL, NATSURL: e.natsURL, GRPCAddr: lis.Addr().String(), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: testAuth}}
	ctx, cancel := context.WithCancel(context.Background())
	handlers := e.handlers
	if handlers == 0 {
		handlers = 4
	}
	m, err := New(ctx, cfg, Options{Tenants: tenantstest.File(t, "acme", "beta"), Ingestion: e.ing, BankHandlers: handlers},
		telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	conn, err := grpc.NewClient(m.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			conn.Close()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &svc{m: m, js: e.js, conn: conn, queue: matchingv1grpc.NewMatchingServiceClient(conn), dbURL: e.dbURL, fake: e.fake}, stop
}

func startService(t testing.TB) *svc {
	t.Helper()
	s, _ := newEnv(t).start(t)
	return s
}

// TestAccessMatrix calls every RPC matching serves as every role, and for
// a tenant outside the caller's, and checks the answers against its policy
// (rpc.Policy with rejection.Policy).
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	authztest.CheckMatrix(t, s.m.h.GRPC, s.conn, testAuth, s.m.h.Policy, "acme", "beta")
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

var (
	nov1  = &commonv1.Date{Year: 2026, Month: 11, Day: 1}
	dec1  = &commonv1.Date{Year: 2026, Month: 12, Day: 1}
	nov20 = &commonv1.Date{Year: 2026, Month: 11, Day: 20}
	nov27 = &commonv1.Date{Year: 2026, Month: 11, Day: 27}
)

// message is the message service's relay publishes for payload.
func (s *svc) message(t testing.TB, service string, payload proto.Message) *nats.Msg {
	t.Helper()
	ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: payload}
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: "acme", Type: "test", ID: uuid.NewString()}, []eventstore.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	name := string(payload.ProtoReflect().Descriptor().FullName())
	return relay.Message(bus.ServiceSubject("acme", service, bus.EventName(name)), prepared[0])
}

// publish publishes payload as service's relay would, and returns the
// message's stream sequence.
func (s *svc) publish(t testing.TB, service string, payload proto.Message) uint64 {
	t.Helper()
	ack, err := s.js.PublishMsg(context.Background(), s.message(t, service, payload))
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// settled waits until the durable consumer acknowledged stream sequence
// seq.
func (s *svc) settled(t testing.TB, stream, durable string, seq uint64) {
	t.Helper()
	eventually(t, durable+" past "+stream+" sequence", func() bool {
		c, err := s.js.Consumer(context.Background(), stream, durable)
		if err != nil {
			return false
		}
		info, err := c.Info(context.Background())
		return err == nil && info.AckFloor.Stream >= seq
	})
}

// item opens an invoice's item as the ledger does and waits until
// matching took it in.
func (s *svc) item(t testing.TB, id, debtor, doc string, amount int64) {
	t.Helper()
	seq := s.publish(t, "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: id, DebtorId: debtor, Kind: "invoice",
		DocumentNumber: doc, Amount: eur(amount), DocumentDate: nov1, DueDate: dec1, PaymentReference: doc, EntryId: "E-" + id})
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)
}

func bankTx(id string, amount int64, remittance, counterparty string) *ingestionv1.BankTransactionReceived {
	class := ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT
	if amount < 0 {
		class = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN
	}
	return &ingestionv1.BankTransactionReceived{Tenant: "acme", TransactionId: id, AccountIban: "DE44500105175407324931",
		Currency: "EUR", Amount: eur(amount), BookingDate: nov20, ValueDate: nov20, Status: "BOOK", Remittance: remittance,
		CounterpartyId: counterparty, Books: true, Classification: class}
}

// commands returns the ledger commands matching relayed so far.
func (s *svc) commands(t testing.TB) []proto.Message {
	t.Helper()
	ctx := context.Background()
	st, err := s.js.Stream(ctx, "O2C_MATCHING")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter("o2c.acme.matching.ledger.>"))
	if err != nil {
		t.Fatal(err)
	}
	var total uint64
	for _, n := range info.State.Subjects {
		total += n
	}
	if total == 0 {
		return nil
	}
	cons, err := s.js.OrderedConsumer(ctx, "O2C_MATCHING", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"o2c.acme.matching.ledger.>"}})
	if err != nil {
		t.Fatal(err)
	}
	var out []proto.Message
	for range total {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := relay.Decode(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Payload)
	}
	return out
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBankTransactionBooksOnceAndItsReturnReopens: given the ledger's
// invoice RE-1001 of 119.00 of debtor D-1, when ingestion reports a
// receipt naming it from D-1's IBAN, then matching sends ApplyPayment keyed
// "matching:<transaction id>" from the unidentified receipts clearing to
// D-1; the same transaction delivered again sends nothing new; when the
// payment comes back as a returned direct debit with a 3.00 charge after
// the ledger booked it, matching sends the ReturnPayment of that payment
// with the bank's fee, and passes the charge on as a returned-debit fee.
func TestBankTransactionBooksOnceAndItsReturnReopens(t *testing.T) {
	t.Parallel()
	s := startService(t)
	s.item(t, "I-1", "D-1", "RE-1001", 11900)
	tx := bankTx("TX-1", 11900, "SVWZ+RE-1001", "CP-1")
	tx.EndToEndId, tx.MandateId = "E2E-1", "M-1"
	seq := s.publish(t, "ingestion", tx)
	s.settled(t, "O2C_INGESTION", BankDurable, seq)
	eventually(t, "the ApplyPayment", func() bool { return len(s.commands(t)) == 1 })
	ap, ok := s.commands(t)[0].(*ledgerv1.ApplyPayment)
	if !ok || ap.GetIdempotencyKey() != "matching:TX-1" || ap.GetPaymentId() != "TX-1" || ap.GetDebtorId() != "D-1" ||
		ap.GetClearingAccount() != "unidentified-receipts" || ap.GetAmount().GetMinorUnits() != 11900 {
		t.Fatalf("command %v", s.commands(t)[0])
	}
	seq = s.publish(t, "ingestion", tx) // a redelivery, under another message id
	s.settled(t, "O2C_INGESTION", BankDurable, seq)
	// A decision is stored before its transaction is acknowledged: the
	// store says whether the duplicate sent anything.
	var stored int
	if err := s.m.h.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE event_type = 'o2c.ledger.v1.ApplyPayment'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 1 {
		t.Errorf("after the duplicate: %d ApplyPayment stored, want 1", stored)
	}
	// The ledger books it.
	seq = s.publish(t, "ledger", &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", OpenAmount: eur(0),
		Settlements: []*ledgerv1.Settlement{{SettlementId: "S-1", OpenItemId: "I-1", Amount: eur(11900), Document: "TX-1", EntryId: "PE-1",
			Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT}}})
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)
	ret := bankTx("TX-R", -12200, "RUECKLASTSCHRIFT MD06", "CP-1")
	ret.EndToEndId, ret.MandateId, ret.ReturnReason, ret.BookingDate = "E2E-1", "M-1", "MD06", nov27
	s.publish(t, "ingestion", ret)
	eventually(t, "the return's commands", func() bool { return len(s.commands(t)) >= 2 })
	cmds := s.commands(t)
	rp, ok := cmds[1].(*ledgerv1.ReturnPayment)
	if !ok || rp.GetPaymentId() != "TX-1" || rp.GetBankFee().GetMinorUnits() != 300 || rp.GetIdempotencyKey() != "matching:return:TX-R" {
		got, _ := s.queue.GetException(context.Background(), &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: "TX-R"}, testAuth.As(accountant("acme")))
		t.Fatalf("return command %v (decision: %s)", cmds[1], got.GetException().GetExplanation())
	}
	eventually(t, "the charge passed on", func() bool { return len(s.commands(t)) == 3 })
	if ac, ok := s.commands(t)[2].(*ledgerv1.AssessCharge); !ok || ac.GetAmount().GetMinorUnits() != 300 || ac.GetClaimOpenItemId() != "I-1" ||
		ac.GetKind() != ledgerv1.ChargeKind_CHARGE_KIND_RETURNED_DEBIT_FEE {
		t.Errorf("charge %v", s.commands(t)[2])
	}
}

// TestConfirmedMatchTeachesThePayerAcrossRestarts: given a payment from an
// IBAN no debtor has, when an accountant matches it to D-2's invoice by
// hand, then the next payment from that IBAN is proposed for D-2, also
// after matching restarted (the fact is persisted by counterparty, the
// IBAN read from ingestion again).
func TestConfirmedMatchTeachesThePayerAcrossRestarts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, stop := e.start(t)
	ctx := context.Background()
	as := testAuth.As(accountant("acme"))
	for i, amount := range []int64{23800, 7140, 5355} {
		s.item(t, []string{"I-2", "I-3", "I-4"}[i], "D-2", []string{"RE-2001", "RE-2002", "RE-2003"}[i], amount)
	}
	s.publish(t, "ingestion", bankTx("TX-2", 23800, "Zahlung", "CP-2"))
	get := func(s *svc, id string) *matchingv1.Exception {
		t.Helper()
		var got *matchingv1.Exception
		eventually(t, id+" decided", func() bool {
			r, err := s.queue.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: id}, as)
			got = r.GetException()
			return err == nil
		})
		return got
	}
	first := get(s, "TX-2")
	if first.GetPayer().GetIban() != ibanUnknown {
		t.Errorf("payer %v, want the IBAN from ingestion", first.GetPayer())
	}
	if first.GetState() == matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED {
		t.Fatalf("a payment naming nothing from an unknown IBAN was booked: %s", first.GetExplanation())
	}
	if _, err := s.queue.MatchManually(ctx, &matchingv1.MatchManuallyRequest{Tenant: "acme", PaymentId: "TX-2", DebtorId: "D-2",
		Allocations: []*matchingv1.ManualAllocation{{OpenItemId: "I-2", Amount: eur(23800)}}, ExpectedVersion: first.GetVersion()}, as); err != nil {
		t.Fatal(err)
	}
	s.publish(t, "ingestion", bankTx("TX-3", 7140, "Zahlung", "CP-2"))
	if p := get(s, "TX-3").GetProposals(); len(p) == 0 || p[0].GetDebtorId() != "D-2" {
		t.Errorf("after the match: proposals %v, want D-2 first", p)
	}
	stop()
	s2, _ := e.start(t)
	s2.publish(t, "ingestion", bankTx("TX-4", 5355, "Zahlung", "CP-2"))
	if p := get(s2, "TX-4").GetProposals(); len(p) == 0 || p[0].GetDebtorId() != "D-2" {
		t.Errorf("after a restart: proposals %v, want D-2 first", p)
	}
}

// TestAmazonPayoutClearsTheOrdersAndBooksTheFees: given an Amazon order's
// item on the marketplace's debtor (29.90 at 7 %), when Amazon's payout of
// 20.95 arrives before its settlement report (the order less commission,
// fulfilment and storage fees), then it waits; once the report is
// complete matching decides it again and sends the ApplyPayment on the
// marketplace's debtor clearing the order, with each fee as a fee leg. The
// item's marketplace comes from its classification, which the ledger
// stores inside OpenItemOpened now and as a separate OpenItemClassified in
// older streams: both must read alike.
func TestAmazonPayoutClearsTheOrdersAndBooksTheFees(t *testing.T) {
	t.Parallel()
	for _, folded := range []bool{false, true} {
		name := "separate OpenItemClassified"
		if folded {
			name = "classification in OpenItemOpened"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			amazonPayoutClearsTheOrders(t, folded)
		})
	}
}

func amazonPayoutClearsTheOrders(t *testing.T, folded bool) {
	s := startService(t)
	ctx := context.Background()
	const mp = "marketplace:amazon.de:EUR"
	s.fake.mu.Lock()
	s.fake.payers["CP-AMZ"] = &ingestionv1.Counterparty{Id: "CP-AMZ", Name: "AMAZON PAYMENTS EUROPE S.C.A."}
	s.fake.mu.Unlock()
	opened := &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-AMZ", DebtorId: mp, Kind: "invoice",
		DocumentNumber: "RE-2026-1003", OrderId: "302-1234567-7654321", Amount: eur(2990), DocumentDate: nov1, DueDate: nov1,
		PaymentReference: "RE-2026-1003", EntryId: "E-AMZ"}
	classified := &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: "I-AMZ", Marketplace: "amazon.de",
		Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, ClaimOpenItemId: "I-AMZ",
		Vat: []*ledgerv1.VatAmount{{RateBp: 700, Net: eur(2794), Vat: eur(196)}}}
	var seq uint64
	if folded {
		opened.Classification = classified
		seq = s.publish(t, "ledger", opened)
	} else {
		s.publish(t, "ledger", opened)
		seq = s.publish(t, "ledger", classified)
	}
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)
	payout := bankTx("TX-AMZ", 2095, "AMAZON.DE SETTLEMENT 24601357902 03.11.2026-17.11.2026", "CP-AMZ")
	seq = s.publish(t, "ingestion", payout)
	s.settled(t, "O2C_INGESTION", BankDurable, seq)
	as := testAuth.As(accountant("acme"))
	before, err := s.queue.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: "TX-AMZ"}, as)
	if err != nil {
		t.Fatal(err)
	}
	if st := before.GetException().GetState(); st != matchingv1.ExceptionState_EXCEPTION_STATE_OPEN {
		t.Fatalf("the payout before its report is %v (%s), want open", st, before.GetException().GetExplanation())
	}
	line := func(typ, amountType, desc string, amount int64) *ingestionv1.SettlementLine {
		l := &ingestionv1.SettlementLine{TransactionType: typ, AmountType: amountType, AmountDescription: desc, Amount: eur(amount),
			MarketplaceName: "Amazon.de", PostedDate: nov1}
		if typ == "Order" {
			l.OrderId, l.MerchantOrderId = "302-1234567-7654321", "RE-2026-1003"
		}
		return l
	}
	s.publish(t, "ingestion", &ingestionv1.SettlementReportReceived{Tenant: "acme", SettlementId: "24601357902", Marketplace: "amazon",
		DepositDate: nov20, Total: eur(2095), HasTotal: true, Currency: "EUR", LineCount: 5, BatchCount: 1})
	s.publish(t, "ingestion", &ingestionv1.SettlementLinesReceived{Tenant: "acme", SettlementId: "24601357902", Marketplace: "amazon",
		Lines: []*ingestionv1.SettlementLine{
			line("Order", "ItemPrice", "Principal", 2794), line("Order", "ItemPrice", "Tax", 196),
			line("Order", "ItemFees", "Commission", -449), line("Order", "ItemFees", "FBAPerUnitFulfillmentFee", -326),
			line("other-transaction", "other-transaction", "Storage Fee", -120),
		}})
	eventually(t, "the payout's ApplyPayment", func() bool { return len(s.commands(t)) == 1 })
	ap, ok := s.commands(t)[0].(*ledgerv1.ApplyPayment)
	if !ok {
		t.Fatalf("command %v", s.commands(t)[0])
	}
	want := &ledgerv1.ApplyPayment{Tenant: "acme", IdempotencyKey: "matching:TX-AMZ", PaymentId: "TX-AMZ", DebtorId: mp,
		Amount: eur(2990), ValueDate: nov20, ClearingAccount: "unidentified-receipts",
		Allocations: []*ledgerv1.Allocation{{OpenItemId: "I-AMZ", Amount: eur(2990)}},
		Fees: []*ledgerv1.Fee{{Kind: "Commission", Amount: eur(449)}, {Kind: "FBAPerUnitFulfillmentFee", Amount: eur(326)},
			{Kind: "Storage Fee", Amount: eur(120)}}}
	if diff := cmp.Diff(want, ap, protocmp.Transform(), protocmp.SortRepeated(func(a, b *ledgerv1.Fee) bool { return a.GetKind() < b.GetKind() })); diff != "" {
		t.Errorf("ApplyPayment (-want +got):\n%s", diff)
	}
}

// BenchmarkDecide measures how many bank transactions the service decides
// per second: b.N receipts (a third naming one of 10,000 open invoices,
// the rest naming nothing) published at once as ingestion's relay would,
// until the bank consumer acknowledged the last. Each decision is stored
// with its commands before its transaction is acknowledged.
func BenchmarkDecide(b *testing.B) {
	e := newEnv(b)
	e.handlers = 64 // the default
	s, stop := e.start(b)
	defer stop()
	ctx := context.Background()
	var last uint64
	for i := range 10000 {
		last = s.publish(b, "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: fmt.Sprintf("I-%d", i), DebtorId: fmt.Sprintf("D-%d", i%2000),
			Kind: "invoice", DocumentNumber: fmt.Sprintf("RE-2026-%06d", i), Amount: eur(int64(1000 + i)), DocumentDate: nov1, DueDate: dec1,
			PaymentReference: fmt.Sprintf("RE-2026-%06d", i), EntryId: fmt.Sprintf("E-%d", i)})
	}
	s.settled(b, "O2C_LEDGER", ItemsDurable, last)
	msgs := make([]*nats.Msg, b.N)
	for i := range b.N {
		remittance := "Zahlung"
		amount := int64(777 + i%500)
		if i%3 == 0 {
			remittance, amount = fmt.Sprintf("RE-2026-%06d", i%10000), int64(1000+i%10000)
		}
		msgs[i] = s.message(b, "ingestion", bankTx(fmt.Sprintf("TX-%d", i), amount, remittance, ""))
	}
	b.ResetTimer()
	start := time.Now()
	for i, m := range msgs {
		if _, err := s.js.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			<-s.js.PublishAsyncComplete()
		}
	}
	<-s.js.PublishAsyncComplete()
	st, err := s.js.Stream(ctx, "O2C_INGESTION")
	if err != nil {
		b.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	s.settled(b, "O2C_INGESTION", BankDurable, info.State.LastSeq)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "decided/s")
}

// BenchmarkLoad measures building a tenant's engine at start from the read
// model: 1,000,000 open items of 200,000 debtors (ingestion's master data
// aside), read by one query and indexed by engine.New. The items are
// written once with COPY.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	owner := pgtest.NewDB(b, template)
	if _, err := database.Migrate(ctx, owner, Name, postgres.Migrations()); err != nil {
		b.Fatal(err)
	}
	pool, err := database.Connect(ctx, owner, Name, telemetry.Providers{})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	const n = 1_000_000
	rows := make([][]any, 0, n)
	issue := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		doc := fmt.Sprintf("RE-2026-%07d", i)
		amount := int64(1000 + i%100000)
		rows = append(rows, []any{"acme", fmt.Sprintf("I-%07d", i), fmt.Sprintf("K-%06d", i%200000), "invoice", doc,
			fmt.Sprintf("WEB-%07d", i), doc, "EUR", amount, amount, issue.AddDate(0, 0, i%60), issue.AddDate(0, 0, 30+i%60)})
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"tenant", "item_id", "debtor_id", "kind", "document_number",
		"order_id", "payment_reference", "currency", "amount_minor", "open_minor", "document_date", "due_date"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	rows = nil
	l := &loader{store: postgres.New(pool), catchUp: func(context.Context) error { return nil },
		configs: map[string]engine.Config{"acme": engine.DefaultConfig()}, window: 70 * 24 * time.Hour, now: time.Now}
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		snap, err := l.store.Snapshot(ctx, "acme", time.Now().Add(-l.window), time.Now(), time.Now())
		if err != nil {
			b.Fatal(err)
		}
		read := time.Since(start)
		if _, err := engine.New(engine.DefaultConfig(), snap.Items, nil, nil); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(read.Seconds(), "s/read")
		b.ReportMetric(time.Since(start).Seconds(), "s/load")
	}
}
