package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// Store is the books.Directory of the command service: command_routes
// and debtor_accounts.
var _ books.Directory = (*Store)(nil)

// eventNamespace derives the ids of rows the read model creates, such as
// the negative settlement row that undoes a settlement (reopenedID).
var eventNamespace = uuid.MustParse("0c7c1b8e-4e55-5b5e-9d8e-5a0f6c1d2e3f")

// Route returns the debtor whose stream holds ref according to
// command_routes, "" when no route is recorded.
func (s *Store) Route(ctx context.Context, tenant string, kind books.RouteKind, ref string) (string, error) {
	var debtor string
	err := s.pool.QueryRow(ctx, `SELECT debtor_id FROM command_routes WHERE tenant = $1 AND kind = $2 AND ref = $3`,
		tenant, string(kind), ref).Scan(&debtor)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("route of %s %s: %w", kind, ref, err)
	}
	return debtor, nil
}

// SaveRoutes records routes in command_routes; a route recorded before is
// kept.
func (s *Store) SaveRoutes(ctx context.Context, routes []books.Route) error {
	return writeRoutes(ctx, s.pool, routes)
}

// execer runs a statement; a pool and a transaction are both one.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insertRoutes records routes; a route recorded before is kept.
const insertRoutes = `INSERT INTO command_routes (tenant, kind, ref, debtor_id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`

// routeColumns returns the arguments of insertRoutes.
func routeColumns(routes []books.Route) []any {
	tenants, kinds, refs, debtors := make([]string, len(routes)), make([]string, len(routes)), make([]string, len(routes)), make([]string, len(routes))
	for i, r := range routes {
		tenants[i], kinds[i], refs[i], debtors[i] = r.Tenant, string(r.Kind), r.Ref, r.DebtorID
	}
	return []any{tenants, kinds, refs, debtors}
}

func writeRoutes(ctx context.Context, db execer, routes []books.Route) error {
	if len(routes) == 0 {
		return nil
	}
	if _, err := db.Exec(ctx, insertRoutes, routeColumns(routes)...); err != nil {
		return fmt.Errorf("record the debtors of %d entries and items: %w", len(routes), err)
	}
	return nil
}

// Appender stores the commands of a books.Commander batch with the routes
// they record in one transaction per round (books.RoutedAppender).
type Appender struct {
	events *eventstore.Store
}

var _ books.RoutedAppender = (*Appender)(nil)

// NewAppender returns an Appender on the ledger's event store, whose pool
// is connected with the ledger's schema as search_path.
func NewAppender(events *eventstore.Store) *Appender { return &Appender{events: events} }

// AppendBatchRouted appends groups with eventstore.Store.AppendBatchWith
// and records routes[i] in the transaction that writes groups[i].
func (a *Appender) AppendBatchRouted(ctx context.Context, groups []eventstore.AppendGroup, routes [][]books.Route) ([]eventstore.GroupResult, error) {
	return a.events.AppendBatchWith(ctx, groups, func(written []int, b *pgx.Batch) {
		var all []books.Route
		for _, i := range written {
			all = append(all, routes[i]...)
		}
		if len(all) > 0 {
			b.Queue(insertRoutes, routeColumns(all)...)
		}
	})
}
