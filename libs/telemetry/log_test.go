package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/o2c-platform/o2c/libs/telemetry"
)

// TestLoggerLinksTracesAndMasksPersonalData logs through NewLogger inside
// a span and outside one: each line is one JSON object; the line logged
// in the span names its trace and span, the other neither; IBANs and
// e-mail addresses are masked in the message, in attributes, in groups,
// in errors and in attributes added with With.
func TestLoggerLinksTracesAndMasksPersonalData(t *testing.T) {
	t.Parallel()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	ctx, span := tp.Tracer("test").Start(context.Background(), "book payment")
	defer span.End()
	var buf bytes.Buffer
	log := telemetry.NewLogger(&buf, nil).With("payer", "erika.muster@example.org")
	log.InfoContext(ctx, "payment from DE89 3704 0044 0532 0130 00 booked",
		"iban", "DE89370400440532013000",
		slog.Group("debtor", "email", "max@example.com", "id", "K-1001"),
		"error", errors.New("mandate of DE89370400440532013000 expired"))
	log.DebugContext(ctx, "dropped below Info")
	log.Warn("no context", "email", "max@example.com")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var got []map[string]any
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not one JSON object per line: %v\n%s", err, l)
		}
		delete(rec, "time")
		got = append(got, rec)
	}
	sc := span.SpanContext()
	want := []map[string]any{
		{
			"level": "INFO", "msg": "payment from DE89 **** 3000 booked",
			"payer": "e***@example.org", "iban": "DE89 **** 3000",
			"debtor":   map[string]any{"email": "m***@example.com", "id": "K-1001"},
			"error":    "mandate of DE89 **** 3000 expired",
			"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String(),
		},
		{"level": "WARN", "msg": "no context", "payer": "e***@example.org", "email": "m***@example.com"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
	if strings.Contains(buf.String(), "0532") || strings.Contains(buf.String(), "erika") {
		t.Errorf("personal data in the log:\n%s", buf.String())
	}
}
