// Package service starts the matching service: it keeps each tenant's
// engine in memory (built at start from its read models and ingestion's
// master data), decides every bank receipt and return ingestion reports
// (booking the sure ones through ledger commands relayed to the ledger,
// queueing the rest), follows the ledger's open items, serves the
// exception queue (MatchingService) and SEPA direct debits and payouts
// (SepaService: mandates, collection runs writing pain.008 files and
// pre-notifications below SEPA_OUTPUT_DIR, payouts in pain.001) over gRPC
// and relays its own events and commands to JetStream. main.go runs it as a process; `o2c demo` runs
// it in-process beside the other services.
//
// Personal data: payers' and debtors' names, IBANs and mandate ids are read
// from ingestion (GetCounterparties, DebtorProfileService) and held in
// memory only; matching's database and events name counterparties and
// debtors by id. Debtors' master data is read again at start, when a
// debtor's CustomerIngested arrives, when an item names a debtor not seen
// yet, and every RefreshInterval; payers are cached for an hour. So an
// erasure in ingestion leaves matching's memory within the hour, and its
// disk never held the data. The exception is SEPA: a mandate (the account
// holder's name, IBAN and address) is stored in sepa_mandates, and the
// files and pre-notifications written hold them, because a collection
// file needs the whole mandate and ingestion's profile does not carry it.
//
// One matching process serves a tenant: each tenant's engine lives in its
// memory, and its decisions are stored with optimistic concurrency on each
// payment's stream, so a second process would find its appends refused
// and reload, not book twice.
package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"

	ingestionv1grpc "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/formats/pain"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/matching/internal/consumer"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
	"github.com/o2c-platform/o2c/services/matching/internal/rpc"
	"github.com/o2c-platform/o2c/services/matching/internal/sepa"
)

// Name is the service's name, schema and subject segment.
const Name = "matching"

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9093"

// The durable consumers of matching.
const (
	// BankDurable decides ingestion's bank transactions.
	BankDurable = "matching-bank"
	// ItemsDurable follows the ledger's open items.
	ItemsDurable = "matching-items"
	// IngestionDurable takes in ingestion's other events (cash discount
	// terms, customers, settlement reports).
	IngestionDurable = "matching-ingestion"
	// SepaDurable takes in orders' and customers' payment methods and
	// mandates for SEPA collections.
	SepaDurable = "matching-sepa"
	// BlocksDurable takes in dunning's blocks for SEPA runs (bound only
	// with Options.DunningBlocks).
	BlocksDurable = "matching-sepa-blocks"
	// RefundsDurable takes in refund import's decisions about marketplace
	// refunds (bound only with Options.RefundDecisions).
	RefundsDurable = "matching-refunds"
)

// SepaOutputDirEnv names the directory the SEPA files and
// pre-notification texts are written below (one directory per tenant),
// unless a tenant's sepa.output_dir names another.
const SepaOutputDirEnv = "SEPA_OUTPUT_DIR"

// SepaRunAtEnv is the time of the daily scheduled collection run, HH:MM
// in Europe/Berlin; unset or "off" schedules none.
const SepaRunAtEnv = "SEPA_RUN_AT"

// projectionPoll is how often the payments projection looks for new
// events.
const projectionPoll = 50 * time.Millisecond

// Errors is matching's classification of its own errors: the queue's,
// the engine's, its storage's and API's sentinels and the tenants file's
// (an unknown tenant is not found).
var Errors = fault.Chain(queue.Errors.Classify, engine.Errors.Classify, postgres.Errors.Classify, rpc.Errors.Classify,
	sepa.Errors.Classify, pain.Errors.Classify, tenants.Errors.Classify)

// Routes are the ledger commands matching stores beside its decisions;
// its relay publishes them on o2c.<tenant>.matching.ledger.<command>.
var Routes = bus.CommandsFor("ledger",
	string((&ledgerv1.ApplyPayment{}).ProtoReflect().Descriptor().FullName()),
	string((&ledgerv1.ReturnPayment{}).ProtoReflect().Descriptor().FullName()),
	string((&ledgerv1.ReverseEntry{}).ProtoReflect().Descriptor().FullName()),
	string((&ledgerv1.IssueCreditNote{}).ProtoReflect().Descriptor().FullName()),
	string((&ledgerv1.AssessCharge{}).ProtoReflect().Descriptor().FullName()),
	string((&ledgerv1.PayOutCreditBalance{}).ProtoReflect().Descriptor().FullName()),
)

