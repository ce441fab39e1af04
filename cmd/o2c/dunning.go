package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// defaultDunningAddr is dunning's address in docker-compose.yml and `o2c
// demo` (service.DefaultAddr of services/dunning).
const defaultDunningAddr = "127.0.0.1:9094"

// dunningFlags are what every `o2c dunning` command shares: where dunning
// is, the tenant and the output form.
type dunningFlags struct{ serviceFlags }

func (f *dunningFlags) bind(cmd *cobra.Command) {
	f.serviceFlags = serviceFlags{name: "dunning", flag: "dunning", env: "O2C_DUNNING_ADDR", defaultAddr: defaultDunningAddr,
		addrHelp: "dunning's gRPC address", tenantWhy: "dunning runs per tenant"}
	f.serviceFlags.bind(cmd)
}

// connect checks the shared flags and returns a client of dunning and a
// function that closes its connection.
func (f *dunningFlags) connect(cmd *cobra.Command) (dunningv1grpc.DunningServiceClient, func(), error) {
	conn, err := f.dial(cmd)
	if err != nil {
		return nil, nil, err
	}
	return dunningv1grpc.NewDunningServiceClient(conn), func() { conn.Close() }, nil
}

// parseDunningDate reads a flag's calendar date (YYYY-MM-DD); empty is
// unset.
func parseDunningDate(flag, s string) (*commonv1.Date, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: want a date YYYY-MM-DD", flag, s)
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}, nil
}

