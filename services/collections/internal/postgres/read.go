package postgres

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/services/collections/internal/collections"
)

// Candidates returns a debtor's items offered for a manual release: the
// ones named (each must be the debtor's; ErrUnknownItem otherwise), or
// every open item of the debtor, with their blocks, the active case
// holding each and the case that collected it in full. Which cases hold
// an item comes from case_items, but whether one is active or collected
// the item in full is read from the case's own stream: the projection and
// the ledger's open amounts lag behind it.
func (s *Store) Candidates(ctx context.Context, tenant, debtorID string, itemIDs []string) ([]collections.Candidate, error) {
	if itemIDs == nil {
		itemIDs = []string{} // nil would be NULL, which no cardinality equals
	}
	rows, err := s.pool.Query(ctx, `
		SELECT i.item_id, i.claim_id, i.component, i.document_number, i.currency, i.open_minor, i.document_date, i.due_date, i.tax_rate_bp,
		       EXISTS (SELECT 1 FROM blocks b WHERE b.tenant = i.tenant AND b.debtor_id = i.debtor_id AND NOT b.lifted
		               AND (b.item_id = '' OR b.item_id = i.item_id)),
		       EXISTS (SELECT 1 FROM blocks b WHERE b.tenant = i.tenant AND b.debtor_id = i.debtor_id AND NOT b.lifted
		               AND (b.item_id = '' OR b.item_id = i.item_id) AND b.reason = 'dispute'),
		       COALESCE((SELECT ci.case_id FROM case_items ci WHERE ci.tenant = i.tenant AND ci.item_id = i.item_id AND ci.active LIMIT 1), '')
		FROM items i
		WHERE i.tenant = $1 AND i.debtor_id = $2 AND i.component <> 'credit'
		  AND (cardinality($3::text[]) = 0 AND i.open_minor > 0 OR i.item_id = ANY($3::text[]))
		ORDER BY i.due_date NULLS LAST, i.item_id`, tenant, debtorID, itemIDs)
	if err != nil {
		return nil, fmt.Errorf("items of debtor %s: %w", debtorID, err)
	}
	defer rows.Close()
	var out []collections.Candidate
	for rows.Next() {
		var c collections.Candidate
		var doc, due *time.Time
		var rate int32
		if err := rows.Scan(&c.ID, &c.Claim, &c.Component, &c.Document, &c.Currency, &c.Open, &doc, &due, &rate,
			&c.Blocked, &c.Disputed, &c.InCase); err != nil {
			return nil, fmt.Errorf("items of debtor %s: %w", debtorID, err)
		}
		if doc != nil {
			c.DocumentDate = *doc
		}
		if due != nil {
			c.DueDate = *due
		}
		c.TaxRateBP = int(rate)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("items of debtor %s: %w", debtorID, err)
	}
	for _, id := range itemIDs {
		if !slices.ContainsFunc(out, func(c collections.Candidate) bool { return c.ID == id }) {
			return nil, fmt.Errorf("%w: %s is not an item of debtor %s", collections.ErrUnknownItem, id, debtorID)
		}
	}
	if err := s.Holdings(ctx, tenant, out); err != nil {
		return nil, fmt.Errorf("items of debtor %s: %w", debtorID, err)
	}
	return out, nil
}

// Holdings sets each candidate's InCase and CollectedIn from the current
// state of every case that ever held it: active with the item not
// recalled, or the item not recalled and nothing of it open in the case.
// It reads the event store's events table, which shares the schema.
func (s *Store) Holdings(ctx context.Context, tenant string, items []collections.Candidate) error {
	ids := make([]string, 0, len(items))
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	// The cases case_items says held the items, and every case whose
	// stream the projection has not folded yet (opened within its last
	// poll or so), which may hold them too.
	rows, err := s.pool.Query(ctx, `
		SELECT case_id FROM case_items WHERE tenant = $1 AND item_id = ANY($2::text[])
		UNION
		SELECT e.stream_id FROM events e
		WHERE e.tenant = $1 AND e.stream_type = $3 AND e.version = 1
		  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.tenant = e.tenant AND c.case_id = e.stream_id)
		ORDER BY 1`, tenant, ids, collections.StreamType)
	if err != nil {
		return fmt.Errorf("cases of the items: %w", err)
	}
	caseIDs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("cases of the items: %w", err)
	}
	for i := range items {
		items[i].InCase = ""
	}
	for _, id := range caseIDs {
		c, err := s.Load(ctx, tenant, id)
		if err != nil {
			return err
		}
		for i := range items {
			it, ok := c.Item(items[i].ID)
			switch {
			case !ok || it.Recalled:
			case c.Active():
				items[i].InCase = c.ID
			case it.Open <= 0 && items[i].CollectedIn == "":
				items[i].CollectedIn = c.ID
			}
		}
	}
	return nil
}

// Debtor returns a debtor's kind and group as ingestion told them; a
// debtor ingestion never described is a consumer without group.
func (s *Store) Debtor(ctx context.Context, tenant, debtorID string) (*collectionsv1.Debtor, error) {
	d := &collectionsv1.Debtor{DebtorId: debtorID, Kind: "b2c"}
	err := s.pool.QueryRow(ctx, `SELECT kind, grp FROM debtors WHERE tenant = $1 AND debtor_id = $2`, tenant, debtorID).Scan(&d.Kind, &d.Group)
	if err != nil && err != pgx.ErrNoRows {
		return nil, fmt.Errorf("debtor %s: %w", debtorID, err)
	}
	return d, nil
}

