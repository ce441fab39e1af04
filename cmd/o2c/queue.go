package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/money"
)

// queueOutputs are the forms `o2c queue` prints in.
var queueOutputs = []string{"table", "json"}

// queueFlags are what every `o2c queue` command shares: where matching
// and the ledger are, the tenant and the output form.
type queueFlags struct {
	matching, ledger, tenant, output string
}

func (q *queueFlags) bind(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&q.matching, "matching", envOr("O2C_MATCHING_ADDR", defaultMatchingAddr), "matching gRPC address (env O2C_MATCHING_ADDR)")
	cmd.PersistentFlags().StringVar(&q.ledger, "ledger", envOr("O2C_LEDGER_ADDR", defaultLedgerAddr),
		"ledger gRPC address (env O2C_LEDGER_ADDR), asked for the document numbers of open items")
	cmd.PersistentFlags().StringVar(&q.tenant, "tenant", "", "tenant id (required)")
	cmd.PersistentFlags().StringVarP(&q.output, "output", "o", "table", "output: "+strings.Join(queueOutputs, "|")+" (json prints one JSON object per payment, JSON Lines)")
}

func (q *queueFlags) svc() service { return serviceAt("matching", q.matching) }

// call checks the shared flags, connects to matching and runs do with a
// deadline; a failed call is explained in the user's terms.
func (q *queueFlags) call(cmd *cobra.Command, do func(context.Context, matchingv1grpc.MatchingServiceClient) error) error {
	if q.tenant == "" {
		return errors.New("--tenant is required: the exception queue is a tenant's")
	}
	if q.output != "table" && q.output != "json" {
		return fmt.Errorf("unknown --output %q (want one of %s)", q.output, strings.Join(queueOutputs, ", "))
	}
	conn, err := dial(cmd, q.svc())
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
	defer cancel()
	return explain(q.svc(), do(ctx, matchingv1grpc.NewMatchingServiceClient(conn)))
}

// get returns one payment of the queue.
func (q *queueFlags) get(ctx context.Context, c matchingv1grpc.MatchingServiceClient, id string) (*matchingv1.Exception, error) {
	resp, err := c.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: q.tenant, PaymentId: id})
	if err != nil {
		return nil, err
	}
	return resp.GetException(), nil
}

// openItems returns the open items of debtor the ledger holds. The error
// is explained in the user's terms.
func (q *queueFlags) openItems(ctx context.Context, cmd *cobra.Command, debtor string) ([]*ledgerv1.OpenItem, error) {
	conn, err := dial(cmd, ledgerAt(q.ledger))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	resp, err := ledgerv1grpc.NewLedgerServiceClient(conn).ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: q.tenant, DebtorId: debtor})
	if err != nil {
		return nil, explain(ledgerAt(q.ledger), err)
	}
	return resp.GetOpenItems(), nil
}

// docs returns the document numbers of the open items of the debtors es
// name, by item id, for the tables. It is a courtesy: when the ledger
// cannot be asked it says so on stderr and the items are shown by id.
// Cleared items are not open any more and keep their ids.
func (q *queueFlags) docs(ctx context.Context, cmd *cobra.Command, es ...*matchingv1.Exception) map[string]string {
	out := map[string]string{}
	seen := map[string]bool{}
	for _, e := range es {
		ps := append([]*matchingv1.Proposal{e.GetMatch()}, e.GetProposals()...)
		for _, p := range ps {
			d := p.GetDebtorId()
			if d == "" || seen[d] || len(p.GetAllocations()) == 0 {
				continue
			}
			seen[d] = true
			items, err := q.openItems(ctx, cmd, d)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "o2c: open items are shown by id: %v\n", err)
				return out
			}
			for _, it := range items {
				out[it.GetId()] = it.GetDocumentNumber()
			}
		}
	}
	return out
}

// printList writes es as a table of the queue, or as JSON Lines.
func (q *queueFlags) printList(w io.Writer, es []*matchingv1.Exception) error {
	if q.output == "json" {
		return writeExceptionsJSON(w, es, nil)
	}
	table.Exceptions(w, es)
	return nil
}

// printOne writes e in full, or as one JSON line.
func (q *queueFlags) printOne(w io.Writer, e *matchingv1.Exception, docs map[string]string) error {
	if q.output == "json" {
		return writeExceptionsJSON(w, []*matchingv1.Exception{e}, docs)
	}
	table.Exception(w, e, docs)
	return nil
}

