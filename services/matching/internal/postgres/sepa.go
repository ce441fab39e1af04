package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/services/matching/internal/sepa"
)

// The SEPA storage (sepa_* tables, migrations 00002 and 00004): mandates,
// the payment methods of orders and customers, blocks, debits, files,
// payouts and the banks' status reports. Store implements sepa.Store.

const mandateColumns = `tenant, reference, debtor_id, name, iban, bic, country, post_code, town, street, signed_on, scheme,
	one_off, account, source, first_booked, last_collected, amended, amend_original_reference, amend_original_creditor,
	amend_new_account, revoked_at, unusable, note, version`

func scanMandate(row pgx.Row) (sepa.Mandate, error) {
	var m sepa.Mandate
	var signed, last, revoked *time.Time
	var amended, newAcct bool
	var origRef, origCred string
	err := row.Scan(&m.Tenant, &m.Reference, &m.Debtor, &m.Name, &m.IBAN, &m.BIC, &m.Country, &m.PostCode, &m.Town, &m.Street,
		&signed, &m.Scheme, &m.OneOff, &m.Account, &m.Source, &m.FirstBooked, &last, &amended, &origRef, &origCred,
		&newAcct, &revoked, &m.Unusable, &m.Note, &m.Version)
	if err != nil {
		return sepa.Mandate{}, err
	}
	if signed != nil {
		m.SignedOn = sepa.Day(*signed)
	}
	if last != nil {
		m.LastCollected = sepa.Day(*last)
	}
	if revoked != nil {
		m.Revoked = revoked.UTC()
	}
	if amended {
		m.Amendment = &sepa.Amendment{OriginalReference: origRef, OriginalCreditorID: origCred, NewAccount: newAcct}
	}
	return m, nil
}

func optDate(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	d := sepa.Day(t)
	return &d
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Mandates returns the tenant's mandates, of one debtor when debtor is
// not empty, by debtor and reference.
func (s *Store) Mandates(ctx context.Context, tenant, debtor string) ([]sepa.Mandate, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+mandateColumns+` FROM sepa_mandates
		WHERE tenant = $1 AND ($2 = '' OR debtor_id = $2) ORDER BY debtor_id, reference`, tenant, debtor)
	if err != nil {
		return nil, fmt.Errorf("mandates: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sepa.Mandate, error) { return scanMandate(r) })
	if err != nil {
		return nil, fmt.Errorf("mandates: %w", err)
	}
	return out, nil
}

func mandate(ctx context.Context, q pgx.Tx, tenant, ref string) (sepa.Mandate, bool, error) {
	m, err := scanMandate(q.QueryRow(ctx, `SELECT `+mandateColumns+` FROM sepa_mandates WHERE tenant = $1 AND reference = $2 FOR UPDATE`,
		tenant, ref))
	if errors.Is(err, pgx.ErrNoRows) {
		return sepa.Mandate{}, false, nil
	}
	return m, err == nil, err
}

func saveMandate(ctx context.Context, tx pgx.Tx, m sepa.Mandate, now time.Time) error {
	a := m.Amendment
	if a == nil {
		a = &sepa.Amendment{}
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO sepa_mandates (`+mandateColumns+`, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
		ON CONFLICT (tenant, reference) DO UPDATE SET debtor_id = EXCLUDED.debtor_id, name = EXCLUDED.name, iban = EXCLUDED.iban,
		    bic = EXCLUDED.bic, country = EXCLUDED.country, post_code = EXCLUDED.post_code, town = EXCLUDED.town,
		    street = EXCLUDED.street, signed_on = EXCLUDED.signed_on, scheme = EXCLUDED.scheme, one_off = EXCLUDED.one_off,
		    account = EXCLUDED.account, source = EXCLUDED.source, first_booked = EXCLUDED.first_booked,
		    last_collected = EXCLUDED.last_collected, amended = EXCLUDED.amended,
		    amend_original_reference = EXCLUDED.amend_original_reference, amend_original_creditor = EXCLUDED.amend_original_creditor,
		    amend_new_account = EXCLUDED.amend_new_account, revoked_at = EXCLUDED.revoked_at, unusable = EXCLUDED.unusable,
		    note = EXCLUDED.note, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
		m.Tenant, m.Reference, m.Debtor, m.Name, m.IBAN, m.BIC, m.Country, m.PostCode, m.Town, m.Street, optDate(m.SignedOn),
		m.Scheme, m.OneOff, m.Account, m.Source, m.FirstBooked, optDate(m.LastCollected), m.Amendment != nil,
		a.OriginalReference, a.OriginalCreditorID, a.NewAccount, optTime(m.Revoked), m.Unusable, m.Note, m.Version, now)
	return err
}

// PutMandate creates or amends the mandate m (checked by the caller). With
// original set to another reference, the mandate under original is renamed
// to m.Reference and the next collection carries the original reference.
// expected > 0 must equal the stored version. Errors: sepa.ErrUnknownMandate
// (original), sepa.ErrMandateConflict (the reference is another debtor's),
// sepa.ErrMandateRevoked, sepa.ErrStaleMandate.
func (s *Store) PutMandate(ctx context.Context, m sepa.Mandate, original string, expected int64, now time.Time) (sepa.Mandate, error) {
	var out sepa.Mandate
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, exists, err := mandate(ctx, tx, m.Tenant, m.Reference)
		if err != nil {
			return err
		}
		if exists && cur.Debtor != m.Debtor {
			return fmt.Errorf("mandate %s of debtor %s: %w", m.Reference, cur.Debtor, sepa.ErrMandateConflict)
		}
		prev, had := cur, exists
		if original != "" && original != m.Reference {
			if exists {
				return fmt.Errorf("mandate %s exists already; cannot rename %s to it: %w", m.Reference, original, sepa.ErrMandateConflict)
			}
			if prev, had, err = mandate(ctx, tx, m.Tenant, original); err != nil {
				return err
			}
			if !had || prev.Debtor != m.Debtor {
				return fmt.Errorf("original mandate %s of debtor %s: %w", original, m.Debtor, sepa.ErrUnknownMandate)
			}
		}
		if had && !prev.Revoked.IsZero() {
			return fmt.Errorf("mandate %s: %w", prev.Reference, sepa.ErrMandateRevoked)
		}
		if had && expected > 0 && prev.Version != expected {
			return fmt.Errorf("mandate %s is at version %d, not %d: %w", prev.Reference, prev.Version, expected, sepa.ErrStaleMandate)
		}
		next := m
		if had {
			next = sepa.Amend(prev, m)
		}
		next.Version++
		if had && prev.Reference != next.Reference {
			if _, err := tx.Exec(ctx, `DELETE FROM sepa_mandates WHERE tenant = $1 AND reference = $2`, m.Tenant, prev.Reference); err != nil {
				return err
			}
			// The debits pending under the old reference go on under the
			// new one: their booking or return reaches the mandate.
			if _, err := tx.Exec(ctx, `UPDATE sepa_debits SET mandate = $3, updated_at = now()
				WHERE tenant = $1 AND mandate = $2 AND state IN ('prenotified', 'submitted')`,
				m.Tenant, prev.Reference, next.Reference); err != nil {
				return err
			}
		}
		out = next
		return saveMandate(ctx, tx, next, now)
	})
	if err != nil {
		return sepa.Mandate{}, fmt.Errorf("put mandate %s: %w", m.Reference, err)
	}
	return out, nil
}

// RevokeMandate revokes a mandate (idempotent: a revoked one stays as it
// was). Errors: sepa.ErrUnknownMandate.
func (s *Store) RevokeMandate(ctx context.Context, tenant, ref, note string, now time.Time) (sepa.Mandate, error) {
	var out sepa.Mandate
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		m, ok, err := mandate(ctx, tx, tenant, ref)
		if err != nil {
			return err
		}
		if !ok {
			return sepa.ErrUnknownMandate
		}
		if m.Revoked.IsZero() {
			m.Revoked, m.Note, m.Version = now.UTC(), note, m.Version+1
			if err := saveMandate(ctx, tx, m, now); err != nil {
				return err
			}
		}
		out = m
		return nil
	})
	if err != nil {
		return sepa.Mandate{}, fmt.Errorf("revoke mandate %s: %w", ref, err)
	}
	return out, nil
}

