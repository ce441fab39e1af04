// Package service starts the refund-import service: on every seller
// account's schedule (and on RefundService.RunImport) it imports the
// account's marketplace refunds from Amazon's SP-API Finances API and
// books each as a credit note in the ledger once (a ledger command
// relayed to the ledger), fetches its settlement reports through the
// Reports API and hands them to ingestion, follows the ledger's open items
// of orders (the items refunds credit, the credit notes that cleared
// them), serves RefundService over gRPC and relays its events and
// commands to JetStream. main.go runs it as a process; `o2c demo` runs it
// in-process beside the other services.
//
// SP-API credentials are never in the tenants file: a seller account
// names them by reference (credentials_ref), and the service reads them
// from its environment or a mounted Kubernetes secret (CredentialsFromEnv).
package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/creditnote"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/refund-import/internal/consumer"
	"github.com/o2c-platform/o2c/services/refund-import/internal/job"
	"github.com/o2c-platform/o2c/services/refund-import/internal/postgres"
	"github.com/o2c-platform/o2c/services/refund-import/internal/refund"
	"github.com/o2c-platform/o2c/services/refund-import/internal/rpc"
	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
)

// Name is the service's name and subject segment; its PostgreSQL schema
// is host.Schema(Name), "refund_import".
const Name = "refund-import"

// DefaultAddr is the gRPC address when GRPC_ADDR is unset.
const DefaultAddr = "127.0.0.1:9096"

// ItemsDurable follows the ledger's open items.
const ItemsDurable = "refund-import-items"

// CreditedAgainMetric counts the booked refunds whose order a shop credit
// note credited again afterwards (consumer.Items), by tenant.
const CreditedAgainMetric = "o2c_refund_import_credited_again_total"

// Errors is refund import's classification of its own errors: the
// domain's, its storage's, its API's, the SP-API client's, the credit
// note's and the tenants file's.
var Errors = fault.Chain(refund.Errors.Classify, postgres.Errors.Classify, rpc.Errors.Classify, spapi.Errors.Classify,
	creditnote.Errors.Classify, tenants.Errors.Classify, ownErrors.Classify)

// ownErrors classifies the package's sentinels.
var ownErrors = fault.Table{
	{Err: ErrCredentials, Class: fault.Precondition},
}

// Routes are the ledger commands refund import stores beside its
// decisions; its relay publishes them on
// o2c.<tenant>.refund-import.ledger.<command>.
var Routes = bus.CommandsFor("ledger",
	string((&ledgerv1.IssueCreditNote{}).ProtoReflect().Descriptor().FullName()),
	string((&ledgerv1.ReverseEntry{}).ProtoReflect().Descriptor().FullName()),
)

// Credentials are a seller account's Login with Amazon credentials.
type Credentials struct {
	ClientID, ClientSecret, RefreshToken string
}

// SPAPI overrides where and how the SP-API is called; the zero value calls
// Amazon's regional endpoints with Amazon's rate limits.
type SPAPI struct {
	// Endpoint, when set, replaces every region's endpoint (the fake
	// server's URL).
	Endpoint string
	// TokenURL, when set, replaces Login with Amazon's token endpoint.
	TokenURL string
	// NoRateLimits switches the client's rate limits off (the benchmark
	// against the fake server).
	NoRateLimits bool
	// HTTP, when set, is the HTTP client.
	HTTP *http.Client
	// Sleep, when set, is how the client waits (back-off, rate limits).
	Sleep func(context.Context, time.Duration) error
}

// Options are refund import's settings beyond host.Config.
type Options struct {
	// Tenants is the tenants file (required): the only tenants refund
	// import works for, and each one's refunds section.
	Tenants *tenants.File
	// Ingestion is a connection to ingestion as refund import (its service
	// credentials), for handing settlement reports over. Nil fetches no
	// settlement reports.
	Ingestion grpc.ClientConnInterface
	// Credentials resolves a seller account's credentials_ref; nil means
	// CredentialsFromEnv with the process's environment.
	Credentials func(ref string) (Credentials, error)
	// SPAPI overrides the SP-API's endpoints and limits.
	SPAPI SPAPI
	// NoSchedule runs imports only on request (RunImport), not on the
	// seller accounts' schedules.
	NoSchedule bool
	// Now is the clock of the import windows; nil means time.Now.
	Now func() time.Time
}

