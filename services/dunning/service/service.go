// Package service starts the dunning service: it follows the ledger's open
// items and ingestion's invoices and customers into its read model, runs
// every tenant's dunning once a day at a configured time in the tenant's
// zone (and on DunningService.Run), stores each decision with its inputs,
// the ledger's AssessCharge commands for fees and interest and the
// releases to collections in the event store, puts the rendered notices in
// a file-system outbox, serves DunningService over gRPC and relays its
// events and commands to JetStream. main.go runs it as a process; `o2c
// demo` may run it in-process beside the other services.
//
// Personal data: the debtor's name for a notice is read from ingestion
// (DebtorProfileService) when the notice is rendered and is written only
// into the notice in the outbox; dunning's database and events name
// debtors by id.
//
// One dunning process serves a tenant: the run of a date is idempotent
// (one decision per debtor and date; event ids derived from them), so a
// second process would store nothing twice, but the two would render the
// same notices twice.
package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/dunning/internal/consumer"
	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
	"github.com/o2c-platform/o2c/services/dunning/internal/notice"
	"github.com/o2c-platform/o2c/services/dunning/internal/postgres"
	"github.com/o2c-platform/o2c/services/dunning/internal/rpc"
	"github.com/o2c-platform/o2c/services/dunning/internal/run"
)

// Name is the service's name, schema and subject segment.
const Name = "dunning"

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9094"

// The durable consumers of dunning.
const (
	// ItemsDurable follows the ledger's open items.
	ItemsDurable = "dunning-items"
	// IngestionDurable takes in ingestion's invoices and customers.
	IngestionDurable = "dunning-ingestion"
)

// projectionPoll is how often the projection of decisions, notices and
// blocks looks for new events.
const projectionPoll = 100 * time.Millisecond

// Errors is dunning's classification of its own errors: the run's, the
// engine's, the notices', the API's sentinels and the tenants file's.
var Errors = fault.Chain(run.Errors.Classify, dunning.Errors.Classify, notice.Errors.Classify, rpc.Errors.Classify,
	tenants.Errors.Classify)

// Routes are the ledger commands dunning stores beside its decisions;
// its relay publishes them on o2c.<tenant>.dunning.ledger.assess-charge.
var Routes = bus.CommandsFor("ledger", string((&ledgerv1.AssessCharge{}).ProtoReflect().Descriptor().FullName()))

// Options are dunning's settings beyond host.Config.
type Options struct {
	// Tenants is the tenants file (required): the only tenants dunning
	// works for, and each one's dunning section (dunning.ParseConfig;
	// German-law defaults where it has none).
	Tenants *tenants.File
	// Ingestion is a connection to ingestion as dunning (its service
	// credentials), for the debtors' names on notices. Nil renders notices
	// with the debtor id for a name.
	Ingestion grpc.ClientConnInterface
	// Outbox is the directory of the notice outbox (required).
	Outbox string
	// Now is the clock of the runs and blocks; nil means time.Now.
	Now func() time.Time
	// Zone is the tenants' time zone: the day a run is for and the time
	// it is scheduled at; nil means Europe/Berlin.
	Zone *time.Location
	// RunAt is the time of day of the scheduled run, since midnight in
	// Zone; 0 means 06:00. Negative schedules no run (only
	// DunningService.Run runs).
	RunAt time.Duration
	// Poll is how often the schedule is checked; 0 means one minute.
	Poll time.Duration
	// Rates is the base-rate table; the zero value means the embedded one
	// (dunning.DefaultBaseRates).
	Rates *dunning.BaseRates
}

// Dunning is a dunning service that has been set up and not yet served.
type Dunning struct {
	h *host.Host
}

// Run runs dunning until ctx ends: New, then Serve. lis may be nil
// (listen on cfg.GRPCAddr).
func Run(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) error {
	d, err := New(ctx, cfg, opt, p, log, lis)
	if err != nil {
		return err
	}
	return d.Serve(ctx)
}

