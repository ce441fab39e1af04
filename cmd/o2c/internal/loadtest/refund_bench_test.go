package loadtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/chaos"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/redact"
	"github.com/o2c-platform/o2c/libs/shoppub"
	"github.com/o2c-platform/o2c/libs/telemetry"
	refundimport "github.com/o2c-platform/o2c/services/refund-import/service"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// The refund benchmark's knobs. `make bench` leaves them unset (20,000
// events); `make bench-refunds` sets O2C_BENCH_REFUND_EVENTS=1000000.
const (
	envRefundEvents = "O2C_BENCH_REFUND_EVENTS" // refund events the fake serves (default defaultRefundEvents)
	envRefundOrders = "O2C_BENCH_REFUND_ORDERS" // Amazon orders they refund (default one per refundsPerOrder events)

	defaultRefundEvents = 20_000
	refundsPerOrder     = 100
)

// A refund of the benchmark gives the buyer back 1.00 and 0.19 VAT (19 %)
// of one line of its order; each order's invoice is large enough for all
// the refunds of a round, so that none is held as an over-refund.
const (
	benchRefundNet = 100
	benchRefundTax = 19
)

// SP-API's default usage plan of listFinancialEvents, per seller account
// (../shared/specs/amazon-sp-api/financesV0.json: rate 0.5 requests a
// second, burst 30; MaxResultsPerPage at most 100). The import pages
// through listFinancialEvents, so this bounds the events a seller account
// can bring in, whatever o2c does with them.
const (
	apiRequestsPerSecond = 0.5
	apiBurst             = 30
	apiEventsPerPage     = 100
)