// ShopMandates takes in tenant's debtor's mandates from the shop's master
// data (sepa.ShopDebtor.MandatesOf: ingestion's profile): new references
// are stored as they come, usable at once when they carry the signature
// date; a changed IBAN is an amendment; a signature date the shop adds
// later is taken, one it leaves out keeps what was set; and the debtor's
// shop mandates no longer listed are revoked. Mandates an operator
// entered are left alone.
func (s *Store) ShopMandates(ctx context.Context, tenant, debtor string, ms []sepa.Mandate, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		listed := map[string]bool{}
		for _, m := range ms {
			m, err := m.Check(now)
			if err != nil {
				// Ingestion checked it; what it still refuses is not
				// collected.
				continue
			}
			listed[m.Reference] = true
			cur, ok, err := mandate(ctx, tx, tenant, m.Reference)
			if err != nil {
				return err
			}
			if ok && (cur.Source != sepa.SourceShop || cur.Debtor != debtor || !cur.Revoked.IsZero()) {
				continue
			}
			if ok {
				if m.SignedOn.IsZero() {
					m.SignedOn = cur.SignedOn
				}
				if m.Country == "" {
					m.Country, m.PostCode, m.Town, m.Street = cur.Country, cur.PostCode, cur.Town, cur.Street
				}
				if cur.IBAN == m.IBAN && cur.Name == m.Name && cur.SignedOn.Equal(m.SignedOn) && (cur.OneOff || !m.OneOff) &&
					cur.Country == m.Country && cur.PostCode == m.PostCode && cur.Town == m.Town && cur.Street == m.Street {
					continue
				}
				m.Scheme, m.OneOff, m.Account, m.BIC = cur.Scheme, m.OneOff || cur.OneOff, cur.Account, cur.BIC
				m = sepa.Amend(cur, m)
			}
			m.Version++
			if err := saveMandate(ctx, tx, m, now); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT reference FROM sepa_mandates WHERE tenant = $1 AND debtor_id = $2 AND source = 'shop'
			AND revoked_at IS NULL`, tenant, debtor)
		if err != nil {
			return err
		}
		refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, ref := range refs {
			if listed[ref] {
				continue
			}
			if _, err := tx.Exec(ctx, `UPDATE sepa_mandates SET revoked_at = $3, note = 'dropped from the shop''s master data',
				version = version + 1, updated_at = $3 WHERE tenant = $1 AND reference = $2`, tenant, ref, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("shop mandates of %s: %w", debtor, err)
	}
	return nil
}

// ErasedMandateNote is the note an erased mandate carries.
const ErasedMandateNote = "personal data erased with the debtor's master data"

// EraseMandates overwrites the personal data of every mandate of tenant's
// debtors (the account holder's name, IBAN, BIC and address) with empty
// values and revokes the mandates that were not revoked yet, so that no
// run collects from or pays out to them again. Ingestion erases a
// debtor's master data only once nothing is open and the retention of its
// last invoice has ended (services/ingestion/internal/erasure); the
// mandate goes with it. A mandate already erased is left as it is, so a
// repeated call changes nothing and returns 0; otherwise it returns the
// number of mandates erased. The files of earlier runs (sepa_files) are
// the bank's copies and stay as they were written.
func (s *Store) EraseMandates(ctx context.Context, tenant string, debtors []string, now time.Time) (int64, error) {
	if len(debtors) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE sepa_mandates
		SET name = '', iban = '', bic = '', country = '', post_code = '', town = '', street = '',
		    revoked_at = COALESCE(revoked_at, $3), note = $4, version = version + 1, updated_at = $3
		WHERE tenant = $1 AND debtor_id = ANY($2)
		  AND (name <> '' OR iban <> '' OR bic <> '' OR country <> '' OR post_code <> '' OR town <> '' OR street <> ''
		       OR revoked_at IS NULL)`,
		tenant, debtors, now, ErasedMandateNote)
	if err != nil {
		return 0, fmt.Errorf("erase the mandates of %d debtors of %s: %w", len(debtors), tenant, err)
	}
	return tag.RowsAffected(), nil
}

