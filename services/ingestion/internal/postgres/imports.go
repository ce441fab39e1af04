package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
)

// Imports is the PostgreSQL intake.Store: import records, the keys the
// import deduplicates by and counterparties in ingestion's schema, events
// through the event store.
type Imports struct {
	pool   *pgxpool.Pool
	events *eventstore.Store
	// running admits one import of this process at a time (see Lock).
	running chan struct{}
}

// NewImports returns the import store on pool (search_path = Schema) and
// the service's event store.
func NewImports(pool *pgxpool.Pool, events *eventstore.Store) *Imports {
	return &Imports{pool: pool, events: events, running: make(chan struct{}, 1)}
}

var _ intake.Store = (*Imports)(nil)

// Lock holds a session advisory lock on the tenant's imports on a
// connection of its own until unlock, so that imports of one tenant run
// one at a time across processes; a crashed process loses its session and
// with it the lock. Within a process imports run one at a time whatever
// their tenant: an import waiting for the advisory lock holds a pooled
// connection, and several of them could take every connection the
// import holding the lock needs to go on.
func (s *Imports) Lock(ctx context.Context, tenant string) (func(), error) {
	select {
	case s.running <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		<-s.running
		return nil, err
	}
	const key = `hashtextextended('o2c.ingestion.import\x00' || $1, 0)`
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+key+`)`, tenant); err != nil {
		conn.Release()
		<-s.running
		return nil, err
	}
	return func() {
		defer func() { <-s.running }()
		// A fresh context: the import's may have ended, the lock must go.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+key+`)`, tenant); err != nil {
			// The session cannot be trusted to hold no lock: close it.
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}

const importColumns = `import_id, tenant, file_name, sha256, format, size, status, new_count, duplicate_count,
	rejected_count, statements, settlements, error, warnings, imported_at, actor`

func scanImport(row pgx.Row) (intake.Record, error) {
	var r intake.Record
	var status string
	err := row.Scan(&r.ID, &r.Tenant, &r.FileName, &r.SHA256, &r.Format, &r.Size, &status, &r.Counts.New,
		&r.Counts.Duplicate, &r.Counts.Rejected, &r.Counts.Statements, &r.Counts.Settlements, &r.Error, &r.Warnings,
		&r.ImportedAt, &r.Actor)
	if err != nil {
		return intake.Record{}, err
	}
	r.ImportedAt = r.ImportedAt.UTC()
	for _, s := range []intake.Status{intake.Imported, intake.DuplicateFile, intake.Rejected} {
		if s.String() == status {
			r.Status = s
		}
	}
	return r, nil
}

// Imported implements intake.Store.
func (s *Imports) Imported(ctx context.Context, tenant, sha string) (intake.Record, bool, error) {
	r, err := scanImport(s.pool.QueryRow(ctx, `SELECT `+importColumns+` FROM imports
		WHERE tenant = $1 AND sha256 = $2 AND status = 'imported' ORDER BY imported_at LIMIT 1`, tenant, sha))
	if errors.Is(err, pgx.ErrNoRows) {
		return intake.Record{}, false, nil
	}
	if err != nil {
		return intake.Record{}, false, fmt.Errorf("imports of %s: %w", sha, err)
	}
	return r, true, nil
}

