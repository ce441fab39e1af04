// Package rejection keeps what a service could not process: every consumer
// of every o2c service records the messages it rejects here (bus.Recorder),
// and every service serves the same RejectionService over them, through
// which operators list, inspect, replay and resolve them (`o2c rejected`).
// Nothing sent to o2c is dropped without a record.
//
// The table lives in each service's own schema (Migrate). Whatever arrived
// is stored as it came: the body as bytes; text (subject, headers, reason)
// made storable first, since a hostile message may carry NUL bytes or
// invalid UTF-8 that PostgreSQL refuses, and the record of a rejection must
// never fail for the reason the message was rejected.
package rejection

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations returns the rejection table's migrations.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// Migrate creates or updates the rejections table in schema, as the owner
// role in ownerURL, and grants appRole what the store needs (SELECT, INSERT,
// UPDATE). Replicas may run it at once: a session advisory lock orders them.
func Migrate(ctx context.Context, ownerURL, schema, appRole string) error {
	cfg, err := pgx.ParseConfig(ownerURL)
	if err != nil {
		return fmt.Errorf("migrate %s rejections: parse url: %w", schema, err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(schema)), lock.WithLockTimeout(1, 600))
	if err != nil {
		return fmt.Errorf("migrate %s rejections: %w", schema, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(),
		goose.WithSessionLocker(locker),
		goose.WithTableName(schema+".goose_rejection_version"),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrate %s rejections: %w", schema, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s rejections: %w", schema, err)
	}
	grant := `GRANT SELECT, INSERT, UPDATE ON ` + pgx.Identifier{schema, "rejections"}.Sanitize() + ` TO ` + pgx.Identifier{appRole}.Sanitize()
	if _, err := db.ExecContext(ctx, grant); err != nil {
		return fmt.Errorf("migrate %s rejections: grant to %s: %w", schema, appRole, err)
	}
	return nil
}

func lockID(schema string) int64 {
	var h int64 = 1469598103934665603
	for _, c := range []byte("o2c.rejection-migrations\x00" + schema) {
		h = (h ^ int64(c)) * 1099511628211
	}
	return h
}

// ErrNotFound means the rejection does not exist.
var ErrNotFound = errors.New("rejection not found")

// ErrNotOpen means the rejection was already replayed or resolved.
var ErrNotOpen = errors.New("rejection is not open")

// States of a rejection.
const (
	Open     = "open"
	Replayed = "replayed"
	Resolved = "resolved"
)

// Rejection is a message a service could not process.
type Rejection struct {
	ID             uuid.UUID
	Service        string
	Consumer       string
	Tenant         string
	Subject        string
	ContentType    string
	MsgID          string
	Headers        map[string][]string
	Payload        []byte
	Document       string
	ReasonCode     string
	Reason         string
	Deliveries     int
	DeliveryErrors []string
	Stream         string
	StreamSeq      uint64
	State          string
	RejectedAt     time.Time
	ClosedAt       *time.Time
	ClosedBy       string
	Note           string
}

// Msg returns the stored message as a handler takes it for a replay.
func (r Rejection) Msg() bus.Msg {
	return bus.Msg{Subject: r.Subject, Header: r.Headers, Data: r.Payload}
}

// Store keeps one service's rejections in its schema. Its errors, other
// than ErrNotFound and ErrNotOpen, are storage failures.
type Store struct {
	pool     *pgxpool.Pool
	service  string
	recorded metric.Int64Counter // nil until Instrument
}

// NewStore returns the store of service on pool (search_path = its schema).
func NewStore(pool *pgxpool.Pool, service string) *Store {
	return &Store{pool: pool, service: service}
}

// Limits of the stored text: longer values are cut, with a marker.
const (
	maxSubject = 512
	maxText    = 8192
	maxHeader  = 1024
)

// storable returns s as text PostgreSQL stores: invalid UTF-8 replaced by
// U+FFFD, NUL bytes written as \x00, cut to at most max bytes on a rune
// boundary with "…(cut)" appended.
func storable(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", `\x00`)
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(cut)"
}

