package demo

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

// dashboard is the Grafana dashboard whose queries TestTracesAndMetrics
// checks, relative to this package.
const dashboard = "../../../../deploy/grafana/o2c-dashboard.json"

// TestTracesAndMetrics runs every service in-process with an in-memory span
// recorder and a Prometheus exporter, publishes the demo shop's invoices
// and imports the bank statement, and checks that
//   - one trace runs from the shop's publish through ingestion and the
//     ledger to the open item the ledger relays (taken in by matching),
//   - one trace runs from the bank import through matching's decision to
//     the ledger's booking of it and the cleared open item,
//   - a service's call to another, made while handling a message, is in
//     the message's trace,
//   - every metric the Grafana dashboard queries is exported.
func TestTracesAndMetrics(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	p := telemetry.Providers{Tracer: tp, Meter: mp, Propagator: telemetry.Propagation()}
	sys, err := Start(ctx, Options{DatabaseURL: dbURL, Telemetry: p})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := sys.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	if _, err := Publish(ctx, sys, p); err != nil {
		t.Fatal(err)
	}
	items, err := WaitForOpenItems(ctx, sys.Conn(ledger.Name), ExpectedOpenItems)
	if err != nil {
		t.Fatal(err)
	}
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	if err := WaitForMatchingItems(ctx, js); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportBankFiles(ctx, sys.Conn(ingestion.Name)); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitForDecisions(ctx, sys.Conn(matching.Name), StatementReceipts); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, it := range items {
		total += it.GetOpenAmount().GetMinorUnits()
	}
	if _, err := WaitForOpenAmount(ctx, sys.Conn(ledger.Name), total-MatchedAutomatically); err != nil {
		t.Fatal(err)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	checkDashboard(t, exported(mfs))

	if err := sys.Stop(); err != nil {
		t.Fatal(err)
	}
	sys.stop = func() error { return nil }
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	checkTrace(t, spans, "the shop's publish to the open item",
		hop{trace.SpanKindProducer, "publish shop.demo.invoice.issued"},
		hop{trace.SpanKindConsumer, "process shop.demo.invoice.issued"},
		hop{trace.SpanKindConsumer, "process o2c.demo.ingestion.invoice.ingested"},
		hop{trace.SpanKindConsumer, "process o2c.demo.ledger.open-item.opened"},
	)
	checkTrace(t, spans, "the bank import to the ledger's booking",
		hop{trace.SpanKindServer, "o2c.ingestion.v1.ImportService/Import"},
		hop{trace.SpanKindConsumer, "process o2c.demo.ingestion.bank-transaction.received"},
		hop{trace.SpanKindConsumer, "process o2c.demo.matching.ledger.apply-payment"},
		hop{trace.SpanKindConsumer, "process o2c.demo.ledger.open-item.cleared"},
	)
	checkPeerCall(t, spans)
}

// checkPeerCall fails unless a service, handling a message, called
// ingestion within the message's trace: an ingestion server span whose
// parent is the caller's client span of the same RPC, itself below a
// consumer span (matching asks ingestion for debtors and payers).
func checkPeerCall(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = s
	}
	for _, s := range spans {
		if s.SpanKind() != trace.SpanKindServer || !strings.HasPrefix(s.Name(), "o2c.ingestion.v1.") {
			continue
		}
		client, ok := byID[s.Parent().SpanID()]
		if !ok || client.SpanKind() != trace.SpanKindClient || client.Name() != s.Name() {
			continue
		}
		if handler, ok := byID[client.Parent().SpanID()]; ok && handler.SpanKind() == trace.SpanKindConsumer {
			return
		}
	}
	t.Error("no call of a service to ingestion continues the trace of the message it handles (client span, then ingestion's server span)")
}

// hop is a span a trace must hold: its kind and name.
type hop struct {
	kind trace.SpanKind
	name string
}

// checkTrace fails unless some trace holds a span for each hop, each below
// (a descendant of) the one before.
func checkTrace(t *testing.T, spans []sdktrace.ReadOnlySpan, what string, hops ...hop) {
	t.Helper()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = s
	}
	below := func(s sdktrace.ReadOnlySpan, ancestor trace.SpanID) bool {
		for seen := 0; seen < 1000; seen++ {
			pid := s.Parent().SpanID()
			if pid == ancestor {
				return true
			}
			parent, ok := byID[pid]
			if !ok {
				return false
			}
			s = parent
		}
		return false
	}
	is := func(s sdktrace.ReadOnlySpan, h hop) bool { return s.SpanKind() == h.kind && s.Name() == h.name }
	// reach reports whether the hops hs can be found below from, in order.
	var reach func(from sdktrace.ReadOnlySpan, hs []hop) bool
	reach = func(from sdktrace.ReadOnlySpan, hs []hop) bool {
		if len(hs) == 0 {
			return true
		}
		for _, s := range spans {
			if s.SpanContext().TraceID() == from.SpanContext().TraceID() && is(s, hs[0]) &&
				below(s, from.SpanContext().SpanID()) && reach(s, hs[1:]) {
				return true
			}
		}
		return false
	}
	// chain reports whether one trace holds the hops hs, each below the
	// one before.
	chain := func(hs []hop) bool {
		for _, root := range spans {
			if is(root, hs[0]) && reach(root, hs[1:]) {
				return true
			}
		}
		return false
	}
	if chain(hops) {
		return
	}
	n := len(hops) - 1
	for n > 0 && !chain(hops[:n]) {
		n--
	}
	if n == 0 {
		t.Errorf("no trace runs from %s: no span %q", what, hops[0].name)
		return
	}
	t.Errorf("no trace runs from %s: the longest chain found ends at %q; %q is not below it", what, hops[n-1].name, hops[n].name)
}