func dunningDate(d *commonv1.Date) string {
	if d == nil || d.GetYear() == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

func dunningMoney(m *commonv1.Money) string {
	return strings.TrimSpace(table.Money(m.GetMinorUnits(), m.GetCurrency()) + " " + m.GetCurrency())
}

// writeJSONLine writes m as one line of JSON with the proto field names.
func writeJSONLine(w io.Writer, m proto.Message) error {
	data, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// newDunningCmd is `o2c dunning`: the daily dunning run, the state of a
// debtor and why, blocks, notices, procedures and a backtest.
func newDunningCmd() *cobra.Command {
	var f dunningFlags
	cmd := &cobra.Command{
		Use:   "dunning",
		Short: "Run dunning, explain a debtor's dunning state, set and lift blocks, read notices, backtest a procedure",
		Long: `dunning works with the dunning service, which decides every day, per tenant, which
debtor gets which reminder from the ledger's open items (procedures: the dunning
section of the tenants file), books fees and default interest in the ledger as
charges of their own, puts the notices (PDF, text and HTML) in its outbox and
releases final-level items to collections. Every decision is stored with its
inputs, so status says why and simulate replays history under another
procedure.`,
	}
	f.bind(cmd)
	cmd.AddCommand(newDunningRunCmd(&f), newDunningStatusCmd(&f), newDunningSimulateCmd(&f), newDunningBlockCmd(&f),
		newDunningUnblockCmd(&f), newDunningBlocksCmd(&f), newDunningNoticesCmd(&f), newDunningProceduresCmd(&f))
	return cmd
}

func newDunningRunCmd(f *dunningFlags) *cobra.Command {
	var date string
	var dry bool
	cmd := &cobra.Command{
		Use:   "run --tenant T [--date D] [--dry-run]",
		Short: "Run the tenant's dunning for a date now (idempotent: a date run before sends nothing again)",
		Long: `run decides every debtor of the tenant with open items for --date (default: today
in the service's zone), as the daily schedule does: notices, fees and interest
booked as ledger charges, releases to collections. A debtor decided for the date
before is not decided again, so running a date twice sends nothing twice.
--dry-run decides and prints what would be sent, and stores and sends nothing.
It prints the totals and, per debtor with a notice, charge or release, one line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseDunningDate("date", date)
			if err != nil {
				return err
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			stream, err := client.Run(cmd.Context(), &dunningv1.RunRequest{Tenant: f.tenant, Date: d, DryRun: dry})
			if err != nil {
				return explain(f.svc(), err)
			}
			out := cmd.OutOrStdout()
			var last *dunningv1.RunResponse
			for {
				p, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return explain(f.svc(), streamError(cmd, err))
				}
				last = p
				for _, dec := range p.GetDecisions() {
					if f.output == "json" {
						if err := writeJSONLine(out, dec); err != nil {
							return err
						}
						continue
					}
					fmt.Fprintln(out, decisionLine(dec))
				}
			}
			if f.output == "json" {
				return nil
			}
			verb := "sent"
			if dry {
				verb = "would send (dry run, nothing stored)"
			}
			fmt.Fprintf(out, "%s of %s decided, %s of them before: %s %s, %s, %s released to collections\n", grouped(int64(last.GetDebtorsDone())),
				table.Count(int(last.GetDebtorsTotal()), "debtor"), grouped(int64(last.GetAlreadyDecided())), verb,
				table.Count(int(last.GetNotices()), "notice"), table.Count(int(last.GetCharges()), "charge"),
				table.Count(int(last.GetReleases()), "debtor"))
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "date of the run, YYYY-MM-DD (default: today)")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "decide and print, store and send nothing")
	return cmd
}

// decisionLine is one line about a decision: debtor, level, notice,
// charges, releases.
func decisionLine(d *dunningv1.DunningDecisionRecorded) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  %s v%d", dunningDate(d.GetDate()), d.GetDebtorId(), d.GetProcedureId(), d.GetProcedureVersion())
	if n := d.GetNotice(); n != nil {
		fmt.Fprintf(&b, "  notice %s level %d (%d items, %s)", n.GetNoticeId(), n.GetLevel(), len(n.GetItems()), dunningMoney(n.GetTotal()))
	}
	for _, c := range d.GetCharges() {
		fmt.Fprintf(&b, "  %s %s on %s", c.GetKind(), dunningMoney(c.GetAmount()), c.GetClaimOpenItemId())
	}
	if len(d.GetReleased()) > 0 {
		fmt.Fprintf(&b, "  released to collections: %s", strings.Join(d.GetReleased(), " "))
	}
	return b.String()
}

func newDunningStatusCmd(f *dunningFlags) *cobra.Command {
	var debtor, asOf string
	var history bool
	cmd := &cobra.Command{
		Use:   "status --tenant T --debtor D [--as-of DATE] [--history]",
		Short: "Show a debtor's dunning state on a date and why (from the stored decisions)",
		Long: `status shows the dunning state of --debtor as it was on --as-of (default: today):
each item's level, default date and basis, the last notice, the blocks that
held, and the last decision with its rules, the items it skipped and why, the
procedure and version. --history lists every decision up to the date.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if debtor == "" {
				return errors.New("--debtor is required")
			}
			d, err := parseDunningDate("as-of", asOf)
			if err != nil {
				return err
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			st, err := client.Status(ctx, &dunningv1.StatusRequest{Tenant: f.tenant, DebtorId: debtor, AsOf: d})
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				return writeJSONLine(cmd.OutOrStdout(), st)
			}
			writeStatus(cmd.OutOrStdout(), st, history)
			return nil
		},
	}
	cmd.Flags().StringVar(&debtor, "debtor", "", "debtor id (required)")
	cmd.Flags().StringVar(&asOf, "as-of", "", "date, YYYY-MM-DD (default: today)")
	cmd.Flags().BoolVar(&history, "history", false, "list every decision up to the date")
	return cmd
}

// writeStatus prints a debtor's status for people.
func writeStatus(w io.Writer, st *dunningv1.StatusResponse, history bool) {
	fmt.Fprintf(w, "debtor %s as of %s\n", st.GetDebtorId(), dunningDate(st.GetAsOf()))
	last := st.GetLastDecision()
	if last == nil {
		fmt.Fprintln(w, "no dunning decision up to this date")
	} else {
		fmt.Fprintf(w, "last decision %s under procedure %s version %d; last notice %s\n", dunningDate(last.GetDate()),
			last.GetProcedureId(), last.GetProcedureVersion(), orElse(dunningDate(st.GetLastNotice()), "none"))
	}
	if len(st.GetItems()) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ITEM\tDOCUMENT\tLEVEL\tOPEN\tDEFAULT SINCE\tBASIS\tRELEASED")
		for _, it := range st.GetItems() {
			rel := ""
			if it.GetReleased() {
				rel = "yes"
			}
			open := ""
			if it.GetOpen() != nil {
				open = dunningMoney(it.GetOpen())
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", it.GetOpenItemId(), it.GetDocumentNumber(), it.GetLevel(), open,
				dunningDate(it.GetDefault().GetDate()), it.GetDefault().GetBasis(), rel)
		}
		tw.Flush()
	}
	for _, b := range st.GetBlocks() {
		on := "the debtor"
		if b.GetOpenItemId() != "" {
			on = "item " + b.GetOpenItemId()
		}
		fmt.Fprintf(w, "block %s on %s: %s, set by %s on %s, source %s, expires %s\n", b.GetBlockId(), on, b.GetReason(), b.GetSetBy(),
			dunningDate(b.GetSetDate()), orElse(b.GetSource(), "-"), orElse(dunningDate(b.GetExpires()), "never"))
	}
	if last != nil {
		explainDecision(w, last)
	}
	if history {
		fmt.Fprintln(w, "decisions:")
		for _, d := range st.GetDecisions() {
			fmt.Fprintln(w, "  "+decisionLine(d))
		}
	}
}

