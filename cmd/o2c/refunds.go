package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
)

// defaultRefundImportAddr is refund import's address in
// docker-compose.yml and `o2c demo`.
const defaultRefundImportAddr = "127.0.0.1:9096"

// refundFlags are what every `o2c refunds` command shares: where refund
// import is, the tenant and the output form.
type refundFlags struct{ serviceFlags }

func (f *refundFlags) bind(cmd *cobra.Command) {
	f.serviceFlags = serviceFlags{name: "refund-import", flag: "refund-import", env: "O2C_REFUND_IMPORT_ADDR", defaultAddr: defaultRefundImportAddr,
		addrHelp: "refund import's gRPC address", tenantWhy: "refunds are imported per tenant"}
	f.serviceFlags.bind(cmd)
}

// connect checks the shared flags and returns a client of refund import
// and a function that closes its connection.
func (f *refundFlags) connect(cmd *cobra.Command) (refundv1grpc.RefundServiceClient, func(), error) {
	conn, err := f.dial(cmd)
	if err != nil {
		return nil, nil, err
	}
	return refundv1grpc.NewRefundServiceClient(conn), func() { conn.Close() }, nil
}

// newRefundsCmd is `o2c refunds`: the marketplace refunds refund import
// takes from Amazon's SP-API and books as credit notes.
func newRefundsCmd() *cobra.Command {
	var f refundFlags
	cmd := &cobra.Command{
		Use:   "refunds",
		Short: "Import marketplace refunds (Amazon SP-API) as credit notes now, and show what was imported for an order",
		Long: `refunds works with refund import, which reads the refunds, A-to-z guarantee
claims, chargebacks and refund reversals of each seller account of a tenant's
refunds section (tenants file) from Amazon's SP-API by itself every four hours
(refunds.seller_accounts[].schedule) and books each as a credit note against its
order's open item, once by its adjustment id, order and item. A refund the shop
already credited is linked to the shop's credit note instead; one that would
credit more than was invoiced is held with the reason (review decides it:
booked or dismissed); one for an order the
ledger does not know yet waits for it; a reversal reverses the credit note. The
settlement reports of the seller account are fetched with the same run and
handed to ingestion.`,
	}
	f.bind(cmd)
	cmd.AddCommand(newRefundsImportCmd(&f), newRefundsListCmd(&f), newRefundsFetchesCmd(&f), newRefundsReviewCmd(&f))
	return cmd
}

