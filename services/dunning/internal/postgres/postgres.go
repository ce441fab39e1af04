// Package postgres keeps dunning's read models in the service's
// PostgreSQL schema: the open items as the ledger's events describe them,
// what ingestion says of invoices (the §286 (3) BGB notice, the delivery
// date) and of debtors (kind, group, language), and the projection of
// dunning's own events (decisions, notices, blocks). From them it loads
// each debtor's input for a run (run.Store).
//
// Personal data is never written here: names, addresses and e-mail
// addresses stay in ingestion and are read when a notice is rendered.
package postgres

import (
	"embed"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is dunning's PostgreSQL schema.
const Schema = "dunning"

// Migrations returns dunning's own migrations (applied after the event
// store's and the rejection store's).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// Store is dunning's storage.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool (connected with search_path = Schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }
