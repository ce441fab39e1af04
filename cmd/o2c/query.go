package main

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// Default service addresses, as in docker-compose.yml and `o2c demo`.
const (
	defaultIngestionAddr = "127.0.0.1:9091"
	defaultLedgerAddr    = "127.0.0.1:9092"
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func newOpenItemsCmd() *cobra.Command {
	var tenant, debtor, addr string
	cmd := &cobra.Command{
		Use:   "open-items --tenant T [--debtor D]",
		Short: "List open items (Offene Posten) from the ledger",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := dial(cmd, ledgerAt(addr))
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			resp, err := ledgerv1grpc.NewLedgerServiceClient(conn).ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: tenant, DebtorId: debtor})
			if err != nil {
				return explain(ledgerAt(addr), err)
			}
			table.OpenItems(cmd.OutOrStdout(), resp.GetOpenItems())
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant id (required)")
	cmd.Flags().StringVar(&debtor, "debtor", "", "debtor id; empty lists every debtor")
	cmd.Flags().StringVar(&addr, "ledger", envOr("O2C_LEDGER_ADDR", defaultLedgerAddr), "ledger gRPC address (env O2C_LEDGER_ADDR)")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}
