package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	dunning "github.com/o2c-platform/o2c/services/dunning/service"
)

// defaultMatchingAddr is matching's address in docker-compose.yml and
// `o2c demo`.
const defaultMatchingAddr = "127.0.0.1:9093"

// rejectionSources are the services whose RejectionService `o2c rejected`
// asks, with their address flags.
type rejectionSources struct {
	addrs   map[string]*string // service -> address
	service string             // --service filter
	cmd     *cobra.Command     // whose --credentials the calls present
}

func (s *rejectionSources) bind(cmd *cobra.Command) {
	s.cmd = cmd
	s.addrs = map[string]*string{"ingestion": new(string), "ledger": new(string), "matching": new(string), "dunning": new(string), "collections": new(string), "refund-import": new(string)}
	cmd.PersistentFlags().StringVar(s.addrs["ingestion"], "ingestion", envOr("O2C_INGESTION_ADDR", defaultIngestionAddr), "ingestion gRPC address (env O2C_INGESTION_ADDR)")
	cmd.PersistentFlags().StringVar(s.addrs["ledger"], "ledger", envOr("O2C_LEDGER_ADDR", defaultLedgerAddr), "ledger gRPC address (env O2C_LEDGER_ADDR)")
	cmd.PersistentFlags().StringVar(s.addrs["matching"], "matching", envOr("O2C_MATCHING_ADDR", defaultMatchingAddr), "matching gRPC address (env O2C_MATCHING_ADDR)")
	cmd.PersistentFlags().StringVar(s.addrs["dunning"], "dunning", envOr("O2C_DUNNING_ADDR", dunning.DefaultAddr), "dunning gRPC address (env O2C_DUNNING_ADDR)")
	cmd.PersistentFlags().StringVar(s.addrs["collections"], "collections", envOr("O2C_COLLECTIONS_ADDR", defaultCollectionsAddr), "collections' gRPC address (env O2C_COLLECTIONS_ADDR)")
	cmd.PersistentFlags().StringVar(s.addrs["refund-import"], "refund-import", envOr("O2C_REFUND_IMPORT_ADDR", defaultRefundImportAddr), "refund import's gRPC address (env O2C_REFUND_IMPORT_ADDR)")
	cmd.PersistentFlags().StringVar(&s.service, "service", "", "only this service's rejections (collections, dunning, ingestion, ledger, matching, refund-import); empty for all")
}

// services returns the services to ask, in a fixed order.
func (s *rejectionSources) services() ([]string, error) {
	var names []string
	for n := range s.addrs {
		names = append(names, n)
	}
	sort.Strings(names)
	if s.service == "" {
		return names, nil
	}
	if _, ok := s.addrs[s.service]; !ok {
		return nil, fmt.Errorf("--service %q: want one of %s", s.service, strings.Join(names, ", "))
	}
	return []string{s.service}, nil
}

// each runs f against the RejectionService of every selected service. It
// goes on past a service that cannot be reached and returns the errors
// joined, each explained and naming its service.
func (s *rejectionSources) each(ctx context.Context, f func(ctx context.Context, service string, c rejectionv1grpc.RejectionServiceClient) error) error {
	names, err := s.services()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		svc := serviceAt(n, *s.addrs[n])
		conn, err := dial(s.cmd, svc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = f(ctx, n, rejectionv1grpc.NewRejectionServiceClient(conn))
		conn.Close()
		if err != nil {
			errs = append(errs, explain(svc, err))
		}
	}
	return errors.Join(errs...)
}

// find runs f on the service that holds rejection id.
func (s *rejectionSources) find(ctx context.Context, id string, f func(ctx context.Context, c rejectionv1grpc.RejectionServiceClient) error) error {
	found := false
	err := s.each(ctx, func(ctx context.Context, service string, c rejectionv1grpc.RejectionServiceClient) error {
		if found {
			return nil
		}
		_, err := c.GetRejection(ctx, &rejectionv1.GetRejectionRequest{Id: id})
		if status.Code(err) == codes.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		return f(ctx, c)
	})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no service has a rejection %s", id)
	}
	return nil
}

