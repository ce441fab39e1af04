package telemetry

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"
)

// FuzzExtractNATS feeds arbitrary header values (as a foreign publisher or
// a corrupted message might carry them) through extraction: it must not
// panic, and whatever valid context it yields must survive a re-injection
// under the lowercase keys unchanged.
func FuzzExtractNATS(f *testing.F) {
	f.Add("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "o2c=t61rcWkgMzE", "tenant=acme")
	f.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "", "")
	f.Add("traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=1,b=2", "k=v;p=1,x=%20y")
	f.Add("TRACEPARENT", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "=", ",,,")
	f.Add("traceparent", "garbage", "\x00", "\xff")
	prop := Propagation()
	f.Fuzz(func(t *testing.T, key, traceparent, tracestate, bag string) {
		hdr := nats.Header{key: {traceparent}, "tracestate": {tracestate}, "baggage": {bag}}
		ctx := ExtractNATS(context.Background(), prop, hdr)
		sc := trace.SpanContextFromContext(ctx)
		if !sc.IsValid() {
			return
		}
		out := nats.Header{}
		InjectNATS(ctx, prop, out)
		for k := range out {
			if k != strings.ToLower(k) {
				t.Errorf("injected key %q is not lowercase", k)
			}
		}
		again := trace.SpanContextFromContext(ExtractNATS(context.Background(), prop, out))
		if again.TraceID() != sc.TraceID() || again.SpanID() != sc.SpanID() || again.TraceFlags() != sc.TraceFlags() {
			t.Errorf("round trip changed %v to %v", sc, again)
		}
	})
}

// FuzzQueryText checks that any SQL text yields a span name from the known
// keyword set and a db.query.text that is a prefix within the limit,
// valid UTF-8 whenever the query is.
func FuzzQueryText(f *testing.F) {
	f.Add("SELECT 1", 8)
	f.Add("-- c\n/* d */ ((with x as (select 1) select * from x))", 12)
	f.Add("INSERT INTO open_item VALUES ('Müller', 1)", 31)
	f.Add("/* unterminated", 3)
	f.Add("€€€", 4)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, sql string, n int) {
		name := querySummary(sql)
		if name != "postgresql" && statementKeyword(name) != name {
			t.Errorf("querySummary(%q) = %q, not a known keyword", sql, name)
		}
		if n < 0 {
			n = -n
		}
		got := truncateUTF8(sql, n)
		if len(got) > n || !strings.HasPrefix(sql, got) {
			t.Errorf("truncateUTF8(%q, %d) = %q: not a prefix within the limit", sql, n, got)
		}
		if utf8.ValidString(sql) && !utf8.ValidString(got) {
			t.Errorf("truncateUTF8(%q, %d) = %q: split a rune", sql, n, got)
		}
	})
}