// Options are matching's settings beyond host.Config.
type Options struct {
	// Tenants is the tenants file (required): the only tenants matching
	// works for, and each one's matching section (engine.ParseConfig;
	// defaults where it has none).
	Tenants *tenants.File
	// Ingestion is a connection to ingestion as matching (its service
	// credentials), for the payers of bank transactions and the debtors'
	// master data. Nil matches without them: by references, amounts and
	// what people confirmed only.
	Ingestion grpc.ClientConnInterface
	// Now is the clock of decisions and of the queue's age filter; nil
	// means time.Now.
	Now func() time.Time
	// BankHandlers is how many bank transactions are handled at once,
	// waiting together on one batch's commit; 0 means 64.
	BankHandlers int
	// ReturnsWindow is how far back a return finds the payment it undoes
	// after a restart (payments booked within it are remembered, and items
	// cleared within it kept); 0 means 70 days (the eight weeks a SEPA
	// core debtor may ask for a refund, and some).
	ReturnsWindow time.Duration
	// RefreshInterval is how often the debtors' master data is read from
	// ingestion again (so an erasure there leaves matching's memory); 0
	// means one hour.
	RefreshInterval time.Duration
	// SepaDir is the directory SEPA files and pre-notifications go below
	// (SEPA_OUTPUT_DIR); empty means $TMPDIR/o2c-sepa, unless a tenant's
	// sepa.output_dir names one.
	SepaDir string
	// DunningBlocks binds a consumer of dunning's BlockSet and BlockLifted
	// (stream O2C_DUNNING): a blocked or disputed debtor or item is then
	// neither collected nor paid out. Off, SEPA runs know no blocks. It
	// needs matching's NATS user to read O2C_DUNNING, and matching then
	// waits at start until dunning declared its stream.
	DunningBlocks bool
	// SepaRunAt is the time of day (since midnight in SepaZone) of the
	// daily scheduled collection run of every tenant with a creditor
	// account (SEPA_RUN_AT); 0 schedules none (only SepaService.Collect
	// runs).
	SepaRunAt time.Duration
	// SepaZone is the zone of SepaRunAt and of the scheduled run's day;
	// nil means Europe/Berlin.
	SepaZone *time.Location
	// SepaPoll is how often the schedule looks at the clock; zero means
	// a minute.
	SepaPoll time.Duration
	// RefundDecisions binds a consumer of refund import's RefundDecided
	// (stream O2C_REFUND_IMPORT): a refund refund import linked to the
	// shop's own credit note is then not credited a second time with its
	// payout, and a payout whose refund it held waits in the queue. Off,
	// matching credits every refund a settlement deducts (issue #16). It
	// needs matching's NATS user to read O2C_REFUND_IMPORT, and matching
	// then waits at start until refund import declared its stream.
	RefundDecisions bool
}

// Matching is a matching service that has been set up and not yet served.
type Matching struct {
	h *host.Host
}

// Run runs matching until ctx ends: New, then Serve. lis may be nil
// (listen on cfg.GRPCAddr).
func Run(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) error {
	m, err := New(ctx, cfg, opt, p, log, lis)
	if err != nil {
		return err
	}
	return m.Serve(ctx)
}

