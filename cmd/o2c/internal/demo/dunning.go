package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/table"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/telemetry"
	dunning "github.com/o2c-platform/o2c/services/dunning/service"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// dunningStarter is dunning's entry of services().
func dunningStarter() starter { return starter{dunning.Name, dunning.DefaultAddr, runDunning} }

// runDunning starts dunning with the demo's tenants (no dunning section:
// the German-law defaults), the run's notice outbox, the demo's clock and
// a connection to ingestion as itself (service:dunning), from which it
// reads the debtors' names for the notices. No run is scheduled: the demo
// runs dunning for the dates of its story (DunningService.Run).
func runDunning(ctx context.Context, cfg host.Config, p telemetry.Providers, log *slog.Logger, lis net.Listener, peers peers) error {
	ts, err := Tenants()
	if err != nil {
		return err
	}
	conn, err := peers.sec.dial(peers.addrs[ingestion.Name], ServicePrincipal(dunning.Name), telemetry.GRPCDialOption(p))
	if err != nil {
		return err
	}
	defer conn.Close()
	return dunning.Run(ctx, cfg, dunning.Options{Tenants: ts, Ingestion: conn, Outbox: peers.outbox, Now: peers.clock.Now, RunAt: -1}, p, log, lis)
}

// demoClock is dunning's clock in the demo: the day the story is on, set
// before each step, so that a block is set on the day the customer
// disputes and each run is for a day in the past. Unset, it is the real
// clock.
type demoClock struct {
	mu sync.Mutex
	at time.Time
}

// Now returns the day set (noon UTC, the same day in Europe/Berlin) or the
// real time.
func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

// Reset puts the clock back on real time.
func (c *demoClock) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = time.Time{}
}

// Set moves the clock to noon UTC of d.
func (c *demoClock) Set(d *commonv1.Date) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 12, 0, 0, 0, time.UTC)
}

// The demo's late payers, two consumers of the own shop who bought in July.
const (
	// LateDebtor never pays: three notices, fees and interest, then
	// collections.
	LateDebtor = "K-3001"
	// DisputingDebtor gets the first reminder, then disputes the invoice:
	// the block stops the procedure.
	DisputingDebtor = "K-3002"
	// LateInvoice is LateDebtor's invoice (399.00 EUR, due 3 August 2026).
	LateInvoice = "RE-2026-0901"
	// DisputedInvoice is DisputingDebtor's invoice (149.00 EUR).
	DisputedInvoice = "RE-2026-0902"
	// DisputeTicket is the customer-service ticket the dispute came in
	// with: the block's source.
	DisputeTicket = "CS-4711"
)

// LateInvoiceDocument is where the demo shop keeps LateInvoice's PDF: the
// invoice carries the link (document_url), which the console offers as
// the invoice's copy.
const LateInvoiceDocument = "https://shop.example/invoices/" + LateInvoice + ".pdf"