func newRefundsImportCmd(f *refundFlags) *cobra.Command {
	var seller, since string
	var progress bool
	cmd := &cobra.Command{
		Use:   "import --tenant T [--seller S] [--since DATE]",
		Short: "Run the refund import now, for every seller account of the tenant or one",
		Long: `import runs the refund import of a tenant now, as its schedule would, for every
seller account of its refunds section one after the other, or for --seller
alone, and prints per seller account what it read and decided: pages and
financial events read, refunds booked as new credit notes, seen before
(duplicate, nothing booked), linked to a shop credit note, held for review,
waiting for their order, reversals booked, and settlement reports handed to
ingestion.

Without --since the run starts where the last one got to, less the seller
account's overlap (default 48h), so that late-posted events are not missed;
--since 2026-01-01 (a date, midnight UTC, or an RFC 3339 instant) reads again
from there. Reading again is always safe: a refund seen before books nothing.

While it runs, standard error shows how far each seller account has come on one
line redrawn in place on a terminal; --progress writes plain lines when it is
not a terminal, --progress=false shows nothing. --output json prints one JSON
object per seller account instead of the table (JSON Lines). The exit status
is 1 when the run failed for a seller account (its error is printed; what was
decided before stays decided, and the next run starts from the last window it
completed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &refundv1.RunImportRequest{Tenant: f.tenant, SellerAccount: seller}
			if since != "" {
				at, err := parseSince(since)
				if err != nil {
					return err
				}
				req.Since = timestamppb.New(at)
			}
			if !cmd.Flags().Changed("progress") {
				progress = isTerminal(cmd.ErrOrStderr())
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			run := &refundRun{out: cmd.OutOrStdout(), json: f.output == "json"}
			if progress {
				run.progress = cmd.ErrOrStderr()
				run.plain = !isTerminal(run.progress)
			}
			if err := run.do(cmd.Context(), client, req); err != nil {
				return explain(f.svc(), streamError(cmd, err))
			}
			if run.failed > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&seller, "seller", "", "only this seller account (tenants file: refunds.seller_accounts[].id)")
	cmd.Flags().StringVar(&since, "since", "", "read from this date (YYYY-MM-DD, midnight UTC) or RFC 3339 instant instead of where the last run got to")
	cmd.Flags().BoolVar(&progress, "progress", false, "show each seller account's progress on standard error, as plain lines when it is not a terminal (default: when standard error is a terminal)")
	return cmd
}

// parseSince reads --since: a calendar date (midnight UTC) or an RFC 3339
// instant.
func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date (2026-01-01) or an RFC 3339 instant (2026-01-01T00:00:00Z)", s)
}

// refundRun shows a RunImport call's progress and prints each seller
// account's result.
type refundRun struct {
	out      io.Writer
	json     bool
	progress io.Writer // nil: no progress
	plain    bool      // progress as plain lines, not redrawn in place
	now      func() time.Time

	last   time.Time // of the last progress line drawn
	drawn  bool      // a line on a terminal is to be cleared
	failed int       // seller accounts whose run failed
}

// do calls RunImport and reads its stream to the end.
func (r *refundRun) do(ctx context.Context, client refundv1grpc.RefundServiceClient, req *refundv1.RunImportRequest) error {
	if r.now == nil {
		r.now = time.Now
	}
	stream, err := client.RunImport(ctx, req)
	if err != nil {
		return err
	}
	results := 0
	for {
		p, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			r.clear()
			return err
		}
		if !p.GetDone() {
			r.draw(p)
			continue
		}
		r.clear()
		results++
		if p.GetError() != "" {
			r.failed++
		}
		r.print(p)
	}
	if results == 0 && !r.json {
		fmt.Fprintln(r.out, "no seller account was imported")
	}
	return nil
}

// importRunLine is a seller account's JSON line with --output json.
type importRunLine struct {
	SellerAccount     string `json:"seller_account"`
	Pages             int32  `json:"pages"`
	Events            int32  `json:"events"`
	New               int32  `json:"refunds_new"`
	Duplicate         int32  `json:"refunds_duplicate"`
	Linked            int32  `json:"linked"`
	Held              int32  `json:"held"`
	Waiting           int32  `json:"waiting"`
	Reversed          int32  `json:"reversed"`
	SettlementReports int32  `json:"settlement_reports"`
	Error             string `json:"error,omitempty"`
}

// print writes a seller account's result.
func (r *refundRun) print(p *refundv1.RunImportResponse) {
	if r.json {
		data, _ := json.Marshal(importRunLine{SellerAccount: p.GetSellerAccount(), Pages: p.GetPages(), Events: p.GetEvents(),
			New: p.GetRefundsNew(), Duplicate: p.GetRefundsDuplicate(), Linked: p.GetLinked(), Held: p.GetHeld(),
			Waiting: p.GetWaiting(), Reversed: p.GetReversed(), SettlementReports: p.GetSettlementReports(), Error: p.GetError()})
		fmt.Fprintf(r.out, "%s\n", data)
		return
	}
	status := "IMPORTED"
	if p.GetError() != "" {
		status = "FAILED"
	}
	fmt.Fprintf(r.out, "%s  %s  %s", p.GetSellerAccount(), status, refundCounts(p))
	if p.GetError() != "" {
		fmt.Fprintf(r.out, ": %s", p.GetError())
	}
	fmt.Fprintln(r.out)
}

// refundCounts says what a run read and decided: "3 pages, 250 events: 2
// booked, 1 duplicate, 1 linked, 0 held, 0 waiting, 0 reversed; 1
// settlement report".
func refundCounts(p *refundv1.RunImportResponse) string {
	return fmt.Sprintf("%s, %s: %s booked, %s duplicate, %s linked, %s held, %s waiting, %s reversed; %s",
		table.Count(int(p.GetPages()), "page"), grouped(int64(p.GetEvents()))+" "+eventsNoun(p.GetEvents()),
		grouped(int64(p.GetRefundsNew())), grouped(int64(p.GetRefundsDuplicate())), grouped(int64(p.GetLinked())),
		grouped(int64(p.GetHeld())), grouped(int64(p.GetWaiting())), grouped(int64(p.GetReversed())),
		table.Count(int(p.GetSettlementReports()), "settlement report"))
}

// eventsNoun is "event" for one, else "events" (the count itself is
// written with thousands separators, which table.Count does not).
func eventsNoun(n int32) string {
	if n == 1 {
		return "event"
	}
	return "events"
}

// draw shows a progress message: redrawn in place on a terminal at most
// every progressEvery, as a plain line at most every plainEvery.
func (r *refundRun) draw(p *refundv1.RunImportResponse) {
	if r.progress == nil {
		return
	}
	at := r.now()
	every := progressEvery
	if r.plain {
		every = plainEvery
	}
	if !r.last.IsZero() && at.Sub(r.last) < every {
		return
	}
	r.last = at
	line := p.GetSellerAccount() + ": " + refundCounts(p)
	if r.plain {
		fmt.Fprintln(r.progress, line)
		return
	}
	fmt.Fprintf(r.progress, "\r\033[K%s", line)
	r.drawn = true
}

// clear removes the progress line of a terminal.
func (r *refundRun) clear() {
	if r.progress != nil && r.drawn {
		fmt.Fprint(r.progress, "\r\033[K")
		r.drawn = false
	}
}

// maxRefundPages bounds the pages `o2c refunds list` reads.
const maxRefundPages = 10_000

func newRefundsListCmd(f *refundFlags) *cobra.Command {
	var order string
	var toReview bool
	var limit int
	cmd := &cobra.Command{
		Use:   "list --tenant T [--order ID] [--to-review] [--limit N]",
		Short: "Show the refunds imported for an order (or the tenant), with what was decided and why",
		Long: `list prints the refunds refund import took in for --order (a marketplace order
id, 302-1234567-7654321), or for the whole tenant newest first: the adjustment
id, the order, the kind (refund, guarantee_claim, chargeback, reversal), the
amount the buyer got back (fees excluded: matching books them with the payout),
when the marketplace posted it, where it was seen first (api or settlement),
what became of it (booked, linked, held, waiting, reversed, duplicate), why,
and the credit note booked (amazon-refund:<adjustment id>) or the shop's credit
note it was linked to. A booked refund whose order a shop credit note of its
amount credited afterwards is named below the table ("credited twice?", with
both credit notes; credited_again_by in JSON): one of the two credit notes is
to be undone. --to-review lists only the refunds that wait for a person: held
ones (o2c refunds review --book or --dismiss) and booked ones credited twice
that nobody kept (--keep). --output json prints one JSON object per refund
(JSON Lines). Without --order at most --limit refunds are listed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return fmt.Errorf("--limit %d: want at least 1", limit)
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			req := &refundv1.ListRefundsRequest{Tenant: f.tenant, OrderId: order, ToReview: toReview, PageSize: int32(min(limit, 1000))}
			var rs []*refundv1.Refund
			for range maxRefundPages {
				resp, err := client.ListRefunds(ctx, req)
				if err != nil {
					return explain(f.svc(), err)
				}
				rs = append(rs, resp.GetRefunds()...)
				if resp.GetNextPageToken() == "" || (order == "" && len(rs) >= limit) {
					break
				}
				req.PageToken = resp.GetNextPageToken()
			}
			if order == "" && len(rs) > limit {
				rs = rs[:limit]
			}
			if f.output == "json" {
				return writeRefundsJSON(cmd.OutOrStdout(), rs)
			}
			if toReview && len(rs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no refund waits for review")
				return nil
			}
			if order != "" && len(rs) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no refund imported for order %s\n", order)
				return nil
			}
			table.Refunds(cmd.OutOrStdout(), rs)
			return nil
		},
	}
	cmd.Flags().StringVar(&order, "order", "", "only this marketplace order id")
	cmd.Flags().BoolVar(&toReview, "to-review", false, "only the refunds held for review or credited twice")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many refunds without --order")
	return cmd
}

