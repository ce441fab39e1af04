package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// newPendingCmd is `o2c pending`: the shop messages ingestion holds
// because they arrived before what they refer to, what each waits for,
// since when and until when its holding period runs.
func newPendingCmd() *cobra.Command {
	var addr, tenant string
	cmd := &cobra.Command{
		Use:   "pending [--tenant T]",
		Short: "List held shop messages: what waits for what since when (a credit note for its invoice, a chargeback for its capture, an invoice for its customer)",
		Long: `List the shop messages ingestion holds because they arrived before what they
refer to: a credit note or cancellation before its invoice, a chargeback before
its capture, an invoice that names only its customer before the customer's data.
Each is handled again by itself when that arrives; one still waiting when its
tenant's holding period ends (tenants file: ingestion.holding_period, default
14 days) goes to the rejection store as held_too_long (see o2c rejected).
Without --tenant every tenant's are listed, which only a platform admin may ask.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc := serviceAt("ingestion", addr)
			conn, err := dial(cmd, svc)
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			resp, err := ingestionv1grpc.NewIngestionServiceClient(conn).ListPending(ctx, &ingestionv1.ListPendingRequest{Tenant: tenant})
			if err != nil {
				return explain(svc, err)
			}
			writePending(cmd.OutOrStdout(), resp.GetPending())
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "ingestion", envOr("O2C_INGESTION_ADDR", defaultIngestionAddr), "ingestion gRPC address (env O2C_INGESTION_ADDR)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant id; empty for every tenant (platform admins)")
	return cmd
}

// writePending writes one line per held message, the longest held first,
// and how many there are.
func writePending(w io.Writer, ps []*ingestionv1.PendingMessage) {
	if len(ps) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TENANT\tMESSAGE\tDOCUMENT\tWAITS FOR\tSINCE\tREJECTED AFTER")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\n", p.GetTenant(), p.GetEventType(), p.GetDocument(),
				p.GetWaitsForKind(), p.GetWaitsForKey(), p.GetHeldSince().AsTime().UTC().Format(time.RFC3339),
				p.GetExpiresAt().AsTime().UTC().Format(time.RFC3339))
		}
		tw.Flush()
	}
	fmt.Fprintln(w, table.Count(len(ps), "held message"))
}
