package service_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/service"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName(service.Name, postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, service.Name, postgres.Migrations())
		return err
	},
}

// TestWidenedFilterKeepsThePosition upgrades a deployment whose durable
// consumer still has the old filter (shop.*.invoice.issued) and has read a
// message already. The new version starts on it (JetStream updates the
// filter of a durable pull consumer in place) and keeps its position: the
// message read before is not delivered again, nor is a message on another
// subject stored before it. A message on another subject stored after the
// last one the old version read, and every message from then on, is read
// and rejected when there is no handler for it.
func TestWidenedFilterKeepsThePosition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := natsembed.Test(t)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.EnsureStreams(ctx, js, bus.ShopStreamConfig()); err != nil {
		t.Fatal(err)
	}
	// The consumer as the earlier version declared it.
	old, err := js.CreateOrUpdateConsumer(ctx, bus.ShopStream, jetstream.ConsumerConfig{
		Durable: service.Durable, FilterSubjects: []string{"shop.*.invoice.issued"},
		AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy, AckWait: 30 * time.Second, MaxDeliver: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	publish := func(subject string) {
		t.Helper()
		m := nats.NewMsg(subject)
		m.Header.Set(jetstream.MsgIDHeader, uuid.NewString())
		m.Data = []byte(`{}`)
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	publish("shop.acme.invoice.paid")   // never read by the earlier version
	publish("shop.acme.invoice.issued") // read and acknowledged by it
	batch, err := old.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var read int
	for m := range batch.Messages() {
		if m.Subject() != "shop.acme.invoice.issued" {
			t.Fatalf("the old filter delivered %s", m.Subject())
		}
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
		read++
	}
	if read != 1 {
		t.Fatalf("the earlier version read %d messages, want 1", read)
	}

	publish("shop.acme.invoice.refunded") // after the last message read: the new version reads it
	// The new version starts on the same durable.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: pgtest.NewDB(t, template), NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(),
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Mode: auth.Dev}}
	runCtx, cancel := context.WithCancel(ctx)
	s, err := service.New(runCtx, cfg, service.Options{Tenants: tenantstest.File(t, "acme")}, telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatalf("the new version does not start on the earlier consumer: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	info, err := old.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Config.FilterSubjects) != 1 || info.Config.FilterSubjects[0] != "shop.>" {
		t.Errorf("filter %v after the upgrade, want [shop.>]", info.Config.FilterSubjects)
	}

	publish("shop.acme.invoice.disputed")
	conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rejections := rejectionv1grpc.NewRejectionServiceClient(conn)
	var got []*rejectionv1.Rejection
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the message published after the upgrade was not rejected")
		}
		time.Sleep(20 * time.Millisecond)
		resp, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		got = resp.GetRejections()
	}
	// The consumer handles messages one at a time in stream order, so the
	// earliest message, had it been delivered, would have been rejected
	// before these.
	subjects := map[string]string{}
	for _, r := range got {
		subjects[r.GetSubject()] = r.GetReasonCode()
	}
	want := map[string]string{"shop.acme.invoice.refunded": "unknown_event_type", "shop.acme.invoice.disputed": "unknown_event_type"}
	if diff := cmp.Diff(want, subjects); diff != "" {
		t.Errorf("rejections by subject (-want +got):\n%s", diff)
	}
}