func newRefundsFetchesCmd(f *refundFlags) *cobra.Command {
	var seller string
	cmd := &cobra.Command{
		Use:   "fetches --tenant T [--seller S]",
		Short: "List the settlement reports refund import fetched through the Reports API and what ingestion answered",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			req := &refundv1.ListSettlementFetchesRequest{Tenant: f.tenant, SellerAccount: seller, PageSize: 1000}
			var fs []*refundv1.SettlementReportFetched
			for range maxRefundPages {
				resp, err := client.ListSettlementFetches(ctx, req)
				if err != nil {
					return explain(f.svc(), err)
				}
				fs = append(fs, resp.GetFetches()...)
				if resp.GetNextPageToken() == "" {
					break
				}
				req.PageToken = resp.GetNextPageToken()
			}
			if f.output == "json" {
				for _, x := range fs {
					data, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(x)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s\n", data)
				}
				return nil
			}
			table.SettlementFetches(cmd.OutOrStdout(), fs)
			return nil
		},
	}
	cmd.Flags().StringVar(&seller, "seller", "", "only this seller account")
	return cmd
}

func newRefundsReviewCmd(f *refundFlags) *cobra.Command {
	var adjustment, order, sku, reason string
	var book, dismiss, keep bool
	cmd := &cobra.Command{
		Use:   "review --tenant T --adjustment ID [--order ID] [--sku SKU] --book|--dismiss|--keep --reason TEXT",
		Short: "Decide a refund held for review (book its credit note, or dismiss it), or keep a booked one credited twice",
		Long: `review decides a refund refund import held for review (state held: an
over-refund, a refund in another currency than its order, fees only; list
shows why). --book books its credit note as the import would have
(amazon-refund:<adjustment id>, once whoever sends it); --dismiss books none
and records it as linked without a credit note: its deduction stays with the
marketplace's debtor, and matching books the payout that waited for it. Both
record you as the reviewer and --reason with the decision. --order and --sku
are needed only when the adjustment id names several refunds. A refund that is
not held (decided already, or reviewed before) is refused.

--keep is for a booked refund that list shows as credited twice (a shop credit
note of its amount credited the order after it was booked): both credit notes
stay, and the shop's no longer shows as credited twice (a later one does).
Use it when the order is meant to be credited by both, such as a goodwill on
top; otherwise undo one of the two. Accountants and operators only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if adjustment == "" {
				return errors.New("--adjustment is required: the marketplace's adjustment id of the held refund (o2c refunds list)")
			}
			n := 0
			for _, b := range []bool{book, dismiss, keep} {
				if b {
					n++
				}
			}
			if n != 1 {
				return errors.New("give exactly one of --book, --dismiss and --keep")
			}
			if strings.TrimSpace(reason) == "" {
				return errors.New("--reason is required: say why the refund is booked, dismissed or kept")
			}
			req := &refundv1.ReviewRefundRequest{Tenant: f.tenant, AdjustmentId: adjustment, OrderId: order, Sku: sku, Reason: reason,
				Action: refundv1.ReviewAction_REVIEW_ACTION_BOOK}
			switch {
			case dismiss:
				req.Action = refundv1.ReviewAction_REVIEW_ACTION_DISMISS
			case keep:
				req.Action = refundv1.ReviewAction_REVIEW_ACTION_KEEP
			}
			client, closeConn, err := f.connect(cmd)
			if err != nil {
				return err
			}
			defer closeConn()
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			resp, err := client.ReviewRefund(ctx, req)
			if err != nil {
				return explain(f.svc(), err)
			}
			r := resp.GetRefund()
			if f.output == "json" {
				return writeRefundsJSON(cmd.OutOrStdout(), []*refundv1.Refund{r})
			}
			what := "dismissed: no credit note, the deduction stays with the marketplace's debtor"
			switch {
			case keep:
				what = fmt.Sprintf("kept as credit note %s beside the shop's %s", r.GetCreditNoteNumber(), strings.Join(r.GetCreditedAgainKept(), ", "))
			case r.GetState() == refundv1.RefundState_REFUND_STATE_BOOKED:
				what = "booked as credit note " + r.GetCreditNoteNumber()
			}
			fmt.Fprintf(cmd.OutOrStdout(), "refund %s of order %s (%s) %s, reviewed by %s\n", r.GetAdjustmentId(), r.GetOrderId(),
				r.GetSku(), what, r.GetReviewedBy())
			return nil
		},
	}
	cmd.Flags().StringVar(&adjustment, "adjustment", "", "the held refund's adjustment id (required)")
	cmd.Flags().StringVar(&order, "order", "", "its marketplace order id, when the adjustment id names several refunds")
	cmd.Flags().StringVar(&sku, "sku", "", "its SKU, when the adjustment id and order name several refunds")
	cmd.Flags().BoolVar(&book, "book", false, "book the refund's credit note")
	cmd.Flags().BoolVar(&dismiss, "dismiss", false, "book no credit note; the deduction stays with the marketplace's debtor")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep a booked refund and the shop credit notes that credited its order again")
	cmd.Flags().StringVar(&reason, "reason", "", "why, recorded with the decision (required)")
	return cmd
}

// importedRefundLine is an imported refund's JSON line with --output json: amounts in minor
// units, instants in RFC 3339.
type importedRefundLine struct {
	AdjustmentID     string `json:"adjustment_id"`
	OrderID          string `json:"order_id"`
	OrderItemID      string `json:"order_item_id,omitempty"`
	SKU              string `json:"sku,omitempty"`
	SellerAccount    string `json:"seller_account,omitempty"`
	MarketplaceID    string `json:"marketplace_id,omitempty"`
	Kind             string `json:"kind"`
	AmountMinor      int64  `json:"amount_minor"`
	Currency         string `json:"currency"`
	Posted           string `json:"posted,omitempty"`
	Source           string `json:"source"`
	State            string `json:"state"`
	Reason           string `json:"reason,omitempty"`
	CreditNoteNumber string `json:"credit_note_number,omitempty"`
	OpenItemID       string `json:"open_item_id,omitempty"`
	EntryID          string `json:"entry_id,omitempty"`
	ReversedAdjustID string `json:"reversed_adjustment_id,omitempty"`
	ReviewedBy       string `json:"reviewed_by,omitempty"`
	// CreditedAgainBy are the shop credit notes that credited the order
	// after this booked refund (Refund.credited_again_by).
	CreditedAgainBy []string `json:"credited_again_by,omitempty"`
}

// writeRefundsJSON writes one JSON line per refund.
func writeRefundsJSON(w io.Writer, rs []*refundv1.Refund) error {
	enc := json.NewEncoder(w)
	for _, r := range rs {
		l := importedRefundLine{AdjustmentID: r.GetAdjustmentId(), OrderID: r.GetOrderId(), OrderItemID: r.GetOrderItemId(), SKU: r.GetSku(),
			SellerAccount: r.GetSellerAccount(), MarketplaceID: r.GetMarketplaceId(), Kind: table.RefundKindWord(r.GetKind()),
			AmountMinor: r.GetAmount().GetMinorUnits(), Currency: r.GetAmount().GetCurrency(), Source: table.RefundSourceWord(r.GetSource()),
			State: table.RefundStateWord(r.GetState()), Reason: r.GetReason(), CreditNoteNumber: r.GetCreditNoteNumber(),
			OpenItemID: r.GetOpenItemId(), EntryID: r.GetEntryId(), ReversedAdjustID: r.GetReversedAdjustmentId(), ReviewedBy: r.GetReviewedBy(),
			CreditedAgainBy: r.GetCreditedAgainBy()}
		if r.GetPosted() != nil {
			l.Posted = r.GetPosted().AsTime().UTC().Format(time.RFC3339)
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}
