// Package service starts the collections service: it opens a case with a
// collection agency for every final-level release dunning publishes (and
// every manual release), follows the ledger's items (direct payments on
// items in collection are reported to the agency) and dunning's blocks,
// serves AgencyService to the agencies and CollectionsService to the
// merchant over gRPC, books what agencies report through ledger commands
// (RecordAgencyCollection, WriteOff, RecoverWrittenOff) stored beside the
// case's events, and relays its events and commands to JetStream. main.go
// runs it as a process; the demo may run it in-process.
//
// Personal data: the debtor's name is read from ingestion
// (DebtorProfileService) when an agency reads a case and is never stored
// by collections.
package service

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"time"

	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/collections/internal/collections"
	"github.com/o2c-platform/o2c/services/collections/internal/consumer"
	"github.com/o2c-platform/o2c/services/collections/internal/postgres"
	"github.com/o2c-platform/o2c/services/collections/internal/rpc"
)

// Name is the service's name, schema and subject segment.
const Name = "collections"

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9095"

// The durable consumers of collections.
const (
	// DunningDurable takes dunning's releases and blocks.
	DunningDurable = "collections-dunning"
	// ItemsDurable follows the ledger's open items.
	ItemsDurable = "collections-items"
	// IngestionDurable takes ingestion's customers.
	IngestionDurable = "collections-ingestion"
)

// projectionPoll is how often the projection of the cases looks for new
// events.
const projectionPoll = 100 * time.Millisecond

// Errors is collections' classification of its own errors: the domain's,
// the API's and the tenants file's.
var Errors = fault.Chain(collections.Errors.Classify, rpc.Errors.Classify, tenants.Errors.Classify)

// Routes are the ledger commands collections stores beside the cases'
// events; its relay publishes them on
// o2c.<tenant>.collections.ledger.<command>.
var Routes = bus.CommandsFor("ledger",
	string((&ledgerv1.RecordAgencyCollection{}).ProtoReflect().Descriptor().FullName()),
	string((&ledgerv1.WriteOff{}).ProtoReflect().Descriptor().FullName()),
	string((&ledgerv1.RecoverWrittenOff{}).ProtoReflect().Descriptor().FullName()),
)

// Options are collections' settings beyond host.Config.
type Options struct {
	// Tenants is the tenants file (required): the only tenants collections
	// works for, and each one's collections section (agencies and rules).
	Tenants *tenants.File
	// Ingestion is a connection to ingestion as collections (its service
	// credentials), for the debtors' names on the agencies' cases. Nil
	// shows debtors by id.
	Ingestion grpc.ClientConnInterface
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Poll is how often StreamCases looks for changes; 0 means 200 ms.
	Poll time.Duration
}

// Collections is a collections service that has been set up and not yet
// served.
type Collections struct {
	h *host.Host
}

// Run runs collections until ctx ends: New, then Serve. lis may be nil
// (listen on cfg.GRPCAddr).
func Run(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) error {
	c, err := New(ctx, cfg, opt, p, log, lis)
	if err != nil {
		return err
	}
	return c.Serve(ctx)
}

// Configs checks the collections section of every tenant of f and returns
// each tenant's configuration. The error is a *tenants.FileError naming
// the file, tenant and field of every problem.
func Configs(f *tenants.File) (map[string]collections.Config, error) {
	out := map[string]collections.Config{}
	var problems []tenants.Problem
	for _, t := range f.Tenants() {
		raw, path := t.Section("collections")
		if path == "" {
			path = "collections"
		}
		c, err := collections.ParseConfig(raw, path)
		if err != nil {
			problems = append(problems, tenants.Problem{File: f.Path, Tenant: t.ID, Field: path, Message: err.Error()})
			continue
		}
		out[t.ID] = c
	}
	if len(problems) > 0 {
		return nil, &tenants.FileError{Problems: problems}
	}
	return out, nil
}

// CheckTenants checks the collections section of every tenant of f as New
// does; `o2c tenants validate` may run it.
func CheckTenants(f *tenants.File) error {
	_, err := Configs(f)
	return err
}

