// Package service starts the ingestion service: it binds the consumer of
// everything shops publish (it takes the shop events consumer.EventTypes
// names and rejects the rest), serves the RejectionService (package
// rejection), the IngestionService (the same shop events in batches, each
// answered at once) and the DebtorService (erasure and export of a
// debtor's master data; package rpc) over gRPC and relays the accepted
// events from the event store to JetStream. main.go runs it as a
// process; `o2c demo` runs it in-process beside the other services.
package service

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
	"github.com/o2c-platform/o2c/services/ingestion/internal/erasure"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/internal/rpc"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// Name is the service's name, schema and subject segment.
const Name = "ingestion"

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9091"

// Options are ingestion's settings beyond host.Config.
type Options struct {
	// Tenants is the tenants file (required): the only tenants whose
	// messages are accepted, and each one's tax rules (its ledger
	// section's, so that ingestion accepts exactly the VAT treatments the
	// ledger books).
	Tenants *tenants.File
	// Ledger is the ledger's LedgerService, which the DebtorService asks
	// for a debtor's open items before erasing it. Nil refuses every
	// erasure as UNAVAILABLE, saying that no ledger is configured.
	Ledger ledgerv1grpc.LedgerServiceClient
}

// Durable is the name of ingestion's consumer on the SHOP stream. It kept
// its name when its filter widened from shop.*.invoice.issued to shop.>:
// JetStream updates the filter of an existing durable pull consumer in
// place and keeps its position, so a deployment that upgrades goes on
// where it stopped, and from then on every message on a shop subject is
// handled or rejected. Messages on other shop subjects stored before the
// last invoice the earlier version read lie behind that position and stay
// unread (list them with `nats stream view SHOP`); those stored after it
// are read and rejected (see TestWidenedFilterKeepsThePosition).
const Durable = "ingestion-invoices"

// Errors is ingestion's classification of its own errors: the invoice
// and shop domains' and the tenants file's sentinels (an unknown tenant
// is not found).
var Errors = fault.Chain(invoice.Errors.Classify, shop.Errors.Classify, erasure.Errors.Classify, tenants.Errors.Classify)

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
	if opt.Tenants == nil {
		return nil, errors.New("no tenants file: ingestion without one has no tenants to accept messages for (set O2C_TENANTS, or Options.Tenants in process)")
	}
	policy, err := auth.Merge(rpc.DebtorPolicy, rpc.IngestionPolicy)
	if err != nil {
		return nil, err
	}
	h, err := host.New(ctx, host.Spec{
		Name:       Name,
		Migrations: postgres.Migrations(),
		Streams:    []jetstream.StreamConfig{bus.ShopStreamConfig()},
		Errors:     Errors,
		Policy:     policy,
	}, cfg, p, log, lis)
	if err != nil {
		return nil, err
	}
	ingestionv1grpc.RegisterDebtorServiceServer(h.GRPC, &rpc.DebtorService{
		Store: postgres.New(h.Pool), OpenItems: rpc.Ledger{Client: opt.Ledger}, Tenants: opt.Tenants, Now: time.Now,
	})
	proc := &consumer.Processor{Events: h.Events, Debtors: postgres.New(h.Pool), Tenants: opt.Tenants, Tax: opt.Tenants.Tax}
	// One code path behind both doors: the IngestionService hands each
	// event to the consumer's processor.
	ingestionv1grpc.RegisterIngestionServiceServer(h.GRPC, &rpc.IngestionService{Processor: proc, Classify: h.Classify})
	if err := h.Consume(ctx, bus.Consumer{
		Stream: bus.ShopStream, Durable: Durable, FilterSubjects: []string{consumer.ShopSubjects},
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