// DunningInvoices are LateDebtor's and DisputingDebtor's invoices, issued
// on 20 July 2026 with 14 days net (due 3 August); the first with a link
// to the shop's copy.
func DunningInvoices() []*shopv1.InvoiceIssued {
	own := &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP}
	jan := &shopv1.Debtor{CustomerId: LateDebtor, Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Jan Schmidt", Email: "jan@example.org"}
	sabine := &shopv1.Debtor{CustomerId: DisputingDebtor, Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Sabine Weber", Email: "sabine@example.org"}
	net14 := &shopv1.PaymentTerms{NetDays: 14}
	late := invoice(LateInvoice, "WEB-40901", own, jan, date(2026, 7, 20), net14, line{"Siebträgermaschine Classic", "1", 33529, 1900})
	late.DocumentUrl = LateInvoiceDocument
	return []*shopv1.InvoiceIssued{
		late,
		invoice(DisputedInvoice, "WEB-40902", own, sabine, date(2026, 7, 20), net14, line{"Kaffeemühle Präzision", "1", 12521, 1900}),
	}
}

// DunningDays are the days the demo runs dunning on: 7, 21, 35 and 49
// days after the due date, the levels of the default consumer procedure
// (reminder, two dunning letters with fees and interest, collections).
// DisputeDay is the day DisputingDebtor disputes, between the first two.
var (
	DunningDays = []*commonv1.Date{date(2026, 8, 10), date(2026, 8, 24), date(2026, 9, 7), date(2026, 9, 21)}
	DisputeDay  = date(2026, 8, 20)
)

// DunningRun is what one run answered.
type DunningRun struct {
	Date *commonv1.Date
	// Last is the run's last progress message (done).
	Last *dunningv1.RunResponse
	// Decisions are the decisions that issued a notice, charged or
	// released something.
	Decisions []*dunningv1.DunningDecisionRecorded
}

// DunningOutcome is what the demo's dunning story did, for its test.
type DunningOutcome struct {
	Runs []DunningRun
	// Again is the answer to running the last day a second time.
	Again *dunningv1.RunResponse
	// Block is the dispute block set on DisputingDebtor's invoice.
	Block *dunningv1.Block
	// Disputed is DisputingDebtor's status on the last day.
	Disputed *dunningv1.StatusResponse
	// Notices are LateDebtor's notices, newest first.
	Notices []*dunningv1.NoticeSummary
	// Final is the last notice LateDebtor got before collections, with
	// its files.
	Final *dunningv1.GetNoticeResponse
	// PDF is the path of Final's PDF in the outbox.
	PDF string
	// Booked and Refused count the charges the ledger booked as open
	// items and those it refused.
	Booked, Refused int
}

// Dunning tells the dunning story: LateDebtor's and DisputingDebtor's
// invoices are booked, dunning is run for DunningDays (as `o2c dunning
// run --tenant demo --date D` does), DisputingDebtor disputes on
// DisputeDay (a dispute block on the item), and the notices, the dispute's
// effect and where the PDFs lie are printed. The ledger books the fees and
// interest each run charges before the next run, as it would over the
// days in between.
func Dunning(ctx context.Context, out io.Writer, sys *System, js jetstream.JetStream) (DunningOutcome, error) {
	var res DunningOutcome
	// After the story dunning's days are real ones again, for the
	// commands run against a demo kept running.
	defer sys.clock.Reset()
	opened, err := OpenedItems(ctx, js)
	if err != nil {
		return res, err
	}
	invs := DunningInvoices()
	opened += len(invs)
	if err := publishInvoices(ctx, sys, invs); err != nil {
		return res, err
	}
	ledgerClient := ledgerv1grpc.NewLedgerServiceClient(sys.Conn(ledger.Name))
	items, err := waitForDebtorItems(ctx, ledgerClient, LateDebtor, 1)
	if err != nil {
		return res, err
	}
	disputed, err := waitForDebtorItems(ctx, ledgerClient, DisputingDebtor, 1)
	if err != nil {
		return res, err
	}
	if err := WaitForDunningInput(ctx, js, opened); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "\nDunning (the demo tenant has no dunning section: the German-law defaults, o2c dunning procedures --tenant demo).\n")
	fmt.Fprintf(out, "Two customers of the own shop bought on 20 July with 14 days net and have not paid: Jan Schmidt (%s, %s %s EUR) and Sabine Weber (%s, %s %s EUR), both due 3 August.\n",
		LateDebtor, LateInvoice, table.Money(items[0].GetOpenAmount().GetMinorUnits(), "EUR"),
		DisputingDebtor, DisputedInvoice, table.Money(disputed[0].GetOpenAmount().GetMinorUnits(), "EUR"))
	client := dunningv1grpc.NewDunningServiceClient(sys.Conn(dunning.Name))
	charges := 0
	told := map[string]bool{} // the ledger's refusals printed
	for i, day := range DunningDays {
		if proto.Equal(day, DunningDays[1]) {
			sys.clock.Set(DisputeDay)
			b, err := client.SetBlock(ctx, &dunningv1.SetBlockRequest{Tenant: Tenant, DebtorId: DisputingDebtor, OpenItemId: disputed[0].GetId(),
				Reason: "dispute", Source: DisputeTicket})
			if err != nil {
				return res, fmt.Errorf("block %s: %w", DisputedInvoice, err)
			}
			res.Block = b.GetBlock()
			fmt.Fprintf(out, "\n%s: Sabine Weber writes that the grinder arrived broken; customer service records the dispute (o2c dunning block --tenant demo --debtor %s --item %s --reason dispute --source %s).\n",
				table.Date(DisputeDay), DisputingDebtor, disputed[0].GetId(), DisputeTicket)
		}
		sys.clock.Set(day)
		run, err := runDunningDay(ctx, client, day)
		if err != nil {
			return res, err
		}
		res.Runs = append(res.Runs, run)
		fmt.Fprintf(out, "\nRun %d of %d (o2c dunning run --tenant demo --date %s): %d debtors, %d notices, %d charges booked, %d released to collections\n",
			i+1, len(DunningDays), table.Date(day), run.Last.GetDebtorsTotal(), run.Last.GetNotices(), run.Last.GetCharges(), run.Last.GetReleases())
		printDecisions(out, run.Decisions)
		if proto.Equal(day, DunningDays[1]) {
			st, err := client.Status(ctx, &dunningv1.StatusRequest{Tenant: Tenant, DebtorId: DisputingDebtor, AsOf: day})
			if err != nil {
				return res, fmt.Errorf("status of %s: %w", DisputingDebtor, err)
			}
			fmt.Fprintf(out, "  %s: no notice; %s\n", DisputingDebtor, skipped(st.GetLastDecision()))
		}
		// The ledger books the charges as open items of their own, which
		// dunning takes in before the next run.
		charges += int(run.Last.GetCharges())
		booked, refused, err := waitForCharges(ctx, sys, ledgerClient, LateDebtor, charges)
		if err != nil {
			return res, err
		}
		for _, r := range refused {
			if !told[r] {
				told[r] = true
				fmt.Fprintf(out, "  the ledger refused a charge: %s\n", r)
			}
		}
		res.Booked, res.Refused = booked, len(refused)
		if err := WaitForDunningInput(ctx, js, opened+booked); err != nil {
			return res, err
		}
	}
	last := DunningDays[len(DunningDays)-1]
	again, err := runDunningDay(ctx, client, last)
	if err != nil {
		return res, err
	}
	res.Again = again.Last
	fmt.Fprintf(out, "\nThe same run again (o2c dunning run --tenant demo --date %s): %d debtors already decided for the day, %d notices, %d charges: nothing is sent twice.\n",
		table.Date(last), again.Last.GetAlreadyDecided(), again.Last.GetNotices(), again.Last.GetCharges())

	if res.Disputed, err = client.Status(ctx, &dunningv1.StatusRequest{Tenant: Tenant, DebtorId: DisputingDebtor, AsOf: last}); err != nil {
		return res, fmt.Errorf("status of %s: %w", DisputingDebtor, err)
	}
	fmt.Fprintf(out, "\nSabine Weber's status on %s (o2c dunning status --tenant demo --debtor %s --as-of %s):\n", table.Date(last), DisputingDebtor, table.Date(last))
	for _, it := range res.Disputed.GetItems() {
		fmt.Fprintf(out, "  %s  %s EUR open, level %d\n", it.GetDocumentNumber(), table.Money(it.GetOpen().GetMinorUnits(), "EUR"), it.GetLevel())
	}
	for _, b := range res.Disputed.GetBlocks() {
		fmt.Fprintf(out, "  block %s: %s (source %s), set by %s on %s\n", b.GetBlockId(), b.GetReason(), b.GetSource(), b.GetSetBy(), table.Date(b.GetSetDate()))
	}
	fmt.Fprintf(out, "  %s\n", skipped(res.Disputed.GetLastDecision()))

	nr, err := client.ListNotices(ctx, &dunningv1.ListNoticesRequest{Tenant: Tenant, DebtorId: LateDebtor})
	if err != nil {
		return res, fmt.Errorf("notices of %s: %w", LateDebtor, err)
	}
	res.Notices = nr.GetNotices()
	fmt.Fprintf(out, "\nJan Schmidt's notices (o2c dunning notices --tenant demo --debtor %s):\n", LateDebtor)
	for _, n := range res.Notices {
		fmt.Fprintf(out, "  %-22s %s  level %d  %2d items  %10s EUR\n", n.GetNoticeId(), table.Date(n.GetDate()), n.GetLevel(), n.GetItems(),
			table.Money(n.GetTotal().GetMinorUnits(), n.GetTotal().GetCurrency()))
	}
	var final *dunningv1.NoticeSummary
	for _, n := range res.Notices {
		if final == nil || n.GetLevel() > final.GetLevel() {
			final = n
		}
	}
	if final == nil {
		return res, fmt.Errorf("%s got no notice", LateDebtor)
	}
	if res.Final, err = client.GetNotice(ctx, &dunningv1.GetNoticeRequest{Tenant: Tenant, NoticeId: final.GetNoticeId()}); err != nil {
		return res, fmt.Errorf("notice %s: %w", final.GetNoticeId(), err)
	}
	for _, f := range res.Final.GetNotice().GetFiles() {
		if strings.HasSuffix(f, ".pdf") {
			res.PDF = filepath.Join(sys.Outbox, filepath.FromSlash(f))
		}
	}
	if _, err := os.Stat(res.PDF); err != nil {
		return res, fmt.Errorf("the PDF of notice %s is not in the outbox: %w", final.GetNoticeId(), err)
	}
	fmt.Fprintf(out, "\nNotice %s as e-mail (o2c dunning notices --tenant demo --get %s --out -), subject %q:\n\n", final.GetNoticeId(), final.GetNoticeId(), res.Final.GetSubject())
	for _, l := range strings.Split(strings.TrimRight(res.Final.GetText(), "\n"), "\n") {
		fmt.Fprintf(out, "    %s\n", l)
	}
	fmt.Fprintf(out, "\nThe notices are in the outbox %s, one folder per tenant and debtor: <notice>.pdf (the letter), .txt and .html (the e-mail), .json (what was sent); a mailer or print service picks them up. This one's PDF: %s\n",
		sys.Outbox, res.PDF)
	return res, nil
}

