package eventstore_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

var hashStream = eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "INV-1"}

func hashOf(t *testing.T, ev eventstore.Event) []byte {
	t.Helper()
	p, err := eventstore.Prepare(hashStream, []eventstore.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	return p[0].ContentHash
}

func TestContentHashSameForJSONAndBinary(t *testing.T) {
	t.Parallel()
	const doc = `{"invoice":"INV-1","total":{"minor_units":"1999","currency":"EUR"},"lines":[{"sku":"A"},{"sku":"B"}],"debtor":"D-9"}`
	fromJSON := &structpb.Struct{}
	if err := protojson.Unmarshal([]byte(doc), fromJSON); err != nil {
		t.Fatal(err)
	}
	wire, err := proto.Marshal(fromJSON) // map order is not deterministic
	if err != nil {
		t.Fatal(err)
	}
	fromBinary := &structpb.Struct{}
	if err := proto.Unmarshal(wire, fromBinary); err != nil {
		t.Fatal(err)
	}
	base := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}}
	a, b := base, base
	a.Payload, b.Payload = fromJSON, fromBinary
	if ha, hb := hashOf(t, a), hashOf(t, b); !bytes.Equal(ha, hb) {
		t.Errorf("hash from protojson %x, from binary %x", ha, hb)
	}
}

// TestContentHashFields documents which envelope fields are content.
func TestContentHashFields(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 31, 23, 59, 59, 999999000, time.UTC)
	base := eventstore.Event{
		Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: at, CausationID: "c", CorrelationID: "r", Actor: "a"},
		Payload:  wrapperspb.String("x"),
	}
	tests := []struct {
		name    string
		change  func(*eventstore.Event)
		content bool
	}{
		{"event id", func(e *eventstore.Event) { e.EventID = uuid.New() }, false},
		{"trace context", func(e *eventstore.Event) { e.TraceParent, e.TraceState = "00-1-2-01", "k=v" }, false},
		{"occurred-at in another zone", func(e *eventstore.Event) { e.OccurredAt = at.In(time.FixedZone("CET", 3600)) }, false},
		{"occurred-at below a microsecond", func(e *eventstore.Event) { e.OccurredAt = at.Add(999) }, false},
		{"version and position", func(e *eventstore.Event) { e.Version, e.Position = 7, 99 }, false},
		{"occurred-at", func(e *eventstore.Event) { e.OccurredAt = at.Add(time.Microsecond) }, true},
		{"causation id", func(e *eventstore.Event) { e.CausationID = "c2" }, true},
		{"correlation id", func(e *eventstore.Event) { e.CorrelationID = "r2" }, true},
		{"actor", func(e *eventstore.Event) { e.Actor = "a2" }, true},
		{"payload", func(e *eventstore.Event) { e.Payload = wrapperspb.String("y") }, true},
		{"payload type", func(e *eventstore.Event) { e.Payload = wrapperspb.Bytes([]byte("x")) }, true},
		{"field boundary", func(e *eventstore.Event) { e.CausationID, e.CorrelationID = "cr", "" }, true},
	}
	want := hashOf(t, base)
	for _, tc := range tests {
		ev := base
		tc.change(&ev)
		if changed := !bytes.Equal(hashOf(t, ev), want); changed != tc.content {
			t.Errorf("%s: content hash changed = %v, want %v", tc.name, changed, tc.content)
		}
	}
}

func TestChainHashCoversStreamAndVersion(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte{1}, 32)
	base := eventstore.ChainHash(nil, content, hashStream, 1)
	if !bytes.Equal(base, eventstore.ChainHash(make([]byte, 32), content, hashStream, 1)) {
		t.Error("version 1 must chain from 32 zero bytes")
	}
	other := [][]byte{
		eventstore.ChainHash(bytes.Repeat([]byte{2}, 32), content, hashStream, 1),
		eventstore.ChainHash(nil, bytes.Repeat([]byte{3}, 32), hashStream, 1),
		eventstore.ChainHash(nil, content, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "INV-2"}, 1),
		eventstore.ChainHash(nil, content, eventstore.StreamID{Tenant: "acme", Type: "invoiceI", ID: "NV-1"}, 1),
		eventstore.ChainHash(nil, content, hashStream, 2),
	}
	for i, h := range other {
		if bytes.Equal(h, base) {
			t.Errorf("variant %d hashes like the base link", i)
		}
	}
}
