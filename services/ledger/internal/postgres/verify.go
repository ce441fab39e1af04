package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// Invariants of debtors that VerifyReadModels checks besides the amounts.
// Their breaches name the debtor and say in Detail what is wrong.
const (
	// InvariantOnePersonalAccount: every line of a debtor is on one
	// personal account, so the debtor's statement shows all of them.
	InvariantOnePersonalAccount = "one_personal_account"
	// InvariantMergedOnce: no debtor is merged away twice.
	InvariantMergedOnce = "merged_once"
	// InvariantMergeTarget: no merge target had been merged away itself
	// before the merge, so no merge runs backwards.
	InvariantMergeTarget = "merge_target"
	// InvariantMergeKinds: no merge joins debtors that must stay apart: a
	// marketplace debtor and a personal one, two marketplaces, one
	// marketplace in two currencies (books.CheckMergeable).
	InvariantMergeKinds = "merge_kinds"
)

// ReadModels are the ledger's projected tables, rebuilt from events by
// VerifyReadModels. Tables that are not projections (debtor account numbers,
// the event store itself) are not listed, nor debtor_totals, which triggers
// keep from journal_lines and open_items and VerifyReadModels compares with
// those.
var ReadModels = []string{"journal_lines", "account_balances", "control_balances", "open_items", "settlements", "periods",
	"invoice_status", "customer_status", "bank_statements"}

// Mismatch is a read-model table whose rows differ from a rebuild from the
// events: Missing rows the rebuild has and the table lacks, Extra rows the
// table has and the rebuild lacks.
type Mismatch struct {
	Table          string
	Missing, Extra int64
}

// ReadModelReport is what VerifyReadModels found.
type ReadModelReport struct {
	// Events is the number of events replayed (those up to the projection's
	// checkpoint).
	Events     int
	Mismatches []Mismatch
	Breaches   []Breach
}

// OK reports whether the read models equal the rebuild and every invariant holds.
func (r ReadModelReport) OK() bool { return len(r.Mismatches) == 0 && len(r.Breaches) == 0 }

