package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
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

func dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return conn, nil
}

func newOpenItemsCmd() *cobra.Command {
	var tenant, debtor, addr string
	cmd := &cobra.Command{
		Use:   "open-items --tenant T [--debtor D]",
		Short: "List open items (Offene Posten) from the ledger",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := dial(addr)
			if err != nil {
				return err
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			resp, err := ledgerv1grpc.NewLedgerServiceClient(conn).ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: tenant, DebtorId: debtor})
			if err != nil {
				return fmt.Errorf("ledger at %s: %w", addr, err)
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

func newRejectedCmd() *cobra.Command {
	var tenant, state, addr string
	var limit int32
	cmd := &cobra.Command{
		Use:   "rejected [--tenant T] [--state open|replayed|resolved|all]",
		Short: "List shop messages ingestion rejected, and show, replay or resolve them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, ok := map[string]ingestionv1.RejectionState{
				"open": ingestionv1.RejectionState_REJECTION_STATE_OPEN, "replayed": ingestionv1.RejectionState_REJECTION_STATE_REPLAYED,
				"resolved": ingestionv1.RejectionState_REJECTION_STATE_RESOLVED, "all": ingestionv1.RejectionState_REJECTION_STATE_UNSPECIFIED,
			}[state]
			if !ok {
				return fmt.Errorf("--state %q: want open, replayed, resolved or all", state)
			}
			return withRejections(cmd, addr, func(ctx context.Context, c ingestionv1.RejectionServiceClient) error {
				resp, err := c.ListRejections(ctx, &ingestionv1.ListRejectionsRequest{Tenant: tenant, State: st, Limit: limit})
				if err != nil {
					return err
				}
				table.Rejections(cmd.OutOrStdout(), resp.GetRejections())
				return nil
			})
		},
	}
	cmd.PersistentFlags().StringVar(&addr, "ingestion", envOr("O2C_INGESTION_ADDR", defaultIngestionAddr), "ingestion gRPC address (env O2C_INGESTION_ADDR)")
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant id; empty for all")
	cmd.Flags().StringVar(&state, "state", "open", "open, replayed, resolved or all")
	cmd.Flags().Int32Var(&limit, "limit", 100, "maximum number of rejections")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one rejection with the message as received",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRejections(cmd, addr, func(ctx context.Context, c ingestionv1.RejectionServiceClient) error {
				resp, err := c.GetRejection(ctx, &ingestionv1.GetRejectionRequest{Id: args[0]})
				if err != nil {
					return err
				}
				printRejection(cmd.OutOrStdout(), resp.GetRejection(), true)
				return nil
			})
		},
	}
	var actor, note string
	replay := &cobra.Command{
		Use:   "replay ID",
		Short: "Run a rejected message through ingestion again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRejections(cmd, addr, func(ctx context.Context, c ingestionv1.RejectionServiceClient) error {
				resp, err := c.ReplayRejection(ctx, &ingestionv1.ReplayRejectionRequest{Id: args[0], Actor: actor})
				if err != nil {
					return err
				}
				printRejection(cmd.OutOrStdout(), resp.GetRejection(), false)
				if resp.GetRejection().GetState() != ingestionv1.RejectionState_REJECTION_STATE_REPLAYED {
					return fmt.Errorf("replay of %s failed again: %s", args[0], resp.GetRejection().GetReason())
				}
				return nil
			})
		},
	}
	resolve := &cobra.Command{
		Use:   "resolve ID --note WHY",
		Short: "Close a rejection without replaying it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRejections(cmd, addr, func(ctx context.Context, c ingestionv1.RejectionServiceClient) error {
				resp, err := c.ResolveRejection(ctx, &ingestionv1.ResolveRejectionRequest{Id: args[0], Actor: actor, Note: note})
				if err != nil {
					return err
				}
				printRejection(cmd.OutOrStdout(), resp.GetRejection(), false)
				return nil
			})
		},
	}
	for _, c := range []*cobra.Command{replay, resolve} {
		c.Flags().StringVar(&actor, "actor", envOr("USER", "operator"), "who acts (recorded)")
	}
	resolve.Flags().StringVar(&note, "note", "", "why the rejection is closed (required)")
	_ = resolve.MarkFlagRequired("note")
	cmd.AddCommand(show, replay, resolve)
	return cmd
}

func withRejections(cmd *cobra.Command, addr string, f func(context.Context, ingestionv1.RejectionServiceClient) error) error {
	conn, err := dial(addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
	defer cancel()
	if err := f(ctx, ingestionv1.NewRejectionServiceClient(conn)); err != nil {
		return fmt.Errorf("ingestion at %s: %w", addr, err)
	}
	return nil
}

func printRejection(w io.Writer, r *ingestionv1.Rejection, withPayload bool) {
	fmt.Fprintf(w, "id:         %s\ntenant:     %s\nsubject:    %s\nstate:      %s\nrejected:   %s\ninvoice:    %s\ncode:       %s\nreason:     %s\n",
		r.GetId(), r.GetTenant(), r.GetSubject(), table.StateName(r.GetState()), r.GetRejectedAt().AsTime().Format(time.RFC3339),
		r.GetInvoiceNumber(), r.GetReasonCode(), r.GetReason())
	if r.GetClosedAt() != nil {
		fmt.Fprintf(w, "closed:     %s by %s (%s)\n", r.GetClosedAt().AsTime().Format(time.RFC3339), r.GetClosedBy(), r.GetNote())
	}
	if withPayload {
		fmt.Fprintf(w, "content:    %s\n", r.GetContentType())
		if strings.Contains(r.GetContentType(), "json") {
			fmt.Fprintf(w, "payload:\n%s\n", r.GetPayload())
		} else {
			fmt.Fprintf(w, "payload:    %d bytes of protobuf\n", len(r.GetPayload()))
		}
	}
}