// explainDecision prints why a decision decided as it did.
func explainDecision(w io.Writer, d *dunningv1.DunningDecisionRecorded) {
	if n := d.GetNotice(); n != nil {
		fmt.Fprintf(w, "notice %s: level %d (%s), total %s, pay by %s, reference %q\n", n.GetNoticeId(), n.GetLevel(), n.GetTemplate(),
			dunningMoney(n.GetTotal()), dunningDate(n.GetPayBy()), n.GetPaymentReference())
		for _, p := range n.GetInterest() {
			fmt.Fprintf(w, "  interest on %s: %s to %s, %d days at %s %% on %s = %s\n", p.GetClaimOpenItemId(), dunningDate(p.GetFrom()),
				dunningDate(p.GetTo()), p.GetDays(), bpPercent(p.GetRateBp()), dunningMoney(p.GetPrincipal()), dunningMoney(p.GetAmount()))
		}
	}
	for _, s := range d.GetSkipped() {
		fmt.Fprintf(w, "skipped %s: %s\n", s.GetOpenItemId(), s.GetReason())
	}
	for _, r := range d.GetRules() {
		fmt.Fprintf(w, "rule: %s\n", r)
	}
	for _, x := range d.GetWarnings() {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
}

// bpPercent writes basis points as a percentage: 627 is "6.27", -88
// "-0.88".
func bpPercent(bp int32) string {
	sign := ""
	if bp < 0 {
		sign, bp = "-", -bp
	}
	return fmt.Sprintf("%s%d.%02d", sign, bp/100, bp%100)
}

func newDunningSimulateCmd(f *dunningFlags) *cobra.Command {
	var file, from, to string
	cmd := &cobra.Command{
		Use:   "simulate --tenant T --procedure FILE --from DATE --to DATE",
		Short: "Replay the stored decisions of a period under another procedure and list what would have differed",
		Long: `simulate reads --procedure, a JSON file in the shape of the tenants file's dunning
section (procedures with their levels, day count, ...), replays every decision
stored for the tenant from --from to --to with its stored inputs under it, and
lists per debtor and date where notices, fees and interest or releases to
collections would have differed, with the totals before and after: a backtest
before a change. Nothing is stored or sent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("--procedure is required: the dunning section to try, as a JSON file")
			}
			raw, err := readSmallFile(file, maxProcedureFile)
			if err != nil {
				return err
			}
			fd, err := parseDunningDate("from", from)
			if err != nil {
				return err
			}
			td, err := parseDunningDate("to", to)
			if err != nil {
				return err
			}
			if fd == nil || td == nil {
				return errors.New("--from and --to are required")
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			res, err := client.Simulate(ctx, &dunningv1.SimulateRequest{Tenant: f.tenant, ProcedureJson: raw, From: fd, To: td})
			if err != nil {
				return explain(f.svc(), fmt.Errorf("%s: %w", file, err))
			}
			out := cmd.OutOrStdout()
			if f.output == "json" {
				return writeJSONLine(out, res)
			}
			for _, d := range res.GetDifferences() {
				fmt.Fprintf(out, "%s  %s  %s\n", dunningDate(d.GetDate()), d.GetDebtorId(), strings.Join(d.GetWhat(), "; "))
			}
			fmt.Fprintf(out, "%s replayed, %s: notices %d -> %d, charged %s -> %s, releases %d -> %d\n",
				table.Count(int(res.GetDecisions()), "decision"), table.Count(len(res.GetDifferences()), "difference"),
				res.GetNoticesWas(), res.GetNoticesWould(), dunningMoney(res.GetChargedWas()), dunningMoney(res.GetChargedWould()),
				res.GetReleasesWas(), res.GetReleasesWould())
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "procedure", "", "JSON file with the dunning section to try (required)")
	cmd.Flags().StringVar(&from, "from", "", "first day, YYYY-MM-DD (required)")
	cmd.Flags().StringVar(&to, "to", "", "last day, YYYY-MM-DD (required)")
	return cmd
}

func newDunningBlockCmd(f *dunningFlags) *cobra.Command {
	var debtor, item, reason, source, expires string
	cmd := &cobra.Command{
		Use:   "block --tenant T --debtor D [--item ID] --reason R [--source S] [--expires DATE]",
		Short: "Set a dunning block (Mahnsperre) on a debtor or one of its items",
		Long: `block stops dunning for --debtor, or only for its open item --item (the debtor's
other items are still dunned), for --reason: dispute, promise-to-pay,
marketplace-claim, insolvency, customer-service or deceased. --source names
where it came from (a dispute or ticket id); --expires lifts it on that day.
It prints the block's id, which unblock takes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if debtor == "" || reason == "" {
				return errors.New("--debtor and --reason are required")
			}
			exp, err := parseDunningDate("expires", expires)
			if err != nil {
				return err
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			res, err := client.SetBlock(ctx, &dunningv1.SetBlockRequest{Tenant: f.tenant, DebtorId: debtor, OpenItemId: item, Reason: reason,
				Source: source, Expires: exp})
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				return writeJSONLine(cmd.OutOrStdout(), res.GetBlock())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "block %s set\n", res.GetBlock().GetBlockId())
			return nil
		},
	}
	cmd.Flags().StringVar(&debtor, "debtor", "", "debtor id (required)")
	cmd.Flags().StringVar(&item, "item", "", "open item id; empty blocks the whole debtor")
	cmd.Flags().StringVar(&reason, "reason", "", "dispute|promise-to-pay|marketplace-claim|insolvency|customer-service|deceased (required)")
	cmd.Flags().StringVar(&source, "source", "", "where the block came from (dispute or ticket id)")
	cmd.Flags().StringVar(&expires, "expires", "", "day the block ends, YYYY-MM-DD")
	return cmd
}

