// Package service starts the ingestion service: it binds the consumer of
// shop invoices, serves the RejectionService over gRPC and relays the
// accepted invoices from the event store to JetStream. main.go runs it as a
// process; `o2c demo` runs it in-process beside the other services.
package service

import (
	"context"
	"log/slog"
	"net"

	"github.com/nats-io/nats.go/jetstream"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/internal/rpc"
)

// Name is the service's name, schema and subject segment.
const Name = "ingestion"

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9091"

// Run runs ingestion until ctx ends. lis may be nil (listen on cfg.GRPCAddr).
func Run(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener) error {
	h, err := host.New(ctx, host.Spec{
		Name:           Name,
		Migrations:     postgres.Migrations(),
		Streams:        []jetstream.StreamConfig{bus.ShopStreamConfig()},
		HealthServices: []string{ingestionv1.RejectionService_ServiceDesc.ServiceName},
	}, cfg, p, log, lis)
	if err != nil {
		return err
	}
	store := postgres.New(h.Pool)
	proc := &consumer.Processor{Events: h.Events, Store: store}
	ingestionv1.RegisterRejectionServiceServer(h.GRPC, &rpc.RejectionService{Store: store, Replayer: proc})
	if err := h.Consume(ctx, bus.Consumer{
		Stream: bus.ShopStream, Durable: "ingestion-invoices", FilterSubjects: []string{consumer.InvoiceSubjects},
	}, proc.Handler()); err != nil {
		h.Close()
		return err
	}
	if err := h.Relay(); err != nil {
		h.Close()
		return err
	}
	return h.Serve(ctx)
}