// newQueueCmd is `o2c queue`: matching's exception queue, the bank
// receipts and returns the engine did not book by itself, and what a
// person decides about them.
func newQueueCmd() *cobra.Command {
	var q queueFlags
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Work matching's exception queue: list, show, confirm, match by hand, split, park, unmatch",
		Long: `queue works the exception queue of cash application: the bank receipts and
returns matching did not book by itself, each with the engine's ranked proposals
(open items and amounts, the difference, a score 0-100 and why), and the
payments it did book, which can be unmatched.

Every decision is booked through the ledger (from the unidentified receipts
clearing account to the debtor) and recorded under the credentials' actor; a
confirmed or manual match teaches the engine the payer for the debtor.

Amounts are decimal text in the payment's currency (12.50 or 12,50), taken
exactly: an amount with more decimals than the currency has is refused, never
rounded. Open items are named by their document number (RE-2026-1001) or the
ledger's open item id. A payment changed by someone else since the --version
given is refused instead of overwritten; o2c queue show prints the version.`,
	}
	q.bind(cmd)
	cmd.AddCommand(newQueueListCmd(&q), newQueueShowCmd(&q), newQueueConfirmCmd(&q), newQueueMatchCmd(&q),
		newQueueSplitCmd(&q), newQueueParkCmd(&q), newQueueUnmatchCmd(&q))
	return cmd
}

// queueStates are the states `o2c queue list --state` takes.
var queueStates = map[string][]matchingv1.ExceptionState{
	"open":    {matchingv1.ExceptionState_EXCEPTION_STATE_OPEN},
	"parked":  {matchingv1.ExceptionState_EXCEPTION_STATE_PARKED},
	"matched": {matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED},
	"split":   {matchingv1.ExceptionState_EXCEPTION_STATE_SPLIT},
	"all": {matchingv1.ExceptionState_EXCEPTION_STATE_OPEN, matchingv1.ExceptionState_EXCEPTION_STATE_PARKED,
		matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED, matchingv1.ExceptionState_EXCEPTION_STATE_SPLIT},
}

