// Package service starts the ingestion service: it binds the consumer of
// shop invoices, serves the RejectionService (package rejection) over gRPC
// and relays the accepted invoices from the event store to JetStream.
// main.go runs it as a process; `o2c demo` runs it in-process beside the other services.
package service

import (
	"context"
	"log/slog"
	"net"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/tax"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// Name is the service's name, schema and subject segment.
const Name = "ingestion"

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9091"

// Options are ingestion's settings beyond host.Config.
type Options struct {
	// Tax returns a tenant's tax table: the VAT treatments the ledger books
	// for it (tax.LoadTables on the ledger's settings file), so that
	// ingestion accepts exactly what the ledger can book. Nil means
	// tax.Default() for every tenant.
	Tax func(tenant string) *tax.Table
}

// Ingestion is an ingestion service that has been set up and not yet served.
type Ingestion struct {
	h *host.Host
}

// Run runs ingestion until ctx ends: New, then Serve. lis may be nil
// (listen on cfg.GRPCAddr).
func Run(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) error {
	s, err := New(ctx, cfg, opt, p, log, lis)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// New migrates (when configured), connects, binds the consumer of shop
// invoices and registers the relay. Call Serve next, or Close.
func New(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) (*Ingestion, error) {
	h, err := host.New(ctx, host.Spec{
		Name:       Name,
		Migrations: postgres.Migrations(),
		Streams:    []jetstream.StreamConfig{bus.ShopStreamConfig()},
		Errors:     invoice.Errors.Classify,
	}, cfg, p, log, lis)
	if err != nil {
		return nil, err
	}
	proc := &consumer.Processor{Events: h.Events, Debtors: postgres.New(h.Pool), Tax: opt.Tax}
	if err := h.Consume(ctx, bus.Consumer{
		Stream: bus.ShopStream, Durable: "ingestion-invoices", FilterSubjects: []string{consumer.InvoiceSubjects},
	}, proc.Process); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.Relay(); err != nil {
		h.Close()
		return nil, err
	}
	return &Ingestion{h: h}, nil
}

// Serve runs the service until ctx ends and returns nil after a clean
// shutdown (see host.Host.Serve).
func (s *Ingestion) Serve(ctx context.Context) error { return s.h.Serve(ctx) }

// Close releases what New opened when Serve is never called.
func (s *Ingestion) Close() { s.h.Close() }

// Addr returns the gRPC listen address.
func (s *Ingestion) Addr() net.Addr { return s.h.Addr() }