func newRejectedCmd() *cobra.Command {
	var src rejectionSources
	var tenant, state string
	var limit int32
	cmd := &cobra.Command{
		Use:   "rejected [--tenant T] [--state open|replayed|resolved|all] [--service S]",
		Short: "List the messages every service rejected, and show, replay or resolve them",
		Long: `rejected lists what the services could not process — shop messages ingestion
refused, commands and invoices the ledger could not book, messages that kept
failing until their consumer gave up — newest first, from every service's
rejection store. A service that cannot be reached is named on stderr; the others
are still listed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, ok := map[string]rejectionv1.RejectionState{
				"open": rejectionv1.RejectionState_REJECTION_STATE_OPEN, "replayed": rejectionv1.RejectionState_REJECTION_STATE_REPLAYED,
				"resolved": rejectionv1.RejectionState_REJECTION_STATE_RESOLVED, "all": rejectionv1.RejectionState_REJECTION_STATE_UNSPECIFIED,
			}[state]
			if !ok {
				return fmt.Errorf("--state %q: want open, replayed, resolved or all", state)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			var all []*rejectionv1.Rejection
			err := src.each(ctx, func(ctx context.Context, _ string, c rejectionv1grpc.RejectionServiceClient) error {
				resp, err := c.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: tenant, State: st, Limit: limit})
				if err != nil {
					return err
				}
				all = append(all, resp.GetRejections()...)
				return nil
			})
			sort.SliceStable(all, func(i, j int) bool {
				return all[i].GetRejectedAt().AsTime().After(all[j].GetRejectedAt().AsTime())
			})
			if limit > 0 && len(all) > int(limit) {
				all = all[:limit]
			}
			table.Rejections(cmd.OutOrStdout(), all)
			return err
		},
	}
	src.bind(cmd)
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant id; empty for all")
	cmd.Flags().StringVar(&state, "state", "open", "open, replayed, resolved or all")
	cmd.Flags().Int32Var(&limit, "limit", 100, "maximum number of rejections")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one rejection with the message as received",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			return src.find(ctx, args[0], func(ctx context.Context, c rejectionv1grpc.RejectionServiceClient) error {
				resp, err := c.GetRejection(ctx, &rejectionv1.GetRejectionRequest{Id: args[0]})
				if err != nil {
					return err
				}
				printRejection(cmd.OutOrStdout(), resp.GetRejection(), true)
				return nil
			})
		},
	}
	var note string
	replay := &cobra.Command{
		Use:   "replay ID",
		Short: "Run a rejected message through the service that rejected it again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			return src.find(ctx, args[0], func(ctx context.Context, c rejectionv1grpc.RejectionServiceClient) error {
				resp, err := c.ReplayRejection(ctx, &rejectionv1.ReplayRejectionRequest{Id: args[0]})
				if err != nil {
					return err
				}
				printRejection(cmd.OutOrStdout(), resp.GetRejection(), false)
				if resp.GetRejection().GetState() != rejectionv1.RejectionState_REJECTION_STATE_REPLAYED {
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
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			return src.find(ctx, args[0], func(ctx context.Context, c rejectionv1grpc.RejectionServiceClient) error {
				resp, err := c.ResolveRejection(ctx, &rejectionv1.ResolveRejectionRequest{Id: args[0], Note: note})
				if err != nil {
					return err
				}
				printRejection(cmd.OutOrStdout(), resp.GetRejection(), false)
				return nil
			})
		},
	}
	resolve.Flags().StringVar(&note, "note", "", "why the rejection is closed (required)")
	_ = resolve.MarkFlagRequired("note")
	cmd.AddCommand(show, replay, resolve)
	return cmd
}

func printRejection(w io.Writer, r *rejectionv1.Rejection, withPayload bool) {
	fmt.Fprintf(w, "id:         %s\nservice:    %s (consumer %s)\ntenant:     %s\nsubject:    %s\nstate:      %s\nrejected:   %s\ndocument:   %s\ncode:       %s\nreason:     %s\ndeliveries: %d\n",
		r.GetId(), r.GetService(), r.GetConsumer(), r.GetTenant(), r.GetSubject(), table.StateName(r.GetState()),
		r.GetRejectedAt().AsTime().Format(time.RFC3339), r.GetDocument(), r.GetReasonCode(), r.GetReason(), r.GetDeliveries())
	for i, e := range r.GetDeliveryErrors() {
		fmt.Fprintf(w, "  earlier delivery %d: %s\n", i+1, e)
	}
	if r.GetClosedAt() != nil {
		fmt.Fprintf(w, "closed:     %s by %s (%s)\n", r.GetClosedAt().AsTime().Format(time.RFC3339), r.GetClosedBy(), r.GetNote())
	}
	if withPayload {
		fmt.Fprintf(w, "content:    %s\n", r.GetContentType())
		if strings.Contains(r.GetContentType(), "json") {
			fmt.Fprintf(w, "payload:\n%s\n", r.GetPayload())
		} else {
			fmt.Fprintf(w, "payload:    %s of protobuf\n", table.Count(len(r.GetPayload()), "byte"))
		}
	}
}
