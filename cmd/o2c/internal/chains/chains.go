// Package chains verifies the hash chains of the services' event stores for
// `o2c verify` and the demo.
package chains

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// Schemas are the schemas of the services that have an event store.
var Schemas = []string{"ingestion", "ledger"}

// Verify verifies the hash chains of each schema and reports whether all of
// them verified, printing a line per schema and every first broken link.
func Verify(ctx context.Context, dbURL string, schemas []string, w io.Writer) (bool, error) {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	allOK := true
	for _, schema := range schemas {
		var exists bool
		if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, schema+".events").Scan(&exists); err != nil {
			return false, fmt.Errorf("schema %s: %w", schema, err)
		}
		if !exists {
			fmt.Fprintf(w, "%-10s no event store (schema not migrated)\n", schema)
			continue
		}
		store, err := eventstore.New(pool, schema, eventstore.Options{})
		if err != nil {
			return false, err
		}
		rep, err := store.Verify(ctx)
		if err != nil {
			return false, fmt.Errorf("verify %s: %w", schema, err)
		}
		if rep.OK() {
			fmt.Fprintf(w, "%-10s ok: %d streams, %d events, every hash chain verifies\n", schema, rep.Streams, rep.Events)
			continue
		}
		allOK = false
		fmt.Fprintf(w, "%-10s BROKEN: %d of %d streams (%d events)\n", schema, len(rep.Broken), rep.Streams, rep.Events)
		for _, b := range rep.Broken {
			fmt.Fprintf(w, "  first broken link: %s\n", b)
		}
	}
	return allOK, nil
}
