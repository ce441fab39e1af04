package relay

import (
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// TestHeadersAsDocumented fills one set of headers with two events in turn,
// as the relay does after an acknowledgement, and compares each message's
// headers with the package documentation's formats, computed plainly.
func TestHeadersAsDocumented(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CET", 3600)
	evs := []eventstore.Event{
		{
			Envelope: eventstore.Envelope{
				EventID: uuid.MustParse("0b7a1c2e-8f3d-4e6a-9c1b-2d3e4f5a6b7c"), OccurredAt: time.Date(2026, 12, 7, 3, 4, 5, 120000000, berlin),
				CausationID: "c-1", CorrelationID: "k-1", Actor: "service:ledger", TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", TraceState: "a=b",
				Type: "o2c.ledger.v1.JournalEntryPosted", Stream: eventstore.StreamID{Tenant: "acme", Type: "entry", ID: "x/y"},
				Version: 12, Position: 1234567890123, RecordedAt: time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC),
				ContentHash: []byte{0, 1, 0xab, 0xff},
			},
			Data: []byte("payload"),
		},
		{
			Envelope: eventstore.Envelope{
				EventID: uuid.MustParse("ffffffff-0000-4000-8000-000000000001"), OccurredAt: time.Date(1999, 1, 2, 0, 0, 0, 0, time.UTC),
				Type: "o2c.ledger.v1.CommandAccepted", Stream: eventstore.StreamID{Tenant: "t", Type: "debtor", ID: "D-1"},
				Version: 1, Position: 2, RecordedAt: time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
				ContentHash: make([]byte, 32),
			},
		},
	}
	hs := newHeaders()
	for _, ev := range evs {
		want := nats.Header{
			HeaderMsgID:         {ev.EventID.String()},
			HeaderContentType:   {ContentTypeProtobuf},
			HeaderEventType:     {ev.Type},
			HeaderTenant:        {ev.Stream.Tenant},
			HeaderStream:        {ev.Stream.String()},
			HeaderStreamType:    {ev.Stream.Type},
			HeaderStreamID:      {ev.Stream.ID},
			HeaderStreamVersion: {strconv.FormatInt(ev.Version, 10)},
			HeaderOccurredAt:    {ev.OccurredAt.UTC().Format(time.RFC3339Nano)},
			HeaderRecordedAt:    {ev.RecordedAt.UTC().Format(time.RFC3339Nano)},
			HeaderPosition:      {strconv.FormatInt(ev.Position, 10)},
			HeaderContentHash:   {hex.EncodeToString(ev.ContentHash)},
		}
		for k, v := range map[string]string{HeaderCausationID: ev.CausationID, HeaderCorrelationID: ev.CorrelationID,
			HeaderActor: ev.Actor, HeaderTraceParent: ev.TraceParent, HeaderTraceState: ev.TraceState} {
			if v != "" {
				want[k] = []string{v}
			}
		}
		m := hs.message("o2c.acme.ledger.journal-entry.posted", ev)
		if diff := cmp.Diff(want, m.Header); diff != "" {
			t.Errorf("headers of %s (-want +got):\n%s", ev.EventID, diff)
		}
		if string(m.Data) != string(ev.Data) || m.Subject != "o2c.acme.ledger.journal-entry.posted" {
			t.Errorf("message of %s: subject %q, data %q", ev.EventID, m.Subject, m.Data)
		}
	}
}