// runDunningDay runs dunning for day and collects the decisions that did
// something.
func runDunningDay(ctx context.Context, client dunningv1grpc.DunningServiceClient, day *commonv1.Date) (DunningRun, error) {
	run := DunningRun{Date: day}
	stream, err := client.Run(ctx, &dunningv1.RunRequest{Tenant: Tenant, Date: day})
	if err != nil {
		return run, fmt.Errorf("dunning run %s: %w", table.Date(day), err)
	}
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return run, fmt.Errorf("dunning run %s: %w", table.Date(day), err)
		}
		run.Decisions = append(run.Decisions, r.GetDecisions()...)
		run.Last = r
	}
	if !run.Last.GetDone() {
		return run, fmt.Errorf("dunning run %s ended without its last answer", table.Date(day))
	}
	return run, nil
}

// printDecisions prints each decision's notice: its items, fees and
// interest (with the computation), and what went to collections.
func printDecisions(out io.Writer, decisions []*dunningv1.DunningDecisionRecorded) {
	for _, d := range decisions {
		n := d.GetNotice()
		if n == nil && len(d.GetReleased()) == 0 {
			fmt.Fprintf(out, "  %s: no notice\n", d.GetDebtorId())
		}
		if n != nil {
			fmt.Fprintf(out, "  %s: level %d notice %s (%s, procedure %s v%d), pay %s EUR by %s, reference %q\n", d.GetDebtorId(), n.GetLevel(), n.GetNoticeId(),
				n.GetTemplate(), d.GetProcedureId(), d.GetProcedureVersion(), table.Money(n.GetTotal().GetMinorUnits(), "EUR"), table.Date(n.GetPayBy()), n.GetPaymentReference())
			for _, it := range n.GetItems() {
				fmt.Fprintf(out, "      %-14s %10s EUR  %3d days overdue\n", firstOf(it.GetDocumentNumber(), it.GetOpenItemId()), table.Money(it.GetOpen().GetMinorUnits(), "EUR"), it.GetDaysOverdue())
			}
			for _, f := range n.GetFees() {
				fmt.Fprintf(out, "      %-14s %10s EUR\n", f.GetKind(), table.Money(f.GetAmount().GetMinorUnits(), "EUR"))
			}
			for _, p := range n.GetInterest() {
				fmt.Fprintf(out, "      interest       %10s EUR  %s EUR at %s %% from %s to %s (%d days)\n", table.Money(p.GetAmount().GetMinorUnits(), "EUR"),
					table.Money(p.GetPrincipal().GetMinorUnits(), "EUR"), table.Money(int64(p.GetRateBp()), ""), table.Date(p.GetFrom()), table.Date(p.GetTo()), p.GetDays())
			}
		}
		if len(d.GetReleased()) > 0 {
			docs := map[string]string{}
			for _, it := range d.GetItems() {
				docs[it.GetOpenItemId()] = it.GetDocumentNumber()
			}
			var rel []string
			for _, id := range d.GetReleased() {
				rel = append(rel, firstOf(docs[id], id))
			}
			fmt.Fprintf(out, "  %s: final level (procedure %s v%d): released to collections: %s (ReleasedToCollections, which the collections service consumes)\n",
				d.GetDebtorId(), d.GetProcedureId(), d.GetProcedureVersion(), strings.Join(rel, ", "))
		}
	}
}

// skipped says why a decision left items alone.
func skipped(d *dunningv1.DunningDecisionRecorded) string {
	if d == nil {
		return "no decision"
	}
	docs := map[string]string{}
	for _, it := range d.GetItems() {
		docs[it.GetOpenItemId()] = it.GetDocumentNumber()
	}
	var s []string
	for _, k := range d.GetSkipped() {
		s = append(s, firstOf(docs[k.GetOpenItemId()], k.GetOpenItemId())+" ("+k.GetReason()+")")
	}
	if len(s) == 0 {
		return fmt.Sprintf("decision of %s: level %d, nothing skipped", table.Date(d.GetDate()), d.GetLevel())
	}
	return fmt.Sprintf("decision of %s skipped %s", table.Date(d.GetDate()), strings.Join(s, ", "))
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// publishInvoices publishes invs as the demo shop.
func publishInvoices(ctx context.Context, sys *System, invs []*shopv1.InvoiceIssued) error {
	js, closeNATS, err := sys.JetStream(natsembed.ShopUser(Tenant))
	if err != nil {
		return err
	}
	defer closeNATS()
	for _, inv := range invs {
		msg := nats.NewMsg("shop." + inv.GetTenant() + ".invoice.issued")
		if msg.Data, err = proto.Marshal(inv); err != nil {
			return err
		}
		msg.Header.Set("Content-Type", "application/protobuf")
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			return fmt.Errorf("publish %s: %w", inv.GetInvoiceNumber(), err)
		}
	}
	return nil
}

