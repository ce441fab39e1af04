// Package chains verifies the hash chains of the services' event stores for
// `o2c verify` and the demo.
package chains

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
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
		} else {
			allOK = false
			fmt.Fprintf(w, "%-10s BROKEN: %d of %d streams (%d events)\n", schema, len(rep.Broken), rep.Streams, rep.Events)
			for _, b := range rep.Broken {
				fmt.Fprintf(w, "  first broken link: %s\n", b)
			}
		}
		if schema == ledger.Name {
			ok, err := verifyLedger(ctx, dbURL, w)
			if err != nil {
				return false, err
			}
			allOK = allOK && ok
		}
	}
	return allOK, nil
}

// verifyLedger rebuilds the ledger's read models from its events and checks
// the accounting invariants.
func verifyLedger(ctx context.Context, dbURL string, w io.Writer) (bool, error) {
	pool, err := database.Connect(ctx, dbURL, ledger.Name, telemetry.Providers{})
	if err != nil {
		return false, err
	}
	defer pool.Close()
	rep, err := ledger.VerifyReadModels(ctx, pool)
	if err != nil {
		return false, err
	}
	if rep.OK() {
		fmt.Fprintf(w, "%-10s ok: read models equal a rebuild from %d events; trial balance, control account and open items agree\n", ledger.Name, rep.Events)
		return true, nil
	}
	fmt.Fprintf(w, "%-10s READ MODELS DIFFER (rebuilt from %d events)\n", ledger.Name, rep.Events)
	for _, m := range rep.Mismatches {
		fmt.Fprintf(w, "  %s: %d rows missing, %d rows that a rebuild does not produce\n", m.Table, m.Missing, m.Extra)
	}
	for _, b := range rep.Breaches {
		fmt.Fprintf(w, "  invariant %q breached for %s %s: off by %d minor units\n", b.Invariant, b.Tenant, b.Currency, b.Difference)
	}
	return false, nil
}