// Configs checks the dunning section of every tenant of f
// (dunning.ParseConfig) and returns each tenant's configuration. The
// error is a *tenants.FileError naming the file, tenant and field of
// every problem.
func Configs(f *tenants.File) (map[string]run.Tenant, error) {
	out := map[string]run.Tenant{}
	var problems []tenants.Problem
	for _, t := range f.Tenants() {
		raw, path := t.Section("dunning")
		if path == "" {
			path = "dunning"
		}
		currency := "EUR"
		merchant := notice.Party{Name: t.Name}
		if t.Name == "" {
			merchant.Name = t.ID
		}
		if len(t.Bank.Accounts) > 0 {
			currency = t.Bank.Accounts[0].Currency
			merchant.IBAN = t.Bank.Accounts[0].IBAN
			merchant.Bank = t.Bank.Accounts[0].Name
		}
		c, err := dunning.ParseConfig(raw, path, currency)
		if err != nil {
			p := tenants.Problem{File: f.Path, Tenant: t.ID, Field: path, Message: err.Error()}
			var ce *dunning.ConfigError
			if errors.As(err, &ce) {
				p.Field, p.Message = ce.Path, ce.Reason
			}
			problems = append(problems, p)
			continue
		}
		out[t.ID] = run.Tenant{Config: c, Raw: raw, Merchant: merchant, Language: "de"}
	}
	if len(problems) > 0 {
		return nil, &tenants.FileError{Problems: problems}
	}
	return out, nil
}

// CheckTenants checks the dunning section of every tenant of f as New
// does; `o2c tenants validate` may run it.
func CheckTenants(f *tenants.File) error {
	_, err := Configs(f)
	return err
}

// New checks the tenants file's dunning sections, migrates (when
// configured), connects, binds the consumers, registers the gRPC service
// and starts the projection and the schedule. Call Serve next, or Close.
func New(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) (*Dunning, error) {
	if opt.Tenants == nil {
		return nil, errors.New("no tenants file: dunning without one has no tenants to dun for (set O2C_TENANTS, or Options.Tenants in process)")
	}
	if opt.Outbox == "" {
		return nil, errors.New("no notice outbox: set DUNNING_OUTBOX, or Options.Outbox in process")
	}
	configs, err := Configs(opt.Tenants)
	if err != nil {
		return nil, err
	}
	outbox, err := notice.NewOutbox(opt.Outbox)
	if err != nil {
		return nil, fmt.Errorf("notice outbox: %w", err)
	}
	h, err := host.New(ctx, host.Spec{
		Name:           Name,
		Migrations:     postgres.Migrations(),
		HealthServices: []string{dunningv1grpc.DunningService_ServiceDesc.ServiceName},
		Errors:         Errors,
		Policy:         rpc.Policy,
		Routes:         Routes,
	}, cfg, p, log, lis)
	if err != nil {
		return nil, err
	}
	d, err := wire(ctx, h, opt, configs, outbox)
	if err != nil {
		h.Close()
		return nil, err
	}
	return d, nil
}

func wire(ctx context.Context, h *host.Host, opt Options, configs map[string]run.Tenant, outbox *notice.Outbox) (*Dunning, error) {
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	zone := opt.Zone
	if zone == nil {
		z, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			return nil, fmt.Errorf("time zone: %w", err)
		}
		zone = z
	}
	rates := dunning.DefaultBaseRates()
	if opt.Rates != nil {
		rates = *opt.Rates
	}
	store := postgres.New(h.Pool)
	proj := store.Projection(projectionPoll)
	catchUp := func(ctx context.Context) error {
		_, err := h.Events.CatchUpProjection(ctx, proj)
		return err
	}
	runner := &run.Runner{Store: store, Journal: h.Events, CatchUp: catchUp, Outbox: outbox, Tenants: configs, Rates: rates,
		Now: now, Zone: zone, Log: h.Log}
	if opt.Ingestion != nil {
		runner.Profiles = rpc.Ingestion{Client: ingestionv1grpc.NewDebtorProfileServiceClient(opt.Ingestion)}
	}
	// The streams of ingestion and the ledger are theirs to declare:
	// binding waits until they exist.
	items := &consumer.Items{Tenants: opt.Tenants, Store: store}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ledger"), Durable: ItemsDurable,
		FilterSubjects: consumer.LedgerSubjects()}, items.Handle); err != nil {
		return nil, err
	}
	in := &consumer.Ingestion{Tenants: opt.Tenants, Store: store}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ingestion"), Durable: IngestionDurable,
		FilterSubjects: consumer.IngestionSubjects()}, in.Handle); err != nil {
		return nil, err
	}
	dunningv1grpc.RegisterDunningServiceServer(h.GRPC, &rpc.DunningService{Runner: runner, Tenants: opt.Tenants})
	if err := h.Relay(); err != nil {
		return nil, err
	}
	h.GoProjection(proj.Name, func(ctx context.Context) error { return h.Events.RunBatchProjection(ctx, proj) })
	at := opt.RunAt
	if at == 0 {
		at = 6 * time.Hour
	}
	if at > 0 {
		poll := opt.Poll
		if poll <= 0 {
			poll = time.Minute
		}
		h.Go(func(ctx context.Context) error { return runner.Schedule(ctx, opt.Tenants.IDs(), at, poll) })
	}
	return &Dunning{h: h}, nil
}

