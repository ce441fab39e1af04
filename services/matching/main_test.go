package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/host/hosttest"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = hosttest.Template("matching", postgres.Migrations())

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// TestRun starts the service as main does, feeds it the ledger's open item
// and two of ingestion's bank transactions through NATS, works the queue
// over gRPC, cancels it and checks that run returns nil and leaves no
// goroutine behind.
func TestRun(t *testing.T) {
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, template)
	addr := hosttest.FreeAddr(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	// Ingestion and the ledger declare their streams; matching waits for
	// them.
	if err := bus.EnsureStreams(context.Background(), js, bus.ServiceStreamConfig("ingestion"), bus.ServiceStreamConfig("ledger"),
		bus.ServiceStreamConfig("refund-import"), bus.ServiceStreamConfig("dunning")); err != nil {
		t.Fatal(err)
	}
	ignore := goleak.IgnoreCurrent()

	token, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	clara := identity.Principal{Actor: "user:clara", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Accountant}}
	if err := auth.WriteTokenFile(tokens, map[string]identity.Principal{token: clara}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"MIGRATE_DATABASE_URL": dbURL, "NATS_URL": ns.ClientURL(), "GRPC_ADDR": addr,
		"O2C_TENANTS": tenantstest.Write(t, tenantstest.JSON("acme")), "O2C_AUTH": "tokens", "O2C_AUTH_TOKENS": tokens}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }) }()

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), auth.WithBearer(token, true))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hosttest.Eventually(t, "health SERVING", func() bool {
		r, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING
	})
	publish := func(m *nats.Msg) {
		t.Helper()
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	day := &commonv1.Date{Year: 2026, Month: 11, Day: 20}
	publish(hosttest.Relayed(t, "acme", "ledger", "debtor", &ledgerv1.OpenItemOpened{
		Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", Kind: "invoice", DocumentNumber: "RE-2026-1001", Amount: eur(11900),
		DocumentDate: &commonv1.Date{Year: 2026, Month: 11, Day: 1}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 1},
		PaymentReference: "RE-2026-1001", EntryId: "E-1",
	}))
	receipt := func(id string, amount int64, remittance string) *nats.Msg {
		return hosttest.Relayed(t, "acme", "ingestion", "bank-file", &ingestionv1.BankTransactionReceived{
			Tenant: "acme", TransactionId: id, AccountIban: "DE44500105175407324931", Currency: "EUR", Amount: eur(amount),
			BookingDate: day, ValueDate: day, Status: "BOOK", Remittance: remittance, Books: true,
			Classification: ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT,
		})
	}
	queue := matchingv1grpc.NewMatchingServiceClient(conn)
	get := func(id string) *matchingv1.Exception {
		r, err := queue.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: id})
		if status.Code(err) == codes.NotFound {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return r.GetException()
	}
	// The item must be in the engine before its payment arrives: wait until
	// matching acknowledged the ledger's event.
	hosttest.Eventually(t, "the open item taken in", func() bool {
		c, err := js.Consumer(ctx, "O2C_LEDGER", "matching-items")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream >= 1
	})
	publish(receipt("TX-1", 11900, "SVWZ+RE-2026-1001 Rechnung"))
	publish(receipt("TX-2", 4242, "Spende"))
	hosttest.Eventually(t, "both payments decided", func() bool { return get("TX-1") != nil && get("TX-2") != nil })

	// TX-2 names nothing: it waits in the queue; the accountant parks it.
	if e := get("TX-2"); e.GetState() != matchingv1.ExceptionState_EXCEPTION_STATE_OPEN {
		t.Fatalf("TX-2 is %v (%s), want open", e.GetState(), e.GetExplanation())
	}
	hosttest.Eventually(t, "TX-2 listed", func() bool {
		r, err := queue.ListExceptions(ctx, &matchingv1.ListExceptionsRequest{Tenant: "acme"})
		return err == nil && len(r.GetExceptions()) > 0 && r.GetExceptions()[len(r.GetExceptions())-1].GetPayment().GetPaymentId() == "TX-2"
	})
	parked, err := queue.Park(ctx, &matchingv1.ParkRequest{Tenant: "acme", PaymentId: "TX-2", Note: "ask the bank who sent it"})
	if err != nil {
		t.Fatal(err)
	}
	if e := parked.GetException(); e.GetState() != matchingv1.ExceptionState_EXCEPTION_STATE_PARKED || e.GetActor() != "user:clara" {
		t.Errorf("parked: %v by %q, want PARKED by user:clara", e.GetState(), e.GetActor())
	}
	if _, err := queue.Park(ctx, &matchingv1.ParkRequest{Tenant: "acme", PaymentId: "TX-2"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("park without a note: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := queue.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: "TX-9"}); status.Code(err) != codes.NotFound {
		t.Errorf("an unknown payment: %v, want NOT_FOUND", err)
	}

	// TX-1 pays RE-2026-1001 exactly: booked at once, or confirmed from the
	// queue; either way its ApplyPayment reaches the ledger's subject.
	if e := get("TX-1"); e.GetState() != matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED {
		if _, err := queue.ConfirmProposal(ctx, &matchingv1.ConfirmProposalRequest{Tenant: "acme", PaymentId: "TX-1", ProposalIndex: 0}); err != nil {
			t.Fatalf("confirm TX-1 (%s): %v", e.GetExplanation(), err)
		}
	}
	cons, err := js.OrderedConsumer(ctx, "O2C_MATCHING", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"o2c.acme.matching.ledger.>"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := relay.Decode(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	ap, ok := ev.Payload.(*ledgerv1.ApplyPayment)
	if m.Subject() != "o2c.acme.matching.ledger.apply-payment" || !ok || ap.GetIdempotencyKey() != "matching:TX-1" || ap.GetDebtorId() != "D-1" ||
		len(ap.GetAllocations()) != 1 || ap.GetAllocations()[0].GetOpenItemId() != "I-1" || ap.GetClearingAccount() != "unidentified-receipts" {
		t.Errorf("command on %s: %v", m.Subject(), ev.Payload)
	}
	if !strings.Contains(get("TX-1").GetExplanation(), "RE-2026-1001") {
		t.Errorf("explanation %q does not name the invoice", get("TX-1").GetExplanation())
	}

	conn.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	nc.Close()
	ns.Shutdown()
	goleak.VerifyNone(t, ignore)
}

// TestFollow: matching follows refund import's decisions and dunning's
// blocks unless a variable says off, and refuses anything else.
func TestFollow(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		value   string
		want    bool
		wantErr bool
	}{{"", true, false}, {"on", true, false}, {"off", false, false}, {"no", false, true}} {
		got, err := follow(func(string) string { return tt.value }, refundDecisionsEnv)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("follow(%q) = %v, %v; want %v, error %v", tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}
