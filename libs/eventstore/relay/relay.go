// Package relay publishes the events of an event store to NATS JetStream:
// the store is the outbox, JetStream the transport.
//
// A Relay reads the store's ordered log (eventstore.Store.ReadAll) after its
// checkpoint, publishes each event with Nats-Msg-Id set to the event id,
// waits for JetStream's acknowledgements and only then advances its
// checkpoint (kept in the store, under Config.Name). Delivery is at least
// once: after a crash or a failed publish the unacknowledged tail is
// published again, and JetStream's duplicate window (Duplicates in the
// stream config, two minutes by default) drops re-publishes it has seen.
// Consumers must still dedupe by event id, because a re-publish after the
// window has passed is stored again.
//
// Where Config.Stream names the stream of a subject, the publisher is a
// JetStream client and the stream allows it (AllowBatchPublish, which
// libs/bus declares), the events of a batch that go to one stream are
// published as one fast batch, acknowledged once instead of once per event; each message is stored and deduplicated
// as on its own. A batch the stream did not acknowledge in full is
// published again message by message (see fast.go).
//
// # Headers
//
// Every message carries the envelope as headers; the payload (message data)
// is the deterministic protobuf encoding of the event's message.
//
//	Nats-Msg-Id          event id (UUID)
//	Content-Type         application/protobuf
//	O2c-Event-Type       protobuf full name of the payload
//	O2c-Tenant           stream tenant
//	O2c-Stream           stream as "tenant/type/id" (for people; parts may contain "/")
//	O2c-Stream-Type      stream type
//	O2c-Stream-Id        stream id
//	O2c-Stream-Version   version within the stream (decimal)
//	O2c-Occurred-At      business time, RFC 3339 with nanoseconds, UTC
//	O2c-Recorded-At      time the store recorded the event, same format
//	O2c-Position         global position in the store (decimal)
//	O2c-Content-Hash     content hash, lowercase hex (see eventstore.ContentHash)
//	O2c-Causation-Id     causation id, omitted when empty
//	O2c-Correlation-Id   correlation id, omitted when empty
//	O2c-Actor            actor, omitted when empty
//	traceparent          W3C trace context, omitted when empty
//	tracestate           W3C trace state, omitted when empty
//
// Decode turns a received message back into an eventstore.Event.
package relay

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// Header names; see the package documentation.
const (
	HeaderMsgID         = jetstream.MsgIDHeader
	HeaderContentType   = "Content-Type"
	HeaderEventType     = "O2c-Event-Type"
	HeaderTenant        = "O2c-Tenant"
	HeaderStream        = "O2c-Stream"
	HeaderStreamType    = "O2c-Stream-Type"
	HeaderStreamID      = "O2c-Stream-Id"
	HeaderStreamVersion = "O2c-Stream-Version"
	HeaderOccurredAt    = "O2c-Occurred-At"
	HeaderRecordedAt    = "O2c-Recorded-At"
	HeaderPosition      = "O2c-Position"
	HeaderContentHash   = "O2c-Content-Hash"
	HeaderCausationID   = "O2c-Causation-Id"
	HeaderCorrelationID = "O2c-Correlation-Id"
	HeaderActor         = "O2c-Actor"
	HeaderTraceParent   = "traceparent"
	HeaderTraceState    = "tracestate"
)

// ContentTypeProtobuf is the Content-Type of relayed messages.
const ContentTypeProtobuf = "application/protobuf"

// Source is the part of an event store a relay reads from and keeps its
// checkpoint in. *eventstore.Store and *memstore.Store implement it.
type Source interface {
	ReadAll(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, eventstore.Cursor, error)
	Checkpoint(ctx context.Context, name string) (eventstore.Cursor, error)
	SaveCheckpoint(ctx context.Context, name string, c eventstore.Cursor) error
}

// rawSource is a Source that can read the log without decoding payloads
// (*eventstore.Store can). The relay publishes Data as stored and never
// needs the decoded message, so it reads this way where it can.
type rawSource interface {
	ReadAllRaw(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, eventstore.Cursor, error)
}