// Configs checks the matching section of every tenant of f
// (engine.ParseConfig) and returns each tenant's rules. The error is a
// *tenants.FileError naming the file, tenant and field of every problem.
func Configs(f *tenants.File) (map[string]engine.Config, error) {
	out := map[string]engine.Config{}
	var problems []tenants.Problem
	for _, t := range f.Tenants() {
		c, err := engine.ParseConfig(t.Matching)
		if err != nil {
			p := tenants.Problem{File: f.Path, Tenant: t.ID, Field: t.MatchingPath, Message: err.Error()}
			var fe *engine.FieldError
			if errors.As(err, &fe) {
				p.Field, p.Message = strings.TrimPrefix(t.MatchingPath+"."+fe.Field, "."), fe.Reason
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

// SepaConfigs checks the sepa section of every tenant of f
// (sepa.ParseConfig) and returns each tenant's. The error is a
// *tenants.FileError naming the file, tenant and section of every problem.
func SepaConfigs(f *tenants.File) (map[string]sepa.Config, error) {
	out := map[string]sepa.Config{}
	var problems []tenants.Problem
	for _, t := range f.Tenants() {
		raw, path := t.Section("sepa")
		c, err := sepa.ParseConfig(raw)
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

// CheckTenants checks the matching and sepa sections of every tenant of f
// as New does; `o2c tenants validate` may run it.
func CheckTenants(f *tenants.File) error {
	if _, err := Configs(f); err != nil {
		return err
	}
	_, err := SepaConfigs(f)
	return err
}

// New checks the tenants file's matching sections, migrates (when
// configured), connects, builds every tenant's engine, binds the
// consumers and registers the gRPC service and background tasks. Call
// Serve next, or Close.
func New(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) (*Matching, error) {
	if opt.Tenants == nil {
		return nil, errors.New("no tenants file: matching without one has no tenants to match for (set O2C_TENANTS, or Options.Tenants in process)")
	}
	configs, err := Configs(opt.Tenants)
	if err != nil {
		return nil, err
	}
	if _, err := SepaConfigs(opt.Tenants); err != nil {
		return nil, err
	}
	h, err := host.New(ctx, host.Spec{
		Name:       Name,
		Migrations: postgres.Migrations(),
		HealthServices: []string{matchingv1grpc.MatchingService_ServiceDesc.ServiceName,
			matchingv1grpc.SepaService_ServiceDesc.ServiceName},
		Errors: Errors,
		Policy: rpc.Policy,
		Routes: Routes,
	}, cfg, p, log, lis)
	if err != nil {
		return nil, err
	}
	m, err := wire(ctx, h, cfg, opt, configs)
	if err != nil {
		h.Close()
		return nil, err
	}
	return m, nil
}

func wire(ctx context.Context, h *host.Host, cfg host.Config, opt Options, configs map[string]engine.Config) (*Matching, error) {
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	store := postgres.New(h.Pool)
	sepaConfigs, err := SepaConfigs(opt.Tenants)
	if err != nil {
		return nil, err
	}
	// The engines clear an item by the end-to-end id of its direct debit:
	// they learn the debits submitted from storage now and from every run.
	registry := &sepa.Registry{}
	for _, t := range opt.Tenants.IDs() {
		ds, err := store.Debits(ctx, t, sepa.Submitted, "")
		if err != nil {
			return nil, err
		}
		registry.Add(t, ds)
		c, ok := configs[t]
		if !ok {
			c = engine.DefaultConfig()
		}
		c.Collections = registry.Tenant(t)
		configs[t] = c
	}
	proj := store.Projection(projectionPoll)
	// The queue's read model is what the engines start from: it is caught
	// up before they are built.
	if _, err := h.Events.CatchUpProjection(ctx, proj); err != nil {
		return nil, fmt.Errorf("catch up %s: %w", proj.Name, err)
	}
	var ing rpc.Ingestion
	if opt.Ingestion != nil {
		ing = rpc.Ingestion{Imports: ingestionv1grpc.NewImportServiceClient(opt.Ingestion),
			Profiles: ingestionv1grpc.NewDebtorProfileServiceClient(opt.Ingestion)}
	}
	window := opt.ReturnsWindow
	if window <= 0 {
		window = 70 * 24 * time.Hour
	}
	l := &loader{store: store, catchUp: func(ctx context.Context) error {
		_, err := h.Events.CatchUpProjection(ctx, proj)
		return err
	}, ingestion: ing, configs: configs, window: window, now: now, log: h.Log}
	desk := &queue.Desk{Streams: h.Events, Ledger: store, Payers: ing, VATs: store, Loader: l, Refunds: store, Now: now}
	for _, t := range opt.Tenants.IDs() {
		start := time.Now()
		if err := desk.Load(ctx, t); err != nil {
			// Ingestion may be down: the tenant is loaded when its first
			// payment comes.
			h.Log.Warn("tenant's engine not built at start; built on first use", "tenant", t, "err", err)
			continue
		}
		h.Log.Info("engine built", "tenant", t, "took", time.Since(start).Round(time.Millisecond))
	}
	batcher := &consumer.Batcher{Desk: desk, Payers: ing, Cache: &consumer.PayerCache{TTL: time.Hour, Max: 200_000}}
	h.Go(batcher.Run)
	// The streams of ingestion and the ledger are theirs to declare:
	// binding waits until they exist.
	items := &consumer.Items{Tenants: opt.Tenants, Store: store, Desk: desk}
	if opt.Ingestion != nil {
		items.Profiles = ing
	}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ledger"), Durable: ItemsDurable,
		FilterSubjects: consumer.LedgerSubjects()}, items.Handle); err != nil {
		return nil, err
	}
	in := &consumer.Ingestion{Tenants: opt.Tenants, Store: store, Desk: desk, Settlements: &consumer.SettlementIntake{
		Store: store, Desk: desk, CatchUp: func(ctx context.Context) error {
			_, err := h.Events.CatchUpProjection(ctx, proj)
			return err
		}}}
	if opt.Ingestion != nil {
		in.Profiles = ing
	}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ingestion"), Durable: IngestionDurable,
		FilterSubjects: consumer.IngestionSubjects()}, in.Handle); err != nil {
		return nil, err
	}
	sepaIn := &consumer.Sepa{Tenants: opt.Tenants, Store: store, Now: now}
	if opt.Ingestion != nil {
		sepaIn.Profiles = ing
	}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ingestion"), Durable: SepaDurable,
		FilterSubjects: consumer.SepaSubjects()}, sepaIn.Handle); err != nil {
		return nil, err
	}
	if opt.DunningBlocks {
		blocks := &consumer.Blocks{Tenants: opt.Tenants, Store: store}
		if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("dunning"), Durable: BlocksDurable,
			FilterSubjects: consumer.BlockSubjects()}, blocks.Handle); err != nil {
			return nil, err
		}
	}
	if opt.RefundDecisions {
		// A refund linked or released lets its settlement's payout be
		// booked: the settlement's open payments are decided again.
		refunds := &consumer.Refunds{Tenants: opt.Tenants, Store: store, Desk: desk, Settlements: &consumer.SettlementIntake{
			Store: store, Desk: desk, CatchUp: func(ctx context.Context) error {
				_, err := h.Events.CatchUpProjection(ctx, proj)
				return err
			}}}
		if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("refund-import"), Durable: RefundsDurable,
			FilterSubjects: []string{consumer.RefundDecidedSubjects}}, refunds.Handle); err != nil {
			return nil, err
		}
	}
	bank := &consumer.Bank{Tenants: opt.Tenants, Batcher: batcher}
	handlers := opt.BankHandlers
	if handlers <= 0 {
		handlers = 64
	}
	// Every subscription of the one durable consumer runs its handler one
	// message at a time; several of them fill a batch.
	for range handlers {
		if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ingestion"), Durable: BankDurable,
			FilterSubjects: []string{consumer.BankTransactionSubjects}, MaxAckPending: 4 * handlers}, bank.Handle); err != nil {
			return nil, err
		}
	}
	matchingv1grpc.RegisterMatchingServiceServer(h.GRPC, &rpc.MatchingService{Desk: desk, Queue: store, Documents: store, Tenants: opt.Tenants, Now: now})
	runner := &sepa.Runner{Store: store, Configs: sepaConfigs, Dir: opt.SepaDir, Now: now, Registry: registry,
		Ledger: payoutLedger{events: h.Events, now: now}}
	matchingv1grpc.RegisterSepaServiceServer(h.GRPC, &rpc.SepaService{Runner: runner, Store: store, Tenants: opt.Tenants, Now: now})
	h.Go(func(ctx context.Context) error { return syncSepa(ctx, time.Minute, opt.Tenants.IDs(), runner, h.Log) })
	if opt.SepaRunAt > 0 {
		zone := opt.SepaZone
		if zone == nil {
			if zone, err = time.LoadLocation("Europe/Berlin"); err != nil {
				return nil, fmt.Errorf("SEPA schedule: %w", err)
			}
		}
		poll := cmp.Or(opt.SepaPoll, time.Minute)
		h.Go(func(ctx context.Context) error {
			return scheduleSepa(ctx, poll, opt.SepaRunAt, zone, opt.Tenants.IDs(), runner, now, h.Log)
		})
	}
	if err := h.Relay(); err != nil {
		return nil, err
	}
	h.GoProjection(proj.Name, func(ctx context.Context) error { return h.Events.RunBatchProjection(ctx, proj) })
	if opt.Ingestion != nil {
		refresh := opt.RefreshInterval
		if refresh <= 0 {
			refresh = time.Hour
		}
		h.Go(func(ctx context.Context) error {
			return refreshDebtors(ctx, refresh, opt.Tenants.IDs(), ing, desk, store, now, h.Log)
		})
	}
	return &Matching{h: h}, nil
}

