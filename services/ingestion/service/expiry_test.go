package service_test

import (
	"context"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/service"
)

// TestHeldTooLongIsRejected holds a chargeback before its capture for two
// tenants over NATS: acme's tenants file section holds for an hour, beta
// takes the default 14 days. Once ingestion's clock (Options.Now) is past
// an hour, the sweeper moves acme's hold to the rejection store as
// held_too_long, naming what it waited for and since when, and keeps
// beta's; past 14 days beta's goes too.
func TestHeldTooLongIsRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := natsembed.Test(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	heldAt := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(heldAt.UnixNano())
	dbURL := pgtest.NewDB(t, template)
	cfg := host.Config{MigrateDatabaseURL: dbURL, NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(),
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Mode: auth.Dev}}
	file := tenantstest.Parse(t, []byte(`{"tenants": {"acme": {"ingestion": {"holding_period": "1h"}}, "beta": {}}}`))
	runCtx, cancel := context.WithCancel(ctx)
	s, err := service.New(runCtx, cfg, service.Options{Tenants: file, Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() },
		SweepInterval: 10 * time.Millisecond}, telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(runCtx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"acme", "beta"} {
		cb := &shopv1.ChargebackNotified{Tenant: tenant, Provider: "stripe", ProviderReference: "dp_1", CaptureReference: "ch_1",
			Kind: shopv1.ChargebackKind_CHARGEBACK_KIND_CHARGEBACK, ReasonCode: "4837",
			Amount:     &commonv1.Money{MinorUnits: 11900, Currency: "EUR"},
			Fee:        &commonv1.Money{MinorUnits: 1500, Currency: "EUR"},
			NotifiedAt: timestamppb.New(heldAt)}
		data, err := protojson.Marshal(cb)
		if err != nil {
			t.Fatal(err)
		}
		msg := nats.NewMsg("shop." + tenant + ".payment.charged_back")
		msg.Header.Set("Content-Type", "application/json")
		msg.Data = data
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	held := func() []string {
		t.Helper()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT tenant || ' ' || document || ' waits for ' || waits_kind || ' ' || waits_key FROM ingestion.pending ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		hs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return hs
	}
	waitFor(t, "both chargebacks held", func() bool { return len(held()) == 2 })

	conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	rejections := rejectionv1grpc.NewRejectionServiceClient(conn)
	rejected := func() []*rejectionv1.Rejection {
		t.Helper()
		resp, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetRejections()
	}
	type verdict struct{ Tenant, Subject, Code, Document, Reason string }
	verdicts := func() []verdict {
		var out []verdict
		for _, r := range rejected() {
			out = append(out, verdict{r.GetTenant(), r.GetSubject(), r.GetReasonCode(), r.GetDocument(), r.GetReason()})
		}
		return out
	}
	reason := func(period string) string {
		return "payment.charged_back stripe/dp_1: held too long: waited for capture stripe/ch_1 since 2026-11-02T12:00:00Z, " +
			"longer than the holding period of " + period
	}

	// Past acme's hour: acme's hold goes, beta's (14 days) stays.
	clock.Store(heldAt.Add(time.Hour + time.Second).UnixNano())
	waitFor(t, "acme's hold rejected", func() bool { return len(rejected()) == 1 })
	want := []verdict{{"acme", "shop.acme.payment.charged_back", "held_too_long", "stripe/dp_1", reason("1h0m0s")}}
	if diff := cmp.Diff(want, verdicts()); diff != "" {
		t.Errorf("rejections (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"beta stripe/dp_1 waits for capture stripe/ch_1"}, held()); diff != "" {
		t.Errorf("held after an hour (-want +got):\n%s", diff)
	}

	clock.Store(heldAt.Add(14*24*time.Hour + time.Second).UnixNano())
	waitFor(t, "beta's hold rejected", func() bool { return len(held()) == 0 && len(rejected()) == 2 })
	got := verdicts()
	if len(got) != 2 {
		t.Fatalf("rejections %+v, want 2", got)
	}
	wantBeta := verdict{"beta", "shop.beta.payment.charged_back", "held_too_long", "stripe/dp_1", reason("336h0m0s")}
	if got[0] != wantBeta && got[1] != wantBeta {
		t.Errorf("rejections %+v lack %+v", got, wantBeta)
	}
}

// waitFor polls cond until it holds, failing the test after 30 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
