// Package service starts the ledger service: it binds the consumers of the
// events and commands it books (see package consumer for the subjects) and
// of the report feeds (dunning, collections, matching, customer groups),
// keeps its read models projected (checking the runtime invariants after
// every batch), runs the group committer of the write path, serves the
// LedgerService, LedgerQueryService, LedgerCommandService, the DATEV
// ExportService and the shops' StatusService over gRPC and relays its own
// events to JetStream (its status facts on the shops' status feed). main.go
// runs it as a process; `o2c demo` runs it in-process beside the other
// services, and the ledger benchmark drives its write path in-process and
// over gRPC.
package service

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"
	"github.com/o2c-platform/o2c/proto/o2c/status/v1/statusv1grpc"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/consumer"
	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
	"github.com/o2c-platform/o2c/services/ledger/internal/report"
	"github.com/o2c-platform/o2c/services/ledger/internal/rpc"
)

// Name is the service's name, schema and subject segment.
const Name = "ledger"

// ProjectionName is the checkpoint name (in the ledger's checkpoints
// table) of the projection that keeps its read models: tests and tools
// that read them wait until it has taken in every event.
const ProjectionName = postgres.ProjectionName

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9092"

// RelayName is the checkpoint name of the ledger's outbox relay.
const RelayName = Name + "-relay"

// projectionPoll is how often the read-model projection looks for new events.
const projectionPoll = 50 * time.Millisecond

// Errors is the ledger's classification of its own errors: the books',
// its storage's, the tenants file's (an unknown tenant is not found), the
// DATEV export's and the reports' sentinels.
var Errors = fault.Chain(books.Errors.Classify, postgres.Errors.Classify, tenants.Errors.Classify, datev.Errors.Classify, report.Errors.Classify)

// Ledger is a ledger service that has been set up and not yet served.
type Ledger struct {
	h         *host.Host
	poster    *postgres.Poster
	commander *books.Commander
}

// Run runs the ledger until ctx ends: New, then Serve. lis may be nil
// (listen on cfg.GRPCAddr).
func Run(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) error {
	l, err := New(ctx, cfg, opt, p, log, lis)
	if err != nil {
		return err
	}
	return l.Serve(ctx)
}

// Options are the ledger's settings beyond host.Config.
type Options struct {
	// Tenants is the tenants file (required): the only tenants the ledger
	// books for and answers about, and each one's ledger section (chart of
	// accounts with banks, clearing accounts and marketplace debtors, the
	// actors allowed to close periods, the allocation order, tax rules).
	// Commands, invoices and questions for any other tenant are rejected
	// as not found.
	Tenants *tenants.File
	// Books, when set, replaces the configuration the ledger sections of
	// Tenants give (tests build books.Config directly). It is asked only
	// about tenants of Tenants.
	Books func(tenant string) books.Config
	// CommandSources are the services whose streams carry ledger commands;
	// nil means consumer.CommandSources().
	CommandSources []string
	// Ingestion is a connection to ingestion as the ledger (the service
	// role), from which the open-item and debtor balance lists read the
	// debtors' names and the DATEV master data their names, addresses,
	// e-mails and languages (DebtorProfileService), never storing them
	// beyond an issued report or a closed period's DATEV export; nil
	// leaves the name columns empty and names DATEV's debtors by id.
	Ingestion grpc.ClientConnInterface
}

