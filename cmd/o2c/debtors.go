package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
)

// newDebtorsCmd is `o2c debtors`: a debtor's personal data in ingestion's
// master data, erased on request (Art. 17 GDPR) or exported for a
// subject-access request (Art. 15 GDPR).
func newDebtorsCmd() *cobra.Command {
	var addr, tenant string
	cmd := &cobra.Command{
		Use:   "debtors",
		Short: "Erase or export a debtor's personal data (GDPR requests)",
	}
	cmd.PersistentFlags().StringVar(&addr, "ingestion", envOr("O2C_INGESTION_ADDR", defaultIngestionAddr), "ingestion gRPC address (env O2C_INGESTION_ADDR)")
	cmd.PersistentFlags().StringVar(&tenant, "tenant", "", "tenant id (required)")
	svc := func() service { return serviceAt("ingestion", addr) }
	call := func(cmd *cobra.Command, do func(context.Context, ingestionv1grpc.DebtorServiceClient) error) error {
		if tenant == "" {
			return fmt.Errorf("--tenant is required")
		}
		conn, err := dial(cmd, svc())
		if err != nil {
			return err
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
		defer cancel()
		return explain(svc(), do(ctx, ingestionv1grpc.NewDebtorServiceClient(conn)))
	}
	erase := &cobra.Command{
		Use:   "erase ID --tenant T",
		Short: "Erase the debtor's name, e-mail, VAT id and address (refused while it has open items or a statutory retention period runs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, func(ctx context.Context, c ingestionv1grpc.DebtorServiceClient) error {
				resp, err := c.EraseDebtor(ctx, &ingestionv1.EraseDebtorRequest{Tenant: tenant, DebtorId: args[0]})
				if err != nil {
					return err
				}
				d := resp.GetDebtor()
				fmt.Fprintf(cmd.OutOrStdout(), "debtor %s of %s erased at %s by %s; its events and hash chains are unchanged\n",
					d.GetDebtorId(), d.GetTenant(), d.GetErasedAt().AsTime().Format(time.RFC3339), d.GetErasedBy())
				return nil
			})
		},
	}
	export := &cobra.Command{
		Use:   "export ID --tenant T",
		Short: "Print everything held about the debtor as JSON (master data, invoice events, rejections), for a subject-access request",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return call(cmd, func(ctx context.Context, c ingestionv1grpc.DebtorServiceClient) error {
				resp, err := c.ExportDebtor(ctx, &ingestionv1.ExportDebtorRequest{Tenant: tenant, DebtorId: args[0]})
				if err != nil {
					return err
				}
				out, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(resp)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
				return err
			})
		},
	}
	cmd.AddCommand(erase, export)
	return cmd
}