func newDunningUnblockCmd(f *dunningFlags) *cobra.Command {
	var debtor string
	cmd := &cobra.Command{
		Use:   "unblock --tenant T [--debtor D] BLOCK-ID",
		Short: "Lift a dunning block",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			res, err := client.LiftBlock(ctx, &dunningv1.LiftBlockRequest{Tenant: f.tenant, DebtorId: debtor, BlockId: args[0]})
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				return writeJSONLine(cmd.OutOrStdout(), res.GetBlock())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "block %s lifted\n", res.GetBlock().GetBlockId())
			return nil
		},
	}
	cmd.Flags().StringVar(&debtor, "debtor", "", "debtor id the block must be on")
	return cmd
}

func newDunningBlocksCmd(f *dunningFlags) *cobra.Command {
	var debtor string
	var all bool
	cmd := &cobra.Command{
		Use:   "blocks --tenant T [--debtor D] [--all]",
		Short: "List dunning blocks (those that hold; --all: lifted ones too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			res, err := client.ListBlocks(ctx, &dunningv1.ListBlocksRequest{Tenant: f.tenant, DebtorId: debtor, IncludeLifted: all})
			if err != nil {
				return explain(f.svc(), err)
			}
			out := cmd.OutOrStdout()
			if f.output == "json" {
				for _, b := range res.GetBlocks() {
					if err := writeJSONLine(out, b); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "BLOCK\tDEBTOR\tITEM\tREASON\tSET\tBY\tSOURCE\tEXPIRES\tLIFTED")
			for _, b := range res.GetBlocks() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.GetBlockId(), b.GetDebtorId(), orElse(b.GetOpenItemId(), "-"), b.GetReason(),
					dunningDate(b.GetSetDate()), b.GetSetBy(), orElse(b.GetSource(), "-"), orElse(dunningDate(b.GetExpires()), "-"),
					orElse(dunningDate(b.GetLiftedOn()), "-"))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&debtor, "debtor", "", "only this debtor's")
	cmd.Flags().BoolVar(&all, "all", false, "list lifted blocks too")
	return cmd
}