func newQueueListCmd(q *queueFlags) *cobra.Command {
	var states []string
	var olderThan, newerThan, minAmount, maxAmount, currency, debtor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list --tenant T [--older-than 3d] [--min-amount 10.00] [--max-amount 500] [--debtor D] [--state open,parked]",
		Short: "List the payments waiting in the exception queue, oldest first",
		Long: `list prints the tenant's payments in the exception queue, oldest first: when
each arrived, its amount, where it stands, what the engine decided with which
score, the debtor of its best proposal and its remittance text. By default the
open and parked ones; --state matched lists booked payments (to unmatch one),
--state all everything. The amount bounds are of the absolute amount, in
--currency.

The list is read from the queue's read model, which follows decisions a
moment behind: right after a split, match or park the payment can still be
listed as it was (a split payment as open). o2c queue show reads the
payment itself and is always current.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &matchingv1.ListExceptionsRequest{Tenant: q.tenant, DebtorId: debtor}
			for _, s := range states {
				st, ok := queueStates[strings.ToLower(strings.TrimSpace(s))]
				if !ok {
					return fmt.Errorf("--state %q: want open, parked, matched, split or all", s)
				}
				req.States = append(req.States, st...)
			}
			for _, a := range []struct {
				flag, value string
				to          **durationpb.Duration
			}{{"--older-than", olderThan, &req.MinAge}, {"--newer-than", newerThan, &req.MaxAge}} {
				if a.value == "" {
					continue
				}
				d, err := parseAge(a.flag, a.value)
				if err != nil {
					return err
				}
				*a.to = durationpb.New(d)
			}
			for _, a := range []struct {
				flag, value string
				to          **commonv1.Money
			}{{"--min-amount", minAmount, &req.MinAmount}, {"--max-amount", maxAmount, &req.MaxAmount}} {
				if a.value == "" {
					continue
				}
				m, err := parseAmount(a.flag, a.value, currency)
				if err != nil {
					return err
				}
				if m < 0 {
					return fmt.Errorf("%s %s: the bounds are of the absolute amount, returns included; give it without a sign", a.flag, a.value)
				}
				*a.to = &commonv1.Money{MinorUnits: m, Currency: currency}
			}
			if limit < 1 {
				return fmt.Errorf("--limit %d: want at least 1", limit)
			}
			return q.call(cmd, func(ctx context.Context, c matchingv1grpc.MatchingServiceClient) error {
				var all []*matchingv1.Exception
				more := false
				for {
					req.PageSize = int32(min(limit-len(all), 1000))
					resp, err := c.ListExceptions(ctx, req)
					if err != nil {
						return err
					}
					all = append(all, resp.GetExceptions()...)
					req.PageToken = resp.GetNextPageToken()
					if req.PageToken == "" {
						break
					}
					if len(all) >= limit {
						more = true
						break
					}
				}
				if err := q.printList(cmd.OutOrStdout(), all); err != nil {
					return err
				}
				if more {
					fmt.Fprintf(cmd.ErrOrStderr(), "o2c: there are more than %d; raise --limit or narrow the filters\n", limit)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "open, parked, matched, split or all (repeat or separate with commas; default open,parked)")
	cmd.Flags().StringVar(&olderThan, "older-than", "", "only payments that arrived at least this long ago (3d, 2w, 12h, 90m)")
	cmd.Flags().StringVar(&newerThan, "newer-than", "", "only payments that arrived at most this long ago (3d, 2w, 12h, 90m)")
	cmd.Flags().StringVar(&minAmount, "min-amount", "", "only payments of at least this absolute amount (decimal, in --currency)")
	cmd.Flags().StringVar(&maxAmount, "max-amount", "", "only payments of at most this absolute amount (decimal, in --currency)")
	cmd.Flags().StringVar(&currency, "currency", "EUR", "the currency of --min-amount and --max-amount; payments in others are left out by them")
	cmd.Flags().StringVar(&debtor, "debtor", "", "only payments whose best proposal or booking names this debtor")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many payments")
	return cmd
}

func newQueueShowCmd(q *queueFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show PAYMENT --tenant T",
		Short: "Show a payment with its payer and the engine's ranked proposals: items, amounts, difference, score and why",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return q.call(cmd, func(ctx context.Context, c matchingv1grpc.MatchingServiceClient) error {
				e, err := q.get(ctx, c, args[0])
				if err != nil {
					return err
				}
				return q.printOne(cmd.OutOrStdout(), e, q.docs(ctx, cmd, e))
			})
		},
	}
}

// decisionFlags are what every decision may carry: a note for the record
// and the version the person saw.
type decisionFlags struct {
	note    string
	version int64
}

func (d *decisionFlags) bind(cmd *cobra.Command, noteUsage string) {
	cmd.Flags().StringVar(&d.note, "note", "", noteUsage)
	cmd.Flags().Int64Var(&d.version, "version", 0, "the payment's version you saw (o2c queue show): refused when someone changed it since; 0 does not check")
}

func newQueueConfirmCmd(q *queueFlags) *cobra.Command {
	var d decisionFlags
	var index int32
	cmd := &cobra.Command{
		Use:   "confirm PAYMENT --tenant T [--proposal N] [--note TEXT]",
		Short: "Book one of the engine's proposals for the payment as it stands (the best, 0, unless --proposal says otherwise)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if index < 0 {
				return fmt.Errorf("--proposal %d: proposals are numbered from 0 (the best) as o2c queue show lists them", index)
			}
			return q.call(cmd, func(ctx context.Context, c matchingv1grpc.MatchingServiceClient) error {
				resp, err := c.ConfirmProposal(ctx, &matchingv1.ConfirmProposalRequest{Tenant: q.tenant, PaymentId: args[0],
					ProposalIndex: index, Note: d.note, ExpectedVersion: d.version})
				if err != nil {
					return err
				}
				e := resp.GetException()
				if q.output == "table" {
					fmt.Fprintf(cmd.OutOrStdout(), "Confirmed proposal %d of payment %s as %s; the ledger books it.\n\n", index, args[0], e.GetActor())
				}
				return q.printOne(cmd.OutOrStdout(), e, q.docs(ctx, cmd, e))
			})
		},
	}
	cmd.Flags().Int32Var(&index, "proposal", 0, "the proposal's number as o2c queue show lists it (0 is the best)")
	d.bind(cmd, "a note for the record")
	return cmd
}

func newQueueMatchCmd(q *queueFlags) *cobra.Command {
	var d decisionFlags
	var items []string
	var debtor, difference, reverses string
	cmd := &cobra.Command{
		Use:   "match PAYMENT --tenant T [--debtor D] --item ITEM=AMOUNT... [--difference KIND[=AMOUNT]] | --reverses PAYMENT",
		Short: "Book a payment on open items and amounts you choose, the rest as a difference of a kind you name; or a return as the return of a payment",
		Long: `match books the payment on the open items and amounts given (--item, repeated;
ITEM is a document number or the ledger's open item id, AMOUNT what clears the
item, cash discount and written-off difference included). --debtor defaults to
the debtor of the engine's best proposal.

When the payment's amount differs from the items' total, --difference says what
the rest is: cash_discount, bank_fee, underpayment (written off), rounding or fx
when less was paid, overpayment (kept as the debtor's credit balance) when more.
Its amount, when given, must be the rest. The tenant's limits for each kind
apply. Without any --item, --difference overpayment books the whole payment as a
credit balance.

A return (a negative payment) is matched with --reverses, naming the payment it
undoes; the ledger reopens what that payment cleared.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, diffText, err := parseDifference(difference)
			if err != nil {
				return err
			}
			if reverses != "" && (len(items) > 0 || debtor != "" || difference != "") {
				return errors.New("--reverses matches a return to the payment it undoes: give it without --item, --debtor and --difference")
			}
			if reverses == "" && len(items) == 0 && kind != matchingv1.DifferenceKind_DIFFERENCE_KIND_OVERPAYMENT {
				return errors.New("say what the payment pays: --item ITEM=AMOUNT (repeat for several items), --difference overpayment to keep it " +
					"as a credit balance, or --reverses PAYMENT for a return")
			}
			return q.call(cmd, func(ctx context.Context, c matchingv1grpc.MatchingServiceClient) error {
				e, err := q.get(ctx, c, args[0])
				if err != nil {
					return err
				}
				version := d.version
				if version == 0 {
					version = e.GetVersion()
				}
				req := &matchingv1.MatchManuallyRequest{Tenant: q.tenant, PaymentId: args[0], Note: d.note, ExpectedVersion: version,
					ReversesPaymentId: reverses}
				if reverses == "" {
					if err := q.manual(ctx, cmd, e, req, debtor, items, kind, diffText); err != nil {
						return err
					}
				}
				resp, err := c.MatchManually(ctx, req)
				if err != nil {
					return err
				}
				m := resp.GetException()
				if q.output == "table" {
					fmt.Fprintf(cmd.OutOrStdout(), "Matched payment %s by hand as %s; the ledger books it.\n\n", args[0], m.GetActor())
				}
				return q.printOne(cmd.OutOrStdout(), m, q.docs(ctx, cmd, m))
			})
		},
	}
	cmd.Flags().StringVar(&debtor, "debtor", "", "the debtor the payment is for (default: the debtor of the best proposal)")
	cmd.Flags().StringArrayVar(&items, "item", nil, "ITEM=AMOUNT: an open item (document number or id) and the amount that clears it (repeat for several)")
	cmd.Flags().StringVar(&difference, "difference", "", "KIND[=AMOUNT]: what the payment less the items is (cash_discount, bank_fee, underpayment, overpayment, rounding, fx)")
	cmd.Flags().StringVar(&reverses, "reverses", "", "for a return: the payment it undoes")
	d.bind(cmd, "a note for the record")
	return cmd
}

