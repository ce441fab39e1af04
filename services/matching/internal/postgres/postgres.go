// Package postgres keeps matching's read models in the service's
// PostgreSQL schema: the open items as the ledger's events describe them
// (with the ledger's settlements, so matching knows which of the
// allocations it sent the ledger has booked), the cash discount terms of
// invoices, the exception queue projected from the payments' own events
// (Projection), what the engine learned from people's decisions, and
// marketplace settlement reports. From them it builds the snapshot a
// tenant's engine starts from (Snapshot).
//
// Personal data is never written here: payer and debtor names, IBANs and
// mandate ids stay in ingestion's master data and in the service's memory.
package postgres

import (
	"embed"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is matching's PostgreSQL schema.
const Schema = "matching"

// Migrations returns matching's own migrations (applied after the event
// store's and the rejection store's).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// Store is matching's storage.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool (connected with search_path = Schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }
