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

// saveRoutes records the routes of evs (books.RoutesOf) with db; the
// projection rebuilds command_routes with it inside its transaction.
func saveRoutes(ctx context.Context, db execer, evs []eventstore.Event) error {
	return writeRoutes(ctx, db, books.RoutesOf(evs))
}

func writeRoutes(ctx context.Context, db execer, routes []books.Route) error {
	if len(routes) == 0 {
		return nil
	}
	tenants, kinds, refs, debtors := make([]string, len(routes)), make([]string, len(routes)), make([]string, len(routes)), make([]string, len(routes))
	for i, r := range routes {
		tenants[i], kinds[i], refs[i], debtors[i] = r.Tenant, string(r.Kind), r.Ref, r.DebtorID
	}
	_, err := db.Exec(ctx, `INSERT INTO command_routes (tenant, kind, ref, debtor_id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
		tenants, kinds, refs, debtors)
	if err != nil {
		return fmt.Errorf("record the debtors of %d entries and items: %w", len(routes), err)
	}
	return nil
}