// mandateEraser is the part of the store refreshDebtors erases mandates
// with.
type mandateEraser interface {
	EraseMandates(ctx context.Context, tenant string, debtors []string, now time.Time) (int64, error)
}

// refreshDebtors reads every tenant's debtors from ingestion every
// interval, so that changed and erased master data reaches the engines,
// and erases the SEPA mandates of the debtors ingestion erased.
func refreshDebtors(ctx context.Context, interval time.Duration, ts []string, ing rpc.Ingestion, desk *queue.Desk,
	mandates mandateEraser, now func() time.Time, log *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		for _, tenant := range ts {
			refreshTenant(ctx, tenant, ing, desk, mandates, now, log)
		}
	}
}

// refreshTenant is one refresh of tenant's debtors. What fails is logged
// and tried again at the next refresh.
func refreshTenant(ctx context.Context, tenant string, ing rpc.Ingestion, desk *queue.Desk, mandates mandateEraser,
	now func() time.Time, log *slog.Logger) {
	ds, err := ing.AllDebtors(ctx, tenant)
	if err != nil {
		log.Warn("refreshing the debtors' master data failed; tried again at the next refresh", "tenant", tenant, "err", err)
		return
	}
	var erased []string
	for _, d := range ds {
		if d.Erased {
			erased = append(erased, d.ID)
		}
		if err := desk.PutDebtor(ctx, tenant, d); err != nil {
			log.Warn("debtor's master data refused", "tenant", tenant, "debtor", d.ID, "err", err)
		}
	}
	n, err := mandates.EraseMandates(ctx, tenant, erased, now())
	if err != nil {
		log.Warn("erasing the mandates of erased debtors failed; tried again at the next refresh", "tenant", tenant, "err", err)
		return
	}
	if n > 0 {
		log.Info("SEPA mandates of erased debtors erased", "tenant", tenant, "mandates", n)
	}
}