// SetOrderDirectDebit records whether an order is paid by direct debit.
func (s *Store) SetOrderDirectDebit(ctx context.Context, tenant, order string, dd bool) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sepa_orders (tenant, order_id, direct_debit) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, order_id) DO UPDATE SET direct_debit = EXCLUDED.direct_debit`, tenant, order, dd)
	if err != nil {
		return fmt.Errorf("order %s payment method: %w", order, err)
	}
	return nil
}

// SetCustomerDirectDebit records whether a customer pays by direct debit.
func (s *Store) SetCustomerDirectDebit(ctx context.Context, tenant, debtor string, dd bool) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sepa_customers (tenant, debtor_id, direct_debit) VALUES ($1, $2, $3)
		ON CONFLICT (tenant, debtor_id) DO UPDATE SET direct_debit = EXCLUDED.direct_debit`, tenant, debtor, dd)
	if err != nil {
		return fmt.Errorf("customer %s payment method: %w", debtor, err)
	}
	return nil
}

// PutBlock records a dunning block (a dispute among them) on a debtor or
// item (target).
func (s *Store) PutBlock(ctx context.Context, tenant, id, target, reason string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sepa_blocks (tenant, block_id, target, reason) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant, block_id) DO UPDATE SET target = EXCLUDED.target, reason = EXCLUDED.reason`, tenant, id, target, reason)
	if err != nil {
		return fmt.Errorf("block %s: %w", id, err)
	}
	return nil
}

// LiftBlock removes a block.
func (s *Store) LiftBlock(ctx context.Context, tenant, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sepa_blocks WHERE tenant = $1 AND block_id = $2`, tenant, id); err != nil {
		return fmt.Errorf("lift block %s: %w", id, err)
	}
	return nil
}

func (s *Store) blocks(ctx context.Context, tenant string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT target, reason FROM sepa_blocks WHERE tenant = $1 ORDER BY block_id`, tenant)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var target, reason string
	_, err = pgx.ForEachRow(rows, []any{&target, &reason}, func() error {
		if _, ok := out[target]; !ok {
			out[target] = reason
		}
		return nil
	})
	return out, err
}

const debitColumns = `item_id, debtor_id, document_number, attempt, end_to_end_id, mandate, amount_minor, sequence, scheme, account,
	collection_date, pre_notified, state, file, reason, bank_status`

func scanDebit(row pgx.Row) (sepa.Debit, error) {
	var d sepa.Debit
	var attempt int32
	err := row.Scan(&d.Item, &d.Debtor, &d.Document, &attempt, &d.EndToEndID, &d.Mandate, &d.Amount, &d.Sequence, &d.Scheme,
		&d.Account, &d.Collection, &d.PreNotified, &d.State, &d.File, &d.Reason, &d.BankStatus)
	d.Attempt = int(attempt)
	d.Collection, d.PreNotified = sepa.Day(d.Collection), sepa.Day(d.PreNotified)
	return d, err
}

// RunState reads what a collection run decides on: the open invoices paid
// by direct debit (and every item with a pre-notified debit, which may be
// cancelled), the mandates, blocks and each item's latest debit.
func (s *Store) RunState(ctx context.Context, tenant string) (sepa.RunState, error) {
	var st sepa.RunState
	rows, err := s.pool.Query(ctx, `
		SELECT i.item_id, i.debtor_id, i.document_number, i.currency, i.open_minor, COALESCE(i.due_date, i.document_date),
		       COALESCE(o.direct_debit, c.direct_debit, false)
		FROM items i
		LEFT JOIN sepa_orders o ON o.tenant = i.tenant AND o.order_id = i.order_id AND i.order_id <> ''
		LEFT JOIN sepa_customers c ON c.tenant = i.tenant AND c.debtor_id = i.debtor_id
		WHERE i.tenant = $1 AND (
		    i.open_minor > 0 AND i.kind IN ('invoice', 'opening_balance') AND COALESCE(o.direct_debit, c.direct_debit, false)
		    OR EXISTS (SELECT 1 FROM sepa_debits d WHERE d.tenant = i.tenant AND d.item_id = i.item_id AND d.state = 'prenotified'))
		ORDER BY i.item_id`, tenant)
	if err != nil {
		return st, fmt.Errorf("collection items: %w", err)
	}
	st.Items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (sepa.Item, error) {
		var it sepa.Item
		var due *time.Time
		err := r.Scan(&it.ID, &it.Debtor, &it.Document, &it.Currency, &it.Open, &due, &it.DirectDebit)
		if due != nil {
			it.DueDate = sepa.Day(*due)
		}
		return it, err
	})
	if err != nil {
		return st, fmt.Errorf("collection items: %w", err)
	}
	if st.Mandates, err = s.Mandates(ctx, tenant, ""); err != nil {
		return st, err
	}
	if st.Blocks, err = s.blocks(ctx, tenant); err != nil {
		return st, fmt.Errorf("blocks: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT DISTINCT ON (item_id) `+debitColumns+` FROM sepa_debits WHERE tenant = $1
		ORDER BY item_id, attempt DESC`, tenant)
	if err != nil {
		return st, fmt.Errorf("debits: %w", err)
	}
	if st.Debits, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (sepa.Debit, error) { return scanDebit(r) }); err != nil {
		return st, fmt.Errorf("debits: %w", err)
	}
	return st, nil
}

// Debits lists the tenant's debits, newest first, filtered by state and
// debtor when given.
func (s *Store) Debits(ctx context.Context, tenant, state, debtor string) ([]sepa.Debit, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+debitColumns+` FROM sepa_debits WHERE tenant = $1
		AND ($2 = '' OR state = $2) AND ($3 = '' OR debtor_id = $3) ORDER BY updated_at DESC, item_id, attempt DESC LIMIT 10000`,
		tenant, state, debtor)
	if err != nil {
		return nil, fmt.Errorf("debits: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sepa.Debit, error) { return scanDebit(r) })
	if err != nil {
		return nil, fmt.Errorf("debits: %w", err)
	}
	return out, nil
}

func insertFile(ctx context.Context, tx pgx.Tx, f sepa.File) error {
	_, err := tx.Exec(ctx, `INSERT INTO sepa_files (tenant, name, message_type, message_id, account, scheme, file_date, run_date,
		tx_count, total_minor, end_to_end_ids, path, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		f.Tenant, f.Name, f.MessageType, f.MessageID, f.Account, f.Scheme, sepa.Day(f.Date), sepa.Day(f.RunDate), f.Count, f.Total,
		f.EndToEndIDs, f.Path, f.Content, f.Created)
	if err != nil {
		return fmt.Errorf("file %s: %w", f.Name, err)
	}
	return nil
}

// SaveRun stores a collection run in one transaction: new pre-notified
// debits, cancellations, submissions (only of debits still pre-notified:
// else sepa.ErrRunConflict and nothing is stored), the files, and the
// mandates' last collection (their amendment cleared).
func (s *Store) SaveRun(ctx context.Context, r sepa.Saved) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, d := range r.PreNotify {
			if _, err := tx.Exec(ctx, `INSERT INTO sepa_debits (tenant, item_id, attempt, end_to_end_id, debtor_id, document_number,
				mandate, amount_minor, sequence, scheme, account, collection_date, pre_notified, state)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'prenotified')
				ON CONFLICT (tenant, item_id, attempt) DO NOTHING`,
				r.Tenant, d.Item, d.Attempt, d.EndToEndID, d.Debtor, d.Document, d.Mandate, d.Amount, d.Sequence, d.Scheme,
				d.Account, sepa.Day(d.Collection), sepa.Day(d.PreNotified)); err != nil {
				return fmt.Errorf("debit %s: %w", d.EndToEndID, err)
			}
		}
		for _, d := range r.Cancel {
			if _, err := tx.Exec(ctx, `UPDATE sepa_debits SET state = 'cancelled', reason = $4, updated_at = now()
				WHERE tenant = $1 AND item_id = $2 AND attempt = $3 AND state = 'prenotified'`,
				r.Tenant, d.Item, d.Attempt, d.Reason); err != nil {
				return fmt.Errorf("debit %s: %w", d.EndToEndID, err)
			}
		}
		for _, d := range r.Submit {
			// The debit keeps the amendment its mandate has now, which the
			// file carries and which is cleared below: a rejection of the
			// debit puts it back.
			tag, err := tx.Exec(ctx, `UPDATE sepa_debits d SET state = 'submitted', file = $4, sequence = $5, scheme = $6, account = $7,
				collection_date = $8, updated_at = now(), carried_amended = COALESCE(m.amended, false),
				carried_original_reference = COALESCE(m.amend_original_reference, ''),
				carried_original_creditor = COALESCE(m.amend_original_creditor, ''),
				carried_new_account = COALESCE(m.amend_new_account, false)
				FROM sepa_debits x LEFT JOIN sepa_mandates m ON m.tenant = x.tenant AND m.reference = x.mandate
				WHERE x.tenant = $1 AND x.item_id = $2 AND x.attempt = $3
				  AND d.tenant = x.tenant AND d.item_id = x.item_id AND d.attempt = x.attempt AND d.state = 'prenotified'`,
				r.Tenant, d.Item, d.Attempt, d.File, d.Sequence, d.Scheme, d.Account, sepa.Day(d.Collection))
			if err != nil {
				return fmt.Errorf("debit %s: %w", d.EndToEndID, err)
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("debit %s: %w", d.EndToEndID, sepa.ErrRunConflict)
			}
		}
		for _, f := range r.Files {
			if err := insertFile(ctx, tx, f); err != nil {
				return err
			}
		}
		for ref, day := range r.Collected {
			if _, err := tx.Exec(ctx, `UPDATE sepa_mandates SET last_collected = GREATEST(COALESCE(last_collected, $3), $3),
				amended = false, amend_original_reference = '', amend_original_creditor = '', amend_new_account = false,
				version = version + 1, updated_at = now() WHERE tenant = $1 AND reference = $2`, r.Tenant, ref, day); err != nil {
				return fmt.Errorf("mandate %s: %w", ref, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save run %s %s: %w", r.Tenant, r.RunDate.Format(time.DateOnly), err)
	}
	return nil
}

const fileColumns = `tenant, name, message_type, message_id, account, scheme, file_date, run_date, tx_count, total_minor,
	end_to_end_ids, path, content, created_at`

func scanFile(row pgx.Row) (sepa.File, error) {
	var f sepa.File
	var n int32
	err := row.Scan(&f.Tenant, &f.Name, &f.MessageType, &f.MessageID, &f.Account, &f.Scheme, &f.Date, &f.RunDate, &n, &f.Total,
		&f.EndToEndIDs, &f.Path, &f.Content, &f.Created)
	f.Count = int(n)
	f.Date, f.RunDate = sepa.Day(f.Date), sepa.Day(f.RunDate)
	return f, err
}

// Files lists the tenant's files of a message type (all types when
// empty) written by runs of runDate (every day when zero), oldest first.
func (s *Store) Files(ctx context.Context, tenant, messageType string, runDate time.Time) ([]sepa.File, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+fileColumns+` FROM sepa_files WHERE tenant = $1 AND ($2 = '' OR message_type = $2)
		AND ($3::date IS NULL OR run_date = $3) ORDER BY created_at, name`, tenant, messageType, optDate(runDate))
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sepa.File, error) { return scanFile(r) })
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return out, nil
}

// File returns a file with its content. Errors: sepa.ErrUnknownFile.
func (s *Store) File(ctx context.Context, tenant, name string) (sepa.File, error) {
	f, err := scanFile(s.pool.QueryRow(ctx, `SELECT `+fileColumns+` FROM sepa_files WHERE tenant = $1 AND name = $2`, tenant, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return sepa.File{}, fmt.Errorf("file %q: %w", name, sepa.ErrUnknownFile)
	}
	if err != nil {
		return sepa.File{}, fmt.Errorf("file %q: %w", name, err)
	}
	return f, nil
}

// PayoutState reads what a payout run decides on: the credit balance
// items, the debtors' open receivables, blocks, mandates (the IBANs on
// file), the credit items already paid out and those whose transfer the
// bank rejected.
func (s *Store) PayoutState(ctx context.Context, tenant string) (sepa.PayoutState, error) {
	st := sepa.PayoutState{OpenReceivables: map[string]int{}, PaidOut: map[string]bool{}, Rejections: map[string]int{}}
	rows, err := s.pool.Query(ctx, `SELECT item_id, debtor_id, document_number, currency, open_minor, COALESCE(document_date, updated_at::date)
		FROM items WHERE tenant = $1 AND open_minor < 0 ORDER BY item_id`, tenant)
	if err != nil {
		return st, fmt.Errorf("credit balances: %w", err)
	}
	if st.Credits, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (sepa.Credit, error) {
		var c sepa.Credit
		err := r.Scan(&c.Item, &c.Debtor, &c.Document, &c.Currency, &c.Open, &c.IssueDate)
		c.IssueDate = sepa.Day(c.IssueDate)
		return c, err
	}); err != nil {
		return st, fmt.Errorf("credit balances: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT debtor_id, count(*) FROM items WHERE tenant = $1 AND open_minor > 0 GROUP BY debtor_id`, tenant)
	if err != nil {
		return st, fmt.Errorf("open receivables: %w", err)
	}
	var debtor string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&debtor, &n}, func() error { st.OpenReceivables[debtor] = n; return nil }); err != nil {
		return st, fmt.Errorf("open receivables: %w", err)
	}
	if st.Blocks, err = s.blocks(ctx, tenant); err != nil {
		return st, fmt.Errorf("blocks: %w", err)
	}
	if st.Mandates, err = s.Mandates(ctx, tenant, ""); err != nil {
		return st, err
	}
	rows, err = s.pool.Query(ctx, `SELECT item_id, rejected, rejections FROM sepa_payouts WHERE tenant = $1`, tenant)
	if err != nil {
		return st, fmt.Errorf("payouts: %w", err)
	}
	var item string
	var rejected bool
	var rejections int
	if _, err := pgx.ForEachRow(rows, []any{&item, &rejected, &rejections}, func() error {
		if rejected {
			st.Rejections[item] = rejections
		} else {
			st.PaidOut[item] = true
		}
		return nil
	}); err != nil {
		return st, fmt.Errorf("payouts: %w", err)
	}
	return st, nil
}

// SavePayout stores a payout file and its credit items in one
// transaction; an item already paid out (and not rejected by the bank)
// makes it fail with sepa.ErrRunConflict. The payout of an item whose
// transfer was rejected replaces that one, keeping the count of
// rejections.
func (s *Store) SavePayout(ctx context.Context, f sepa.File, dues []sepa.PayoutDue) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := insertFile(ctx, tx, f); err != nil {
			return err
		}
		for _, d := range dues {
			for _, c := range d.Credits {
				tag, err := tx.Exec(ctx, `INSERT INTO sepa_payouts (tenant, item_id, debtor_id, end_to_end_id, amount_minor, file, account, mandate)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
					ON CONFLICT (tenant, item_id) DO UPDATE SET debtor_id = EXCLUDED.debtor_id, end_to_end_id = EXCLUDED.end_to_end_id,
					    amount_minor = EXCLUDED.amount_minor, file = EXCLUDED.file, account = EXCLUDED.account, mandate = EXCLUDED.mandate,
					    bank_status = '', rejected = false, rejected_reason = '', debited = false, debited_on = NULL, booked = false,
					    created_at = now()
					WHERE sepa_payouts.rejected`,
					f.Tenant, c.Item, d.Debtor, d.EndToEndID, -c.Open, f.Name, f.Account, d.Mandate)
				if err != nil {
					return fmt.Errorf("payout of %s: %w", c.Item, err)
				}
				if tag.RowsAffected() != 1 {
					return fmt.Errorf("payout of %s: %w", c.Item, sepa.ErrRunConflict)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save payout %s: %w", f.Name, err)
	}
	return nil
}

// Payout is a credit item paid out: its transfer, whether the statement
// showed it, and whether the bank rejected it (with the reason code).
type Payout struct {
	Item, Debtor, EndToEndID, File string
	Amount                         int64
	Debited                        bool
	Rejected                       bool
	RejectedReason, BankStatus     string
}

// Payouts lists the tenant's paid-out credit items.
func (s *Store) Payouts(ctx context.Context, tenant string) ([]Payout, error) {
	rows, err := s.pool.Query(ctx, `SELECT item_id, debtor_id, end_to_end_id, file, amount_minor, debited, rejected, rejected_reason,
		bank_status FROM sepa_payouts WHERE tenant = $1 ORDER BY created_at, item_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("payouts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payout, error) {
		var p Payout
		return p, r.Scan(&p.Item, &p.Debtor, &p.EndToEndID, &p.File, &p.Amount, &p.Debited, &p.Rejected, &p.RejectedReason, &p.BankStatus)
	})
	if err != nil {
		return nil, fmt.Errorf("payouts: %w", err)
	}
	return out, nil
}

// syncLookback is how far before its cursor SyncStatement reads the
// payments again: the projection's updated_at is the event's time, and
// a payment committed late may carry an earlier one. Every effect is
// idempotent.
const syncLookback = time.Hour

// SyncStatement takes in what the statements showed, reading matching's
// payments decided since the last call (by their decision time, less an
// hour): a booked receipt with a submitted debit's end-to-end id books the
// debit, a return returns it, a debit marks a payout debited (see showed).
// It is the backstop of StatementShowed, which matching-sepa applies to
// every bank transaction as it arrives; both are idempotent.
func (s *Store) SyncStatement(ctx context.Context, tenant string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var since time.Time
		var lastID string
		err := tx.QueryRow(ctx, `SELECT updated_at, payment_id FROM sepa_sync WHERE tenant = $1 FOR UPDATE`, tenant).Scan(&since, &lastID)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if !since.IsZero() {
			since = since.Add(-syncLookback)
		}
		rows, err := tx.Query(ctx, `SELECT payment_id, state, updated_at, exception FROM payments
			WHERE tenant = $1 AND updated_at >= $2 AND state IN ('matched', 'open', 'parked')
			ORDER BY updated_at, payment_id`, tenant, since)
		if err != nil {
			return err
		}
		type shown struct {
			id, state, e2e, reason string
			amount                 int64
			booked                 *time.Time
		}
		var all []shown
		var last time.Time
		var id, state string
		var at time.Time
		var raw []byte
		if _, err := pgx.ForEachRow(rows, []any{&id, &state, &at, &raw}, func() error {
			if at.After(last) || at.Equal(last) {
				last, lastID = at, id
			}
			var ex matchingv1.Exception
			if err := proto.Unmarshal(raw, &ex); err != nil {
				return fmt.Errorf("payment %s: %w", id, err)
			}
			p := ex.GetPayment()
			if p.GetEndToEndId() == "" {
				return nil
			}
			sh := shown{id: id, state: state, e2e: p.GetEndToEndId(), reason: p.GetReturnReason(),
				amount: p.GetAmount().GetMinorUnits()}
			for _, d := range []*commonv1.Date{p.GetBookingDate(), p.GetValueDate()} {
				if sh.booked == nil && d.GetYear() != 0 {
					sh.booked = dateOf(d)
				}
			}
			if sh.booked == nil {
				sh.booked = &at
			}
			all = append(all, sh)
			return nil
		}); err != nil {
			return err
		}
		for _, p := range all {
			if err := showed(ctx, tx, tenant, p.e2e, p.amount, p.state == "matched", p.reason, *p.booked); err != nil {
				return err
			}
		}
		if last.IsZero() {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO sepa_sync (tenant, updated_at, payment_id) VALUES ($1, $2, $3)
			ON CONFLICT (tenant) DO UPDATE SET updated_at = GREATEST(sepa_sync.updated_at, EXCLUDED.updated_at),
			payment_id = EXCLUDED.payment_id`, tenant, last, lastID)
		return err
	})
	if err != nil {
		return fmt.Errorf("sepa statements of %s: %w", tenant, err)
	}
	return nil
}

