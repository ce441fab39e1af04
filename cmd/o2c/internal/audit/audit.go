// Package audit lists who changed what, for `o2c audit`: every event in the
// event stores of the service schemas with the actor the service recorded on
// it, and every rejected message an operator resolved or replayed, with the
// operator (the rejection store's closed_by).
//
// The listing is in the order things were recorded, oldest first: by the
// time the writing transaction started (the events' recorded_at, the
// rejections' closed_at), then by service, then by the event's position in
// its store. It is streamed: all sources are read by one query whose rows
// arrive as they are printed, so a store of any size is listed with bounded
// memory (PostgreSQL sorts, spilling to disk when it must).
//
// Every listing is of one tenant unless the caller asks for all tenants, as
// only a platform admin may; the output says which.
package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/eventstore"
)

// Query selects what List returns.
type Query struct {
	// Tenant is the tenant whose changes are listed. It must be empty when
	// AllTenants is set, and set otherwise.
	Tenant string
	// AllTenants lists every tenant's changes (a platform admin's view).
	AllTenants bool
	// Actor keeps the changes of this actor only ("user:jane",
	// "service:ledger"); with a trailing "*" it is a prefix ("user:*").
	// Empty keeps every actor.
	Actor string
	// Since keeps changes recorded at or after it; zero means from the
	// start.
	Since time.Time
	// Until keeps changes recorded before it; zero means up to now.
	Until time.Time
	// Schemas are the service schemas to read, in the order their entries
	// are listed when recorded at the same instant.
	Schemas []string
}

// Check reports a query that cannot be run: without a tenant, with a
// tenant and all tenants, with an empty period, or without schemas.
func (q Query) Check() error {
	switch {
	case q.AllTenants && q.Tenant != "":
		return errors.New("give either a tenant or all tenants, not both")
	case !q.AllTenants && q.Tenant == "":
		return errors.New("a tenant is required; listing all tenants must be asked for explicitly")
	case !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until):
		return fmt.Errorf("the period is empty: since %s is not before until %s", q.Since.Format(time.RFC3339), q.Until.Format(time.RFC3339))
	case len(q.Schemas) == 0:
		return errors.New("no service schema to read")
	}
	return nil
}

// Entry is one change: who did what, when, in which service.
type Entry struct {
	// RecordedAt is when the change was recorded (UTC): the start of the
	// transaction that stored the event, or the closing of a rejection.
	RecordedAt time.Time
	// Service is the schema of the service that recorded it.
	Service string
	Tenant  string
	// Actor is who or what caused it, as the service recorded it
	// ("service:ledger", "shop:acme", an operator's name); empty when
	// nothing was recorded.
	Actor string
	// What says in words what changed; see Describe.
	What string
	// Stream is the event's stream as "type/id" ("debtor/K-1001"), or
	// "rejection/<id>" for a rejection closed by an operator.
	Stream string
	// Type is the event type ("o2c.ledger.v1.PeriodClosed"), or
	// "rejection.resolved" or "rejection.replayed".
	Type string
}

// Skipped names a schema List could not read and why.
type Skipped struct {
	Schema, Reason string
}

