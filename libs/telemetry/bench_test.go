package telemetry

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// sdkProviders is a dev-run setup: a real SDK tracer provider that exports
// nothing, so the benchmarks measure this package and the SDK, not an
// exporter.
func sdkProviders(b *testing.B) Providers {
	b.Helper()
	tp := sdktrace.NewTracerProvider()
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return Providers{Tracer: tp, Propagator: Propagation()}
}

func BenchmarkPublishConsume(b *testing.B) {
	p := sdkProviders(b)
	ctx := context.Background()
	data := []byte(`{"invoice":"INV-1"}`)
	b.ReportAllocs()
	for b.Loop() {
		msg := &nats.Msg{Subject: "o2c.invoices.issued", Data: data}
		_, pub := StartPublish(ctx, p, msg)
		EndSpan(pub, nil)
		_, proc := StartConsume(ctx, p, msg.Subject, msg.Header)
		EndSpan(proc, nil)
	}
}

func BenchmarkPgxTracerQuery(b *testing.B) {
	t := NewPgxTracer(sdkProviders(b), &pgx.ConnConfig{})
	ctx := context.Background()
	start := pgx.TraceQueryStartData{SQL: "SELECT id, minor_units, currency FROM open_item WHERE customer_id = $1 AND cleared_at IS NULL"}
	b.ReportAllocs()
	for b.Loop() {
		qctx := t.TraceQueryStart(ctx, nil, start)
		t.TraceQueryEnd(qctx, nil, pgx.TraceQueryEndData{})
	}
}

func BenchmarkQuerySummary(b *testing.B) {
	sql := "-- open items of a customer\nWITH o AS (SELECT * FROM open_item) SELECT * FROM o"
	b.ReportAllocs()
	for b.Loop() {
		if querySummary(sql) != "WITH" {
			b.Fatal("wrong summary")
		}
	}
}
