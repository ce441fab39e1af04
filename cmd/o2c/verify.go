package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// serviceSchemas are the schemas of the services that have an event store.
var serviceSchemas = []string{"ingestion", "ledger"}

func newVerifyCmd() *cobra.Command {
	var dbURL string
	var schemas []string
	cmd := &cobra.Command{
		Use:   "verify [--database-url URL] [--schema S]...",
		Short: "Recompute every event store hash chain and name the first broken link",
		Long: `verify reads every event of each service schema in stream order, recomputes
the content hash and the chain hash of each event and compares them with the
stored ones. It prints one line per schema and, for a stream whose chain is
broken, the first broken link (stream, version, event id, expected and stored
value). Exit status 1 when any chain is broken.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dbURL == "" {
				return fmt.Errorf("--database-url (or DATABASE_URL) is required")
			}
			ok, err := verifySchemas(cmd.Context(), dbURL, schemas, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if !ok {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dbURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (env DATABASE_URL)")
	cmd.Flags().StringSliceVar(&schemas, "schema", serviceSchemas, "service schemas to verify")
	return cmd
}

// verifySchemas verifies the hash chains of each schema and reports whether
// all of them verified.
func verifySchemas(ctx context.Context, dbURL string, schemas []string, w io.Writer) (bool, error) {
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