// manual fills req with the debtor, the allocations items name and the
// difference kind for payment e, after checking that they add up: the
// payment less the allocations is the difference, of the amount diffText
// gives when it gives one.
func (q *queueFlags) manual(ctx context.Context, cmd *cobra.Command, e *matchingv1.Exception, req *matchingv1.MatchManuallyRequest,
	debtor string, items []string, kind matchingv1.DifferenceKind, diffText string) error {
	pay := e.GetPayment().GetAmount()
	cur := pay.GetCurrency()
	if debtor == "" {
		debtor = table.Debtor(e)
	}
	if debtor == "" {
		return fmt.Errorf("--debtor is required: no proposal of payment %s names a debtor", e.GetPayment().GetPaymentId())
	}
	req.DebtorId, req.DifferenceKind = debtor, kind
	open, lookupErr := []*ledgerv1.OpenItem(nil), error(nil)
	if len(items) > 0 {
		open, lookupErr = q.openItems(ctx, cmd, debtor)
	}
	var total int64
	for _, it := range items {
		ref, amountText, ok := strings.Cut(it, "=")
		ref = strings.TrimSpace(ref)
		if !ok || ref == "" || strings.TrimSpace(amountText) == "" {
			return fmt.Errorf("--item %q: want ITEM=AMOUNT, e.g. --item RE-2026-1001=546.99", it)
		}
		amount, err := parseAmount("--item "+ref, amountText, cur)
		if err != nil {
			return err
		}
		if amount <= 0 {
			return fmt.Errorf("--item %s: %s is not a positive amount: give what clears the item", it, amountText)
		}
		id, err := openItemID(ref, debtor, open, lookupErr)
		if err != nil {
			return err
		}
		if lookupErr != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "o2c: taking %s as an open item id: %v\n", ref, lookupErr)
		}
		req.Allocations = append(req.Allocations, &matchingv1.ManualAllocation{OpenItemId: id, Amount: &commonv1.Money{MinorUnits: amount, Currency: cur}})
		if total, err = money.Add(total, amount); err != nil {
			return fmt.Errorf("--item: the items add up beyond what an amount can hold: %w", err)
		}
	}
	rest := pay.GetMinorUnits() - total
	show := func(m int64) string { return table.Money(m, cur) + " " + cur }
	switch {
	case rest != 0 && kind == matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED:
		return fmt.Errorf("the payment of %s less the items' %s leaves %s: say what it is with --difference KIND "+
			"(cash_discount, bank_fee, underpayment, rounding or fx when less was paid; overpayment when more), or change the amounts",
			show(pay.GetMinorUnits()), show(total), show(rest))
	case rest == 0 && kind != matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED:
		return fmt.Errorf("--difference %s: the items' %s are the whole payment, nothing is left to book as a difference", table.DifferenceWord(kind), show(total))
	case diffText != "":
		want, err := parseAmount("--difference "+table.DifferenceWord(kind), diffText, cur)
		if err != nil {
			return err
		}
		if want != rest && want != -rest {
			return fmt.Errorf("--difference %s=%s: the payment of %s less the items' %s leaves %s", table.DifferenceWord(kind), diffText,
				show(pay.GetMinorUnits()), show(total), show(rest))
		}
	}
	return nil
}