// Publisher is the part of jetstream.JetStream a relay publishes with.
type Publisher interface {
	PublishMsgAsync(msg *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error)
}

// batcher is a Publisher that can also publish in JetStream's fast
// batches (jetstream.JetStream is one): core NATS messages with the batch
// in their reply subjects, to one stream, acknowledged once per batch.
type batcher interface {
	Conn() *nats.Conn
}

// Config configures a Relay.
type Config struct {
	// Name keys the relay's checkpoint in the store; "relay" when empty.
	// Two relays of one store to different JetStream servers need
	// different names.
	Name string
	// Subject returns the subject of an event, e.g.
	// "o2c.<tenant>.<service>.<event>". It must be deterministic, and
	// follow from the envelope: where the source reads without decoding
	// payloads (see rawSource), the event's Payload is nil.
	Subject func(eventstore.Event) string
	// Stream returns the JetStream stream that stores subject, or "" when
	// the relay should not publish it in a fast batch. When nil every
	// event is published on its own. The relay does not ask JetStream
	// (STREAM.NAMES needs a permission a service's NATS user lacks, and a
	// refused request only ends when it times out).
	Stream func(subject string) string
	// BatchSize is the number of events read and published before the
	// checkpoint advances; 500 when zero.
	BatchSize int
	// Poll is how long Run waits when the log has nothing new; one
	// second when zero.
	Poll time.Duration
	// AckWait bounds the wait for JetStream's acknowledgements of a batch
	// (and the checkpoint write after it), also after ctx ended; ten
	// seconds when zero.
	AckWait time.Duration
}

// Relay publishes a store's log to JetStream. Run at most one Relay per
// Config.Name at a time: two would both publish (harmless within the
// duplicate window) and race on the checkpoint. A Relay's methods must not
// run concurrently.
type Relay struct {
	src Source
	raw rawSource // src, when it reads without decoding; else nil
	pub Publisher
	// fast is pub, when it can publish fast batches and cfg.Stream is
	// set; else nil.
	fast batcher
	// unbatched holds the streams that refused a fast batch.
	unbatched map[string]bool
	cfg       Config
	// free holds the headers of messages JetStream acknowledged, for the
	// next batch to fill again instead of allocating new ones.
	free []*headers
}

// New returns a relay from src to pub.
func New(src Source, pub Publisher, cfg Config) (*Relay, error) {
	if src == nil || pub == nil || cfg.Subject == nil {
		return nil, errors.New("relay: source, publisher and Config.Subject are required")
	}
	if cfg.Name == "" {
		cfg.Name = "relay"
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 10 * time.Second
	}
	raw, _ := src.(rawSource)
	fast, _ := pub.(batcher)
	if cfg.Stream == nil {
		fast = nil
	}
	return &Relay{src: src, raw: raw, pub: pub, fast: fast, cfg: cfg}, nil
}

