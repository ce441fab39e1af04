// Package postgres stores ingestion's master data (debtors' personal data)
// in the service's PostgreSQL schema. Accepted invoices go to the event
// store, rejected messages to the rejection store (package rejection).
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is ingestion's PostgreSQL schema.
const Schema = "ingestion"

// Migrations returns ingestion's own migrations (applied after the event
// store's).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// Store is ingestion's storage.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool (connected with search_path = Schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// SaveDebtor records the debtor's master data, replacing what was known. A
// debtor that was erased stays erased: its personal data is not written back.
func (s *Store) SaveDebtor(ctx context.Context, tenant string, d *shopv1.Debtor) error {
	var addr []byte
	if a := d.GetBillingAddress(); a != nil {
		var err error
		if addr, err = json.Marshal(a); err != nil {
			return fmt.Errorf("save debtor %s: %w", d.GetCustomerId(), err)
		}
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO debtors (tenant, debtor_id, kind, name, vat_id, email, address)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant, debtor_id) DO UPDATE
		SET kind = EXCLUDED.kind, name = EXCLUDED.name, vat_id = EXCLUDED.vat_id,
		    email = EXCLUDED.email, address = EXCLUDED.address, updated_at = now()
		WHERE debtors.erased_at IS NULL`,
		tenant, d.GetCustomerId(), d.GetKind().String(), d.GetName(), d.GetVatId(), d.GetEmail(), addr)
	if err != nil {
		return fmt.Errorf("save debtor %s: %w", d.GetCustomerId(), err)
	}
	return nil
}
