// Package service starts the ingestion service: it binds the consumer of
// everything shops publish (it takes the shop events consumer.EventTypes
// names and rejects the rest), serves the RejectionService (package
// rejection), the IngestionService (the same shop events in batches, each
// answered at once), the DebtorService (erasure and export of a debtor's
// master data) and the ImportService (bank files and settlement reports,
// package intake; package rpc) over gRPC and relays the accepted events
// from the event store to JetStream. main.go runs it as a
// process; `o2c demo` runs it in-process beside the other services.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
	"github.com/o2c-platform/o2c/services/ingestion/internal/credit"
	"github.com/o2c-platform/o2c/services/ingestion/internal/dropdir"
	"github.com/o2c-platform/o2c/services/ingestion/internal/erasure"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
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
	// Now is the clock of held messages (when held, when too long); nil
	// means time.Now.
	Now func() time.Time
	// SweepInterval is how often held messages are swept (see
	// consumer.Processor.Sweep); zero means a minute.
	SweepInterval time.Duration
	// MaxImportSize is the largest bank file or settlement report the
	// ImportService takes, in bytes; zero means rpc.DefaultMaxImportSize
	// (512 MiB).
	MaxImportSize int64
	// DropDir is the drop folder (INGESTION_DROP_DIR): files delivered to
	// DropDir/<tenant>/ are imported like the ImportService's and moved
	// to done/ or failed/ with a report (package dropdir). Empty watches
	// none; a folder that does not exist stops the start.
	DropDir string
	// DropInterval is the time between polls of the drop folder; zero
	// means dropdir.DefaultInterval (2 s).
	DropInterval time.Duration
	// ProjectionPoll is how often the credit notes read model looks for
	// new events; zero means a second.
	ProjectionPoll time.Duration
}

// sweepInterval is d, or a minute for zero.
func sweepInterval(d time.Duration) time.Duration {
	if d <= 0 {
		return time.Minute
	}
	return d
}

// holdingPeriod returns each tenant's holding period from the tenants
// file (its ingestion section's holding_period, else 14 days).
func holdingPeriod(f *tenants.File) func(tenant string) time.Duration {
	return func(tenant string) time.Duration {
		t, ok := f.Tenant(tenant)
		if !ok {
			return tenants.DefaultHoldingPeriod
		}
		return t.Ingestion.HoldingPeriod
	}
}

// LedgerClient is how ingestion reaches the ledger's LedgerService as
// itself (host.Peer): the ledger lets the service role call ListOpenItems
// for the tenants the credentials name, so they must name every tenant
// ingestion serves. No address configures no ledger: every erasure is
// refused as UNAVAILABLE.
type LedgerClient = host.Peer

// LedgerAddrEnv is the ledger's address.
const LedgerAddrEnv = "LEDGER_ADDR"

// DropDirEnv names the drop folder (Options.DropDir).
const DropDirEnv = "INGESTION_DROP_DIR"

// DropVariables are the drop folder's variables, for ingestion's --help.
func DropVariables() []host.Variable {
	return []host.Variable{
		{Name: DropDirEnv, Meaning: "a drop folder to watch (e.g. where EBICS or SFTP clients deliver): files put into <dir>/<tenant>/ are imported " +
			"like o2c import's, as \"" + dropdir.Actor + "\", once their size stayed the same for a poll (every 2 s) or an upload renamed them " +
			"from .part/.tmp; then moved to <dir>/<tenant>/done/ or failed/ with <file>.report.json beside them; unset watches none"},
	}
}

// LedgerVariables are the variables LedgerClientFromEnv reads, for
// ingestion's --help.
func LedgerVariables() []host.Variable {
	return host.PeerVariables("ingestion", "the ledger", LedgerAddrEnv,
		"the ledger's gRPC address (e.g. ledger:9090), asked for a debtor's open items before erasing it; unset refuses every erasure")
}

