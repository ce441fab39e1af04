package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func appendN(t testing.TB, s *eventstore.Store, st eventstore.StreamID, n int) []eventstore.Event {
	t.Helper()
	evs := make([]eventstore.Event, n)
	for i := range evs {
		evs[i] = storetest.NewEvent(fmt.Sprint(st.ID, "-", i))
	}
	out, err := s.Append(context.Background(), st, eventstore.AnyVersion, evs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImmutability(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	s := newStore(t, db)
	ev := appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I-1"}, 1)[0]
	statements := []string{
		`UPDATE billing.events SET actor = 'mallory' WHERE event_id = '` + ev.EventID.String() + `'`,
		`DELETE FROM billing.events WHERE event_id = '` + ev.EventID.String() + `'`,
		`TRUNCATE billing.events`,
	}
	// The app role lacks the privileges, and cannot switch the triggers
	// off either.
	app := connect(t, db.appURL)
	for _, sql := range append(statements,
		`ALTER TABLE billing.events DISABLE TRIGGER ALL`,
		`SET session_replication_role = replica`,
	) {
		if _, err := app.Exec(context.Background(), sql); sqlState(err) != "42501" {
			t.Errorf("app role: %s: %v, want insufficient_privilege (42501)", sql, err)
		}
	}
	// The owner (here a superuser) has the privileges; the triggers still
	// reject every change.
	owner := connect(t, db.ownerURL)
	for _, sql := range statements {
		_, err := owner.Exec(context.Background(), sql)
		if sqlState(err) != "OE001" {
			t.Errorf("owner: %s: %v, want the immutability trigger (OE001)", sql, err)
		}
	}
	got, err := s.ReadStream(context.Background(), ev.Stream, 1, 0)
	if err != nil || len(got) != 1 || got[0].Actor != "" {
		t.Errorf("event after rejected changes: %+v, %v", got, err)
	}
}

func TestVerifyNamesBrokenLink(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		sql   string
		field string
	}{
		{"chain hash overwritten", `UPDATE billing.events SET chain_hash = $1 WHERE event_id = $2`, "chain_hash"},
		{"occurred-at changed", `UPDATE billing.events SET occurred_at = occurred_at + interval '1 day' WHERE event_id = $2 AND $1::bytea IS NOT NULL`, "content_hash"},
		{"event deleted", `DELETE FROM billing.events WHERE event_id = $2 AND $1::bytea IS NOT NULL`, "version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			s := newStore(t, db)
			st := eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I-2"}
			evs := appendN(t, s, st, 4)
			appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I-3"}, 2)
			victim := evs[1]
			tamper(t, db.ownerURL, tc.sql, make([]byte, 32), victim.EventID)
			rep, err := s.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Broken) != 1 {
				t.Fatalf("Verify found %d broken links, want 1: %+v", len(rep.Broken), rep)
			}
			b := rep.Broken[0]
			wantVersion, wantID := victim.Version, victim.EventID
			if tc.field == "version" {
				// The gap shows at the event after the deleted one.
				wantVersion, wantID = evs[2].Version, evs[2].EventID
			}
			if b.Stream != st || b.Version != wantVersion || b.EventID != wantID || b.Field != tc.field {
				t.Errorf("broken link %v, want stream %s version %d event %s field %s", b, st, wantVersion, wantID, tc.field)
			}
			if tc.field == "chain_hash" && b.Expected != fmt.Sprintf("%x", victim.ChainHash) {
				t.Errorf("expected chain hash %s, want the original %x", b.Expected, victim.ChainHash)
			}
		})
	}
}