// StatementShowed takes in a booked bank transaction with an end-to-end
// id as the statement showed it (matching-sepa reads every one): a
// receipt of a submitted debit's amount books the debit, a debit (a
// return) returns it, or marks a payout's transfer debited. Idempotent;
// nothing for an id that is none of the tenant's.
func (s *Store) StatementShowed(ctx context.Context, tenant, e2e string, amount int64, reason string, day time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return showed(ctx, tx, tenant, e2e, amount, false, reason, day)
	})
	if err != nil {
		return fmt.Errorf("statement showed %s: %w", e2e, err)
	}
	return nil
}

// showed applies what a statement showed of the end-to-end id e2e: a
// receipt (amount > 0) books the submitted debit, when sure (matching
// booked it) or of the debit's amount, and moves its mandate past FRST; a
// debit (amount < 0) returns a submitted or booked debit with reason and
// makes its mandate unusable for the codes that say so, or marks a
// payout's transfer debited on day.
func showed(ctx context.Context, tx pgx.Tx, tenant, e2e string, amount int64, sure bool, reason string, day time.Time) error {
	switch {
	case amount > 0:
		var ref string
		err := tx.QueryRow(ctx, `UPDATE sepa_debits SET state = 'booked', updated_at = now()
			WHERE tenant = $1 AND end_to_end_id = $2 AND state = 'submitted' AND ($3 OR amount_minor = $4) RETURNING mandate`,
			tenant, e2e, sure, amount).Scan(&ref)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sepa_mandates SET first_booked = true, version = version + 1, updated_at = now()
			WHERE tenant = $1 AND reference = $2 AND NOT first_booked`, tenant, ref)
		return err
	case amount < 0:
		var ref string
		err := tx.QueryRow(ctx, `UPDATE sepa_debits SET state = 'returned', reason = $3, updated_at = now()
			WHERE tenant = $1 AND end_to_end_id = $2 AND state IN ('submitted', 'booked') RETURNING mandate`,
			tenant, e2e, strings.ToUpper(strings.TrimSpace(reason))).Scan(&ref)
		if err == nil {
			if sepa.MakesUnusable(reason) {
				_, err = tx.Exec(ctx, `UPDATE sepa_mandates SET unusable = $3, version = version + 1, updated_at = now()
					WHERE tenant = $1 AND reference = $2`, tenant, ref, strings.ToUpper(strings.TrimSpace(reason)))
			}
			return err
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sepa_payouts SET debited = true, debited_on = $3
			WHERE tenant = $1 AND end_to_end_id = $2 AND NOT debited`, tenant, e2e, sepa.Day(day))
		return err
	}
	return nil
}

