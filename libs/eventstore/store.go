package eventstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// schemaPattern restricts schema names to plain lowercase identifiers that
// leave room for the "_app" role suffix within PostgreSQL's 63 bytes.
var schemaPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,39}$`)

func checkSchema(schema string) error {
	if !schemaPattern.MatchString(schema) || strings.HasPrefix(schema, "pg_") {
		return fmt.Errorf("eventstore: schema name %q must match %s and not start with pg_", schema, schemaPattern)
	}
	return nil
}

// Options configure a Store.
type Options struct {
	// Types resolves event types to payload messages on read; nil means
	// protoregistry.GlobalTypes. Events of unknown types are returned with
	// a nil Payload and their Data.
	Types protoregistry.MessageTypeResolver
}

// Store is the PostgreSQL event store of one service schema. It is safe for
// concurrent use; every method takes its connections from the pool.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	types  protoregistry.MessageTypeResolver
	q      queries
	recent recent
}

type queries struct {
	head, heads, existing, existingOne, insert, insertMulti, stream, all, allCursors, byPositions, verify, checkpoint, saveCheckpoint string
}

const eventColumns = `event_id, event_type, tenant, stream_type, stream_id, version, occurred_at, recorded_at,
	causation_id, correlation_id, actor, traceparent, tracestate, position, tx_id::text, payload, content_hash, chain_hash`

// New returns a store on the tables that Migrate created in schema. The
// pool may connect as the schema's app role (see EnsureAppRole).
func New(pool *pgxpool.Pool, schema string, opt Options) (*Store, error) {
	if err := checkSchema(schema); err != nil {
		return nil, err
	}
	types := opt.Types
	if types == nil {
		types = protoregistry.GlobalTypes
	}
	t := pgx.Identifier{schema, "events"}.Sanitize()
	c := pgx.Identifier{schema, "checkpoints"}.Sanitize()
	return &Store{pool: pool, schema: schema, types: types, q: queries{
		head:        `SELECT version, chain_hash FROM ` + t + ` WHERE tenant = $1 AND stream_type = $2 AND stream_id = $3 ORDER BY version DESC LIMIT 1`,
		existing:    `SELECT ` + eventColumns + ` FROM ` + t + ` WHERE event_id = ANY($1::uuid[])`,
		existingOne: `SELECT ` + eventColumns + ` FROM ` + t + ` WHERE event_id = $1`,
		insert: `INSERT INTO ` + t + ` (event_id, event_type, tenant, stream_type, stream_id, version, occurred_at,
			causation_id, correlation_id, actor, traceparent, tracestate, payload, content_hash, chain_hash)
		SELECT u.event_id, u.event_type, $3, $4, $5, u.version, u.occurred_at,
			u.causation_id, u.correlation_id, u.actor, u.traceparent, u.tracestate, u.payload, u.content_hash, u.chain_hash
		FROM unnest($1::uuid[], $2::text[], $6::bigint[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bytea[], $14::bytea[], $15::bytea[])
			AS u(event_id, event_type, version, occurred_at, causation_id, correlation_id, actor, traceparent, tracestate, payload, content_hash, chain_hash)
		RETURNING event_id, position, tx_id::text, recorded_at`,
		heads: `SELECT u.tenant, u.stream_type, u.stream_id, h.version, h.chain_hash
		FROM unnest($1::text[], $2::text[], $3::text[]) AS u(tenant, stream_type, stream_id)
		CROSS JOIN LATERAL (SELECT version, chain_hash FROM ` + t + ` e
			WHERE e.tenant = u.tenant AND e.stream_type = u.stream_type AND e.stream_id = u.stream_id
			ORDER BY version DESC LIMIT 1) h`,
		insertMulti: `INSERT INTO ` + t + ` (event_id, event_type, tenant, stream_type, stream_id, version, occurred_at,
			causation_id, correlation_id, actor, traceparent, tracestate, payload, content_hash, chain_hash)
		SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bytea[], $14::bytea[], $15::bytea[])
		RETURNING event_id, position, tx_id::text, recorded_at`,
		stream: `SELECT ` + eventColumns + ` FROM ` + t + ` WHERE tenant = $1 AND stream_type = $2 AND stream_id = $3 AND version >= $4 ORDER BY version LIMIT $5`,
		all: `SELECT ` + eventColumns + ` FROM ` + t + `
		WHERE (tx_id, position) > ($1::text::xid8, $2) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY tx_id::xid8, position LIMIT $3`, // not the bare tx_id: ORDER BY would take the text output column, and "1000" < "999"
		// allCursors is all's condition and order, with only the cursors (see readLog).
		allCursors: `SELECT position, tx_id::text FROM ` + t + `
		WHERE (tx_id, position) > ($1::text::xid8, $2) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY tx_id::xid8, position LIMIT $3`,
		byPositions:    `SELECT ` + eventColumns + ` FROM ` + t + ` WHERE position = ANY($1::bigint[])`,
		verify:         `SELECT ` + eventColumns + ` FROM ` + t + ` ORDER BY tenant, stream_type, stream_id, version`,
		checkpoint:     `SELECT tx_id::text, position FROM ` + c + ` WHERE name = $1`,
		saveCheckpoint: `INSERT INTO ` + c + ` (name, tx_id, position) VALUES ($1, $2::text::xid8, $3) ON CONFLICT (name) DO UPDATE SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position, updated_at = now()`,
	}}, nil
}

// Schema returns the schema the store works in.
func (s *Store) Schema() string { return s.schema }

// maxAppendAttempts bounds the internal retries of AnyVersion appends and of
// appends that race with a concurrent append of the same event id.
const maxAppendAttempts = 20

// Append writes events to the end of stream in one transaction, if the
// stream is at version expected (eventstore.AnyVersion: whatever version;
// NoStream: no events yet). It returns the stored events with version,
// position, cursor, recorded-at and hashes set.
//
// Append is idempotent by event id: if every event id is already stored
// with the same content hash (see ContentHash), it writes nothing and
// returns the stored events, whatever expected says. It returns an error
// wrapping a *ContentMismatchError if an id is stored with other content,
// ErrPartialDuplicate if only some ids are stored, a *ConflictError if the
// stream is at another version, and ErrInvalidEvent for malformed input.
// Of concurrent appends at one expected version exactly one succeeds.
//
// An event without TraceParent is stored with the trace context of the
// span in ctx, if there is one, so that it is relayed within the trace
// that produced it.
func (s *Store) Append(ctx context.Context, stream StreamID, expected ExpectedVersion, events []Event) ([]Event, error) {
	prepared, err := Prepare(stream, events)
	if err != nil {
		return nil, err
	}
	stampTrace(ctx, prepared)
	if expected < AnyVersion {
		return nil, fmt.Errorf("%w: expected version %d", ErrInvalidEvent, expected)
	}
	for attempt := 1; ; attempt++ {
		out, retry, err := s.appendOnce(ctx, stream, expected, prepared, attempt > 1)
		if retry && attempt < maxAppendAttempts {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("append to %s: %w", stream, err)
		}
		s.recent.add(out) // committed: appendOnce's transaction (or statement) ended
		return out, nil
	}
}

// appendOnce makes one attempt. A retry (after losing a race) runs in an
// explicit transaction holding an advisory lock on the stream, so that
// retrying AnyVersion writers take turns instead of losing to each other
// again and again.
func (s *Store) appendOnce(ctx context.Context, stream StreamID, expected ExpectedVersion, events []Event, serialise bool) ([]Event, bool, error) {
	if !serialise {
		return s.tryAppend(ctx, s.pool, stream, expected, events, false)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // No-op after Commit; the append's own error is the one returned.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID("stream", s.schema+"\x00"+stream.Tenant+"\x00"+stream.Type+"\x00"+stream.ID)); err != nil {
		return nil, false, fmt.Errorf("lock stream: %w", err)
	}
	out, retry, err := s.tryAppend(ctx, tx, stream, expected, events, true)
	if err != nil {
		return nil, retry, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, sqlState(err) == "23505", fmt.Errorf("commit: %w", err)
	}
	return out, false, nil
}

// conn is what an append needs from a pool or a transaction.
type conn interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// tryAppend makes one attempt. Unless full is set (a retry), it looks up
// only the first event id in the round trip that reads the head: a
// statement on one id keeps an index lookup as its cached generic plan,
// while PostgreSQL caches a sequential scan for the lookup of an id array
// when it plans it on a small table, and keeps it as the table grows until
// the next ANALYZE. Another id already stored makes the INSERT fail on the
// event id constraint, and the retry looks all of them up.
func (s *Store) tryAppend(ctx context.Context, db conn, stream StreamID, expected ExpectedVersion, events []Event, full bool) (_ []Event, retry bool, _ error) {
	ids := make([]pgtype.UUID, len(events))
	for i, ev := range events {
		ids[i] = pgtype.UUID{Bytes: ev.EventID, Valid: true}
	}
	var b pgx.Batch
	b.Queue(s.q.head, stream.Tenant, stream.Type, stream.ID)
	if full {
		b.Queue(s.q.existing, ids)
	} else {
		b.Queue(s.q.existingOne, ids[0])
	}
	br := db.SendBatch(ctx, &b)
	var version int64
	var prev []byte
	err := br.QueryRow().Scan(&version, &prev)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		br.Close()
		return nil, false, fmt.Errorf("read stream head: %w", err)
	}
	rows, err := br.Query()
	var stored []Event
	if err == nil {
		stored, err = s.collect(rows, true)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("look up event ids: %w", err)
	}
	if len(stored) > 0 && !full && len(events) > 1 {
		// The first id is stored: a replay, whole or partial. Which
		// needs all of them.
		rows, err := db.Query(ctx, s.q.existing, ids)
		if err == nil {
			stored, err = s.collect(rows, true)
		}
		if err != nil {
			return nil, false, fmt.Errorf("look up event ids: %w", err)
		}
	}
	if len(stored) > 0 {
		out, err := replay(events, stored)
		return out, false, err
	}
	if expected != AnyVersion && int64(expected) != version {
		return nil, false, &ConflictError{Stream: stream, Expected: expected, Actual: version}
	}

	n := len(events)
	types, causes, corrs, actors, tps, tss := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions, occurred := make([]int64, n), make([]time.Time, n)
	payloads, contents, chains := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	out := make([]Event, n)
	for i, ev := range events {
		version++
		ev.Version = version
		ev.ChainHash = ChainHash(prev, ev.ContentHash, stream, version)
		prev = ev.ChainHash
		types[i], causes[i], corrs[i], actors[i], tps[i], tss[i] = ev.Type, ev.CausationID, ev.CorrelationID, ev.Actor, ev.TraceParent, ev.TraceState
		versions[i], occurred[i] = ev.Version, ev.OccurredAt
		payloads[i], contents[i], chains[i] = ev.Data, ev.ContentHash, ev.ChainHash
		out[i] = ev
	}
	rows, err = db.Query(ctx, s.q.insert, ids, types, stream.Tenant, stream.Type, stream.ID,
		versions, occurred, causes, corrs, actors, tps, tss, payloads, contents, chains)
	if err != nil {
		return nil, false, fmt.Errorf("insert: %w", err)
	}
	byID := make(map[uuid.UUID]*Event, n)
	for i := range out {
		byID[out[i].EventID] = &out[i]
	}
	for rows.Next() {
		var id pgtype.UUID
		var pos int64
		var tx string
		var recorded time.Time
		if err := rows.Scan(&id, &pos, &tx, &recorded); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("insert: %w", err)
		}
		ev := byID[id.Bytes]
		if ev == nil {
			rows.Close()
			return nil, false, fmt.Errorf("insert returned unknown event id %s", uuid.UUID(id.Bytes))
		}
		ev.Position, ev.RecordedAt = pos, recorded.UTC()
		ev.Cursor = Cursor{Position: pos}
		if ev.Cursor.TxID, err = strconv.ParseUint(tx, 10, 64); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("insert: transaction id %q: %w", tx, err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			switch pgErr.ConstraintName {
			case "events_event_id_key":
				// A concurrent append stored one of the ids first; the
				// next attempt sees it and decides replay or mismatch.
				return nil, true, err
			case "events_stream_version_key":
				if expected == AnyVersion {
					return nil, true, err
				}
				actual, herr := s.version(ctx, stream)
				if herr != nil {
					return nil, false, herr
				}
				return nil, false, &ConflictError{Stream: stream, Expected: expected, Actual: actual}
			}
		}
		return nil, false, fmt.Errorf("insert: %w", err)
	}
	return out, false, nil
}

// replay decides an append whose ids are (partly) stored already.
func replay(events, stored []Event) ([]Event, error) {
	byID := make(map[uuid.UUID]Event, len(stored))
	for _, ev := range stored {
		byID[ev.EventID] = ev
	}
	out := make([]Event, 0, len(events))
	for _, ev := range events {
		old, ok := byID[ev.EventID]
		if !ok {
			continue
		}
		if !bytes.Equal(old.ContentHash, ev.ContentHash) {
			return nil, &ContentMismatchError{EventID: ev.EventID, StoredHash: old.ContentHash, AppendedHash: ev.ContentHash}
		}
		out = append(out, old)
	}
	if len(out) != len(events) {
		return nil, ErrPartialDuplicate
	}
	return out, nil
}

func (s *Store) version(ctx context.Context, stream StreamID) (int64, error) {
	var v int64
	var h []byte
	err := s.pool.QueryRow(ctx, s.q.head, stream.Tenant, stream.Type, stream.ID).Scan(&v, &h)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("read stream head: %w", err)
	}
	return v, nil
}

// ReadStream returns up to limit events of stream with version >= from, by
// version. limit <= 0 means no limit.
func (s *Store) ReadStream(ctx context.Context, stream StreamID, from int64, limit int) ([]Event, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, s.q.stream, stream.Tenant, stream.Type, stream.ID, from, lim)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	evs, err := s.collect(rows, true)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return evs, nil
}

// ReadAll returns up to limit events (limit <= 0 means 1000) after the
// cursor in log order, and the cursor of the last event returned (after
// itself when none).
//
// The log is ordered by (transaction id, position) and ReadAll returns only
// events of transactions below the horizon pg_snapshot_xmin of the current
// snapshot: every transaction below it has ended, so no event can later
// appear before a returned one. An event whose transaction commits late is
// therefore never skipped; while a transaction is open, events of later
// transactions wait behind it. A reader that resumes from the last cursor
// sees every committed event exactly once.
//
// Which events are returned, and in which order, PostgreSQL decides on
// every call; the events this store committed lately (the last few
// thousand positions) are then taken from memory instead of being read
// back, since a stored event never changes (see recent). A row changed
// behind the store's back (by an owner with its triggers disabled) is
// therefore seen by other stores and by Verify, not by the store that
// appended it, until its position leaves the store's memory.
func (s *Store) ReadAll(ctx context.Context, after Cursor, limit int) ([]Event, Cursor, error) {
	return s.readAll(ctx, s.pool, after, limit, true)
}

// ReadAllRaw is ReadAll without decoding the payloads: each event has its
// stored bytes in Data and a nil Payload. The relay reads so, since it
// publishes the stored bytes and never looks at the message.
func (s *Store) ReadAllRaw(ctx context.Context, after Cursor, limit int) ([]Event, Cursor, error) {
	return s.readAll(ctx, s.pool, after, limit, false)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func (s *Store) readAll(ctx context.Context, q querier, after Cursor, limit int, decode bool) ([]Event, Cursor, error) {
	if limit <= 0 {
		limit = 1000
	}
	evs, err := s.readLog(ctx, q, after, limit)
	if err != nil {
		return nil, after, fmt.Errorf("read all after %v: %w", after, err)
	}
	for i := 0; decode && i < len(evs); i++ {
		if err := DecodePayload(&evs[i], s.types); err != nil {
			return nil, after, fmt.Errorf("read all after %v: %w", after, err)
		}
	}
	if len(evs) > 0 {
		after = evs[len(evs)-1].Cursor
	}
	return evs, after, nil
}

// Verify recomputes the content and chain hash of every event, stream by
// stream, from the stored columns and payload bytes, and reports the first
// broken link of each stream. It does not decode payloads, so it does not
// depend on the protobuf-go version or on the payload types being known.
// The error is for failures to read, not for broken chains.
//
// Verify cannot see events missing from the end of a stream, nor a stream
// deleted whole: see VerifyAnchors.
func (s *Store) Verify(ctx context.Context) (Report, error) {
	rows, err := s.pool.Query(ctx, s.q.verify)
	if err != nil {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	defer rows.Close()
	var v Verifier
	var sc rowScanner
	for rows.Next() {
		ev, err := sc.scan(s, rows, false) // the stored bytes, never a re-encoding
		if err != nil {
			return Report{}, fmt.Errorf("verify: %w", err)
		}
		v.Add(&ev)
	}
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	return v.Report(), nil
}

func (s *Store) collect(rows pgx.Rows, decode bool) ([]Event, error) {
	defer rows.Close()
	var out []Event
	var sc rowScanner
	for rows.Next() {
		ev, err := sc.scan(s, rows, decode)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// rowScanner scans rows of eventColumns. Where PostgreSQL sends the
// columns in the binary formats it expects (as it does for the store's
// queries), it decodes them from the raw values itself: one allocation for
// the three byte columns instead of three, and the envelope's repeated
// strings (type, tenant, stream type, actor) shared instead of allocated
// for every row. Otherwise it falls back to pgx's Scan.
type rowScanner struct {
	checked, raw bool
	strs         map[string]string
}

// pgEpoch is PostgreSQL's epoch for timestamps, 2000-01-01 UTC, in Unix
// seconds.
const pgEpoch = 946684800

// eventColumnFormats are the binary formats rowScanner decodes, per
// column of eventColumns: 'u' uuid, 's' text, 'i' int8, 't' timestamptz,
// 'b' bytea; tx_id::text comes as text.
const eventColumnFormats = "ussssittsssssisbbb"

func (sc *rowScanner) scan(s *Store, rows pgx.Rows, decode bool) (Event, error) {
	if !sc.checked {
		sc.checked = true
		fds := rows.FieldDescriptions()
		sc.raw = len(fds) == len(eventColumnFormats)
		for i := 0; sc.raw && i < len(fds); i++ {
			sc.raw = fds[i].Format == pgx.BinaryFormatCode || eventColumnFormats[i] == 's'
		}
	}
	if !sc.raw {
		return s.scan(rows, decode)
	}
	v := rows.RawValues()
	if len(v) != len(eventColumnFormats) {
		return s.scan(rows, decode)
	}
	for i, b := range v {
		if b == nil || (eventColumnFormats[i] == 'u' && len(b) != 16) ||
			((eventColumnFormats[i] == 'i' || eventColumnFormats[i] == 't') && len(b) != 8) {
			return s.scan(rows, decode)
		}
	}
	if sc.strs == nil {
		sc.strs = make(map[string]string)
	}
	shared := func(b []byte) string {
		if str, ok := sc.strs[string(b)]; ok {
			return str
		}
		str := string(b)
		sc.strs[str] = str
		return str
	}
	i64 := func(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }
	ts := func(b []byte) time.Time {
		us := i64(b)
		return time.Unix(pgEpoch+us/1e6, (us%1e6)*1e3).UTC()
	}
	var ev Event
	copy(ev.EventID[:], v[0])
	ev.Type, ev.Stream.Tenant, ev.Stream.Type, ev.Stream.ID = shared(v[1]), shared(v[2]), shared(v[3]), string(v[4])
	ev.Version, ev.OccurredAt, ev.RecordedAt = i64(v[5]), ts(v[6]), ts(v[7])
	ev.CausationID, ev.CorrelationID, ev.Actor, ev.TraceParent, ev.TraceState = string(v[8]), string(v[9]), shared(v[10]), string(v[11]), string(v[12])
	ev.Position = i64(v[13])
	tx, err := parseTxID(v[14])
	if err != nil {
		return ev, fmt.Errorf("event %s: %w", ev.EventID, err)
	}
	ev.Cursor = Cursor{TxID: tx, Position: ev.Position}
	data, content, chain := v[15], v[16], v[17]
	buf := make([]byte, len(data)+len(content)+len(chain))
	n := copy(buf, data)
	ev.Data = buf[:n:n]
	m := n + copy(buf[n:], content)
	ev.ContentHash = buf[n:m:m]
	copy(buf[m:], chain)
	ev.ChainHash = buf[m:]
	if decode {
		if err := DecodePayload(&ev, s.types); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

func (s *Store) scan(rows pgx.Rows, decode bool) (Event, error) {
	var ev Event
	var id pgtype.UUID
	var tx string
	err := rows.Scan(&id, &ev.Type, &ev.Stream.Tenant, &ev.Stream.Type, &ev.Stream.ID, &ev.Version, &ev.OccurredAt, &ev.RecordedAt,
		&ev.CausationID, &ev.CorrelationID, &ev.Actor, &ev.TraceParent, &ev.TraceState, &ev.Position, &tx, &ev.Data, &ev.ContentHash, &ev.ChainHash)
	if err != nil {
		return ev, err
	}
	ev.EventID = id.Bytes
	ev.OccurredAt, ev.RecordedAt = ev.OccurredAt.UTC(), ev.RecordedAt.UTC()
	ev.Cursor.Position = ev.Position
	if ev.Cursor.TxID, err = strconv.ParseUint(tx, 10, 64); err != nil {
		return ev, fmt.Errorf("event %s: transaction id %q: %w", ev.EventID, tx, err)
	}
	if decode {
		if err := DecodePayload(&ev, s.types); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// DecodePayload sets ev.Payload from ev.Data and ev.Type using types (nil
// means protoregistry.GlobalTypes). It leaves Payload nil, without error,
// when types does not know the type; it fails when Data does not decode.
func DecodePayload(ev *Event, types protoregistry.MessageTypeResolver) error {
	if types == nil {
		types = protoregistry.GlobalTypes
	}
	mt, err := types.FindMessageByName(protoreflect.FullName(ev.Type))
	if errors.Is(err, protoregistry.NotFound) {
		ev.Payload = nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("event %s: resolve type %s: %w", ev.EventID, ev.Type, err)
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(ev.Data, m); err != nil {
		return fmt.Errorf("event %s: decode %s payload: %w", ev.EventID, ev.Type, err)
	}
	ev.Payload = m
	return nil
}

// Checkpoint returns the saved cursor of name, the zero cursor if none.
func (s *Store) Checkpoint(ctx context.Context, name string) (Cursor, error) {
	return s.checkpoint(ctx, s.pool, name)
}

type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *Store) checkpoint(ctx context.Context, q rowQuerier, name string) (Cursor, error) {
	var tx string
	var c Cursor
	err := q.QueryRow(ctx, s.q.checkpoint, name).Scan(&tx, &c.Position)
	if errors.Is(err, pgx.ErrNoRows) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("read checkpoint %s: %w", name, err)
	}
	if c.TxID, err = strconv.ParseUint(tx, 10, 64); err != nil {
		return Cursor{}, fmt.Errorf("read checkpoint %s: transaction id %q: %w", name, tx, err)
	}
	return c, nil
}

// SaveCheckpoint stores the cursor of name.
func (s *Store) SaveCheckpoint(ctx context.Context, name string, c Cursor) error {
	if _, err := s.pool.Exec(ctx, s.q.saveCheckpoint, name, strconv.FormatUint(c.TxID, 10), c.Position); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, err)
	}
	return nil
}