// TestReadAllWaitsForOpenTransaction holds a writer's transaction open
// (its event's position is allocated first) while later writers commit,
// and checks that the ordered read neither returns the later events past
// the open one nor skips it once it commits.
func TestReadAllWaitsForOpenTransaction(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := newTestDB(t)
	s := newStore(t, db)
	first := appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "order", ID: "O-0"}, 1)
	c := readUntil(ctx, t, s, eventstore.Cursor{}, 1)[0].Cursor
	if c != first[0].Cursor {
		t.Fatalf("cursor after the first event %v, want %v", c, first[0].Cursor)
	}

	// The slow writer inserts the way Append does, in an explicit
	// transaction it keeps open.
	slowConn := connect(t, db.appURL)
	slow, err := slowConn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slowStream := eventstore.StreamID{Tenant: "acme", Type: "order", ID: "O-slow"}
	prep, err := eventstore.Prepare(slowStream, []eventstore.Event{storetest.NewEvent("slow")})
	if err != nil {
		t.Fatal(err)
	}
	p := prep[0]
	p.Version = 1
	p.ChainHash = eventstore.ChainHash(nil, p.ContentHash, slowStream, 1)
	var slowPos int64
	err = slow.QueryRow(ctx, `INSERT INTO billing.events (event_id, event_type, tenant, stream_type, stream_id, version, occurred_at, payload, content_hash, chain_hash)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9) RETURNING position`,
		p.EventID, p.Type, slowStream.Tenant, slowStream.Type, slowStream.ID, p.OccurredAt, p.Data, p.ContentHash, p.ChainHash).Scan(&slowPos)
	if err != nil {
		t.Fatal(err)
	}

	var later []eventstore.Event
	for i := range 3 {
		later = append(later, appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "order", ID: fmt.Sprint("O-", i+1)}, 2)...)
	}
	if later[0].Position <= slowPos {
		t.Fatalf("later event position %d not after the open transaction's %d", later[0].Position, slowPos)
	}
	// Everything the later writers committed is held back behind the
	// open transaction.
	for range 3 {
		evs, next, err := s.ReadAll(ctx, c, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 0 || next != c {
			t.Fatalf("ReadAll past an open transaction returned %d events (first %s at %d), cursor %v", len(evs), evs[0].EventID, evs[0].Position, next)
		}
	}
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	got := readUntil(ctx, t, s, c, 1+len(later))
	want := []uuid.UUID{p.EventID}
	for _, ev := range later {
		want = append(want, ev.EventID)
	}
	var ids []uuid.UUID
	for _, ev := range got {
		ids = append(ids, ev.EventID)
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("events after the slow commit (-want +got):\n%s", diff)
	}
	last := got[len(got)-1].Cursor
	if evs, _, err := s.ReadAll(ctx, last, 100); err != nil || len(evs) != 0 {
		t.Errorf("ReadAll after the last event = %d events, %v; want none (each event exactly once)", len(evs), err)
	}
}

// readUntil reads the log from c until it has n events, waiting while the
// horizon holds events back.
func readUntil(ctx context.Context, t testing.TB, s *eventstore.Store, c eventstore.Cursor, n int) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for len(out) < n {
		evs, next, err := s.ReadAll(ctx, c, n-len(out))
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(out), n, err)
		}
		if len(evs) == 0 {
			select {
			case <-ctx.Done():
				t.Fatalf("after %d of %d events: %v", len(out), n, ctx.Err())
			case <-time.After(5 * time.Millisecond):
			}
		}
		out, c = append(out, evs...), next
	}
	return out
}