// BenchmarkRefundImport runs PostgreSQL (durable), embedded NATS,
// ingestion, the ledger and refund import in this process with the fake
// SP-API (spapifake) serving O2C_BENCH_REFUND_EVENTS refund events
// (default 20,000; `make bench-refunds` 1,000,000) with its rate limits
// switched off, 100 events a page. The demo tenant's shop first publishes
// O2C_BENCH_REFUND_ORDERS Amazon invoices (default one per 100 refunds)
// through ingestion and waits until the ledger has booked them on the
// marketplace's debtor account; the refunds are spread evenly over these orders (a refund of
// 1.19 each, a guarantee claim every tenth, a chargeback every
// twenty-fifth), posted over the four weeks before the run. A round then
// calls RunImport for the demo tenant's seller account, as `o2c refunds
// import --since` does, and ends when the marketplace's debtor account
// has come down by every refund, that is when the ledger has booked every
// credit note.
//
// Metrics:
//
//	events/s         refund events booked per second, RunImport called to every credit note booked
//	import-events/s  refund events per second until RunImport answered (paged, decided, stored with their commands)
//	api-events/s     what SP-API's default usage plan lets one seller account fetch (listFinancialEvents 0.5/s x 100 a page)
//	peak-heap-MB     the largest live heap of this process (services, the fake with every event, NATS)
//	o2c-cores, postgres-cores, busy-cores, iowait-cores  as in BenchmarkShopInvoices
func BenchmarkRefundImport(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: runs PostgreSQL, NATS, ingestion, the ledger and refund import")
	}
	n := envInt(b, envRefundEvents, defaultRefundEvents)
	orders := min(envInt(b, envRefundOrders, (n+refundsPerOrder-1)/refundsPerOrder), n)
	perOrder := (n + orders - 1) / orders
	sys := startRefundSystem(b)
	posted := time.Now().UTC().Add(-28 * 24 * time.Hour).Truncate(24 * time.Hour)
	gross := sys.publishOrders(b, orders, int64(perOrder)*benchRefundNet, posted.Add(-24*time.Hour))

	specs := benchRefunds(n, orders, posted, 27*24*time.Hour)
	var refunded int64
	for i, g := range specs {
		list, event := benchRefundEvent(i, g)
		sys.fake.AddFinancialEvents(g.Posted, list, event)
		refunded += g.Principal + g.Tax
	}
	b.Logf("%d refund events of %d orders (%d each) in the fake SP-API, %d cents in all; the orders' invoices total %d cents on %s",
		n, orders, perOrder, refunded, gross, marketplaceAccount)
	apiRate := apiRequestsPerSecond * apiEventsPerPage
	b.Logf("SP-API's default usage plan lets one seller account read %.0f events/s (listFinancialEvents %.1f requests/s x %d events a page, "+
		"burst %d pages): %d events take %v of paging per seller account at best",
		apiRate, apiRequestsPerSecond, apiEventsPerPage, apiBurst, n, apiDuration(n).Round(time.Second))

	round := 0
	for b.Loop() {
		if round++; round > 1 {
			b.Fatal("one round only: the fake's events are imported by the first (run with -benchtime 1x)")
		}
		peak := watchHeap()
		cpu0 := sys.cpu()
		start := time.Now()
		res := sys.runImport(b, posted)
		imported := time.Since(start)
		if res.GetError() != "" {
			b.Fatalf("RunImport failed: %s", res.GetError())
		}
		if got := int(res.GetRefundsNew() + res.GetWaiting()); got != n {
			b.Errorf("RunImport decided %d refunds to book (%d booked, %d waiting), want %d: %v", got, res.GetRefundsNew(), res.GetWaiting(), n, res)
		}
		b.Logf("RunImport answered in %v: %d pages, %d events, %d booked, %d waiting, %d duplicate, %d held",
			imported.Round(time.Millisecond), res.GetPages(), res.GetEvents(), res.GetRefundsNew(), res.GetWaiting(), res.GetRefundsDuplicate(), res.GetHeld())
		sys.waitBalance(b, gross-refunded)
		booked := time.Since(start)
		cpu := sys.cpu().since(cpu0)
		heap := peak()

		b.ReportMetric(float64(n)/booked.Seconds(), "events/s")
		b.ReportMetric(float64(n)/imported.Seconds(), "import-events/s")
		b.ReportMetric(apiRate, "api-events/s")
		b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
		cpu.report(b)
		b.Logf("%d refund events booked in %v (%.0f events/s), imported in %v (%.0f events/s); peak heap %.0f MiB; %s",
			n, booked.Round(time.Millisecond), float64(n)/booked.Seconds(), imported.Round(time.Millisecond), float64(n)/imported.Seconds(),
			float64(heap)/(1<<20), cpu)
	}
}

// apiDuration is how long one seller account pages through n events at
// SP-API's default usage plan: the burst at once, then a page every two
// seconds.
func apiDuration(n int) time.Duration {
	pages := (n + apiEventsPerPage - 1) / apiEventsPerPage
	if pages <= apiBurst {
		return 0
	}
	return time.Duration(float64(pages-apiBurst) / apiRequestsPerSecond * float64(time.Second))
}

// marketplaceAccount is the demo tenant's debtor account of amazon.de in
// EUR (demo.TenantsJSON: ledger.marketplaces).
const marketplaceAccount = "69001"

// benchOrder is the marketplace order id of the benchmark's order k.
func benchOrder(k int) string { return fmt.Sprintf("303-%07d-%07d", k/10_000_000, k%10_000_000) }

// benchRefunds returns n refunds spread evenly over the orders, posted
// evenly over [from, from+span).
func benchRefunds(n, orders int, from time.Time, span time.Duration) []spapifake.RefundSpec {
	specs := make([]spapifake.RefundSpec, n)
	for i := range specs {
		specs[i] = spapifake.RefundSpec{
			OrderID: benchOrder(i % orders), AdjustmentID: fmt.Sprintf("amzn1:crow:bench-%d", i), SKU: "BENCH-1", Currency: "EUR",
			Posted:    from.Add(time.Duration(float64(span) * float64(i) / float64(n))),
			Principal: benchRefundNet, Tax: benchRefundTax, Commission: 15, Marketplace: "Amazon.de",
		}
	}
	return specs
}