// VerifyReadModels replays every ledger event up to the read-model
// projection's checkpoint into temporary copies of the read models, with the
// same projection code the service runs, and compares them row by row with
// the live tables, and the running totals of debtor_totals with the live
// journal lines and open items they sum (a Mismatch of table
// "debtor_totals"); then it checks the accounting invariants on the live
// tables: the trial balance balances per tenant and currency, the control
// account equals the sum of the debtor personal accounts, per debtor and
// currency the open items sum to the personal account's balance, and each
// debtor's lines are on one personal account (InvariantOnePersonalAccount),
// and every recorded bank statement's closing balance equals its bank
// account's balance as of the closing date (InvariantBankReconciliation);
// and it checks the merges the replayed events record
// (InvariantMergedOnce, InvariantMergeTarget, InvariantMergeKinds), each
// merge counted once, by its event on the duplicate's stream, in the order
// of the log. pool
// must have search_path set to the ledger schema. Nothing is written: the
// temporary tables live in a transaction that is rolled back.
func VerifyReadModels(ctx context.Context, pool *pgxpool.Pool) (ReadModelReport, error) {
	var rep ReadModelReport
	store, err := eventstore.New(pool, Schema, eventstore.Options{})
	if err != nil {
		return rep, err
	}
	// One snapshot for the checkpoint and the live tables, so a projection
	// batch committing meanwhile cannot make them disagree.
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return rep, fmt.Errorf("verify read models: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // always rolled back: nothing is written
	var checkpoint eventstore.Cursor
	var txid string
	err = tx.QueryRow(ctx, `SELECT tx_id::text, position FROM checkpoints WHERE name = $1`, ProjectionName).Scan(&txid, &checkpoint.Position)
	switch {
	case err == pgx.ErrNoRows:
	case err != nil:
		return rep, fmt.Errorf("verify read models: read checkpoint: %w", err)
	default:
		if _, err := fmt.Sscan(txid, &checkpoint.TxID); err != nil {
			return rep, fmt.Errorf("verify read models: checkpoint %q: %w", txid, err)
		}
	}
	for _, t := range ReadModels {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+t+` (LIKE `+Schema+`.`+t+` INCLUDING ALL) ON COMMIT DROP`); err != nil {
			return rep, fmt.Errorf("verify read models: %w", err)
		}
	}
	// pg_temp comes first in the search path, so the projection writes into
	// the temporary copies.
	var after eventstore.Cursor
	var merges []merge
	for {
		evs, next, err := store.ReadAll(ctx, after, 1000)
		if err != nil {
			return rep, fmt.Errorf("verify read models: read events: %w", err)
		}
		var batch []eventstore.Event
		for _, ev := range evs {
			if checkpoint.Less(ev.Cursor) {
				break
			}
			batch = append(batch, ev)
			if m, ok := mergeOf(ev); ok {
				merges = append(merges, m)
			}
		}
		if len(batch) > 0 {
			if err := Apply(ctx, tx, batch); err != nil {
				return rep, fmt.Errorf("verify read models: replay: %w", err)
			}
			rep.Events += len(batch)
		}
		if len(batch) < len(evs) || len(evs) == 0 {
			break
		}
		after = next
	}
	for _, t := range ReadModels {
		var m Mismatch
		m.Table = t
		err := tx.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM (SELECT * FROM pg_temp.`+t+` EXCEPT ALL SELECT * FROM `+Schema+`.`+t+`) d),
			(SELECT count(*) FROM (SELECT * FROM `+Schema+`.`+t+` EXCEPT ALL SELECT * FROM pg_temp.`+t+`) d)`).Scan(&m.Missing, &m.Extra)
		if err != nil {
			return rep, fmt.Errorf("verify read models: compare %s: %w", t, err)
		}
		if m.Missing != 0 || m.Extra != 0 {
			rep.Mismatches = append(rep.Mismatches, m)
		}
	}
	totals, err := verifyDebtorTotals(ctx, tx)
	if err != nil {
		return rep, fmt.Errorf("verify read models: %w", err)
	}
	if totals.Missing != 0 || totals.Extra != 0 {
		rep.Mismatches = append(rep.Mismatches, totals)
	}
	rep.Breaches = append(rep.Breaches, mergeBreaches(merges)...)
	accounts, err := tx.Query(ctx, `
		SELECT tenant, debtor_id, string_agg(DISTINCT account, ', ' ORDER BY account), count(DISTINCT account)
		FROM `+Schema+`.journal_lines WHERE debtor_id <> ''
		GROUP BY tenant, debtor_id HAVING count(DISTINCT account) > 1
		ORDER BY tenant, debtor_id`)
	if err != nil {
		return rep, fmt.Errorf("verify read models: personal accounts: %w", err)
	}
	found, err := pgx.CollectRows(accounts, func(r pgx.CollectableRow) (Breach, error) {
		b := Breach{Invariant: InvariantOnePersonalAccount}
		var list string
		var n int
		err := r.Scan(&b.Tenant, &b.DebtorID, &list, &n)
		b.Detail = fmt.Sprintf("%s is booked on %d personal accounts: %s", b.DebtorID, n, list)
		return b, err
	})
	if err != nil {
		return rep, fmt.Errorf("verify read models: personal accounts: %w", err)
	}
	rep.Breaches = append(rep.Breaches, found...)
	unreconciled, err := reconciliationBreaches(ctx, tx)
	if err != nil {
		return rep, fmt.Errorf("verify read models: %w", err)
	}
	rep.Breaches = append(rep.Breaches, unreconciled...)
	rows, err := tx.Query(ctx, `
		SELECT 'trial balance', tenant, currency, sum(balance_minor)
		FROM `+Schema+`.account_balances GROUP BY tenant, currency HAVING sum(balance_minor) <> 0
		UNION ALL
		SELECT 'control account', COALESCE(c.tenant, d.tenant), COALESCE(c.currency, d.currency),
		       COALESCE(c.balance_minor, 0) - COALESCE(d.total, 0)
		FROM `+Schema+`.control_balances c
		FULL JOIN (SELECT tenant, currency, sum(balance_minor) AS total FROM `+Schema+`.account_balances WHERE debtor GROUP BY tenant, currency) d
		  ON c.tenant = d.tenant AND c.currency = d.currency
		WHERE COALESCE(c.balance_minor, 0) <> COALESCE(d.total, 0)
		UNION ALL
		SELECT 'open items', COALESCE(o.tenant, b.tenant) || '/' || COALESCE(o.debtor_id, b.debtor_id), COALESCE(o.currency, b.currency),
		       COALESCE(o.total, 0) - COALESCE(b.total, 0)
		FROM (SELECT tenant, debtor_id, currency, sum(open_minor) AS total FROM `+Schema+`.open_items GROUP BY 1, 2, 3) o
		FULL JOIN (SELECT tenant, debtor_id, currency, sum(amount_minor) AS total FROM `+Schema+`.journal_lines
		           WHERE debtor_id <> '' GROUP BY 1, 2, 3) b
		  ON o.tenant = b.tenant AND o.debtor_id = b.debtor_id AND o.currency = b.currency
		WHERE COALESCE(o.total, 0) <> COALESCE(b.total, 0)`)
	if err != nil {
		return rep, fmt.Errorf("verify read models: invariants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b Breach
		if err := rows.Scan(&b.Invariant, &b.Tenant, &b.Currency, &b.Difference); err != nil {
			return rep, fmt.Errorf("verify read models: invariants: %w", err)
		}
		rep.Breaches = append(rep.Breaches, b)
	}
	return rep, rows.Err()
}

// verifyDebtorTotals compares debtor_totals, which triggers keep rather
// than the projection, with the sums of the live journal lines and open
// items it stands for (a debtor and currency whose totals are both zero may
// have a row or not).
func verifyDebtorTotals(ctx context.Context, tx pgx.Tx) (Mismatch, error) {
	m := Mismatch{Table: "debtor_totals"}
	err := tx.QueryRow(ctx, `
		WITH want AS (
			SELECT tenant, debtor_id, currency, sum(lines_minor)::bigint AS lines_minor, sum(open_minor)::bigint AS open_minor
			FROM (SELECT l.tenant, l.debtor_id, l.currency, l.amount_minor AS lines_minor, 0 AS open_minor
			      FROM `+Schema+`.journal_lines l
			      JOIN `+Schema+`.command_routes r ON r.tenant = l.tenant AND r.kind = 'entry' AND r.ref = l.entry_id::text
			      WHERE l.debtor_id <> ''
			      UNION ALL
			      SELECT tenant, debtor_id, currency, 0, open_minor FROM `+Schema+`.open_items) t
			GROUP BY 1, 2, 3 HAVING sum(lines_minor) <> 0 OR sum(open_minor) <> 0),
		have AS (
			SELECT tenant, debtor_id, currency, lines_minor, open_minor FROM `+Schema+`.debtor_totals
			WHERE lines_minor <> 0 OR open_minor <> 0)
		SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM have) d),
		       (SELECT count(*) FROM (SELECT * FROM have EXCEPT ALL SELECT * FROM want) d)`).Scan(&m.Missing, &m.Extra)
	if err != nil {
		return m, fmt.Errorf("compare debtor_totals: %w", err)
	}
	return m, nil
}

// merge is a debtor merge as VerifyReadModels sees it: the DebtorMerged
// event on the duplicate's stream.
type merge struct {
	tenant, debtor, into string
	recorded             time.Time
}

// mergeOf returns the merge ev records on the duplicate's stream; the
// survivor's copy of the same merge is not counted again.
func mergeOf(ev eventstore.Event) (merge, bool) {
	p, ok := ev.Payload.(*ledgerv1.DebtorMerged)
	if !ok || ev.Stream.Type != books.StreamTypeDebtor || ev.Stream.ID != p.GetDebtorId() {
		return merge{}, false
	}
	return merge{tenant: ev.Stream.Tenant, debtor: p.GetDebtorId(), into: p.GetIntoDebtorId(), recorded: ev.RecordedAt}, true
}

// mergeBreaches checks merges in the order of the log: no debtor merged
// away twice, no target merged away before, no debtors joined that must
// stay apart.
func mergeBreaches(merges []merge) []Breach {
	var out []Breach
	away := map[[2]string]merge{}
	when := func(m merge) string { return m.recorded.UTC().Format("2006-01-02 15:04 MST") }
	for _, m := range merges {
		breach := func(invariant, format string, args ...any) {
			out = append(out, Breach{Invariant: invariant, Tenant: m.tenant, DebtorID: m.debtor, Detail: fmt.Sprintf(format, args...)})
		}
		var kinds *books.IncompatibleDebtorsError
		if errors.As(books.CheckMergeable(m.debtor, m.into), &kinds) {
			breach(InvariantMergeKinds, "%s was merged into %s (recorded %s) although %s", m.debtor, m.into, when(m), kinds.Reason)
		}
		if first, ok := away[[2]string{m.tenant, m.debtor}]; ok {
			breach(InvariantMergedOnce, "%s was merged away twice: into %s (recorded %s) and into %s (recorded %s)",
				m.debtor, first.into, when(first), m.into, when(m))
		} else {
			away[[2]string{m.tenant, m.debtor}] = m
		}
		if target, ok := away[[2]string{m.tenant, m.into}]; ok {
			breach(InvariantMergeTarget, "%s was merged into %s (recorded %s), which had been merged into %s before (recorded %s)",
				m.debtor, m.into, when(m), target.into, when(target))
		}
	}
	return out
}