func TestProjectionRollsBackReadModel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	owner := connect(t, db.ownerURL)
	if _, err := owner.Exec(ctx, `CREATE TABLE billing.invoice_views (event_id uuid PRIMARY KEY, body text NOT NULL);
		GRANT SELECT, INSERT ON billing.invoice_views TO billing_app`); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, db)
	evs := appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I-9"}, 5)
	project := func(failAt uuid.UUID) eventstore.Handler {
		return func(ctx context.Context, tx pgx.Tx, ev eventstore.Event) error {
			if _, err := tx.Exec(ctx, `INSERT INTO billing.invoice_views (event_id, body) VALUES ($1, $2)`, ev.EventID, fmt.Sprint(ev.Payload)); err != nil {
				return err
			}
			if ev.EventID == failAt {
				return errors.New("read model rejects the event")
			}
			return nil
		}
	}
	views := func() int {
		var n int
		if err := owner.QueryRow(ctx, `SELECT count(*) FROM billing.invoice_views`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Batches of 2; the handler fails after writing the fourth event.
	n, err := s.CatchUp(ctx, "views", 2, project(evs[3].EventID))
	if err == nil || n != 2 {
		t.Fatalf("CatchUp = %d, %v; want 2 and the handler's error", n, err)
	}
	if got := views(); got != 2 {
		t.Errorf("read model has %d rows after the failed batch, want 2 (the failed batch rolled back)", got)
	}
	if c, err := s.Checkpoint(ctx, "views"); err != nil || c != evs[1].Cursor {
		t.Errorf("checkpoint %v, %v; want %v", c, err, evs[1].Cursor)
	}
	n, err = s.CatchUp(ctx, "views", 2, project(uuid.Nil))
	if err != nil || n != 3 {
		t.Fatalf("CatchUp after the fix = %d, %v; want 3", n, err)
	}
	if got := views(); got != 5 {
		t.Errorf("read model has %d rows, want 5", got)
	}
	if c, err := s.Checkpoint(ctx, "views"); err != nil || c != evs[4].Cursor {
		t.Errorf("checkpoint %v, %v; want %v", c, err, evs[4].Cursor)
	}
}

func TestRunProjectionStopsWithContext(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	s := newStore(t, db)
	appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I-r"}, 3)
	ctx, cancel := context.WithCancel(context.Background())
	seen := 0
	err := s.RunProjection(ctx, "count", 0, time.Millisecond, func(context.Context, pgx.Tx, eventstore.Event) error {
		seen++
		if seen == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || seen != 3 {
		t.Errorf("RunProjection = %v after %d events; want context.Canceled after 3", err, seen)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDB(t, pgtest.Template{Name: "es_empty"})
	const migrators = 3
	errs := make([]error, migrators)
	var wg sync.WaitGroup
	for i := range migrators {
		wg.Go(func() { errs[i] = eventstore.Migrate(ctx, url, "ledger") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	if err := eventstore.Migrate(ctx, url, "ledger"); err != nil {
		t.Errorf("migrating an up-to-date schema: %v", err)
	}
	conn := connect(t, url)
	var tables []string
	rows, err := conn.Query(ctx, `SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ledger.checkpoints", "ledger.events", "ledger.goose_db_version"}
	if diff := cmp.Diff(want, tables); diff != "" {
		t.Errorf("tables after migration (-want +got):\n%s", diff)
	}
	var applied int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM ledger.goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 1 {
		t.Errorf("goose recorded %d applied migrations, want 1 (applied once)", applied)
	}
}

func TestEnsureAppRoleConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A schema name of its own, so that the role does not exist yet.
	sch := "r" + uuid.NewString()[:8]
	const dbs = 3
	urls := make([]string, dbs)
	for i := range urls {
		urls[i] = pgtest.NewDB(t, pgtest.Template{Name: "es_empty"})
		if err := eventstore.Migrate(ctx, urls[i], sch); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, u := range urls {
			conn, err := pgx.Connect(ctx, u)
			if err == nil {
				_, _ = conn.Exec(ctx, `DROP OWNED BY `+eventstore.AppRole(sch))
				conn.Close(ctx)
			}
		}
		if conn, err := pgx.Connect(ctx, urls[0]); err == nil {
			_, _ = conn.Exec(ctx, `DROP ROLE IF EXISTS `+eventstore.AppRole(sch))
			conn.Close(ctx)
		}
	})
	errs := make([]error, dbs)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() { _, errs[i] = eventstore.EnsureAppRole(ctx, u, sch) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("EnsureAppRole in database %d: %v", i, err)
		}
	}
	for _, u := range urls {
		pool := newPool(t, withUser(t, u, eventstore.AppRole(sch)))
		s, err := eventstore.New(pool, sch, eventstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I"}, 1)
		if err := s.SaveCheckpoint(ctx, "p", eventstore.Cursor{TxID: 1, Position: 1}); err != nil {
			t.Errorf("app role cannot save a checkpoint: %v", err)
		}
	}
}

func TestNewRejectsBadSchema(t *testing.T) {
	t.Parallel()
	for _, sch := range []string{"", "Billing", "pg_catalog", "a-b", "x; DROP TABLE y", "a2345678901234567890123456789012345678901"} {
		if _, err := eventstore.New(nil, sch, eventstore.Options{}); err == nil {
			t.Errorf("New with schema %q succeeded", sch)
		}
		if err := eventstore.Migrate(context.Background(), "postgres://invalid", sch); err == nil {
			t.Errorf("Migrate with schema %q succeeded", sch)
		}
	}
}

// TestRunBatchProjectionContinuesWhileBatchesComeFull appends more events
// than a batch holds and runs a projection whose poll interval never
// elapses: the full batches must follow each other at once, and the last,
// short one ends the run's catching up.
func TestRunBatchProjectionContinuesWhileBatchesComeFull(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	s := newStore(t, db)
	appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I-b"}, 5)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Transactions of other tests can hold the horizon back; once the
	// events are readable they stay so.
	readUntil(ctx, t, s, eventstore.Cursor{}, 5)
	var sizes []int
	err := s.RunBatchProjection(ctx, eventstore.Projection{
		Name: "sizes", BatchSize: 2, Poll: time.Hour,
		Apply: func(context.Context, pgx.Tx, []eventstore.Event) error { return nil },
		Committed: func(_ context.Context, evs []eventstore.Event) error {
			sizes = append(sizes, len(evs))
			if len(evs) < 2 {
				cancel()
			}
			return nil
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("RunBatchProjection = %v; want context.Canceled (a deadline means it waited for the poll)", err)
	}
	if diff := cmp.Diff([]int{2, 2, 1}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
}

// TestReadAllRawKeepsStoredBytes checks that ReadAllRaw returns what
// ReadAll does, envelope and stored bytes alike, without the decoded
// payloads.
func TestReadAllRawKeepsStoredBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	s := newStore(t, db)
	appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "I-raw"}, 3)
	decoded := readUntil(ctx, t, s, eventstore.Cursor{}, 3)
	next := decoded[2].Cursor
	raw, rawNext, err := s.ReadAllRaw(ctx, eventstore.Cursor{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 3 || rawNext != next {
		t.Fatalf("ReadAllRaw = %d events up to %v; want 3 up to %v", len(raw), rawNext, next)
	}
	for i := range raw {
		if raw[i].Payload != nil {
			t.Errorf("event %d: payload %v decoded", i, raw[i].Payload)
		}
		want := decoded[i]
		want.Payload = nil
		if diff := cmp.Diff(want, raw[i]); diff != "" {
			t.Errorf("event %d (-ReadAll +ReadAllRaw):\n%s", i, diff)
		}
	}
}