// New checks the tenants file's ledger sections, migrates (when
// configured), connects, binds the consumers and registers the gRPC
// services and background tasks. Call Serve next, or Close.
func New(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) (*Ledger, error) {
	if opt.Tenants == nil {
		return nil, errors.New("no tenants file: a ledger without one has no tenants to book for (set O2C_TENANTS, or Options.Tenants in process)")
	}
	configs := opt.Books
	if configs == nil {
		var err error
		if configs, err = books.ConfigsOf(opt.Tenants); err != nil {
			return nil, err
		}
	}
	h, err := host.New(ctx, host.Spec{
		Name:       Name,
		Migrations: postgres.Migrations(),
		HealthServices: []string{
			ledgerv1grpc.LedgerService_ServiceDesc.ServiceName, ledgerv1grpc.LedgerCommandService_ServiceDesc.ServiceName,
			statusv1grpc.StatusService_ServiceDesc.ServiceName,
		},
		Errors: Errors,
		Policy: rpc.Policy,
		// The status facts the books append with each booking go to the
		// shops' status feed, o2c.<tenant>.status.<fact>.
		Routes: bus.StatusFacts(
			string((&statusv1.InvoiceStatusChanged{}).ProtoReflect().Descriptor().FullName()),
			string((&statusv1.CustomerStatusChanged{}).ProtoReflect().Descriptor().FullName()),
		),
		Streams: []jetstream.StreamConfig{bus.StatusStreamConfig()},
	}, cfg, p, log, lis)
	if err != nil {
		return nil, err
	}
	store := postgres.New(h.Pool)
	poster := postgres.NewPoster(h.Events, postgres.PosterOptions{})
	projector, err := postgres.NewProjector(store, p, h.Log)
	if err != nil {
		h.Close()
		return nil, err
	}
	proj := projector.Projection(projectionPoll)
	commander := books.NewCommander(h.Events, store, books.CommanderOptions{
		Config: configs,
		// A batch's commands are stored with their routes in one
		// transaction.
		Appender: postgres.NewAppender(h.Events),
		// The opening balance rule of a bank account's first statement asks
		// the read model, caught up first, for the account's earlier lines.
		Postings: postgres.NewPostings(store, h.Events, proj),
	})
	booker := &consumer.Booker{Commands: commander, Tenants: opt.Tenants}
	ledgerv1grpc.RegisterLedgerServiceServer(h.GRPC, &rpc.LedgerService{Queries: store, Poster: poster, Tenants: opt.Tenants})
	ledgerv1grpc.RegisterLedgerQueryServiceServer(h.GRPC, &rpc.LedgerQueryService{Reports: store, Tenants: opt.Tenants})
	reports := &rpc.ReportService{Store: postgres.NewReporter(store, h.Events, proj), Tenants: opt.Tenants, Classify: Errors, Log: h.Log}
	if opt.Ingestion != nil {
		reports.Names = rpc.IngestionNames{Client: ingestionv1grpc.NewDebtorProfileServiceClient(opt.Ingestion)}
	}
	ledgerv1grpc.RegisterReportServiceServer(h.GRPC, reports)
	ledgerv1grpc.RegisterLedgerCommandServiceServer(h.GRPC, &rpc.CommandService{Commander: commander, Tenants: opt.Tenants})
	statusv1grpc.RegisterStatusServiceServer(h.GRPC, &rpc.StatusService{Statuses: store, Tenants: opt.Tenants})
	export := &rpc.ExportService{Store: store, Tenants: opt.Tenants,
		Config: func(tenant string) (datev.Config, error) {
			t, _ := opt.Tenants.Tenant(tenant)
			raw, path := t.Section("reports")
			return datev.ConfigOf(raw, path, configs(tenant).Chart)
		},
		Classify: Errors, Log: h.Log}
	if opt.Ingestion != nil {
		// The DATEV master data names the debtors from ingestion's
		// profiles, recorded with a closed period's export.
		export.Profiles = rpc.IngestionProfiles{Client: ingestionv1grpc.NewDebtorProfileServiceClient(opt.Ingestion)}
		export.MasterData = store
	}
	ledgerv1grpc.RegisterExportServiceServer(h.GRPC, export)
	if err := h.Consume(ctx, bus.Consumer{
		// One consumer for invoices, credit notes and cancellations, so that
		// a credit note is booked after its invoice; its name predates the
		// credit notes and is kept so that it resumes where it was.
		Stream: bus.ServiceStream("ingestion"), Durable: "ledger-invoices", FilterSubjects: consumer.IngestedSubjects(),
		// The messages delivered together are booked in stream order and
		// stored with one commit; BookIngested serves the replays.
		Batch: booker.BookIngestedBatch,
	}, booker.BookIngested); err != nil {
		h.Close()
		return nil, err
	}
	sources := opt.CommandSources
	if sources == nil {
		sources = consumer.CommandSources()
	}
	if cfg.ManageStreams {
		if err := consumer.EnsureCommandStreams(ctx, h.JetStream, sources); err != nil {
			h.Close()
			return nil, err
		}
	}
	for _, src := range sources {
		if err := h.Consume(ctx, bus.Consumer{
			Stream: bus.ServiceStream(src), Durable: "ledger-commands-" + src, FilterSubjects: []string{consumer.CommandSubjects(src)},
			Batch: booker.BookCommandBatch,
		}, booker.BookCommand); err != nil {
			h.Close()
			return nil, err
		}
	}
	// The report feeds (consumer.FeedSubjects): dunning levels and blocks,
	// collection statuses, matching's decisions and customer groups, each
	// stored beside the read models on both time axes. A feed is read from
	// a commanding service's stream only when the ledger reads that
	// stream's commands, so it never waits for a stream nobody declares.
	feeds := &consumer.Feeds{Store: store, Tenants: opt.Tenants}
	for _, f := range []struct{ service, durable string }{
		{"ingestion", consumer.CustomersFeedDurable}, {"dunning", consumer.DunningFeedDurable},
		{"collections", consumer.CollectionsFeedDurable}, {"matching", consumer.MatchingFeedDurable},
	} {
		if f.service != "ingestion" && !slices.Contains(sources, f.service) {
			continue
		}
		if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream(f.service), Durable: f.durable,
			FilterSubjects: consumer.FeedSubjects(f.service)}, feeds.Handle); err != nil {
			h.Close()
			return nil, err
		}
	}
	if err := h.Relay(); err != nil {
		h.Close()
		return nil, err
	}
	h.Go(poster.Run)
	h.GoProjection(proj.Name, func(ctx context.Context) error { return h.Events.RunBatchProjection(ctx, proj) })
	return &Ledger{h: h, poster: poster, commander: commander}, nil
}

