package relay_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
)

// headerOrder fixes which fuzz argument fills which header.
var headerOrder = []string{
	relay.HeaderMsgID, relay.HeaderEventType, relay.HeaderTenant, relay.HeaderStreamType, relay.HeaderStreamID,
	relay.HeaderStreamVersion, relay.HeaderOccurredAt, relay.HeaderRecordedAt, relay.HeaderPosition,
	relay.HeaderContentHash, relay.HeaderActor, relay.HeaderTraceParent,
}

// FuzzDecodeMsg feeds arbitrary header values and data to DecodeMsg. It
// must never panic, must reject anything malformed with ErrMalformed, and
// whatever it accepts must survive Message and DecodeMsg unchanged.
func FuzzDecodeMsg(f *testing.F) {
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "INV/1"}, []eventstore.Event{storetest.NewEvent("seed")})
	if err != nil {
		f.Fatal(err)
	}
	ev := prepared[0]
	ev.Version, ev.Position, ev.RecordedAt, ev.Actor = 3, 42, time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), ""
	m := relay.Message("o2c.acme.billing.x", ev)
	vals := make([]string, len(headerOrder))
	for i, k := range headerOrder {
		vals[i] = strings.Join(m.Header[k], "")
	}
	f.Add(strings.Join(vals, "\n"), m.Data)
	f.Add(strings.Join(vals[:5], "\n"), []byte{0xff})
	f.Add("", []byte(nil))
	f.Fuzz(func(t *testing.T, headers string, data []byte) {
		h := nats.Header{}
		for i, v := range strings.SplitN(headers, "\n", len(headerOrder)) {
			if v != "" {
				h[headerOrder[i]] = []string{v}
			}
		}
		got, err := relay.DecodeMsg(h, data, nil)
		if err != nil {
			if !errors.Is(err, relay.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !bytes.Equal(eventstore.ContentHash(&got), got.ContentHash) {
			t.Fatalf("accepted an event whose content hash does not match")
		}
		again := relay.Message("s", got)
		back, err := relay.DecodeMsg(again.Header, again.Data, nil)
		if err != nil {
			t.Fatalf("re-encoded accepted event does not decode: %v", err)
		}
		if back.EventID != got.EventID || back.Stream != got.Stream || back.Version != got.Version || !back.OccurredAt.Equal(got.OccurredAt) || !bytes.Equal(back.Data, got.Data) {
			t.Fatalf("round trip changed the event: %+v -> %+v", got.Envelope, back.Envelope)
		}
	})
}