// openItemID returns the ledger id of the open item ref names among the
// debtor's open items, by id or by document number. When the ledger could
// not be asked (lookupErr), ref is taken as an id for matching to check.
func openItemID(ref, debtor string, open []*ledgerv1.OpenItem, lookupErr error) (string, error) {
	if lookupErr != nil {
		return ref, nil
	}
	var byDoc []*ledgerv1.OpenItem
	for _, it := range open {
		if it.GetId() == ref {
			return ref, nil
		}
		if strings.EqualFold(it.GetDocumentNumber(), ref) {
			byDoc = append(byDoc, it)
		}
	}
	switch len(byDoc) {
	case 1:
		return byDoc[0].GetId(), nil
	case 0:
		var docs []string
		for _, it := range open {
			docs = append(docs, it.GetDocumentNumber()+" ("+table.Money(it.GetOpenAmount().GetMinorUnits(), it.GetOpenAmount().GetCurrency())+" open)")
		}
		if len(docs) == 0 {
			return "", fmt.Errorf("--item %s: debtor %s has no open item in the ledger", ref, debtor)
		}
		return "", fmt.Errorf("--item %s: not an open item of debtor %s, whose open items are %s", ref, debtor, strings.Join(docs, ", "))
	}
	var ids []string
	for _, it := range byDoc {
		ids = append(ids, it.GetId())
	}
	return "", fmt.Errorf("--item %s: debtor %s has %d open items of that document number; name one by its id: %s", ref, debtor, len(byDoc), strings.Join(ids, ", "))
}

// differenceKinds are the kinds --difference takes.
var differenceKinds = map[string]matchingv1.DifferenceKind{
	"cash_discount": matchingv1.DifferenceKind_DIFFERENCE_KIND_CASH_DISCOUNT,
	"bank_fee":      matchingv1.DifferenceKind_DIFFERENCE_KIND_BANK_FEE,
	"underpayment":  matchingv1.DifferenceKind_DIFFERENCE_KIND_UNDERPAYMENT,
	"overpayment":   matchingv1.DifferenceKind_DIFFERENCE_KIND_OVERPAYMENT,
	"rounding":      matchingv1.DifferenceKind_DIFFERENCE_KIND_ROUNDING,
	"fx":            matchingv1.DifferenceKind_DIFFERENCE_KIND_FX,
}

// parseDifference reads --difference KIND[=AMOUNT]; "cash-discount" and
// "Cash_Discount" are "cash_discount". The amount is returned as text,
// parsed once the payment's currency is known.
func parseDifference(s string) (matchingv1.DifferenceKind, string, error) {
	if s == "" {
		return matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED, "", nil
	}
	name, amount, _ := strings.Cut(s, "=")
	key := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "-", "_"))
	k, ok := differenceKinds[key]
	if !ok {
		return 0, "", fmt.Errorf("--difference %q: %q is not a kind; want cash_discount, bank_fee, underpayment, overpayment, rounding or fx", s, name)
	}
	return k, strings.TrimSpace(amount), nil
}