// waitForCharges waits until the ledger has booked or refused charges
// AssessCharge commands for debtor (whose one invoice is its only other
// item) and returns how many it booked and its refusals of dunning's
// commands.
func waitForCharges(ctx context.Context, sys *System, client ledgerv1grpc.LedgerServiceClient, debtor string, charges int) (int, []string, error) {
	booked := 0
	var refused []string
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant, DebtorId: debtor})
		if err != nil {
			return false, err
		}
		booked = len(r.GetOpenItems()) - 1
		rej, err := rejectionv1grpc.NewRejectionServiceClient(sys.Conn(ledger.Name)).ListRejections(ctx,
			&rejectionv1.ListRejectionsRequest{Tenant: Tenant, State: rejectionv1.RejectionState_REJECTION_STATE_OPEN})
		if err != nil {
			return false, err
		}
		refused = refused[:0]
		for _, x := range rej.GetRejections() {
			if strings.Contains(x.GetSubject(), "."+dunning.Name+".ledger.") {
				refused = append(refused, x.GetReason())
			}
		}
		return booked+len(refused) >= charges, nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("waiting for the ledger to book %d charges of %s (booked %d, refused %d): %w", charges, debtor, booked, len(refused), err)
	}
	return booked, refused, nil
}

// waitForDebtorItems polls the ledger until debtor has at least n open
// items and returns them.
func waitForDebtorItems(ctx context.Context, client ledgerv1grpc.LedgerServiceClient, debtor string, n int) ([]*ledgerv1.OpenItem, error) {
	var items []*ledgerv1.OpenItem
	err := poll(ctx, func() (bool, error) {
		r, err := client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: Tenant, DebtorId: debtor})
		if err != nil {
			return false, err
		}
		items = r.GetOpenItems()
		return len(items) >= n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for %d open items of %s (have %d): %w", n, debtor, len(items), err)
	}
	return items, nil
}

// openedSubject is the subject of the ledger's OpenItemOpened events of
// the demo tenant.
const openedSubject = "o2c." + Tenant + ".ledger.open-item.opened"

// OpenedItems returns how many OpenItemOpened events of the demo tenant
// the ledger's stream holds.
func OpenedItems(ctx context.Context, js jetstream.JetStream) (int, error) {
	st, err := js.Stream(ctx, bus.ServiceStream("ledger"))
	if err != nil {
		return 0, err
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(openedSubject))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range info.State.Subjects {
		n += int(c)
	}
	return n, nil
}

// WaitForDunningInput waits until the ledger's stream holds at least
// opened OpenItemOpened events of the demo tenant (the ledger's relay
// publishes them a little after its read model shows the items) and
// dunning has taken in everything of the ledger's and ingestion's streams
// its consumers read, so that a run sees the items, their invoices and
// their debtors.
func WaitForDunningInput(ctx context.Context, js jetstream.JetStream, opened int) error {
	have := 0
	err := poll(ctx, func() (bool, error) {
		n, err := OpenedItems(ctx, js)
		have = n
		return n >= opened, err
	})
	if err != nil {
		return fmt.Errorf("waiting for %d items opened in the ledger's stream (have %d): %w", opened, have, err)
	}
	for _, c := range []struct{ stream, durable string }{
		{bus.ServiceStream("ledger"), dunning.ItemsDurable},
		{bus.ServiceStream("ingestion"), dunning.IngestionDurable},
	} {
		err := poll(ctx, func() (bool, error) { return bus.CaughtUp(ctx, js, c.stream, c.durable) })
		if err != nil {
			return fmt.Errorf("waiting for dunning's %s to take in %s: %w", c.durable, c.stream, err)
		}
	}
	return nil
}