// DebitedPayouts returns the paid-out credit items the statement showed
// and the ledger was not told of yet, by transfer.
func (s *Store) DebitedPayouts(ctx context.Context, tenant string) ([]sepa.PayoutBooking, error) {
	rows, err := s.pool.Query(ctx, `SELECT item_id, debtor_id, end_to_end_id, account, amount_minor, debited_on FROM sepa_payouts
		WHERE tenant = $1 AND debited AND NOT booked ORDER BY end_to_end_id, item_id`, tenant)
	if err != nil {
		return nil, fmt.Errorf("debited payouts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sepa.PayoutBooking, error) {
		var b sepa.PayoutBooking
		err := r.Scan(&b.Item, &b.Debtor, &b.EndToEndID, &b.Account, &b.Amount, &b.Date)
		b.Date = sepa.Day(b.Date)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("debited payouts: %w", err)
	}
	return out, nil
}

// MarkPayoutsBooked records that the ledger was told of the transfers'
// payouts.
func (s *Store) MarkPayoutsBooked(ctx context.Context, tenant string, e2es []string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sepa_payouts SET booked = true WHERE tenant = $1 AND end_to_end_id = ANY($2)`,
		tenant, e2es); err != nil {
		return fmt.Errorf("payouts booked: %w", err)
	}
	return nil
}

// The banks' status reports (sepa_status_reports, migration 00004) and
// what they do to debits and payouts.

// StatusState reads the tenant's file whose message id a status report
// names, with its debits (a pain.008) or transfers (a pain.001). A
// transfer of the file whose credit items were paid out again since (the
// bank had rejected it) is listed as rejected. No file: the zero state.
func (s *Store) StatusState(ctx context.Context, tenant, messageID string) (sepa.StatusState, error) {
	var st sepa.StatusState
	f, err := scanFile(s.pool.QueryRow(ctx, `SELECT `+fileColumns+` FROM sepa_files WHERE tenant = $1 AND message_id = $2`,
		tenant, messageID))
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("file of message %q: %w", messageID, err)
	}
	st.File = &f
	switch f.MessageType {
	case sepa.Pain008:
		rows, err := s.pool.Query(ctx, `SELECT `+debitColumns+` FROM sepa_debits WHERE tenant = $1 AND end_to_end_id = ANY($2)
			ORDER BY end_to_end_id`, tenant, f.EndToEndIDs)
		if err != nil {
			return st, fmt.Errorf("debits of %s: %w", f.Name, err)
		}
		if st.Debits, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (sepa.Debit, error) { return scanDebit(r) }); err != nil {
			return st, fmt.Errorf("debits of %s: %w", f.Name, err)
		}
	case sepa.Pain001:
		rows, err := s.pool.Query(ctx, `SELECT end_to_end_id, debtor_id, item_id, amount_minor, mandate, debited, rejected
			FROM sepa_payouts WHERE tenant = $1 AND file = $2 ORDER BY end_to_end_id, item_id`, tenant, f.Name)
		if err != nil {
			return st, fmt.Errorf("transfers of %s: %w", f.Name, err)
		}
		var e2e, debtor, item, mandate string
		var amount int64
		var debited, rejected bool
		if _, err := pgx.ForEachRow(rows, []any{&e2e, &debtor, &item, &amount, &mandate, &debited, &rejected}, func() error {
			if n := len(st.Transfers); n == 0 || st.Transfers[n-1].EndToEndID != e2e {
				st.Transfers = append(st.Transfers, sepa.Transfer{EndToEndID: e2e, Debtor: debtor, Mandate: mandate,
					Debited: debited, Rejected: rejected})
			}
			t := &st.Transfers[len(st.Transfers)-1]
			t.Items = append(t.Items, item)
			t.Amount += amount
			return nil
		}); err != nil {
			return st, fmt.Errorf("transfers of %s: %w", f.Name, err)
		}
		for _, e := range f.EndToEndIDs {
			if !slices.ContainsFunc(st.Transfers, func(t sepa.Transfer) bool { return t.EndToEndID == e }) {
				st.Transfers = append(st.Transfers, sepa.Transfer{EndToEndID: e, Rejected: true})
			}
		}
	}
	return st, nil
}

// SaveStatusReport implements sepa.Store: the report is stored under its
// message id first, so a second import (or one racing this) finds it and
// changes nothing; then each rejection is applied only while the debit
// is still submitted or the transfer neither debited nor rejected (else
// its outcome becomes unchanged), and the outcomes are stored with the
// report as JSON of sepa.Applied.
func (s *Store) SaveStatusReport(ctx context.Context, in sepa.StatusSaved) (sepa.StatusResult, error) {
	rep := in.Report
	res := sepa.StatusResult{MessageID: rep.MessageID, OriginalMessageID: rep.OriginalMessageID,
		OriginalMessageType: rep.OriginalMessageType, File: in.File, GroupStatus: rep.GroupStatus}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO sepa_status_reports (tenant, message_id, name, original_message_id,
			original_message_type, group_status, file, content, applied, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', $9) ON CONFLICT (tenant, message_id) DO NOTHING`,
			in.Tenant, rep.MessageID, in.Name, rep.OriginalMessageID, rep.OriginalMessageType, rep.GroupStatus, in.File,
			in.Content, in.Received)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var raw []byte
			if err := tx.QueryRow(ctx, `SELECT file, applied FROM sepa_status_reports WHERE tenant = $1 AND message_id = $2`,
				in.Tenant, rep.MessageID).Scan(&res.File, &raw); err != nil {
				return err
			}
			res.Duplicate = true
			return json.Unmarshal(raw, &res.Applied)
		}
		res.Applied = slices.Clone(in.Plan.Applied)
		for i := range res.Applied {
			if err := applyStatus(ctx, tx, in.Tenant, &res.Applied[i]); err != nil {
				return fmt.Errorf("%s: %w", res.Applied[i].EndToEndID, err)
			}
		}
		raw, err := json.Marshal(res.Applied)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sepa_status_reports SET applied = $3 WHERE tenant = $1 AND message_id = $2`,
			in.Tenant, rep.MessageID, raw)
		return err
	})
	if err != nil {
		return sepa.StatusResult{}, fmt.Errorf("save status report %s: %w", rep.MessageID, err)
	}
	return res, nil
}

// applyStatus applies one transaction's outcome; a rejection that finds
// the debit or transfer moved on turns into unchanged.
func applyStatus(ctx context.Context, tx pgx.Tx, tenant string, a *sepa.Applied) error {
	var table, rejected, recorded string
	switch a.Kind {
	case "debit":
		table = "sepa_debits"
		rejected = `UPDATE sepa_debits SET state = 'rejected', reason = $3, bank_status = $4, updated_at = now()
			WHERE tenant = $1 AND end_to_end_id = $2 AND state = 'submitted'`
		recorded = `UPDATE sepa_debits SET bank_status = $3, updated_at = now()
			WHERE tenant = $1 AND end_to_end_id = $2 AND state <> 'rejected'`
	case "payout":
		table = "sepa_payouts"
		rejected = `UPDATE sepa_payouts SET rejected = true, rejected_reason = $3, bank_status = $4, rejections = rejections + 1
			WHERE tenant = $1 AND end_to_end_id = $2 AND NOT debited AND NOT rejected`
		recorded = `UPDATE sepa_payouts SET bank_status = $3 WHERE tenant = $1 AND end_to_end_id = $2 AND NOT rejected`
	default:
		return nil
	}
	switch a.Outcome {
	case sepa.OutcomeRejected:
		tag, err := tx.Exec(ctx, rejected, tenant, a.EndToEndID, a.Reason, a.Status)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			a.Outcome, a.Unusable, a.Note = sepa.OutcomeUnchanged, false, "settled, returned or rejected meanwhile ("+table+")"
			return nil
		}
		if a.Kind == "debit" {
			// A rejected collection was no use of the mandate: its last
			// use (the 36-month expiry) is that of the collections the
			// bank took. The amendment it carried was not seen by the
			// debtor's bank: while a collection the bank took is left,
			// the next one carries it again (the reference the bank knows
			// before any renamed since, a new account either way).
			if _, err := tx.Exec(ctx, `UPDATE sepa_mandates m SET last_collected = (SELECT max(d.collection_date) FROM sepa_debits d
				WHERE d.tenant = m.tenant AND d.mandate = m.reference AND d.state IN ('submitted', 'booked', 'returned')),
				version = version + 1, updated_at = now() WHERE tenant = $1 AND reference = $2`, tenant, a.Mandate); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE sepa_mandates m SET amended = true,
				amend_original_reference = CASE WHEN d.carried_original_reference <> '' THEN d.carried_original_reference
				    ELSE m.amend_original_reference END,
				amend_original_creditor = CASE WHEN d.carried_original_creditor <> '' THEN d.carried_original_creditor
				    ELSE m.amend_original_creditor END,
				amend_new_account = m.amend_new_account OR d.carried_new_account, updated_at = now()
				FROM sepa_debits d WHERE d.tenant = $1 AND d.end_to_end_id = $2 AND d.carried_amended
				  AND m.tenant = d.tenant AND m.reference = d.mandate AND m.last_collected IS NOT NULL`, tenant, a.EndToEndID); err != nil {
				return err
			}
		}
		if a.Unusable && a.Mandate != "" {
			_, err = tx.Exec(ctx, `UPDATE sepa_mandates SET unusable = $3, version = version + 1, updated_at = now()
				WHERE tenant = $1 AND reference = $2 AND unusable <> $3`, tenant, a.Mandate, a.Reason)
		}
		return err
	case sepa.OutcomeRecorded:
		_, err := tx.Exec(ctx, recorded, tenant, a.EndToEndID, a.Status)
		return err
	}
	return nil
}

var _ sepa.Store = (*Store)(nil)