// benchRefundEvent returns the event list and v0 event of refund i: a
// guarantee claim every tenth, a chargeback every twenty-fifth, else a
// refund.
func benchRefundEvent(i int, g spapifake.RefundSpec) (string, []byte) {
	switch {
	case i%25 == 24:
		return spapifake.ChargebackEventList, spapifake.ChargebackEvent(g)
	case i%10 == 9:
		return spapifake.GuaranteeClaimEventList, spapifake.GuaranteeClaimEvent(g)
	}
	return spapifake.RefundEventList, spapifake.RefundEvent(g)
}

// refundSystem is the shop benchmark's system (ingestion and the ledger)
// with refund import and the fake SP-API it reads.
type refundSystem struct {
	*system
	fake    *spapifake.Server
	refunds refundv1grpc.RefundServiceClient
	queries ledgerv1grpc.LedgerQueryServiceClient
}

// dialInsecure connects to a service of the benchmark, which runs with
// development authentication.
func dialInsecure(b *testing.B, addr string) *grpc.ClientConn {
	b.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

// publishOrders has the demo shop publish an Amazon invoice of one line of
// net cents at 19 %, issued on the day of issued, for each of the orders,
// with shoppub from eight publishers, and waits until the ledger holds
// them all on the marketplace's debtor account. It returns what they
// total, in cents.
func (s *refundSystem) publishOrders(b *testing.B, orders int, net int64, issued time.Time) int64 {
	b.Helper()
	ctx := b.Context()
	tmpl := amazonInvoice(b)
	tmpl.IssueDate = &commonv1.Date{Year: int32(issued.Year()), Month: int32(issued.Month()), Day: int32(issued.Day())}
	line := tmpl.GetLines()[0]
	line.NetAmount.MinorUnits, line.VatRateBp, line.Quantity = net, 1900, "1"
	vat := net * 19 / 100
	tmpl.Lines = []*shopv1.InvoiceLine{line}
	tmpl.Totals = &shopv1.InvoiceTotals{Net: eurMinor(net), Gross: eurMinor(net + vat),
		Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eurMinor(net), Vat: eurMinor(vat)}}}
	var next atomic.Int64
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	start := time.Now()
	for range 8 {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= orders {
					return
				}
				inv := proto.CloneOf(tmpl)
				inv.InvoiceNumber = fmt.Sprintf("RF-%07d", k)
				inv.PaymentReference, inv.OrderId = inv.InvoiceNumber, benchOrder(k)
				data, err := proto.Marshal(inv)
				if err != nil {
					errs <- err
					return
				}
				msg := nats.NewMsg("shop." + inv.GetTenant() + ".invoice.issued")
				msg.Data = data
				msg.Header.Set("Content-Type", "application/protobuf")
				msg.Header.Set(jetstream.MsgIDHeader, inv.GetTenant()+":"+inv.GetInvoiceNumber())
				if _, err := shoppub.Publish(ctx, s.js, msg, shoppub.Options{}); err != nil {
					errs <- fmt.Errorf("invoice %s: %w", inv.GetInvoiceNumber(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	total := int64(orders) * (net + vat)
	s.waitBalance(b, total)
	b.Logf("%d Amazon orders of %d cents each booked in %v", orders, net+vat, time.Since(start).Round(time.Millisecond))
	return total
}

// amazonInvoice is the demo's Amazon invoice, the template of the
// benchmark's orders.
func amazonInvoice(b *testing.B) *shopv1.InvoiceIssued {
	b.Helper()
	for _, inv := range demo.Invoices() {
		if inv.GetChannel().GetKind() == shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE {
			return proto.CloneOf(inv)
		}
	}
	b.Fatal("the demo has no marketplace invoice to copy")
	return nil
}

func eurMinor(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// runImport calls RunImport for the demo tenant's seller accounts from
// since and returns the last progress of the run, the one with done set.
func (s *refundSystem) runImport(b *testing.B, since time.Time) *refundv1.RunImportResponse {
	b.Helper()
	stream, err := s.refunds.RunImport(b.Context(), &refundv1.RunImportRequest{Tenant: demo.Tenant, Since: timestamppb.New(since)})
	if err != nil {
		b.Fatalf("RunImport: %v", err)
	}
	var done *refundv1.RunImportResponse
	lastLog := time.Now()
	for {
		p, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatalf("RunImport: %v", err)
		}
		if p.GetDone() {
			done = p
		} else if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			b.Logf("importing: %d pages, %d events, %d booked", p.GetPages(), p.GetEvents(), p.GetRefundsNew())
		}
	}
	if done == nil {
		b.Fatal("RunImport ended without a result for the seller account")
	}
	return done
}

// waitBalance polls the ledger until the marketplace's debtor account
// stands at want cents, failing the benchmark when it does not move for
// two minutes.
func (s *refundSystem) waitBalance(b *testing.B, want int64) {
	b.Helper()
	var last int64 = -1
	lastChange, lastLog := time.Now(), time.Now()
	for {
		resp, err := s.queries.GetAccountBalance(b.Context(), &ledgerv1.GetAccountBalanceRequest{Tenant: demo.Tenant, Account: marketplaceAccount})
		if err == nil {
			var v int64
			for _, bal := range resp.GetBalances() {
				v += bal.GetBalance().GetMinorUnits()
			}
			if v == want {
				return
			}
			if v != last {
				last, lastChange = v, time.Now()
			}
		}
		if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			b.Logf("waiting: %s stands at %d cents, want %d", marketplaceAccount, last, want)
		}
		if time.Since(lastChange) > 2*time.Minute {
			b.Fatalf("%s has stood at %d cents for two minutes; want %d (last error: %v)", marketplaceAccount, last, want, err)
		}
		select {
		case <-b.Context().Done():
			b.Fatal(b.Context().Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// startRefundSystem starts the shop benchmark's system (ingestion and the
// ledger with the demo's tenants), the fake SP-API without rate limits and
// refund import reading the demo seller account from it, without its
// schedule (the benchmark runs the import itself) and without rate limits
// of its own.
func startRefundSystem(b *testing.B) *refundSystem {
	b.Helper()
	s := &refundSystem{system: startSystem(b, true)}
	var opt spapifake.Options
	opt.Limits = unlimited(opt.Limits)
	s.fake = spapifake.New(opt)
	url, stop := s.fake.Start()
	b.Cleanup(stop)
	ts, err := demo.Tenants()
	if err != nil {
		b.Fatal(err)
	}
	cfg := host.Config{
		MigrateDatabaseURL: s.dbURL, NATSURL: s.ns.URL(), GRPCAddr: freeAddr(b), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond,
		Auth: auth.DevConfig(func(string) string { return "" }),
	}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	creds := s.fake.Credentials()
	ri, err := chaos.StartService(b.Context(), refundimport.Name, func(ctx context.Context) error {
		return refundimport.Run(ctx, cfg, refundimport.Options{
			Tenants: ts,
			Credentials: func(string) (refundimport.Credentials, error) {
				return refundimport.Credentials{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, RefreshToken: creds.RefreshToken}, nil
			},
			SPAPI:      refundimport.SPAPI{Endpoint: url, TokenURL: url + "/auth/o2/token", NoRateLimits: true},
			NoSchedule: true,
		}, telemetry.Providers{}, log, nil)
	}, chaos.Serving(cfg.GRPCAddr))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := ri.Kill(); err != nil {
			b.Errorf("refund import at the end: %v", err)
		}
	})
	s.refunds = refundv1grpc.NewRefundServiceClient(dialInsecure(b, cfg.GRPCAddr))
	s.queries = ledgerv1grpc.NewLedgerQueryServiceClient(dialInsecure(b, s.ledCfg.GRPCAddr))
	return s
}

// unlimited returns an empty map of the type of limits: the fake's "no
// rate limits" (spapi.NoLimits, which this package cannot name: spapi is
// internal to refund import).
func unlimited[M ~map[string]V, V any](M) M { return M{} }