// exported returns the names a Prometheus scrape of mfs shows: a
// histogram's _bucket, _sum and _count, a summary's _sum and _count, every
// other family's own name.
func exported(mfs []*dto.MetricFamily) map[string]bool {
	names := map[string]bool{}
	for _, mf := range mfs {
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM:
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[mf.GetName()+s] = true
			}
		case dto.MetricType_SUMMARY:
			names[mf.GetName()+"_sum"], names[mf.GetName()+"_count"] = true, true
		default:
			names[mf.GetName()] = true
		}
	}
	return names
}

// checkDashboard fails for every metric a query of the dashboard names that
// is not among names.
func checkDashboard(t *testing.T, names map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(dashboard))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", dashboard, err)
	}
	exprs := queries(doc)
	if len(exprs) < 10 {
		t.Fatalf("%s has %d queries; the walk over its panels missed some", dashboard, len(exprs))
	}
	queried := map[string]bool{}
	for _, e := range exprs {
		ms := promqlMetrics(e)
		if len(ms) == 0 {
			t.Errorf("%s: the query %q names no metric", dashboard, e)
		}
		for _, m := range ms {
			queried[m] = true
		}
	}
	var missing []string
	for m := range queried {
		if !names[m] {
			missing = append(missing, m)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		var have []string
		for n := range names {
			if strings.HasPrefix(n, "o2c_") || strings.HasPrefix(n, "rpc_") {
				have = append(have, n)
			}
		}
		sort.Strings(have)
		t.Errorf("%s queries metrics no service exported: %v\nexported: %v", dashboard, missing, have)
	}
}

// queries returns the "expr" of every target of every panel, rows' panels
// included, in the order of the document.
func queries(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		if e, ok := x["expr"].(string); ok {
			out = append(out, e)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, queries(x[k])...)
		}
	case []any:
		for _, e := range x {
			out = append(out, queries(e)...)
		}
	}
	return out
}

var (
	// promqlStrings are quoted strings, label matchers and range or
	// subquery selectors: nothing in them names a metric.
	promqlStrings = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\{[^}]*\}|\[[^\]]*\]`)
	// promqlGrouping are the label lists of aggregations and vector
	// matching.
	promqlGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	// promqlWord is an identifier, with what follows it.
	promqlWord = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	// promqlKeywords are PromQL's words that name no metric.
	promqlKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true, "inf": true, "nan": true}
)

// promqlMetrics returns the metric names a PromQL expression selects:
// its identifiers that are neither functions or aggregations (followed by
// a parenthesis), nor keywords, nor labels, nor inside strings, matchers or
// ranges. Numbers are not identifiers. Grafana's $variables are dropped.
func promqlMetrics(expr string) []string {
	e := promqlStrings.ReplaceAllString(expr, " ")
	e = promqlGrouping.ReplaceAllString(e, " ")
	e = regexp.MustCompile(`\$\w+`).ReplaceAllString(e, " ")
	var out []string
	seen := map[string]bool{}
	for _, m := range promqlWord.FindAllStringSubmatchIndex(e, -1) {
		if m[2] >= 0 {
			continue // a function or aggregation
		}
		w := e[m[0]:m[1]]
		if m[0] > 0 && (e[m[0]-1] >= '0' && e[m[0]-1] <= '9' || e[m[0]-1] == '.') {
			continue // the exponent or suffix of a number: 1e3
		}
		if promqlKeywords[strings.ToLower(w)] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

func TestPromQLMetrics(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		expr string
		want []string
	}{
		{`o2c_relay_backlog`, []string{"o2c_relay_backlog"}},
		{`max by (service, relay) (o2c_relay_backlog{service="ledger"})`, []string{"o2c_relay_backlog"}},
		{`histogram_quantile(0.99, sum by (job, le) (rate(rpc_server_call_duration_seconds_bucket{rpc_method!~"grpc.health.*"}[$__rate_interval])))`,
			[]string{"rpc_server_call_duration_seconds_bucket"}},
		{`sum(rate(a_sum[5m])) / sum(rate(a_count[5m])) > 1e3 and on (job) b unless c offset 5m`, []string{"a_sum", "a_count", "b", "c"}},
		{`sum by (invariant) (increase(o2c_ledger_invariant_breaches_total[$__range])) or vector(0)`,
			[]string{"o2c_ledger_invariant_breaches_total"}},
		{`count(up == 1) without (instance)`, []string{"up"}},
	} {
		if diff := cmp.Diff(tt.want, promqlMetrics(tt.expr)); diff != "" {
			t.Errorf("promqlMetrics(%q) (-want +got):\n%s", tt.expr, diff)
		}
	}
}
