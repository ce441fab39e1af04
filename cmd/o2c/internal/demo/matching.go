package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

// matchingStarter is matching's entry of services().
func matchingStarter() starter { return starter{matching.Name, matching.DefaultAddr, runMatching} }

// runMatching starts matching with the demo's tenants and a connection to
// ingestion as itself (service:matching, a client certificate of the
// run's CA), from which it reads the payers of bank transactions and the
// debtors' master data; its SEPA files go to the run's SEPA directory,
// and its clock is the demo's (the SEPA story's days).
func runMatching(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener, peers peers) error {
	ts, err := Tenants()
	if err != nil {
		return err
	}
	conn, err := peers.sec.dial(peers.addrs[ingestion.Name], ServicePrincipal(matching.Name), telemetry.GRPCDialOption(p))
	if err != nil {
		return err
	}
	defer conn.Close()
	return matching.Run(ctx, cfg, matching.Options{Tenants: ts, Ingestion: conn, Now: peers.clock.Now, SepaDir: peers.sepaDir,
		RefundDecisions: true, DunningBlocks: true}, p, log, lis)
}

// StatementReceipts is how many receipts of the demo's bank statement
// matching decides (the rent is a debit an outgoing rule classified).
const StatementReceipts = 4

// MatchedAutomatically is what matching books of the statement by itself:
// RE-2026-1002 (1783.81), which K-2001 pays naming it, and the Amazon
// order RE-2026-1003 (29.90), which Amazon's payout pays with the
// settlement report it names.
const MatchedAutomatically = 178381 + 2990

// WaitForMatchingItems waits until matching has taken in every event of
// the ledger's stream published so far (its items consumer acknowledged
// them), so that the bank transactions imported next are decided against
// the open items the ledger holds.
func WaitForMatchingItems(ctx context.Context, js jetstream.JetStream) error {
	return poll(ctx, func() (bool, error) {
		return bus.CaughtUp(ctx, js, bus.ServiceStream("ledger"), matching.ItemsDurable)
	})
}

// WaitForDecisions waits until matching has decided n payments of the demo
// tenant and returns them, oldest first.
func WaitForDecisions(ctx context.Context, conn *grpc.ClientConn, n int) ([]*matchingv1.Exception, error) {
	client := matchingv1grpc.NewMatchingServiceClient(conn)
	var got []*matchingv1.Exception
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListExceptions(ctx, &matchingv1.ListExceptionsRequest{Tenant: Tenant, States: []matchingv1.ExceptionState{
			matchingv1.ExceptionState_EXCEPTION_STATE_OPEN, matchingv1.ExceptionState_EXCEPTION_STATE_PARKED,
			matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED,
		}})
		if err != nil {
			return false, err
		}
		got = r.GetExceptions()
		return len(got) >= n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for matching to decide %d payments (have %d): %w", n, len(got), err)
	}
	return got, nil
}

// MatchStatement shows what matching decided about the statement's
// receipts, with the tables `o2c queue` prints: what it booked by itself,
// and what waits in the exception queue with the engine's ranked
// proposals. items are the ledger's open items before the statement, by
// which the tables name the items by their document numbers. K-1001's
// transfer, which names the customer number but no invoice, is booked by
// confirming its best proposal as a clerk would (`o2c queue confirm` does
// the same over MatchingService), when matching did not book it by
// itself.
func MatchStatement(ctx context.Context, out io.Writer, sys *System, items []*ledgerv1.OpenItem) error {
	conn := sys.Conn(matching.Name)
	decided, err := WaitForDecisions(ctx, conn, StatementReceipts)
	if err != nil {
		return err
	}
	docs := map[string]string{}
	for _, it := range items {
		docs[it.GetId()] = it.GetDocumentNumber()
	}
	matched := func(e *matchingv1.Exception) bool {
		return e.GetState() == matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED
	}
	fmt.Fprintln(out, "\nMatching decides every receipt as it arrives (o2c queue list --tenant demo --state all):")
	table.Exceptions(out, decided)
	fmt.Fprintln(out, "\nBooked automatically, sent to the ledger as ApplyPayment from unidentified receipts:")
	printEach(out, decided, matched, func(e *matchingv1.Exception) { table.Booked(out, e, docs) })
	fmt.Fprintln(out, "\nWaiting in the exception queue with the engine's proposals, best first (o2c queue show PAYMENT --tenant demo):")
	printEach(out, decided, func(e *matchingv1.Exception) bool { return !matched(e) }, func(e *matchingv1.Exception) { table.Proposals(out, e, docs) })
	client := matchingv1grpc.NewMatchingServiceClient(conn)
	for _, e := range decided {
		if e.GetPayment().GetAmount().GetMinorUnits() != PaymentAmount || matched(e) {
			continue
		}
		index := WholeTransfer(e)
		if index < 0 {
			return fmt.Errorf("K-1001's transfer waits without a proposal for %s: %s", StatementDebtor, e.GetExplanation())
		}
		r, err := client.ConfirmProposal(ctx, &matchingv1.ConfirmProposalRequest{Tenant: Tenant, PaymentId: e.GetPayment().GetPaymentId(),
			ProposalIndex: int32(index), ExpectedVersion: e.GetVersion(), Note: "customer number K-1001 in the text"})
		if err != nil {
			return fmt.Errorf("confirm K-1001's transfer: %w", err)
		}
		fmt.Fprintf(out, "\nA clerk confirms proposal %d for K-1001's transfer as %s (o2c queue confirm %s --tenant demo --proposal %d).\n",
			index, r.GetException().GetActor(), e.GetPayment().GetPaymentId(), index)
	}
	return nil
}

// WholeTransfer returns the index of the proposal a clerk confirms for
// K-1001's transfer: the first for K-1001 that applies the whole amount to
// its items without a difference (the items due first, §366 BGB), else
// the first for K-1001, which the ledger then allocates by §366 BGB
// itself; -1 when no proposal names K-1001.
func WholeTransfer(e *matchingv1.Exception) int {
	first := -1
	for i, p := range e.GetProposals() {
		if p.GetDebtorId() != StatementDebtor {
			continue
		}
		if first < 0 {
			first = i
		}
		var sum int64
		for _, a := range p.GetAllocations() {
			sum += a.GetAmount().GetMinorUnits()
		}
		if p.GetDifference().GetKind() == matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED && sum == e.GetPayment().GetAmount().GetMinorUnits() {
			return i
		}
	}
	return first
}

// printEach writes, for each decided payment that keep holds, a line
// naming it and its amount and text, then what show writes about it, a
// blank line between payments.
func printEach(out io.Writer, decided []*matchingv1.Exception, keep func(*matchingv1.Exception) bool, show func(*matchingv1.Exception)) {
	n := 0
	for _, e := range decided {
		if !keep(e) {
			continue
		}
		if n++; n > 1 {
			fmt.Fprintln(out)
		}
		p := e.GetPayment()
		fmt.Fprintf(out, "%s  %s %s  %q\n", p.GetPaymentId(), table.Money(p.GetAmount().GetMinorUnits(), p.GetAmount().GetCurrency()),
			p.GetAmount().GetCurrency(), p.GetRemittance())
		show(e)
	}
	if n == 0 {
		fmt.Fprintln(out, "none")
	}
}