// Run publishes until ctx ends: a batch of what the log holds after the
// checkpoint, the next batch at once while batches come full (the relay is
// behind), and otherwise the next one at the next tick of Config.Poll, so
// that a relay keeping up with a steady stream of appends publishes it in
// batches of about one poll interval's events instead of many small ones,
// each with its own reads and checkpoint write. It returns ctx's error on
// cancellation and the first publish or store error otherwise; calling Run
// again resumes at the checkpoint.
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Poll)
	defer t.Stop()
	// Run is the only writer of the checkpoint while it runs, so it reads
	// it once and then keeps it; after a failure it is read again.
	var at *eventstore.Cursor
	for {
		n, next, err := r.batch(ctx, at)
		at = next
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if n == r.cfg.BatchSize {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Drain publishes batches until the log has nothing more to offer below the
// horizon and returns the number of events acknowledged by JetStream
// (duplicates included).
func (r *Relay) Drain(ctx context.Context) (int, error) {
	n := 0
	var at *eventstore.Cursor
	for {
		k, next, err := r.batch(ctx, at)
		n += k
		if err != nil || k == 0 {
			return n, err
		}
		at = next
	}
}

// batch publishes one batch after the checkpoint, read from the store when
// at is nil, and advances the checkpoint past the longest acknowledged
// prefix, also when a later publish failed. It returns the number of
// events acknowledged and the checkpoint as it now stands, nil when that is
// not known (after an error).
func (r *Relay) batch(ctx context.Context, at *eventstore.Cursor) (int, *eventstore.Cursor, error) {
	from := eventstore.Cursor{}
	if at != nil {
		from = *at
	} else {
		c, err := r.src.Checkpoint(ctx, r.cfg.Name)
		if err != nil {
			return 0, nil, fmt.Errorf("relay %s: %w", r.cfg.Name, err)
		}
		from = c
	}
	var evs []eventstore.Event
	var err error
	if r.raw != nil {
		evs, _, err = r.raw.ReadAllRaw(ctx, from, r.cfg.BatchSize)
	} else {
		evs, _, err = r.src.ReadAll(ctx, from, r.cfg.BatchSize)
	}
	if err != nil {
		return 0, nil, err
	}
	if len(evs) == 0 {
		return 0, &from, nil
	}
	used := make([]*headers, len(evs))
	msgs := make([]*nats.Msg, len(evs))
	for i, ev := range evs {
		var hs *headers
		if n := len(r.free); n > 0 {
			hs, r.free = r.free[n-1], r.free[:n-1]
		} else {
			hs = newHeaders()
		}
		used[i] = hs
		msgs[i] = hs.message(r.cfg.Subject(ev), ev)
	}
	// ok[i] is set once JetStream acknowledged evs[i]: a fast batch of its
	// stream, or its own publish. What a fast batch did not store in full
	// is published message by message; Nats-Msg-Id drops what the batch
	// stored. Acknowledgements of what was published are awaited even
	// when ctx has ended (a graceful stop keeps what JetStream took), but
	// no longer than AckWait, for the fast batches and then for the single
	// publishes, so that a batch whose answer never came leaves the single
	// publishes their time.
	ok := make([]bool, len(evs))
	if r.fast != nil && ctx.Err() == nil {
		fastCtx, cancelFast := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.AckWait)
		r.publishFast(fastCtx, msgs, ok)
		cancelFast()
	}
	waitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.AckWait)
	defer cancel()
	var futures []jetstream.PubAckFuture
	var pending []int
	var pubErr error
	for i, ev := range evs {
		if ok[i] {
			continue
		}
		if err := ctx.Err(); err != nil {
			pubErr = err
			break
		}
		msgs[i].Reply = ""
		f, err := r.pub.PublishMsgAsync(msgs[i])
		if err != nil {
			pubErr = fmt.Errorf("publish event %s: %w", ev.EventID, err)
			break
		}
		futures, pending = append(futures, f), append(pending, i)
	}
	for k, f := range futures {
		i := pending[k]
		var err error
		select {
		case <-f.Ok():
		case err = <-f.Err():
			err = fmt.Errorf("publish event %s: %w", evs[i].EventID, err)
		case <-waitCtx.Done():
			err = fmt.Errorf("publish event %s: no acknowledgement within %s", evs[i].EventID, r.cfg.AckWait)
		}
		if err != nil {
			pubErr = errors.Join(err, pubErr)
			break
		}
		ok[i] = true
	}
	// acked counts the acknowledged prefix of the log.
	acked := 0
	for acked < len(ok) && ok[acked] {
		acked++
	}
	if pubErr == nil && acked == len(used) {
		// Every message is acknowledged, so the client will not send any
		// of them again: their headers can be filled anew. After a
		// failure they are left to the garbage collector.
		r.free = append(r.free, used...)
	}
	if acked > 0 {
		// Saved even when ctx has ended: what JetStream acknowledged
		// should not be published again.
		if err := r.src.SaveCheckpoint(waitCtx, r.cfg.Name, evs[acked-1].Cursor); err != nil {
			return acked, nil, fmt.Errorf("relay %s: %w", r.cfg.Name, errors.Join(pubErr, err))
		}
		from = evs[acked-1].Cursor
	}
	if pubErr != nil {
		return acked, nil, fmt.Errorf("relay %s: %w", r.cfg.Name, pubErr)
	}
	return acked, &from, nil
}

