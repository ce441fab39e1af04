// Package service starts the ledger service: it binds the consumers of the
// events it books, keeps its read models projected, serves the LedgerService
// over gRPC and relays its own events to JetStream. main.go runs it as a
// process; `o2c demo` runs it in-process beside the other services.
package service

import (
	"context"
	"log/slog"
	"net"
	"time"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/internal/consumer"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
	"github.com/o2c-platform/o2c/services/ledger/internal/rpc"
)

// Name is the service's name, schema and subject segment.
const Name = "ledger"

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9092"

// projectionPoll is how often the read-model projection looks for new events.
const projectionPoll = 50 * time.Millisecond

// Run runs the ledger until ctx ends. lis may be nil (listen on cfg.GRPCAddr).
func Run(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener) error {
	h, err := host.New(ctx, host.Spec{
		Name:           Name,
		Migrations:     postgres.Migrations(),
		HealthServices: []string{ledgerv1.LedgerService_ServiceDesc.ServiceName},
	}, cfg, p, log, lis)
	if err != nil {
		return err
	}
	store := postgres.New(h.Pool)
	booker := &consumer.Booker{Events: h.Events, Accounts: store, Log: h.Log}
	ledgerv1.RegisterLedgerServiceServer(h.GRPC, &rpc.LedgerService{Queries: store, ValidTenant: bus.ValidTenant})
	if err := h.Consume(ctx, bus.Consumer{
		Stream: bus.ServiceStream("ingestion"), Durable: "ledger-invoices", FilterSubjects: []string{consumer.InvoiceSubjects},
	}, booker.InvoiceHandler()); err != nil {
		h.Close()
		return err
	}
	if err := h.Relay(); err != nil {
		h.Close()
		return err
	}
	h.Go(func(ctx context.Context) error {
		return h.Events.RunProjection(ctx, postgres.ProjectionName, 0, projectionPoll, postgres.Project)
	})
	return h.Serve(ctx)
}