func newQueueSplitCmd(q *queueFlags) *cobra.Command {
	var d decisionFlags
	var parts []string
	cmd := &cobra.Command{
		Use:   "split PAYMENT --tenant T --part AMOUNT --part AMOUNT...",
		Short: "Split a payment into parts that add up to it; each part is matched on its own",
		Long: `split splits a payment that pays for several things the engine cannot see
together (two debtors, an invoice and a deposit) into parts. The parts must add
up to the payment exactly; each gets the engine's proposals for its amount, is
booked at once when the engine is sure, and otherwise waits in the queue under
PAYMENT/1, PAYMENT/2, ...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(parts) < 2 {
				return fmt.Errorf("split needs at least two --part amounts that add up to the payment (got %d)", len(parts))
			}
			return q.call(cmd, func(ctx context.Context, c matchingv1grpc.MatchingServiceClient) error {
				e, err := q.get(ctx, c, args[0])
				if err != nil {
					return err
				}
				pay := e.GetPayment().GetAmount()
				cur := pay.GetCurrency()
				version := d.version
				if version == 0 {
					version = e.GetVersion()
				}
				req := &matchingv1.SplitRequest{Tenant: q.tenant, PaymentId: args[0], Note: d.note, ExpectedVersion: version}
				var total int64
				for _, p := range parts {
					m, err := parseAmount("--part", p, cur)
					if err != nil {
						return err
					}
					if m == 0 {
						return fmt.Errorf("--part %s: a part is not zero", p)
					}
					// A return's parts may be written without their sign.
					if pay.GetMinorUnits() < 0 && m > 0 {
						m = -m
					}
					if (m < 0) != (pay.GetMinorUnits() < 0) {
						return fmt.Errorf("--part %s: the parts of a payment of %s %s have its sign", p, table.Money(pay.GetMinorUnits(), cur), cur)
					}
					if total, err = money.Add(total, m); err != nil {
						return fmt.Errorf("--part: the parts add up beyond what an amount can hold: %w", err)
					}
					req.Amounts = append(req.Amounts, &commonv1.Money{MinorUnits: m, Currency: cur})
				}
				if total != pay.GetMinorUnits() {
					return fmt.Errorf("the parts add up to %s %s, the payment is %s %s (%s %s %s)", table.Money(total, cur), cur,
						table.Money(pay.GetMinorUnits(), cur), cur, table.Money(abs(pay.GetMinorUnits()-total), cur), cur, moreOrLess(pay.GetMinorUnits()-total))
				}
				resp, err := c.Split(ctx, req)
				if err != nil {
					return err
				}
				if q.output == "json" {
					return writeExceptionsJSON(cmd.OutOrStdout(), append([]*matchingv1.Exception{resp.GetException()}, resp.GetParts()...), nil)
				}
				out := cmd.OutOrStdout()
				fmt.Fprintf(out, "Split payment %s into %s as %s; each is matched on its own (o2c queue show PART for its proposals):\n",
					args[0], table.Count(len(resp.GetParts()), "part"), resp.GetException().GetActor())
				table.Exceptions(out, resp.GetParts())
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&parts, "part", nil, "the amount of a part (decimal, in the payment's currency; repeat for each part)")
	d.bind(cmd, "a note for the record")
	return cmd
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// moreOrLess says whether the parts lack (rest positive) or exceed the
// payment, for a message.
func moreOrLess(rest int64) string {
	if rest > 0 {
		return "missing"
	}
	return "too much"
}

func newQueueParkCmd(q *queueFlags) *cobra.Command {
	var d decisionFlags
	cmd := &cobra.Command{
		Use:   "park PAYMENT --tenant T --note TEXT",
		Short: "Set a payment aside with a note (asked the customer, waiting for a remittance advice); it stays in the queue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(d.note) == "" {
				return errors.New("--note is required: say why the payment is set aside")
			}
			return q.call(cmd, func(ctx context.Context, c matchingv1grpc.MatchingServiceClient) error {
				resp, err := c.Park(ctx, &matchingv1.ParkRequest{Tenant: q.tenant, PaymentId: args[0], Note: d.note, ExpectedVersion: d.version})
				if err != nil {
					return err
				}
				e := resp.GetException()
				if q.output == "table" {
					fmt.Fprintf(cmd.OutOrStdout(), "Parked payment %s as %s.\n\n", args[0], e.GetActor())
				}
				return q.printOne(cmd.OutOrStdout(), e, q.docs(ctx, cmd, e))
			})
		},
	}
	d.bind(cmd, "why the payment is set aside (required)")
	return cmd
}

func newQueueUnmatchCmd(q *queueFlags) *cobra.Command {
	var d decisionFlags
	cmd := &cobra.Command{
		Use:   "unmatch PAYMENT --tenant T --reason TEXT",
		Short: "Undo the booking of a matched payment: the ledger reverses it, the items reopen, the payment is back in the queue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(d.note) == "" {
				return errors.New("--reason is required: say why the booking is undone")
			}
			return q.call(cmd, func(ctx context.Context, c matchingv1grpc.MatchingServiceClient) error {
				resp, err := c.Unmatch(ctx, &matchingv1.UnmatchRequest{Tenant: q.tenant, PaymentId: args[0], Reason: d.note, ExpectedVersion: d.version})
				if err != nil {
					return err
				}
				e := resp.GetException()
				if q.output == "table" {
					fmt.Fprintf(cmd.OutOrStdout(), "Unmatched payment %s as %s: the ledger reverses its booking and reopens what it cleared.\n\n", args[0], e.GetActor())
				}
				return q.printOne(cmd.OutOrStdout(), e, q.docs(ctx, cmd, e))
			})
		},
	}
	cmd.Flags().StringVar(&d.note, "reason", "", "why the booking is undone (required)")
	cmd.Flags().Int64Var(&d.version, "version", 0, "the payment's version you saw (o2c queue show): refused when someone changed it since; 0 does not check")
	return cmd
}

// parseAmount reads the decimal text s (12.50 or 12,50, an optional sign)
// as minor units of cur, exactly: more decimals than the currency has are
// refused, never rounded. flag names the flag in the error.
func parseAmount(flag, s, cur string) (int64, error) {
	exp, ok := money.Exponent(cur)
	if !ok {
		return 0, fmt.Errorf("%s %s: %q is not a currency this CLI knows", flag, s, cur)
	}
	m, rounded, err := money.ParseDecimalExp(s, exp)
	if errors.Is(err, money.ErrOverflow) {
		return 0, fmt.Errorf("%s %s: too large for an amount", flag, s)
	}
	if err != nil {
		return 0, fmt.Errorf("%s %s: not a decimal amount; write it as 1234.50 or 1234,50, without thousands separators or currency", flag, s)
	}
	if rounded {
		return 0, fmt.Errorf("%s %s: %s has %d decimals; give the amount exactly", flag, s, cur, exp)
	}
	return m, nil
}

// parseAge reads an age: a number of days (3d) or weeks (2w), or a Go
// duration (12h, 90m).
func parseAge(flag, s string) (time.Duration, error) {
	bad := fmt.Errorf("%s %q: want an age such as 3d, 2w, 12h or 90m", flag, s)
	t := strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(t, suffix); ok {
			v, err := strconv.ParseUint(n, 10, 16)
			if err != nil {
				return 0, bad
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

// exceptionLine is a queue entry's JSON object. Amounts are integers in
// minor units, as in `o2c match`'s decisions.
type exceptionLine struct {
	Tenant             string         `json:"tenant"`
	Payment            string         `json:"payment"`
	TransactionID      string         `json:"transaction_id"`
	ParentPayment      string         `json:"parent_payment,omitempty"`
	State              string         `json:"state"`
	Decision           string         `json:"decision"`
	Score              int32          `json:"score"`
	AmountMinor        int64          `json:"amount_minor"`
	Currency           string         `json:"currency"`
	BookingDate        string         `json:"booking_date,omitempty"`
	ValueDate          string         `json:"value_date,omitempty"`
	AccountIBAN        string         `json:"account_iban,omitempty"`
	Remittance         string         `json:"remittance,omitempty"`
	EndToEndID         string         `json:"end_to_end_id,omitempty"`
	MandateID          string         `json:"mandate_id,omitempty"`
	CreditorReferences []string       `json:"creditor_references,omitempty"`
	ReturnReason       string         `json:"return_reason,omitempty"`
	Reversal           bool           `json:"reversal,omitempty"`
	ChargesMinor       int64          `json:"charges_minor,omitempty"`
	Payer              *payerLine     `json:"payer,omitempty"`
	Debtor             *string        `json:"debtor"`
	Explanation        string         `json:"explanation"`
	Proposals          []proposalLine `json:"proposals"`
	Resolution         string         `json:"resolution,omitempty"`
	Match              *proposalLine  `json:"match,omitempty"`
	LedgerPaymentID    string         `json:"ledger_payment_id,omitempty"`
	EntryID            string         `json:"entry_id,omitempty"`
	Parts              []string       `json:"parts,omitempty"`
	ReceivedAt         *time.Time     `json:"received_at,omitempty"`
	UpdatedAt          *time.Time     `json:"updated_at,omitempty"`
	Actor              string         `json:"actor,omitempty"`
	Note               string         `json:"note,omitempty"`
	Version            int64          `json:"version"`
}

type payerLine struct {
	Name   string `json:"name,omitempty"`
	IBAN   string `json:"iban,omitempty"`
	Erased bool   `json:"erased,omitempty"`
}

type proposalLine struct {
	Score             int32           `json:"score"`
	Debtor            *string         `json:"debtor"`
	Allocations       []allocLine     `json:"allocations"`
	Difference        *differenceLine `json:"difference"`
	Reverses          string          `json:"reverses,omitempty"`
	ReturnChargeMinor int64           `json:"return_charge_minor,omitempty"`
	Settlement        *settlementLine `json:"settlement,omitempty"`
	Explanation       string          `json:"explanation"`
}

type allocLine struct {
	OpenItem       string `json:"open_item"`
	DocumentNumber string `json:"document_number,omitempty"`
	AmountMinor    int64  `json:"amount_minor"`
}

type differenceLine struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
}

type settlementLine struct {
	SettlementID string       `json:"settlement_id"`
	Marketplace  string       `json:"marketplace"`
	Fees         []feeLine    `json:"fees,omitempty"`
	Refunds      []refundLine `json:"refunds,omitempty"`
	ReserveMinor int64        `json:"reserve_minor,omitempty"`
	OtherMinor   int64        `json:"other_minor,omitempty"`
}

type feeLine struct {
	Kind        string `json:"kind"`
	AmountMinor int64  `json:"amount_minor"`
}

type refundLine struct {
	AdjustmentID string `json:"adjustment_id"`
	OpenItem     string `json:"open_item,omitempty"`
	OrderID      string `json:"order_id,omitempty"`
	AmountMinor  int64  `json:"amount_minor"`
}

// nullable returns nil for "" (JSON null) and &s otherwise.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func proposalOf(p *matchingv1.Proposal, docs map[string]string) proposalLine {
	l := proposalLine{Score: p.GetScore(), Debtor: nullable(p.GetDebtorId()), Allocations: []allocLine{}, Reverses: p.GetReverses(),
		ReturnChargeMinor: p.GetReturnCharge().GetMinorUnits(), Explanation: p.GetExplanation()}
	for _, a := range p.GetAllocations() {
		l.Allocations = append(l.Allocations, allocLine{OpenItem: a.GetOpenItemId(), DocumentNumber: cmp.Or(a.GetDocumentNumber(), docs[a.GetOpenItemId()]), AmountMinor: a.GetAmount().GetMinorUnits()})
	}
	if d := p.GetDifference(); d != nil && d.GetKind() != matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED {
		l.Difference = &differenceLine{Kind: table.DifferenceWord(d.GetKind()), AmountMinor: d.GetAmount().GetMinorUnits()}
	}
	if s := p.GetSettlement(); s != nil {
		sl := &settlementLine{SettlementID: s.GetSettlementId(), Marketplace: s.GetMarketplace(), ReserveMinor: s.GetReserve().GetMinorUnits(), OtherMinor: s.GetOther().GetMinorUnits()}
		for _, f := range s.GetFees() {
			sl.Fees = append(sl.Fees, feeLine{Kind: f.GetKind(), AmountMinor: f.GetAmount().GetMinorUnits()})
		}
		for _, r := range s.GetRefunds() {
			sl.Refunds = append(sl.Refunds, refundLine{AdjustmentID: r.GetAdjustmentId(), OpenItem: r.GetOpenItemId(), OrderID: r.GetOrderId(), AmountMinor: r.GetAmount().GetMinorUnits()})
		}
		l.Settlement = sl
	}
	return l
}

// writeExceptionsJSON writes one JSON object per entry (JSON Lines).
func writeExceptionsJSON(w io.Writer, es []*matchingv1.Exception, docs map[string]string) error {
	enc := json.NewEncoder(w)
	for _, e := range es {
		p := e.GetPayment()
		l := exceptionLine{
			Tenant: e.GetTenant(), Payment: p.GetPaymentId(), TransactionID: p.GetTransactionId(), ParentPayment: p.GetParentPaymentId(),
			State: table.StateWord(e.GetState()), Decision: table.DecisionWord(e.GetDecision()), Score: e.GetScore(),
			AmountMinor: p.GetAmount().GetMinorUnits(), Currency: p.GetAmount().GetCurrency(), AccountIBAN: p.GetAccountIban(),
			Remittance: p.GetRemittance(), EndToEndID: p.GetEndToEndId(), MandateID: p.GetMandateId(), CreditorReferences: p.GetCreditorReferences(),
			ReturnReason: p.GetReturnReason(), Reversal: p.GetReversal(), ChargesMinor: p.GetCharges().GetMinorUnits(),
			Debtor: nullable(table.Debtor(e)), Explanation: e.GetExplanation(), Proposals: []proposalLine{}, LedgerPaymentID: e.GetLedgerPaymentId(),
			EntryID: e.GetEntryId(), Parts: e.GetPartIds(), Actor: e.GetActor(), Note: e.GetNote(), Version: e.GetVersion(),
		}
		if p.GetBookingDate() != nil {
			l.BookingDate = table.Date(p.GetBookingDate())
		}
		if p.GetValueDate() != nil {
			l.ValueDate = table.Date(p.GetValueDate())
		}
		if py := e.GetPayer(); py != nil {
			l.Payer = &payerLine{Name: py.GetName(), IBAN: py.GetIban(), Erased: py.GetErased()}
		}
		for _, pr := range e.GetProposals() {
			l.Proposals = append(l.Proposals, proposalOf(pr, docs))
		}
		if e.GetState() == matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED {
			l.Resolution = table.ResolutionWord(e.GetResolution())
			if e.GetMatch() != nil {
				m := proposalOf(e.GetMatch(), docs)
				l.Match = &m
			}
		}
		if e.GetReceivedAt() != nil {
			t := e.GetReceivedAt().AsTime().UTC()
			l.ReceivedAt = &t
		}
		if e.GetUpdatedAt() != nil {
			t := e.GetUpdatedAt().AsTime().UTC()
			l.UpdatedAt = &t
		}
		if err := enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}