// Record implements bus.Recorder: it stores r as an open rejection. A
// message already recorded as open for the same consumer, body and reason
// code is not recorded twice; its reason and delivery count are updated.
func (s *Store) Record(ctx context.Context, r bus.Rejected) error {
	tenant, _ := bus.TenantFromSubject(r.Msg.Subject)
	d := fault.DetailOf(r.Err).Document
	_, err := s.Insert(ctx, Rejection{
		Consumer: r.Consumer, Tenant: tenant, Subject: r.Msg.Subject,
		ContentType: r.Msg.Header.Get("Content-Type"), MsgID: r.Msg.Header.Get("Nats-Msg-Id"),
		Headers: r.Msg.Header, Payload: r.Msg.Data, Document: d, ReasonCode: r.Code, Reason: errText(r.Err),
		Deliveries: int(min(r.Msg.Delivered, 1<<31-1)), DeliveryErrors: r.DeliveryErrors,
		Stream: r.Msg.Stream, StreamSeq: r.Msg.Sequence,
	})
	return err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Insert stores r as an open rejection of the store's service and returns
// its id (the existing one for a repeat; see Record).
func (s *Store) Insert(ctx context.Context, r Rejection) (uuid.UUID, error) {
	hdr := map[string][]string{}
	for k, vs := range r.Headers {
		k = storable(k, maxHeader)
		for _, v := range vs {
			hdr[k] = append(hdr[k], storable(v, maxHeader))
		}
	}
	hdrJSON, err := json.Marshal(hdr)
	if err != nil {
		return uuid.Nil, fmt.Errorf("record rejection: headers: %w", err)
	}
	errs := make([]string, 0, len(r.DeliveryErrors))
	for _, e := range r.DeliveryErrors {
		errs = append(errs, storable(e, maxText))
	}
	errsJSON, err := json.Marshal(errs)
	if err != nil {
		return uuid.Nil, fmt.Errorf("record rejection: delivery errors: %w", err)
	}
	if r.Payload == nil {
		r.Payload = []byte{}
	}
	if r.Deliveries < 1 {
		r.Deliveries = 1
	}
	seq := int64(min(r.StreamSeq, 1<<63-1))
	var id uuid.UUID
	var inserted bool // false for a repeat of an open rejection (ON CONFLICT ... DO UPDATE)
	err = s.pool.QueryRow(ctx, `
		INSERT INTO rejections (id, service, consumer, tenant, subject, content_type, msg_id, headers, payload,
			document, reason_code, reason, deliveries, delivery_errors, stream, stream_seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (consumer, subject, sha256(payload), reason_code) WHERE state = 'open'
		DO UPDATE SET reason = EXCLUDED.reason, deliveries = EXCLUDED.deliveries,
			delivery_errors = EXCLUDED.delivery_errors, document = EXCLUDED.document
		RETURNING id, xmax = 0`,
		uuid.New(), s.service, storable(r.Consumer, maxSubject), storable(r.Tenant, 63), storable(r.Subject, maxSubject),
		storable(r.ContentType, maxHeader), storable(r.MsgID, maxHeader), hdrJSON, r.Payload,
		storable(r.Document, maxHeader), storable(r.ReasonCode, 64), storable(r.Reason, maxText),
		r.Deliveries, errsJSON, storable(r.Stream, maxSubject), seq).Scan(&id, &inserted)
	if err != nil {
		return uuid.Nil, fmt.Errorf("record rejection: %w", err)
	}
	if inserted && s.recorded != nil {
		s.recorded.Add(ctx, 1, metric.WithAttributes(attribute.String("service", s.service),
			attribute.String("consumer", r.Consumer), attribute.String("reason", r.ReasonCode)))
	}
	return id, nil
}

const columns = `id, service, consumer, tenant, subject, content_type, msg_id, headers, payload, document,
	reason_code, reason, deliveries, delivery_errors, stream, stream_seq, state, rejected_at, closed_at, closed_by, note`

func scan(row pgx.Row) (Rejection, error) {
	var r Rejection
	var hdr, errs []byte
	var seq int64
	err := row.Scan(&r.ID, &r.Service, &r.Consumer, &r.Tenant, &r.Subject, &r.ContentType, &r.MsgID, &hdr, &r.Payload,
		&r.Document, &r.ReasonCode, &r.Reason, &r.Deliveries, &errs, &r.Stream, &seq, &r.State, &r.RejectedAt,
		&r.ClosedAt, &r.ClosedBy, &r.Note)
	if err != nil {
		return r, err
	}
	r.StreamSeq = uint64(seq)
	if err := json.Unmarshal(hdr, &r.Headers); err != nil {
		return r, fmt.Errorf("rejection %s: headers: %w", r.ID, err)
	}
	if err := json.Unmarshal(errs, &r.DeliveryErrors); err != nil {
		return r, fmt.Errorf("rejection %s: delivery errors: %w", r.ID, err)
	}
	return r, nil
}

// List returns up to limit rejections, newest first, filtered by tenant and
// state when they are not empty.
func (s *Store) List(ctx context.Context, tenant, state string, limit int) ([]Rejection, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM rejections
		WHERE ($1 = '' OR tenant = $1) AND ($2 = '' OR state = $2)
		ORDER BY rejected_at DESC, id LIMIT $3`, tenant, state, limit)
	if err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	defer rows.Close()
	var out []Rejection
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list rejections: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rejections: %w", err)
	}
	return out, nil
}

// Get returns one rejection or ErrNotFound.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (Rejection, error) {
	r, err := scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM rejections WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("rejection %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("rejection %s: %w", id, err)
	}
	return r, nil
}

// Close moves an open rejection to state (Replayed or Resolved), recording
// who and why. It returns ErrNotFound or ErrNotOpen.
func (s *Store) Close(ctx context.Context, id uuid.UUID, state, actor, note string) (Rejection, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE rejections SET state = $2, closed_at = now(), closed_by = $3, note = $4
		WHERE id = $1 AND state = 'open'`, id, state, storable(actor, maxHeader), storable(note, maxText))
	if err != nil {
		return Rejection{}, fmt.Errorf("close rejection %s: %w", id, err)
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return r, err
	}
	if tag.RowsAffected() == 0 {
		return r, fmt.Errorf("rejection %s is %s: %w", id, r.State, ErrNotOpen)
	}
	return r, nil
}

// Reopen records a new reason on an open rejection after a replay failed
// again.
func (s *Store) Reopen(ctx context.Context, id uuid.UUID, code, reason string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE rejections SET reason_code = $2, reason = $3, deliveries = deliveries + 1
		WHERE id = $1 AND state = 'open'`, id, storable(code, 64), storable(reason, maxText)); err != nil {
		return fmt.Errorf("update rejection %s: %w", id, err)
	}
	return nil
}
