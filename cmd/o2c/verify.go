package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/chains"
)

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
			ok, err := chains.Verify(cmd.Context(), dbURL, schemas, cmd.OutOrStdout())
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
	cmd.Flags().StringSliceVar(&schemas, "schema", chains.Schemas, "service schemas to verify")
	return cmd
}