// Serve runs the service until ctx ends and returns nil after a clean
// shutdown (see host.Host.Serve).
func (m *Matching) Serve(ctx context.Context) error { return m.h.Serve(ctx) }

// Close releases what New opened when Serve is never called.
func (m *Matching) Close() { m.h.Close() }

// Addr returns the gRPC listen address.
func (m *Matching) Addr() net.Addr { return m.h.Addr() }

// Migrations returns matching's own migrations (applied after the event
// store's and the rejection store's).
func Migrations() fs.FS { return postgres.Migrations() }

// IngestionClient is how matching reaches ingestion as itself
// (host.Peer): ingestion lets the service role ask for counterparties and
// debtor profiles for the tenants the credentials name, so they must name
// every tenant matching serves. No address configures none: payments are
// matched without payer names and IBANs, and debtors without master data;
// an unreachable ingestion surfaces on the first call, and the bank
// transaction that needed it comes again.
type IngestionClient = host.Peer

// IngestionAddrEnv is ingestion's address.
const IngestionAddrEnv = "INGESTION_ADDR"

// IngestionVariables are the variables IngestionClientFromEnv reads, for
// matching's --help.
func IngestionVariables() []host.Variable {
	return host.PeerVariables("matching", "ingestion", IngestionAddrEnv,
		"ingestion's gRPC address (e.g. ingestion:9090), asked for the payers of bank transactions and the debtors' master data (kept in memory only); unset matches without them")
}

// SepaVariables are the variables of the SEPA part, for matching's --help.
func SepaVariables() []host.Variable {
	return []host.Variable{{Name: SepaOutputDirEnv,
		Meaning: "directory the SEPA files (pain.008, pain.001) and pre-notification texts are written below, one directory per tenant; default $TMPDIR/o2c-sepa (a tenant's sepa.output_dir wins)"},
		{Name: SepaRunAtEnv, Meaning: "time of the daily SEPA run (collections, and payouts on the days a tenant's sepa.payouts.run_weekdays names), HH:MM in Europe/Berlin; unset or off: runs only on request (o2c sepa collect, o2c sepa payouts)"}}
}

// SepaRunAt parses SEPA_RUN_AT: HH:MM since midnight, 0 for unset or
// "off".
func SepaRunAt(v string) (time.Duration, error) {
	switch v = strings.TrimSpace(v); v {
	case "", "off":
		return 0, nil
	}
	t, err := time.Parse("15:04", v)
	if err != nil || t.Hour() == 0 && t.Minute() == 0 {
		return 0, fmt.Errorf("%s: %q: want HH:MM after 00:00, or off", SepaRunAtEnv, v)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// IngestionClientFromEnv reads an IngestionClient through getenv (see
// host.PeerFromEnv).
func IngestionClientFromEnv(getenv func(string) string) (IngestionClient, error) {
	return host.PeerFromEnv("ingestion", IngestionAddrEnv, getenv)
}
