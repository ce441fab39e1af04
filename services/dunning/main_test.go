package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
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
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host/hosttest"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/dunning/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = hosttest.Template("dunning", postgres.Migrations())

func date(y, m, d int32) *commonv1.Date { return &commonv1.Date{Year: y, Month: m, Day: d} }

// runAll calls Run and returns its last progress message.
func runAll(t *testing.T, ctx context.Context, c dunningv1grpc.DunningServiceClient, req *dunningv1.RunRequest) *dunningv1.RunResponse {
	t.Helper()
	stream, err := c.Run(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var last *dunningv1.RunResponse
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		last = m
	}
	if !last.GetDone() {
		t.Fatalf("the run's last message is not done: %v", last)
	}
	return last
}

// TestRun starts the service as main does, feeds it the ledger's overdue
// open item through NATS, runs dunning over gRPC twice for one date (the
// second sends nothing), reads the notice back, cancels it and checks that
// run returns nil and leaves no goroutine behind.
func TestRun(t *testing.T) {
	ns := natsembed.Test(t)
	dbURL := pgtest.NewDB(t, template)
	addr := hosttest.FreeAddr(t)
	outbox := t.TempDir()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := bus.EnsureStreams(context.Background(), js, bus.ServiceStreamConfig("ingestion"), bus.ServiceStreamConfig("ledger")); err != nil {
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
		"O2C_TENANTS": tenantstest.Write(t, tenantstest.JSON("acme")), "O2C_AUTH": "tokens", "O2C_AUTH_TOKENS": tokens,
		"DUNNING_OUTBOX": outbox, "DUNNING_RUN_AT": "off"}
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
	if _, err := js.PublishMsg(ctx, hosttest.Relayed(t, "acme", "ledger", "debtor", &ledgerv1.OpenItemOpened{
		Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", Kind: "invoice", DocumentNumber: "RE-2026-1001",
		Amount: &commonv1.Money{MinorUnits: 11900, Currency: "EUR"}, DocumentDate: date(2026, 10, 1), DueDate: date(2026, 10, 15),
		PaymentReference: "RE-2026-1001", EntryId: "E-1",
	})); err != nil {
		t.Fatal(err)
	}
	hosttest.Eventually(t, "the open item taken in", func() bool {
		c, err := js.Consumer(ctx, "O2C_LEDGER", "dunning-items")
		if err != nil {
			return false
		}
		info, err := c.Info(ctx)
		return err == nil && info.AckFloor.Stream >= 1
	})

	client := dunningv1grpc.NewDunningServiceClient(conn)
	req := &dunningv1.RunRequest{Tenant: "acme", Date: date(2026, 10, 25)}
	if got := runAll(t, ctx, client, &dunningv1.RunRequest{Tenant: "acme", Date: req.Date, DryRun: true}); got.GetNotices() != 1 {
		t.Errorf("dry run: %d notices, want 1", got.GetNotices())
	}
	first := runAll(t, ctx, client, req)
	if first.GetNotices() != 1 || first.GetDebtorsDone() != 1 {
		t.Errorf("first run: %v, want one debtor with one notice", first)
	}
	again := runAll(t, ctx, client, req)
	if again.GetNotices() != 0 || again.GetAlreadyDecided() != 1 {
		t.Errorf("second run on the same date: %v, want nothing sent and one debtor already decided", again)
	}
	ls, err := client.ListNotices(ctx, &dunningv1.ListNoticesRequest{Tenant: "acme", DebtorId: "D-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.GetNotices()) != 1 {
		t.Fatalf("notices: %v, want one", ls.GetNotices())
	}
	got, err := client.GetNotice(ctx, &dunningv1.GetNoticeRequest{Tenant: "acme", NoticeId: ls.GetNotices()[0].GetNoticeId()})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetPdf()) == 0 || got.GetText() == "" {
		t.Errorf("notice copy without PDF or text: %d bytes, %q", len(got.GetPdf()), got.GetText())
	}
	if _, err := os.Stat(filepath.Join(outbox, "acme", "D-1", ls.GetNotices()[0].GetNoticeId()+".pdf")); err != nil {
		t.Errorf("the notice's PDF is not in the outbox: %v", err)
	}
	if _, err := client.Status(ctx, &dunningv1.StatusRequest{Tenant: "acme"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("status without a debtor: %v, want INVALID_ARGUMENT", err)
	}
	if _, err := client.Status(ctx, &dunningv1.StatusRequest{Tenant: "nobody", DebtorId: "D-1"}); status.Code(err) != codes.NotFound &&
		status.Code(err) != codes.PermissionDenied {
		t.Errorf("status of an unknown tenant: %v, want NOT_FOUND or PERMISSION_DENIED", err)
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