// Serve runs the service until ctx ends and returns nil after a clean
// shutdown (see host.Host.Serve).
func (l *Ledger) Serve(ctx context.Context) error { return l.h.Serve(ctx) }

// Close releases what New opened when Serve is never called.
func (l *Ledger) Close() { l.h.Close() }

// Addr returns the gRPC listen address.
func (l *Ledger) Addr() net.Addr { return l.h.Addr() }

// CheckTenants checks the ledger section of every tenant of f as New does
// (beyond what tenants.Parse checks: that every account a tax rule names
// is in the tenant's chart). Its error is a *tenants.FileError naming the
// file, tenant and field of every problem; `o2c tenants validate` runs it.
func CheckTenants(f *tenants.File) error {
	_, err := books.ConfigsOf(f)
	return err
}

// ReadModelReport is what VerifyReadModels found.
type ReadModelReport = postgres.ReadModelReport

// VerifyReadModels rebuilds the ledger's read models from its events and
// compares them, and checks the accounting invariants (see
// postgres.VerifyReadModels); `o2c verify` runs it.
func VerifyReadModels(ctx context.Context, pool *pgxpool.Pool) (ReadModelReport, error) {
	return postgres.VerifyReadModels(ctx, pool)
}

// IngestionClient is how the ledger reaches ingestion as itself
// (host.Peer): ingestion lets the service role ask for debtor profiles for
// the tenants the credentials name. No address configures none: the
// reports' name columns stay empty.
type IngestionClient = host.Peer

// IngestionAddrEnv is ingestion's address.
const IngestionAddrEnv = "INGESTION_ADDR"

// IngestionVariables are the variables IngestionClientFromEnv reads, for
// the ledger's --help.
func IngestionVariables() []host.Variable {
	return host.PeerVariables(Name, "ingestion", IngestionAddrEnv,
		"ingestion's gRPC address (e.g. ingestion:9090), asked for the debtors' names in the open-item and debtor balance lists (read per report, recorded only with an issued one); unset leaves the names empty")
}

// IngestionClientFromEnv reads an IngestionClient through getenv (see
// host.PeerFromEnv).
func IngestionClientFromEnv(getenv func(string) string) (IngestionClient, error) {
	return host.PeerFromEnv("ingestion", IngestionAddrEnv, getenv)
}

// Migrations returns the ledger's own migrations (applied after the event
// store's and the rejection store's).
func Migrations() fs.FS { return postgres.Migrations() }