// Message builds the NATS message of ev on subject: headers as documented
// in the package comment, data ev.Data.
func Message(subject string, ev eventstore.Event) *nats.Msg {
	return newHeaders().message(subject, ev)
}

// headers are the header map of one message and the backing array of its
// values, which a relay fills again once JetStream acknowledged the
// message.
type headers struct {
	h    nats.Header
	vals []string
	// buf is where the values that are formatted (ids, versions, times,
	// hashes) are written before they become one string.
	buf []byte
}

// maxHeaders is the number of headers a message can have.
const maxHeaders = 17

func newHeaders() *headers {
	return &headers{h: make(nats.Header, maxHeaders), vals: make([]string, 0, maxHeaders)}
}

// message fills hs with ev's headers and returns the message of ev on
// subject with them.
func (hs *headers) message(subject string, ev eventstore.Event) *nats.Msg {
	// The header names are canonical already (nats.Header.Set would
	// canonicalise them, and W3C trace context keys must stay lowercase),
	// so they are set directly; the values share one backing array.
	clear(hs.h)
	hs.vals = hs.vals[:0]
	set := func(k, v string) {
		hs.vals = append(hs.vals, v)
		n := len(hs.vals)
		hs.h[k] = hs.vals[n-1 : n : n]
	}
	// The formatted values are appended to one buffer and converted to
	// one string, which the values then slice: one allocation for the
	// seven of them instead of one each.
	b := hs.buf[:0]
	var ends [7]int
	b = appendUUID(b, ev.EventID)
	ends[0] = len(b)
	b = append(append(append(append(append(b, ev.Stream.Tenant...), '/'), ev.Stream.Type...), '/'), ev.Stream.ID...) // Stream.String()
	ends[1] = len(b)
	b = strconv.AppendInt(b, ev.Version, 10)
	ends[2] = len(b)
	b = ev.OccurredAt.UTC().AppendFormat(b, time.RFC3339Nano)
	ends[3] = len(b)
	b = ev.RecordedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	ends[4] = len(b)
	b = strconv.AppendInt(b, ev.Position, 10)
	ends[5] = len(b)
	b = hex.AppendEncode(b, ev.ContentHash)
	ends[6] = len(b)
	hs.buf = b
	all := string(b)
	val := func(i int) string {
		if i == 0 {
			return all[:ends[0]]
		}
		return all[ends[i-1]:ends[i]]
	}
	set(HeaderMsgID, val(0))
	set(HeaderContentType, ContentTypeProtobuf)
	set(HeaderEventType, ev.Type)
	set(HeaderTenant, ev.Stream.Tenant)
	set(HeaderStream, val(1))
	set(HeaderStreamType, ev.Stream.Type)
	set(HeaderStreamID, ev.Stream.ID)
	set(HeaderStreamVersion, val(2))
	set(HeaderOccurredAt, val(3))
	set(HeaderRecordedAt, val(4))
	set(HeaderPosition, val(5))
	set(HeaderContentHash, val(6))
	for _, kv := range [...][2]string{
		{HeaderCausationID, ev.CausationID},
		{HeaderCorrelationID, ev.CorrelationID},
		{HeaderActor, ev.Actor},
		{HeaderTraceParent, ev.TraceParent},
		{HeaderTraceState, ev.TraceState},
	} {
		if kv[1] != "" {
			set(kv[0], kv[1])
		}
	}
	return &nats.Msg{Subject: subject, Header: hs.h, Data: ev.Data}
}

// appendUUID appends id in its canonical form, as id.String() returns it.
func appendUUID(b []byte, id uuid.UUID) []byte {
	var s [36]byte
	hex.Encode(s[0:8], id[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], id[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], id[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], id[8:10])
	s[23] = '-'
	hex.Encode(s[24:], id[10:])
	return append(b, s[:]...)
}
