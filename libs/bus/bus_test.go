package bus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

func TestEventName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"o2c.ingestion.v1.InvoiceIngested": "invoice.ingested",
		"o2c.ledger.v1.OpenItemOpened":     "open-item.opened",
		"o2c.ledger.v1.JournalEntryPosted": "journal-entry.posted",
		"Posted":                           "posted",
	} {
		if got := EventName(in); got != want {
			t.Errorf("EventName(%q) = %q, want %q", in, got, want)
		}
	}
}

// eventNameByWords is EventName as it was first written (split into
// words, lower-cased, joined), the reference for its one-pass form.
func eventNameByWords(fullName string) string {
	name := fullName[strings.LastIndexByte(fullName, '.')+1:]
	var words []string
	start := 0
	for i := 1; i < len(name); i++ {
		if name[i] >= 'A' && name[i] <= 'Z' {
			words = append(words, strings.ToLower(name[start:i]))
			start = i
		}
	}
	words = append(words, strings.ToLower(name[start:]))
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], "-") + "." + words[len(words)-1]
}

func TestEventNameAsByWords(t *testing.T) {
	t.Parallel()
	names := []string{"", ".", "x.", "A", "a", "ABC", "aBc", "o2c.v1.HTTPRequest", "o2c.v1.Vat19Posted",
		"o2c.v1.Snake_Case", "o2c.v1.ÜberweisungEingegangen", "o2c.v1.KontoÄnderung"}
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		names = append(names, string(mt.Descriptor().FullName()))
		return true
	})
	if len(names) < 50 {
		t.Fatalf("only %d names: the registry holds no generated messages", len(names))
	}
	for _, n := range names {
		if got, want := EventName(n), eventNameByWords(n); got != want {
			t.Errorf("EventName(%q) = %q, want %q", n, got, want)
		}
	}
}