// Serve runs the service until ctx ends and returns nil after a clean
// shutdown (see host.Host.Serve).
func (d *Dunning) Serve(ctx context.Context) error { return d.h.Serve(ctx) }

// Close releases what New opened when Serve is never called.
func (d *Dunning) Close() { d.h.Close() }

// Addr returns the gRPC listen address.
func (d *Dunning) Addr() net.Addr { return d.h.Addr() }

// Migrations returns dunning's own migrations (applied after the event
// store's and the rejection store's).
func Migrations() fs.FS { return postgres.Migrations() }

// The environment dunning reads beside host.Config's.
const (
	// OutboxEnv is the notice outbox's directory; default DefaultOutbox.
	OutboxEnv = "DUNNING_OUTBOX"
	// RunAtEnv is the time of the daily run, HH:MM in ZoneEnv's zone;
	// default 06:00; "off" schedules none.
	RunAtEnv = "DUNNING_RUN_AT"
	// ZoneEnv is the tenants' time zone (IANA name); default
	// Europe/Berlin.
	ZoneEnv = "DUNNING_ZONE"
	// DataDirEnv is the data directory the default outbox lies in.
	DataDirEnv = "O2C_DATA_DIR"
)

// DefaultOutbox is the outbox when DUNNING_OUTBOX is unset: the directory
// dunning/outbox under O2C_DATA_DIR, or under ./data when that is unset
// too. A notice is DIR/<tenant>/<debtor>/<notice id>.{pdf,txt,html,json}.
func DefaultOutbox(getenv func(string) string) string {
	dir := getenv(DataDirEnv)
	if dir == "" {
		dir = "data"
	}
	return filepath.Join(dir, "dunning", "outbox")
}

// Variables are the variables OptionsFromEnv reads, for dunning's --help.
func Variables() []host.Variable {
	return []host.Variable{
		{Name: OutboxEnv, Meaning: "directory of the notice outbox (<dir>/<tenant>/<debtor>/<notice>.{pdf,txt,html,json}); default $O2C_DATA_DIR/dunning/outbox, or data/dunning/outbox"},
		{Name: RunAtEnv, Meaning: "time of the daily run, HH:MM in DUNNING_ZONE (default 06:00); off runs only on request"},
		{Name: ZoneEnv, Meaning: "the tenants' time zone, an IANA name (default Europe/Berlin)"},
		{Name: DataDirEnv, Meaning: "data directory the default outbox lies in (default data)"},
	}
}

// OptionsFromEnv reads the outbox, the schedule and the zone through
// getenv into opt.
func OptionsFromEnv(getenv func(string) string, opt Options) (Options, error) {
	opt.Outbox = getenv(OutboxEnv)
	if opt.Outbox == "" {
		opt.Outbox = DefaultOutbox(getenv)
	}
	if z := getenv(ZoneEnv); z != "" {
		loc, err := time.LoadLocation(z)
		if err != nil {
			return opt, fmt.Errorf("%s: %q is not a time zone: %w", ZoneEnv, z, err)
		}
		opt.Zone = loc
	}
	switch at := strings.TrimSpace(getenv(RunAtEnv)); at {
	case "":
	case "off":
		opt.RunAt = -1
	default:
		t, err := time.Parse("15:04", at)
		if err != nil {
			return opt, fmt.Errorf("%s: %q: want HH:MM or off", RunAtEnv, at)
		}
		opt.RunAt = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
		if opt.RunAt == 0 {
			opt.RunAt = time.Nanosecond // midnight: 0 would mean the default
		}
	}
	return opt, nil
}

// IngestionClient is how dunning reaches ingestion as itself
// (host.Peer): ingestion lets the service role ask for debtor profiles
// for the tenants the credentials name. No address configures none:
// notices name the debtor by id.
type IngestionClient = host.Peer

// IngestionAddrEnv is ingestion's address.
const IngestionAddrEnv = "INGESTION_ADDR"

// IngestionVariables are the variables IngestionClientFromEnv reads, for
// dunning's --help.
func IngestionVariables() []host.Variable {
	return host.PeerVariables("dunning", "ingestion", IngestionAddrEnv,
		"ingestion's gRPC address (e.g. ingestion:9090), asked for the debtors' names on notices (kept in memory only); unset names debtors by id")
}

// IngestionClientFromEnv reads an IngestionClient through getenv (see
// host.PeerFromEnv).
func IngestionClientFromEnv(getenv func(string) string) (IngestionClient, error) {
	return host.PeerFromEnv("ingestion", IngestionAddrEnv, getenv)
}