// RefundImport is a refund-import service that has been set up and not
// yet served.
type RefundImport struct {
	h *host.Host
}

// Run runs refund import until ctx ends: New, then Serve. lis may be nil
// (listen on cfg.GRPCAddr).
func Run(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) error {
	r, err := New(ctx, cfg, opt, p, log, lis)
	if err != nil {
		return err
	}
	return r.Serve(ctx)
}

// Configs checks the refunds section of every tenant of f
// (refund.ParseConfig) and returns each tenant's. The error is a
// *tenants.FileError naming the file, tenant and field of every problem.
func Configs(f *tenants.File) (map[string]refund.Config, error) {
	out := map[string]refund.Config{}
	var problems []tenants.Problem
	for _, t := range f.Tenants() {
		raw, path := t.Section("refunds")
		c, err := refund.ParseConfig(raw)
		if err != nil {
			p := tenants.Problem{File: f.Path, Tenant: t.ID, Field: path, Message: err.Error()}
			var fe *refund.FieldError
			if errors.As(err, &fe) {
				p.Field, p.Message = strings.TrimPrefix(path+"."+fe.Field, "."), fe.Reason
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

// CheckTenants checks the refunds section of every tenant of f as New
// does; `o2c tenants validate` may run it.
func CheckTenants(f *tenants.File) error {
	_, err := Configs(f)
	return err
}

// New checks the tenants file's refunds sections, migrates (when
// configured), connects, binds the consumer of the ledger's items and
// registers the gRPC service, the relay and the schedule. Call Serve
// next, or Close.
func New(ctx context.Context, cfg host.Config, opt Options, p telemetry.Providers, log *slog.Logger, lis net.Listener) (*RefundImport, error) {
	if opt.Tenants == nil {
		return nil, errors.New("no tenants file: refund import without one has no tenants to import for (set O2C_TENANTS, or Options.Tenants in process)")
	}
	configs, err := Configs(opt.Tenants)
	if err != nil {
		return nil, err
	}
	h, err := host.New(ctx, host.Spec{
		Name:           Name,
		Migrations:     postgres.Migrations(),
		HealthServices: []string{refundv1grpc.RefundService_ServiceDesc.ServiceName},
		Errors:         Errors,
		Policy:         rpc.Policy,
		Routes:         Routes,
	}, cfg, p, log, lis)
	if err != nil {
		return nil, err
	}
	r, err := wire(ctx, h, opt, configs)
	if err != nil {
		h.Close()
		return nil, err
	}
	return r, nil
}

func wire(ctx context.Context, h *host.Host, opt Options, configs map[string]refund.Config) (*RefundImport, error) {
	store := postgres.New(h.Pool, h.Events)
	creds := opt.Credentials
	if creds == nil {
		creds = CredentialsFromEnv(osGetenv, DefaultSecretsDir)
	}
	sp := opt.SPAPI
	var idle *http.Transport
	if sp.HTTP == nil {
		// A transport of its own, whose idle connections are closed when
		// the service stops.
		idle = http.DefaultTransport.(*http.Transport).Clone()
		sp.HTTP = &http.Client{Transport: idle, Timeout: time.Minute}
	}
	im := &job.Importer{Store: store, Configs: configs, Now: opt.Now, Log: h.Log,
		Clients: clients(store, creds, sp)}
	if opt.Ingestion != nil {
		im.Ingestion = rpc.Ingestion{Imports: ingestionv1grpc.NewImportServiceClient(opt.Ingestion)}
	}
	// The ledger's stream is the ledger's to declare: binding waits until
	// it exists.
	again, err := telemetry.NewMeter(h.Telemetry, "github.com/o2c-platform/o2c/services/refund-import").Counter(CreditedAgainMetric,
		"Booked marketplace refunds whose order a shop credit note credited again afterwards.", "{refund}")
	if err != nil {
		return nil, err
	}
	items := &consumer.Items{Tenants: opt.Tenants, Store: store, Refunds: im, Log: h.Log, Now: opt.Now, CreditedAgain: again}
	if err := h.Consume(ctx, bus.Consumer{Stream: bus.ServiceStream("ledger"), Durable: ItemsDurable,
		FilterSubjects: consumer.LedgerSubjects()}, items.Handle); err != nil {
		return nil, err
	}
	refundv1grpc.RegisterRefundServiceServer(h.GRPC, &rpc.RefundService{Tenants: opt.Tenants, Importer: im, Store: store})
	if err := h.Relay(); err != nil {
		return nil, err
	}
	h.Go(func(ctx context.Context) error {
		if !opt.NoSchedule {
			im.Schedule(ctx)
		} else {
			<-ctx.Done()
		}
		if idle != nil {
			idle.CloseIdleConnections()
		}
		return nil
	})
	return &RefundImport{h: h}, nil
}

// clients builds each seller account's SP-API client once, with its
// exchanges audited in the store.
func clients(store *postgres.Store, creds func(string) (Credentials, error), o SPAPI) job.Clients {
	var mu sync.Mutex
	made := map[string]*spapi.Client{}
	return func(ctx context.Context, tenant string, a refund.SellerAccount) (job.Client, error) {
		mu.Lock()
		defer mu.Unlock()
		k := tenant + "\x00" + a.ID
		if c, ok := made[k]; ok {
			return c, nil
		}
		cr, err := creds(a.CredentialsRef)
		if err != nil {
			return nil, fmt.Errorf("credentials of seller account %s (%s): %w", a.ID, a.CredentialsRef, err)
		}
		cfg := spapi.Config{Region: spapi.Region(a.Region), Endpoint: o.Endpoint, TokenURL: o.TokenURL, HTTP: o.HTTP, Sleep: o.Sleep,
			Credentials: spapi.Credentials{ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, RefreshToken: cr.RefreshToken},
			Audit: func(ctx context.Context, x spapi.Exchange) error {
				return store.Audit(context.WithoutCancel(ctx), tenant, a.ID, x)
			}}
		if o.NoRateLimits {
			cfg.Limits = spapi.NoLimits()
		}
		c, err := spapi.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("seller account %s: %w", a.ID, err)
		}
		made[k] = c
		return c, nil
	}
}

// Serve runs the service until ctx ends and returns nil after a clean
// shutdown (see host.Host.Serve).
func (r *RefundImport) Serve(ctx context.Context) error { return r.h.Serve(ctx) }

// Close releases what New opened when Serve is never called.
func (r *RefundImport) Close() { r.h.Close() }

// Addr returns the gRPC listen address.
func (r *RefundImport) Addr() net.Addr { return r.h.Addr() }

// Migrations returns refund import's own migrations (applied after the
// event store's and the rejection store's).
func Migrations() fs.FS { return postgres.Migrations() }

// IngestionClient is how refund import reaches ingestion as itself
// (host.Peer), to hand settlement reports over; its credentials must name
// every tenant refund import serves. No address fetches no settlement
// reports.
type IngestionClient = host.Peer

// IngestionAddrEnv is ingestion's address.
const IngestionAddrEnv = "INGESTION_ADDR"

// IngestionVariables are the variables IngestionClientFromEnv reads, for
// --help.
func IngestionVariables() []host.Variable {
	return host.PeerVariables(Name, "ingestion", IngestionAddrEnv,
		"ingestion's gRPC address (e.g. ingestion:9090), handed the settlement reports fetched through the Reports API; unset fetches none")
}

// IngestionClientFromEnv reads an IngestionClient through getenv (see
// host.PeerFromEnv).
func IngestionClientFromEnv(getenv func(string) string) (IngestionClient, error) {
	return host.PeerFromEnv("ingestion", IngestionAddrEnv, getenv)
}