// New checks the tenants file's collections sections, migrates (when
// configured), connects, binds the consumers, registers the gRPC services
// and starts the projection. Call Serve next, or Close.
func New(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) (*Collections, error) {
	if opt.Tenants == nil {
		return nil, errors.New("no tenants file: collections without one has no tenants to work for (set O2C_TENANTS, or Options.Tenants in process)")
	}
	configs, err := Configs(opt.Tenants)
	if err != nil {
		return nil, err
	}
	h, err := host.New(ctx, host.Spec{
		Name:       Name,
		Migrations: postgres.Migrations(),
		HealthServices: []string{collectionsv1grpc.AgencyService_ServiceDesc.ServiceName,
			collectionsv1grpc.CollectionsService_ServiceDesc.ServiceName},
		Errors: Errors,
		Policy: rpc.Policy,
		Routes: Routes,
	}, cfg, p, log, lis)
	if err != nil {
		return nil, err
	}
	c, err := wire(ctx, h, opt, configs)
	if err != nil {
		h.Close()
		return nil, err
	}
	return c, nil
}

func wire(ctx context.Context, h *host.Host, opt Options, configs map[string]collections.Config) (*Collections, error) {
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	store := postgres.New(h.Pool, h.Events)
	// The streams of dunning, the ledger and ingestion are theirs to
	// declare: binding waits until they exist.
	dun := &consumer.Dunning{Tenants: opt.Tenants, Store: store, Configs: configs, Now: now}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("dunning"), Durable: DunningDurable,
		FilterSubjects: consumer.DunningSubjects()}, dun.Handle); err != nil {
		return nil, err
	}
	items := &consumer.Ledger{Tenants: opt.Tenants, Store: store, Now: now}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ledger"), Durable: ItemsDurable,
		FilterSubjects: consumer.LedgerSubjects()}, items.Handle); err != nil {
		return nil, err
	}
	in := &consumer.Ingestion{Tenants: opt.Tenants, Store: store}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ingestion"), Durable: IngestionDurable,
		FilterSubjects: consumer.IngestionSubjects()}, in.Handle); err != nil {
		return nil, err
	}
	svc := &rpc.Service{Store: store, Tenants: opt.Tenants, Configs: configs, Now: now, Poll: opt.Poll, Classify: h.Classify}
	if opt.Ingestion != nil {
		svc.Profiles = rpc.Ingestion{Client: ingestionv1grpc.NewDebtorProfileServiceClient(opt.Ingestion)}
	}
	collectionsv1grpc.RegisterAgencyServiceServer(h.GRPC, &rpc.AgencyService{Service: svc})
	collectionsv1grpc.RegisterCollectionsServiceServer(h.GRPC, &rpc.CollectionsService{Service: svc})
	if err := h.Relay(); err != nil {
		return nil, err
	}
	proj := store.Projection(projectionPoll)
	h.GoProjection(proj.Name, func(ctx context.Context) error { return h.Events.RunBatchProjection(ctx, proj) })
	return &Collections{h: h}, nil
}

// Serve runs the service until ctx ends and returns nil after a clean
// shutdown (see host.Host.Serve).
func (c *Collections) Serve(ctx context.Context) error { return c.h.Serve(ctx) }

// Close releases what New opened when Serve is never called.
func (c *Collections) Close() { c.h.Close() }

// Addr returns the gRPC listen address.
func (c *Collections) Addr() net.Addr { return c.h.Addr() }

// Migrations returns collections' own migrations (applied after the
// event store's and the rejection store's).
func Migrations() fs.FS { return postgres.Migrations() }

// IngestionClient is how collections reaches ingestion as itself
// (host.Peer). No address configures none: agencies see debtors by id.
type IngestionClient = host.Peer

// IngestionAddrEnv is ingestion's address.
const IngestionAddrEnv = "INGESTION_ADDR"

// IngestionVariables are the variables IngestionClientFromEnv reads, for
// collections' --help.
func IngestionVariables() []host.Variable {
	return host.PeerVariables("collections", "ingestion", IngestionAddrEnv,
		"ingestion's gRPC address (e.g. ingestion:9090), asked for the debtors' names when an agency reads a case (kept in memory only); unset shows debtors by id")
}

// IngestionClientFromEnv reads an IngestionClient through getenv (see
// host.PeerFromEnv).
func IngestionClientFromEnv(getenv func(string) string) (IngestionClient, error) {
	return host.PeerFromEnv("ingestion", IngestionAddrEnv, getenv)
}