// DB is what List reads through: a *pgxpool.Pool or a *pgx.Conn. Its
// errors are PostgreSQL's.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// List calls fn with every change the query selects, oldest first (see the
// package comment), and returns the schemas it skipped because they have no
// event store. It stops at the first error of fn or of the query. It reads
// every source through one query on one connection, whose rows arrive while
// fn runs.
func List(ctx context.Context, db DB, q Query, fn func(Entry) error) ([]Skipped, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	var skipped, read []string
	f := newFilter(q)
	var parts []string
	for i, schema := range q.Schemas {
		var events, rejections bool
		err := db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL`,
			pgx.Identifier{schema, "events"}.Sanitize(), pgx.Identifier{schema, "rejections"}.Sanitize()).Scan(&events, &rejections)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", schema, err)
		}
		if !events {
			skipped = append(skipped, schema)
			continue
		}
		read = append(read, schema)
		src := strconv.Itoa(2 * i)
		parts = append(parts, `SELECT recorded_at AS at, `+src+` AS src, position AS pos, tenant, actor, event_type,
			stream_type, stream_id, payload, '' AS state, '' AS document, '' AS subject, '' AS note
		FROM `+pgx.Identifier{schema, "events"}.Sanitize()+f.where("tenant", "actor", "recorded_at"))
		if rejections {
			src := strconv.Itoa(2*i + 1)
			parts = append(parts, `SELECT closed_at, `+src+`, 0, tenant, closed_by, '', 'rejection', id::text, ''::bytea,
			state, document, subject, note
		FROM `+pgx.Identifier{schema, "rejections"}.Sanitize()+f.where("tenant", "closed_by", "closed_at")+
				` AND state <> 'open' AND closed_at IS NOT NULL`)
		}
	}
	var out []Skipped
	for _, s := range skipped {
		out = append(out, Skipped{s, "no event store (schema not migrated)"})
	}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := db.Query(ctx, strings.Join(parts, "\nUNION ALL\n")+"\nORDER BY at, src, pos, stream_id", f.args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", strings.Join(read, ", "), err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scan(rows, q.Schemas)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", strings.Join(read, ", "), err)
		}
		if err := fn(e); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", strings.Join(read, ", "), err)
	}
	return out, nil
}

// scan reads one row of List's query: an event, or a rejection when its
// stream type is "rejection".
func scan(rows pgx.Rows, schemas []string) (Entry, error) {
	var e Entry
	var src int
	var pos int64
	var ev eventstore.Event
	var streamType, streamID, state, document, subject, note string
	if err := rows.Scan(&e.RecordedAt, &src, &pos, &e.Tenant, &e.Actor, &ev.Type, &streamType, &streamID, &ev.Data,
		&state, &document, &subject, &note); err != nil {
		return Entry{}, err
	}
	e.RecordedAt = e.RecordedAt.UTC()
	e.Service = schemas[src/2]
	e.Stream = text(streamType) + "/" + text(streamID)
	if src%2 == 1 {
		e.Type = "rejection." + state
		e.What = text(rejectionWhat(state, document, subject, note))
		return e, nil
	}
	e.Type = ev.Type
	if err := eventstore.DecodePayload(&ev, nil); err != nil {
		e.What = typeWords(ev.Type) + " (payload does not decode)"
	} else {
		e.What = text(Describe(ev.Type, ev.Payload))
	}
	return e, nil
}

// rejectionWhat describes a rejection an operator closed: replayed, or
// resolved with the operator's note.
func rejectionWhat(state, document, subject, note string) string {
	what := "rejected message"
	if document != "" {
		what += " " + text(document)
	}
	what += " (" + text(subject) + ") " + text(state)
	if state == "resolved" {
		what = withText(what, note)
	}
	return what
}

// filter holds the arguments of List's query and writes the conditions of
// each part on them: the same tenant, actor and period for every source,
// under each source's column names.
type filter struct {
	args []any
	// tenant, actor, since and until are the placeholders of the
	// conditions in use, "" for those the query does not set.
	tenant, actor, since, until string
	prefix                      bool
}

func newFilter(q Query) *filter {
	f := &filter{}
	arg := func(v any) string {
		f.args = append(f.args, v)
		return "$" + strconv.Itoa(len(f.args))
	}
	if q.Tenant != "" {
		f.tenant = arg(q.Tenant)
	}
	if prefix, ok := strings.CutSuffix(q.Actor, "*"); ok {
		f.actor, f.prefix = arg(likeEscape(prefix)+"%"), true
	} else if q.Actor != "" {
		f.actor = arg(q.Actor)
	}
	if !q.Since.IsZero() {
		f.since = arg(q.Since)
	}
	if !q.Until.IsZero() {
		f.until = arg(q.Until)
	}
	return f
}

// where returns the WHERE clause of one source with its column names.
func (f *filter) where(tenantCol, actorCol, timeCol string) string {
	conds := []string{"true"}
	if f.tenant != "" {
		conds = append(conds, tenantCol+" = "+f.tenant)
	}
	switch {
	case f.prefix:
		conds = append(conds, actorCol+" LIKE "+f.actor+` ESCAPE '\'`)
	case f.actor != "":
		conds = append(conds, actorCol+" = "+f.actor)
	}
	if f.since != "" {
		conds = append(conds, timeCol+" >= "+f.since)
	}
	if f.until != "" {
		conds = append(conds, timeCol+" < "+f.until)
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// likeEscape escapes the wildcards of a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Print writes the changes the query selects as a table (recorded at,
// service, actor, what, stream; and the tenant when listing all tenants)
// under a line that says whose changes and which period it lists, and ends
// with their number. Rows are flushed in blocks, so a long listing starts
// at once; columns are aligned within a block.
func Print(ctx context.Context, db DB, q Query, w io.Writer) error {
	if err := q.Check(); err != nil {
		return err
	}
	fmt.Fprintf(w, "Audit trail of %s, %s, oldest first (schemas %s)\n", whose(q), period(q), strings.Join(q.Schemas, ", "))
	const block = 500
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "RECORDED AT (UTC)\tSERVICE\tACTOR\tWHAT\tSTREAM"
	if q.AllTenants {
		header = "RECORDED AT (UTC)\tTENANT\tSERVICE\tACTOR\tWHAT\tSTREAM"
	}
	n := 0
	skipped, err := List(ctx, db, q, func(e Entry) error {
		if n%block == 0 {
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(tw, header)
		}
		n++
		actor := text(e.Actor)
		if actor == "" {
			actor = "(not recorded)"
		}
		tenant := ""
		if q.AllTenants {
			tenant = text(e.Tenant) + "\t"
		}
		_, err := fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\n", e.RecordedAt.Format("2006-01-02 15:04:05"), tenant, e.Service, actor, e.What, e.Stream)
		return err
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(w, "%s: %s\n", s.Schema, s.Reason)
	}
	if n == 0 {
		fmt.Fprintf(w, "no changes recorded for %s (%s)\n", whose(q), period(q))
		return nil
	}
	fmt.Fprintln(w, table.Count(n, "change"))
	return nil
}

// whose names the tenants a query lists.
func whose(q Query) string {
	if q.AllTenants {
		return "all tenants (platform admin)"
	}
	return "tenant " + q.Tenant
}

// period names the period and actor a query lists.
func period(q Query) string {
	const layout = "2006-01-02 15:04:05 UTC"
	var s string
	switch {
	case q.Since.IsZero() && q.Until.IsZero():
		s = "all time"
	case q.Until.IsZero():
		s = "since " + q.Since.UTC().Format(layout)
	case q.Since.IsZero():
		s = "before " + q.Until.UTC().Format(layout)
	default:
		s = "from " + q.Since.UTC().Format(layout) + " to before " + q.Until.UTC().Format(layout)
	}
	if q.Actor != "" {
		s += ", actor " + q.Actor
	}
	return s
}