func TestTenantFromSubject(t *testing.T) {
	t.Parallel()
	for subj, want := range map[string]string{
		"shop.acme.invoice.issued":              "acme",
		"o2c.acme-2.ingestion.invoice.ingested": "acme-2",
		"other.acme.x":                          "",
		"shop..x":                               "",
		"shop.acme":                             "",
	} {
		got, ok := TenantFromSubject(subj)
		if got != want || ok != (want != "") {
			t.Errorf("TenantFromSubject(%q) = %q, %v; want %q", subj, got, ok, want)
		}
	}
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	base := errors.New("bad")
	if !IsPermanent(Permanent(base)) || !errors.Is(Permanent(base), base) {
		t.Error("Permanent does not mark or wrap")
	}
	if IsPermanent(base) || Permanent(nil) != nil {
		t.Error("plain error counted as permanent, or Permanent(nil) not nil")
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	t.Parallel()
	prev := time.Duration(0)
	for n := uint64(1); n < 30; n++ {
		d := backoff(n)
		if d < prev || d > time.Minute {
			t.Fatalf("backoff(%d) = %v after %v", n, d, prev)
		}
		prev = d
	}
}

func TestRoutesSubject(t *testing.T) {
	t.Parallel()
	r := CommandsFor("ledger", "o2c.matching.v1.ApplyPayment").With(StatusFacts("o2c.status.v1.InvoiceStatusChanged"))
	for _, c := range []struct{ fullName, want string }{
		{"o2c.status.v1.InvoiceStatusChanged", "o2c.acme.status.invoice-status.changed"},
		{"o2c.matching.v1.ApplyPayment", "o2c.acme.matching.ledger.apply-payment"},
		{"o2c.matching.v1.PaymentMatched", "o2c.acme.matching.payment.matched"},
	} {
		if got := r.Subject("acme", "matching", c.fullName); got != c.want {
			t.Errorf("Subject(%q) = %q, want %q", c.fullName, got, c.want)
		}
	}
	cfg := StatusStreamConfig()
	if cfg.Name != "O2C_STATUS" || len(cfg.Subjects) != 1 || cfg.Subjects[0] != "o2c.*.status.>" {
		t.Errorf("StatusStreamConfig = %s over %v, want O2C_STATUS over o2c.*.status.>", cfg.Name, cfg.Subjects)
	}
}

// TestStreamOf checks that the stream StreamOf names for each kind of
// subject a service publishes is the declared stream whose filter takes
// the subject, and that other subjects have none.
func TestStreamOf(t *testing.T) {
	t.Parallel()
	r := CommandsFor("ledger", "o2c.matching.v1.ApplyPayment").With(StatusFacts("o2c.status.v1.InvoiceStatusChanged"))
	declared := []jetstream.StreamConfig{ServiceStreamConfig("matching"), ServiceStreamConfig("refund-import"), StatusStreamConfig()}
	for _, c := range []struct{ service, fullName string }{
		{"matching", "o2c.status.v1.InvoiceStatusChanged"},
		{"matching", "o2c.matching.v1.ApplyPayment"},
		{"matching", "o2c.matching.v1.PaymentMatched"},
		{"refund-import", "o2c.refund.v1.RefundImported"},
	} {
		subj := r.Subject("acme", c.service, c.fullName)
		stream := StreamOf(subj)
		var takers []string
		for _, d := range declared {
			for _, f := range d.Subjects {
				if filterTakes(f, subj) {
					takers = append(takers, d.Name)
				}
			}
		}
		if len(takers) != 1 || takers[0] != stream {
			t.Errorf("StreamOf(%q) = %q; the declared streams taking it: %v", subj, stream, takers)
		}
	}
	for _, subj := range []string{"shop.acme.invoice.issued", "o2c.acme", "o2c.acme.", "o2c..x", "$JS.API.INFO"} {
		if got := StreamOf(subj); got != "" {
			t.Errorf("StreamOf(%q) = %q, want none", subj, got)
		}
	}
}

// filterTakes reports whether the NATS subject filter f matches subj.
func filterTakes(f, subj string) bool {
	ft, st := strings.Split(f, "."), strings.Split(subj, ".")
	for i, tok := range ft {
		if tok == ">" {
			return len(st) > i
		}
		if i >= len(st) || (tok != "*" && tok != st[i]) {
			return false
		}
	}
	return len(ft) == len(st)
}

// TestRetryTransient: a declaration that meets JetStream between leaders
// is tried again until it succeeds; one refused for a reason of its own is
// tried once and its error returned; a deadline of the caller's own ends
// the retries.
func TestRetryTransient(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		errs      []error // the answers of successive attempts; nil after them
		wantCalls int
		wantErr   bool
	}{
		{"timeouts, then the leader answers", []error{nats.ErrTimeout, context.DeadlineExceeded, nats.ErrNoResponders}, 4, false},
		{"temporarily unavailable", []error{&jetstream.APIError{Code: 503, ErrorCode: 10008, Description: "JetStream system temporarily unavailable"}}, 2, false},
		{"too few peers while a node restarts", []error{&jetstream.APIError{Code: 500, ErrorCode: 10005, Description: "insufficient resources"}}, 2, false},
		{"a refused configuration", []error{&jetstream.APIError{Code: 400, ErrorCode: 10058, Description: "stream name already in use with a different configuration"}}, 1, true},
		{"no error", nil, 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			err := retryTransient(t.Context(), func(ctx context.Context) error {
				calls++
				if _, ok := ctx.Deadline(); !ok {
					t.Error("an attempt without a deadline of its own")
				}
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if (err != nil) != tt.wantErr || calls != tt.wantCalls {
				t.Errorf("err %v after %d calls; want error %v after %d", err, calls, tt.wantErr, tt.wantCalls)
			}
		})
	}
	t.Run("the caller's deadline", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		calls := 0
		err := retryTransient(ctx, func(context.Context) error { calls++; return nats.ErrTimeout })
		if !errors.Is(err, nats.ErrTimeout) || ctx.Err() == nil {
			t.Errorf("err %v, ctx %v after %d calls; want the timeout once ctx ended", err, ctx.Err(), calls)
		}
	})
}