// SaveImport implements intake.Store.
func (s *Imports) SaveImport(ctx context.Context, r intake.Record) error {
	warnings := r.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO imports (`+importColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		r.ID, r.Tenant, r.FileName, r.SHA256, r.Format, r.Size, r.Status.String(), r.Counts.New, r.Counts.Duplicate,
		r.Counts.Rejected, r.Counts.Statements, r.Counts.Settlements, r.Error, warnings, r.ImportedAt, r.Actor)
	if err != nil {
		return fmt.Errorf("save import %s: %w", r.ID, err)
	}
	return nil
}

// Imports implements intake.Store.
func (s *Imports) Imports(ctx context.Context, tenant string, limit int, before *intake.ImportCursor) ([]intake.Record, error) {
	var rows pgx.Rows
	var err error
	if before == nil {
		rows, err = s.pool.Query(ctx, `SELECT `+importColumns+` FROM imports WHERE tenant = $1
			ORDER BY imported_at DESC, import_id DESC LIMIT $2`, tenant, limit)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT `+importColumns+` FROM imports WHERE tenant = $1
			AND (imported_at, import_id) < ($3, $4) ORDER BY imported_at DESC, import_id DESC LIMIT $2`,
			tenant, limit, before.At, before.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	defer rows.Close()
	var out []intake.Record
	for rows.Next() {
		r, err := scanImport(rows)
		if err != nil {
			return nil, fmt.Errorf("list imports: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	return out, nil
}

// Keys implements intake.Store.
func (s *Imports) Keys(ctx context.Context, tenant string, keys []string) (map[string]string, error) {
	out := make(map[string]string)
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT k.key, t.transaction_id FROM unnest($2::text[]) AS k(key)
		JOIN bank_transaction_keys t ON t.tenant = $1 AND t.key = k.key`, tenant, keys)
	if err != nil {
		return nil, fmt.Errorf("transaction keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			return nil, fmt.Errorf("transaction keys: %w", err)
		}
		out[k] = id
	}
	return out, rows.Err()
}

// Occurrences implements intake.Store.
func (s *Imports) Occurrences(ctx context.Context, tenant, account string, fps []string) (map[string]int, error) {
	out := make(map[string]int)
	// A join, not fingerprint = ANY($3): a plan made while the table was
	// small would compare every row with every fingerprint.
	rows, err := s.pool.Query(ctx, `SELECT f.fp, max(t.occurrence)
		FROM unnest($3::text[]) AS f(fp)
		JOIN bank_transactions t ON t.tenant = $1 AND t.account = $2 AND t.books AND t.fingerprint = f.fp
		GROUP BY f.fp`, tenant, account, fps)
	if err != nil {
		return nil, fmt.Errorf("fingerprint counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fp string
		var n int
		if err := rows.Scan(&fp, &n); err != nil {
			return nil, fmt.Errorf("fingerprint counts: %w", err)
		}
		out[fp] = n
	}
	return out, rows.Err()
}

// linkArrays splits link keys into the arrays the link queries unnest.
func linkArrays(keys []intake.LinkKey) (idx []int, refs []string, amounts []int64, dates, entryRefs []string) {
	for i, k := range keys {
		idx = append(idx, i)
		refs, amounts, dates, entryRefs = append(refs, k.Ref), append(amounts, k.Amount), append(dates, k.BookingDate), append(entryRefs, k.EntryRef)
	}
	return
}

// LinkTargets implements intake.Store.
func (s *Imports) LinkTargets(ctx context.Context, tenant, account string, keys []intake.LinkKey) (map[intake.LinkKey]string, error) {
	idx, refs, amounts, dates, entryRefs := linkArrays(keys)
	rows, err := s.pool.Query(ctx, `
		SELECT k.i, t.transaction_id
		FROM unnest($3::int[], $4::text[], $5::bigint[], $6::text[], $7::text[]) AS k(i, ref, amount, day, entry_ref)
		CROSS JOIN LATERAL (
			SELECT transaction_id FROM bank_transactions t
			WHERE t.tenant = $1 AND t.account = $2 AND t.books AND t.tx_index = 1
			  AND CASE WHEN k.ref <> '' THEN t.link_ref = k.ref
			      ELSE t.entry_ref <> '' AND t.entry_amount = k.amount AND t.booking_date = k.day AND t.entry_ref = k.entry_ref END
			ORDER BY t.seq LIMIT 1) t`, tenant, account, idx, refs, amounts, dates, entryRefs)
	if err != nil {
		return nil, fmt.Errorf("link targets: %w", err)
	}
	defer rows.Close()
	out := make(map[intake.LinkKey]string)
	for rows.Next() {
		var i int
		var id string
		if err := rows.Scan(&i, &id); err != nil {
			return nil, fmt.Errorf("link targets: %w", err)
		}
		out[keys[i]] = id
	}
	return out, rows.Err()
}

// WaitingNotices implements intake.Store.
func (s *Imports) WaitingNotices(ctx context.Context, tenant, account string, keys []intake.LinkKey) (map[intake.LinkKey][]string, error) {
	idx, refs, amounts, dates, entryRefs := linkArrays(keys)
	rows, err := s.pool.Query(ctx, `
		SELECT k.i, t.transaction_id
		FROM unnest($3::int[], $4::text[], $5::bigint[], $6::text[], $7::text[]) AS k(i, ref, amount, day, entry_ref)
		JOIN bank_transactions t ON t.tenant = $1 AND t.account = $2 AND t.notice AND t.detail_of = ''
		  AND CASE WHEN k.ref <> '' THEN t.link_ref = k.ref
		      ELSE t.link_ref = '' AND t.entry_ref <> '' AND t.entry_amount = k.amount AND t.booking_date = k.day
		           AND t.entry_ref = k.entry_ref END
		ORDER BY k.i, t.seq`, tenant, account, idx, refs, amounts, dates, entryRefs)
	if err != nil {
		return nil, fmt.Errorf("waiting notices: %w", err)
	}
	defer rows.Close()
	out := make(map[intake.LinkKey][]string)
	for rows.Next() {
		var i int
		var id string
		if err := rows.Scan(&i, &id); err != nil {
			return nil, fmt.Errorf("waiting notices: %w", err)
		}
		out[keys[i]] = append(out[keys[i]], id)
	}
	return out, rows.Err()
}

// SettlementKnown implements intake.Store.
func (s *Imports) SettlementKnown(ctx context.Context, tenant, marketplace, id string) (bool, error) {
	var known bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM settlement_reports
		WHERE tenant = $1 AND marketplace = $2 AND settlement_id = $3)`, tenant, marketplace, id).Scan(&known)
	if err != nil {
		return false, fmt.Errorf("settlement %s: %w", id, err)
	}
	return known, nil
}

// Commit implements intake.Store: the events in one multi-row append (each
// event its own group, so that one stored before does not hold up the
// others), then every row in one transaction, none for a batch of events
// alone.
func (s *Imports) Commit(ctx context.Context, b *intake.Batch) (intake.CommitResult, error) {
	var res intake.CommitResult
	if len(b.Events) > 0 {
		groups := make([]eventstore.AppendGroup, len(b.Events))
		for i, ev := range b.Events {
			groups[i] = eventstore.AppendGroup{{
				Stream: ev.Stream, Expected: eventstore.NoStream,
				Events: []eventstore.Event{{
					Envelope: eventstore.Envelope{
						EventID: ev.ID, OccurredAt: ev.OccurredAt, Actor: ev.Actor, CorrelationID: ev.CorrelationID,
					},
					Payload: ev.Payload,
				}},
			}}
		}
		results, err := s.events.AppendBatch(ctx, groups)
		if err != nil {
			return res, fmt.Errorf("append events: %w", err)
		}
		for i, r := range results {
			switch {
			case r.Err == nil && r.Replayed:
				res.StoredBefore = append(res.StoredBefore, i)
			case r.Err == nil:
			case errors.Is(r.Err, eventstore.ErrContentMismatch):
				res.Skipped++
				res.StoredBefore = append(res.StoredBefore, i)
			default:
				return res, fmt.Errorf("append %s: %w", b.Events[i].Stream, r.Err)
			}
		}
	}
	if len(b.Transactions) == 0 && len(b.Keys) == 0 && len(b.Links) == 0 && len(b.Counterparties) == 0 && b.Settlement == nil {
		return res, nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var batch pgx.Batch
		if len(b.Transactions) > 0 {
			var c txColumns
			for _, t := range b.Transactions {
				c.add(t)
			}
			batch.Queue(`INSERT INTO bank_transactions (tenant, transaction_id, account, fingerprint, occurrence, books,
				notice, tx_index, link_ref, entry_amount, booking_date, entry_ref, detail_of, statement_key, file_sha256)
				SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::bool[], $7::bool[], $8::int[],
					$9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
				ON CONFLICT (tenant, transaction_id) DO NOTHING`,
				b.Tenant, c.id, c.account, c.fingerprint, c.occurrence, c.books, c.notice, c.txIndex, c.linkRef,
				c.entryAmount, c.bookingDate, c.entryRef, c.detailOf, c.statement, c.file)
		}
		if len(b.Keys) > 0 {
			keys, ids := make([]string, len(b.Keys)), make([]string, len(b.Keys))
			for i, k := range b.Keys {
				keys[i], ids[i] = k.Key, k.TransactionID
			}
			batch.Queue(`INSERT INTO bank_transaction_keys (tenant, key, transaction_id)
				SELECT $1, * FROM unnest($2::text[], $3::text[]) ON CONFLICT DO NOTHING`, b.Tenant, keys, ids)
		}
		for _, l := range b.Links {
			batch.Queue(`UPDATE bank_transactions SET detail_of = $3
				WHERE tenant = $1 AND transaction_id = $2 AND detail_of = ''`, b.Tenant, l.Notice, l.DetailOf)
		}
		for _, c := range b.Counterparties {
			batch.Queue(`INSERT INTO counterparties (tenant, counterparty_id, name, iban, bic, first_seen)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, b.Tenant, c.ID, c.Name, c.IBAN, c.BIC, c.FirstSeen)
		}
		if st := b.Settlement; st != nil {
			batch.Queue(`INSERT INTO settlement_reports (tenant, marketplace, settlement_id, file_sha256, line_count)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, b.Tenant, st.Marketplace, st.ID, st.FileSHA256, st.Lines)
		}
		if batch.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, &batch).Close()
	})
	if err != nil {
		return res, fmt.Errorf("store import rows: %w", err)
	}
	return res, nil
}

// txColumns holds stored transactions column by column, for one INSERT
// over unnest.
type txColumns struct {
	id, account, fingerprint       []string
	occurrence, txIndex            []int32
	books, notice                  []bool
	linkRef, bookingDate, entryRef []string
	entryAmount                    []int64
	detailOf, statement, file      []string
}

func (c *txColumns) add(t intake.StoredTransaction) {
	c.id, c.account, c.fingerprint = append(c.id, t.ID), append(c.account, t.Account), append(c.fingerprint, t.Fingerprint)
	c.occurrence, c.txIndex = append(c.occurrence, int32(t.Occurrence)), append(c.txIndex, int32(t.TxIndex))
	c.books, c.notice = append(c.books, t.Books), append(c.notice, t.Notice)
	c.linkRef, c.bookingDate, c.entryRef = append(c.linkRef, t.LinkRef), append(c.bookingDate, t.BookingDate), append(c.entryRef, t.EntryRef)
	c.entryAmount = append(c.entryAmount, t.EntryAmount)
	c.detailOf, c.statement, c.file = append(c.detailOf, t.DetailOf), append(c.statement, t.Statement), append(c.file, t.FileSHA256)
}

// Counterparties implements intake.Store.
func (s *Imports) Counterparties(ctx context.Context, tenant string, ids []string) ([]intake.Counterparty, error) {
	rows, err := s.pool.Query(ctx, `SELECT counterparty_id, name, iban, bic, first_seen, erased_at IS NOT NULL
		FROM counterparties WHERE tenant = $1 AND counterparty_id = ANY($2)`, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("counterparties: %w", err)
	}
	defer rows.Close()
	found := make(map[string]intake.Counterparty)
	for rows.Next() {
		var c intake.Counterparty
		if err := rows.Scan(&c.ID, &c.Name, &c.IBAN, &c.BIC, &c.FirstSeen, &c.Erased); err != nil {
			return nil, fmt.Errorf("counterparties: %w", err)
		}
		c.FirstSeen = c.FirstSeen.UTC()
		found[c.ID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counterparties: %w", err)
	}
	var out []intake.Counterparty
	for _, id := range ids {
		if c, ok := found[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}