func newDunningNoticesCmd(f *dunningFlags) *cobra.Command {
	var debtor, get, out string
	var limit int
	cmd := &cobra.Command{
		Use:   "notices --tenant T [--debtor D] [--get ID --out FILE]",
		Short: "List the notices sent, or write a copy of one (PDF, or its text with --out -)",
		Long: `notices lists the tenant's notices, newest first (of --debtor alone when given).
--get ID writes a copy of notice ID from the outbox: the PDF to --out FILE, or
its text e-mail body to standard output with --out - (or without --out).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			w := cmd.OutOrStdout()
			if get != "" {
				res, err := client.GetNotice(ctx, &dunningv1.GetNoticeRequest{Tenant: f.tenant, NoticeId: get})
				if err != nil {
					return explain(f.svc(), err)
				}
				if out == "" || out == "-" {
					_, err := io.WriteString(w, res.GetText())
					return err
				}
				if err := os.WriteFile(out, res.GetPdf(), 0o600); err != nil {
					return err
				}
				fmt.Fprintf(w, "notice %s written to %s (%d bytes)\n", get, out, len(res.GetPdf()))
				return nil
			}
			if limit < 1 || limit > 1000 {
				return fmt.Errorf("--limit %d: want 1 to 1000", limit)
			}
			res, err := client.ListNotices(ctx, &dunningv1.ListNoticesRequest{Tenant: f.tenant, DebtorId: debtor, PageSize: int32(limit)})
			if err != nil {
				return explain(f.svc(), err)
			}
			if f.output == "json" {
				for _, n := range res.GetNotices() {
					if err := writeJSONLine(w, n); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NOTICE\tDEBTOR\tDATE\tLEVEL\tITEMS\tTOTAL")
			for _, n := range res.GetNotices() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", n.GetNoticeId(), n.GetDebtorId(), dunningDate(n.GetDate()), n.GetLevel(), n.GetItems(),
					dunningMoney(n.GetTotal()))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&debtor, "debtor", "", "only this debtor's notices")
	cmd.Flags().StringVar(&get, "get", "", "write a copy of this notice")
	cmd.Flags().StringVar(&out, "out", "", "with --get: the PDF's file, or - for the text on standard output")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many notices")
	return cmd
}

func newDunningProceduresCmd(f *dunningFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "procedures --tenant T",
		Short: "List the tenant's dunning procedures with their levels, and its settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			res, err := client.ListProcedures(ctx, &dunningv1.ListProceduresRequest{Tenant: f.tenant})
			if err != nil {
				return explain(f.svc(), err)
			}
			w := cmd.OutOrStdout()
			if f.output == "json" {
				return writeJSONLine(w, res)
			}
			fmt.Fprintf(w, "day count %s; warn of time-barred claims %d days ahead; a dispute blocks the whole debtor: %t\n",
				res.GetDayCount(), res.GetWarnTimeBarredWithin(), res.GetDisputeBlocksDebtor())
			for _, p := range res.GetProcedures() {
				fmt.Fprintf(w, "procedure %s version %d, valid from %s, for %s\n", p.GetProcedureId(), p.GetVersion(), dunningDate(p.GetValidFrom()),
					strings.Join(p.GetGroups(), ", "))
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "  LEVEL\tDAYS PAST DUE\tINTERVAL\tMIN OPEN\tFEE\tINTEREST\tTEMPLATE\tFLAGS")
				for _, l := range p.GetLevels() {
					fmt.Fprintf(tw, "  %d\t%d\t%d\t%s\t%s\t%t\t%s\t%s\n", l.GetNumber(), l.GetDaysPastDue(), l.GetMinIntervalDays(),
						dunningMoney(l.GetMinOpen()), levelFee(l), l.GetInterest(), l.GetTemplate(), levelFlags(l))
				}
				tw.Flush()
			}
			return nil
		},
	}
	return cmd
}

func levelFee(l *dunningv1.Level) string {
	switch l.GetFeeKind() {
	case "fixed", "material", "lump-sum-288":
		return l.GetFeeKind() + " " + dunningMoney(l.GetFee())
	case "percent":
		return "percent " + bpPercent(l.GetFeeBp()) + " %"
	}
	return orElse(l.GetFeeKind(), "none")
}

func levelFlags(l *dunningv1.Level) string {
	var fs []string
	for _, x := range []struct {
		on   bool
		name string
	}{{l.GetCreatesDefault(), "creates-default"}, {l.GetListAllDue(), "list-all-due"}, {l.GetAlwaysDun(), "always-dun"},
		{l.GetReleaseToCollections(), "release-to-collections"}} {
		if x.on {
			fs = append(fs, x.name)
		}
	}
	return orElse(strings.Join(fs, ","), "-")
}

// maxProcedureFile is the largest dunning procedure file the backtest
// reads; a tenant's dunning section is a few kilobytes.
const maxProcedureFile = 16 << 20