// ActiveCase returns the case the item is in collection with; "" for
// none.
func (s *Store) ActiveCase(ctx context.Context, tenant, itemID string) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT case_id FROM case_items WHERE tenant = $1 AND item_id = $2 AND active LIMIT 1`, tenant, itemID).Scan(&id)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("case of item %s: %w", itemID, err)
	}
	return id, nil
}

// ListCases returns up to limit cases of tenant (of agency, when not
// empty; in statuses, when any), by agency, release date and id, as the
// projection last folded them.
func (s *Store) ListCases(ctx context.Context, tenant, agency string, statuses []string, limit int) ([]*collectionsv1.Case, error) {
	if statuses == nil {
		statuses = []string{} // nil would be NULL, which no cardinality equals
	}
	rows, err := s.pool.Query(ctx, `SELECT snapshot FROM cases WHERE tenant = $1 AND ($2 = '' OR agency = $2)
		AND (cardinality($3::text[]) = 0 OR status = ANY($3::text[])) ORDER BY agency, released_on, case_id LIMIT $4`,
		tenant, agency, statuses, limit)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	var out []*collectionsv1.Case
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		c := &collectionsv1.Case{}
		if err := proto.Unmarshal(raw, c); err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Change is an entry of an agency's feed.
type Change struct {
	Seq            int64
	CaseID, Change string
}

// Changes returns up to limit changes of the agency's cases after seq.
func (s *Store) Changes(ctx context.Context, tenant, agency string, after int64, limit int) ([]Change, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, case_id, change FROM changes WHERE tenant = $1 AND agency = $2 AND seq > $3
		ORDER BY seq LIMIT $4`, tenant, agency, after, limit)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Change, error) {
		var c Change
		err := r.Scan(&c.Seq, &c.CaseID, &c.Change)
		return c, err
	})
}

// LastChange returns the seq of the agency's latest change, 0 for none.
func (s *Store) LastChange(ctx context.Context, tenant, agency string) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(max(seq), 0) FROM changes WHERE tenant = $1 AND agency = $2`, tenant, agency).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("last change: %w", err)
	}
	return seq, nil
}

// bands are the ageing bands of the report: days since release.
var bands = []struct {
	name string
	max  int
}{{"0-30", 30}, {"31-90", 90}, {"91-180", 180}, {"181-365", 365}, {"365+", int(^uint(0) >> 1)}}

// Report returns recovery rate and ageing per agency of tenant on asOf:
// (collected + recovered) / handed over, and what is still open in cases
// with the agency by days since release. Cases of several currencies are
// summed per agency in the first currency seen; o2c's tenants book in
// one.
func (s *Store) Report(ctx context.Context, tenant string, asOf time.Time) ([]*collectionsv1.AgencyReport, error) {
	rows, err := s.pool.Query(ctx, `SELECT agency, status, released_on, currency, handed_over, open_minor, collected, recovered,
		paid_directly, written_off, commission FROM cases WHERE tenant = $1 AND agency <> ''`, tenant)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer rows.Close()
	type sums struct {
		cur                                                             string
		handed, open, collected, recovered, direct, written, commission int64
		cases                                                           map[string]int32
		ageCases                                                        []int32
		ageOpen                                                         []int64
	}
	by := map[string]*sums{}
	for rows.Next() {
		var agency, status, cur string
		var released time.Time
		var handed, open, collected, recovered, direct, written, commission int64
		if err := rows.Scan(&agency, &status, &released, &cur, &handed, &open, &collected, &recovered, &direct, &written, &commission); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		x := by[agency]
		if x == nil {
			x = &sums{cur: cur, cases: map[string]int32{}, ageCases: make([]int32, len(bands)), ageOpen: make([]int64, len(bands))}
			by[agency] = x
		}
		x.cases[status]++
		x.handed += handed
		x.collected += collected
		x.recovered += recovered
		x.direct += direct
		x.written += written
		x.commission += commission
		if status == "submitted" || status == "accepted" {
			x.open += open
			age := int(asOf.Sub(released).Hours() / 24)
			for i, b := range bands {
				if age <= b.max {
					x.ageCases[i]++
					x.ageOpen[i] += open
					break
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var out []*collectionsv1.AgencyReport
	for agency, x := range by {
		m := func(v int64) *commonv1.Money { return &commonv1.Money{MinorUnits: v, Currency: x.cur} }
		r := &collectionsv1.AgencyReport{Agency: agency, Cases: x.cases, HandedOver: m(x.handed), Collected: m(x.collected),
			PaidDirectly: m(x.direct), WrittenOff: m(x.written), Recovered: m(x.recovered), Commission: m(x.commission)}
		if x.handed > 0 {
			r.RecoveryRateBp = int32((x.collected + x.recovered) * 10000 / x.handed)
		}
		for i, b := range bands {
			r.Ageing = append(r.Ageing, &collectionsv1.AgeingBucket{Band: b.name, Cases: x.ageCases[i], Open: m(x.ageOpen[i])})
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetAgency() < out[j].GetAgency() })
	return out, nil
}
