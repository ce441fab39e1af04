package demo

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestEndToEnd runs every service in-process, publishes the demo shop's
// invoices and checks what the ledger booked, what ingestion rejected, and
// that one trace runs from the shop's publish through ingestion and the
// ledger's consumer down to a PostgreSQL query.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t, pgtest.Template{Name: "o2c_demo_empty"})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	p := telemetry.Providers{Tracer: tp, Propagator: telemetry.Propagation()}

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
	if len(items) != ExpectedOpenItems {
		t.Fatalf("%d open items, want %d (the retry must book once)", len(items), ExpectedOpenItems)
	}
	byDoc := map[string]int64{}
	for _, it := range items {
		byDoc[it.GetDocumentNumber()] = it.GetOpenAmount().GetMinorUnits()
	}
	// 419.33 at 19 % and 44.85 at 7 %: 419.33 + 79.67 + 44.85 + 3.14.
	if got := byDoc["RE-2026-1001"]; got != 54699 {
		t.Errorf("RE-2026-1001 open amount = %d, want 54699", got)
	}
	if _, ok := byDoc["RE-2026-1005"]; ok {
		t.Error("the broken invoice was booked")
	}
	checkReports(t, sys, items)
	// Matching decides the statement's receipts against the open items it
	// has taken in.
	js, closeNATS, err := sys.JetStream(natsembed.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	defer closeNATS()
	if err := WaitForMatchingItems(ctx, js); err != nil {
		t.Fatal(err)
	}
	checkBankImport(t, sys)
	for _, it := range items {
		if it.GetDocumentNumber() == "RE-2026-1003" && (it.GetDebtorId() != "marketplace:amazon.de:EUR" || it.GetDebtorAccount() != "69001") {
			t.Errorf("the Amazon order sits on %s/%s, want the marketplace's debtor account 69001", it.GetDebtorId(), it.GetDebtorAccount())
		}
	}
	var total int64
	for _, it := range items {
		total += it.GetOpenAmount().GetMinorUnits()
	}
	if err := MatchStatement(ctx, io.Discard, sys, items); err != nil {
		t.Fatal(err)
	}
	paid, err := WaitForOpenAmount(ctx, sys.Conn(ledger.Name), total-MatchedAutomatically-PaymentAmount)
	if err != nil {
		t.Fatal(err)
	}
	open := map[string]int64{}
	for _, it := range paid {
		open[it.GetDocumentNumber()] = it.GetOpenAmount().GetMinorUnits()
	}
	if _, ok := open["RE-2026-1001"]; ok || open["RE-2026-1004"] != 2490 {
		t.Errorf("after the payment: %v; want RE-2026-1001 cleared (due first) and 24.90 left of RE-2026-1004", open)
	}
	checkReports(t, sys, paid)
	rej, err := WaitForRejections(ctx, sys.Conn(ingestion.Name), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 1 || rej[0].GetDocument() != "RE-2026-1005" || !strings.Contains(rej[0].GetReason(), "totals.net") {
		t.Errorf("rejections = %v", rej)
	}
	if err := sys.Stop(); err != nil {
		t.Fatal(err)
	}
	sys.stop = func() error { return nil }
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	checkOneTrace(t, rec.Ended())
}

// checkOneTrace finds a trace that starts with the shop's publish and holds
// ingestion's consumer span, the ledger's consumer span and a PostgreSQL span
// below the ledger's consumer span.
func checkOneTrace(t *testing.T, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID()] = s
	}
	isDB := func(s sdktrace.ReadOnlySpan) bool {
		for _, a := range s.Attributes() {
			if a.Key == attribute.Key("db.system") && a.Value.AsString() == "postgresql" {
				return true
			}
		}
		return false
	}
	below := func(s sdktrace.ReadOnlySpan, ancestor trace.SpanID) bool {
		for seen := 0; seen < 100; seen++ {
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
	for _, pub := range spans {
		if pub.SpanKind() != trace.SpanKindProducer || pub.Name() != "publish shop.demo.invoice.issued" {
			continue
		}
		tid := pub.SpanContext().TraceID()
		var ingest, book sdktrace.ReadOnlySpan
		for _, s := range spans {
			if s.SpanContext().TraceID() != tid || s.SpanKind() != trace.SpanKindConsumer {
				continue
			}
			switch s.Name() {
			case "process shop.demo.invoice.issued":
				ingest = s
			case "process o2c.demo.ingestion.invoice.ingested":
				book = s
			}
		}
		if ingest == nil || book == nil {
			continue
		}
		for _, s := range spans {
			if s.SpanContext().TraceID() == tid && isDB(s) && below(s, book.SpanContext().SpanID()) {
				return // found the whole thread in one trace
			}
		}
	}
	names := make([]string, 0, len(spans))
	for _, s := range spans {
		names = append(names, s.Name())
	}
	t.Fatalf("no trace runs from the shop's publish through ingestion and the ledger to PostgreSQL; spans: %v", names)
}

// checkReports pages through the demo debtor's statement and the trial
// balance: the statement's closing balance is what the debtor's open items
// add up to, and the trial balance balances in every currency.
func checkReports(t *testing.T, sys *System, items []*ledgerv1.OpenItem) {
	t.Helper()
	ctx := context.Background()
	open := map[string]int64{}
	for _, it := range items {
		if it.GetDebtorId() == StatementDebtor {
			open[it.GetOpenAmount().GetCurrency()] += it.GetOpenAmount().GetMinorUnits()
		}
	}
	st, err := Statement(ctx, sys.Conn(ledger.Name), StatementDebtor)
	if err != nil {
		t.Fatal(err)
	}
	closing := map[string]int64{}
	for _, m := range st.GetClosingBalances() {
		closing[m.GetCurrency()] += m.GetMinorUnits()
	}
	if len(open) == 0 || !cmp.Equal(open, closing) {
		t.Errorf("statement of %s closes at %v; its open items add up to %v", StatementDebtor, closing, open)
	}
	if len(st.GetLines()) <= reportPageSize {
		t.Errorf("statement has %d lines; the demo should page (page size %d)", len(st.GetLines()), reportPageSize)
	}
	running := map[string]int64{}
	for _, l := range st.GetLines() {
		cur := l.GetRunningBalance().GetCurrency()
		running[cur] += l.GetDebit().GetMinorUnits() - l.GetCredit().GetMinorUnits()
		if running[cur] != l.GetRunningBalance().GetMinorUnits() {
			t.Errorf("statement line %s: running balance %d, lines add up to %d", l.GetDocumentNumber(), l.GetRunningBalance().GetMinorUnits(), running[cur])
		}
	}
	rows, totals, err := TrialBalance(ctx, sys.Conn(ledger.Name))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) <= reportPageSize || len(totals) == 0 {
		t.Fatalf("trial balance: %d rows, %d totals", len(rows), len(totals))
	}
	sums := map[string]int64{}
	for _, r := range rows {
		sums[r.GetClosing().GetCurrency()] += r.GetClosing().GetMinorUnits()
	}
	for _, tot := range totals {
		cur := tot.GetClosing().GetCurrency()
		if tot.GetClosing().GetMinorUnits() != 0 || sums[cur] != 0 {
			t.Errorf("trial balance in %s does not balance: total closing %d, rows sum to %d", cur, tot.GetClosing().GetMinorUnits(), sums[cur])
		}
		if tot.GetDebit().GetMinorUnits() != tot.GetCredit().GetMinorUnits() {
			t.Errorf("trial balance in %s: debit turnover %d, credit turnover %d", cur, tot.GetDebit().GetMinorUnits(), tot.GetCredit().GetMinorUnits())
		}
	}
}