// LedgerClientFromEnv reads a LedgerClient through getenv (see
// host.PeerFromEnv).
func LedgerClientFromEnv(getenv func(string) string) (LedgerClient, error) {
	return host.PeerFromEnv("the ledger", LedgerAddrEnv, getenv)
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

// Errors is ingestion's classification of its own errors: the invoice,
// shop, erasure and import (intake) domains' and the tenants file's
// sentinels (an unknown tenant is not found).
var Errors = fault.Chain(invoice.Errors.Classify, shop.Errors.Classify, erasure.Errors.Classify, intake.Errors.Classify, dropdir.Errors.Classify,
	credit.Errors.Classify, tenants.Errors.Classify)

// Routes sends the console's credit notes to the shops' status feed,
// o2c.<tenant>.status.<fact>: CreditNoteAnnounced for one o2c issued,
// ShopCreditNoteRequested for one the shop is to issue.
var Routes = bus.StatusFacts(
	string((&statusv1.CreditNoteAnnounced{}).ProtoReflect().Descriptor().FullName()),
	string((&statusv1.ShopCreditNoteRequested{}).ProtoReflect().Descriptor().FullName()),
)

// CreditConfigs checks the credit_notes object of every tenant's console
// section (credit.ParseConfig) and returns each tenant's rules. The error
// is a *tenants.FileError naming the file, tenant and field of every
// problem.
func CreditConfigs(f *tenants.File) (map[string]credit.Config, error) {
	out := map[string]credit.Config{}
	var problems []tenants.Problem
	for _, t := range f.Tenants() {
		raw, path := t.Section(credit.Section)
		c, err := credit.ParseConfig(raw, path)
		if err != nil {
			p := tenants.Problem{File: f.Path, Tenant: t.ID, Field: path, Message: err.Error()}
			var ce *credit.ConfigError
			if errors.As(err, &ce) {
				p.Field, p.Message = ce.Path, ce.Reason
			}
			problems = append(problems, p)
			continue
		}
		out[t.ID] = c
	}
	if len(problems) > 0 {
		return nil, &tenants.FileError{Problems: problems}
	}
	return out, nil
}

// CheckTenants checks the credit note rules in every tenant's console
// section as New does; `o2c tenants validate` runs it.
func CheckTenants(f *tenants.File) error {
	_, err := CreditConfigs(f)
	return err
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
	if opt.Tenants == nil {
		return nil, errors.New("no tenants file: ingestion without one has no tenants to accept messages for (set O2C_TENANTS, or Options.Tenants in process)")
	}
	credits, err := CreditConfigs(opt.Tenants)
	if err != nil {
		return nil, err
	}
	policy, err := auth.Merge(rpc.DebtorPolicy, rpc.IngestionPolicy, rpc.ImportPolicy, rpc.ProfilePolicy, rpc.CreditNotePolicy)
	if err != nil {
		return nil, err
	}
	h, err := host.New(ctx, host.Spec{
		Name:       Name,
		Migrations: postgres.Migrations(),
		Streams:    []jetstream.StreamConfig{bus.ShopStreamConfig(), bus.StatusStreamConfig()},
		Errors:     Errors,
		Policy:     policy,
		Routes:     Routes,
	}, cfg, p, log, lis)
	if err != nil {
		return nil, err
	}
	// Matching's view of the debtors (kept in its memory only).
	ingestionv1grpc.RegisterDebtorProfileServiceServer(h.GRPC, &rpc.DebtorProfileService{Store: postgres.New(h.Pool), Tenants: opt.Tenants})
	ingestionv1grpc.RegisterDebtorServiceServer(h.GRPC, &rpc.DebtorService{
		Store: postgres.New(h.Pool), Search: postgres.New(h.Pool), OpenItems: rpc.Ledger{Client: opt.Ledger}, Tenants: opt.Tenants, Now: time.Now,
	})
	store := postgres.New(h.Pool)
	proc := &consumer.Processor{Events: h.Events, Debtors: store, Tenants: opt.Tenants, Tax: opt.Tenants.Tax,
		Invoices: postgres.NewInvoices(h.Events), Pending: store, Rejections: h.Rejections, Consumer: Durable, Now: opt.Now,
		HoldingPeriod: holdingPeriod(opt.Tenants)}
	// Holds outlive their holding period only by one sweep interval.
	h.Go(func(ctx context.Context) error {
		return proc.SweepEvery(ctx, sweepInterval(opt.SweepInterval), func(err error) {
			log.Warn("sweeping held shop messages failed; retried at the next sweep", "err", err)
		})
	})
	// One code path behind both doors: the IngestionService hands each
	// event to the consumer's processor.
	ingestionv1grpc.RegisterIngestionServiceServer(h.GRPC, &rpc.IngestionService{Processor: proc, Classify: h.Classify})
	// Bank files and settlement reports: the ImportService and the drop
	// folder share one importer.
	imports := postgres.NewImports(h.Pool, h.Events)
	importer := &intake.Importer{Store: imports, Tenants: opt.Tenants}
	ingestionv1grpc.RegisterImportServiceServer(h.GRPC, &rpc.ImportService{
		Importer: importer, Store: imports, Tenants: opt.Tenants, Classify: h.Classify, Log: log, MaxSize: opt.MaxImportSize,
	})
	if opt.DropDir != "" {
		drop := &dropdir.Watcher{Dir: opt.DropDir, Tenants: opt.Tenants.IDs(), Importer: importer,
			Log: log.With("component", "drop-folder"), Interval: opt.DropInterval}
		if err := drop.Prepare(); err != nil {
			h.Close()
			return nil, fmt.Errorf("%s: %w", DropDirEnv, err)
		}
		h.Go(drop.Run)
	}
	if err := h.Consume(ctx, bus.Consumer{
		Stream: bus.ShopStream, Durable: Durable, FilterSubjects: []string{consumer.ShopSubjects},
		// The invoices delivered together are stored with one commit, in
		// stream order; Process serves the replays.
		Batch: proc.ProcessBatch,
	}, proc.Process); err != nil {
		h.Close()
		return nil, err
	}
	// Credit notes requested in the console (package credit).
	creditNotes := postgres.NewCreditNotes(h.Pool)
	names := map[string]string{}
	for _, t := range opt.Tenants.Tenants() {
		names[t.ID] = t.Name
	}
	ingestionv1grpc.RegisterCreditNoteServiceServer(h.GRPC, &rpc.CreditNoteService{
		Events: h.Events, List: creditNotes, Debtors: store, Tenants: opt.Tenants, Configs: credits, Names: names, Now: opt.Now,
	})
	proj := creditNotes.Projection(opt.ProjectionPoll)
	h.GoProjection(proj.Name, func(ctx context.Context) error { return h.Events.RunBatchProjection(ctx, proj) })
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
