package service

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
)

// startWithRefunds runs a matching service that takes in refund import's
// decisions (Options.RefundDecisions), refund import's stream declared as
// refund import does.
func startWithRefunds(t testing.TB) *svc {
	t.Helper()
	e := newEnv(t)
	if err := bus.EnsureStreams(context.Background(), e.js, bus.ServiceStreamConfig("refund-import")); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: e.dbURL, NATSURL: e.natsURL, GRPCAddr: lis.Addr().String(), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: testAuth}}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := New(ctx, cfg, Options{Tenants: tenantstest.File(t, "acme"), Ingestion: e.ing, BankHandlers: 4, RefundDecisions: true},
		telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	conn, err := grpc.NewClient(m.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &svc{m: m, js: e.js, conn: conn, queue: matchingv1grpc.NewMatchingServiceClient(conn), dbURL: e.dbURL, fake: e.fake}
}

// TestPayoutHonoursRefundImportsDecisions reads as: given an Amazon
// order's item of 29.90 and refund import's decision about its refund
// ADJ-1 of 5.00 (linked to the shop's credit note GS-7, or booked by
// refund import, either credit note booked on the item by the ledger; or
// held as an over-refund), when the settlement report deducting the refund
// and its payout of 19.21 arrive, then a linked or booked refund is not
// credited again (the ApplyPayment clears the 24.90 left on the item, no
// IssueCreditNote is sent) and a held one keeps the payout in the
// exception queue with refund import's reason. A payout that
// waited in the queue for the decision is booked once the refund is
// linked.
func TestPayoutHonoursRefundImportsDecisions(t *testing.T) {
	t.Parallel()
	const (
		mp       = "marketplace:amazon.de:EUR"
		order    = "302-1234567-7654321"
		heldWhy  = "over-refund: 29.90 EUR of order 302-1234567-7654321 invoiced, 29.90 EUR credited already"
		linkWhy  = "the shop credited order 302-1234567-7654321 with credit note GS-7 of the same amount"
		settleID = "24601357903"
	)
	tests := []struct {
		name     string
		state    refundv1.RefundState
		why      string
		shopCN   string // the credit note on the item (the shop's, refund import's), "" for none
		late     bool   // decided after the payout came
		wantAuto bool
	}{
		{name: "linked", state: refundv1.RefundState_REFUND_STATE_LINKED, why: linkWhy, shopCN: "GS-7", wantAuto: true},
		{name: "booked by refund import first", state: refundv1.RefundState_REFUND_STATE_BOOKED,
			why: "credit note amazon-refund:ADJ-1 on order " + order + "'s item", shopCN: "amazon-refund:ADJ-1", wantAuto: true},
		{name: "linked after the payout waited", state: refundv1.RefundState_REFUND_STATE_LINKED, why: linkWhy, shopCN: "GS-7", late: true,
			wantAuto: true},
		{name: "held", state: refundv1.RefundState_REFUND_STATE_HELD, why: heldWhy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startWithRefunds(t)
			ctx := context.Background()
			s.fake.mu.Lock()
			s.fake.payers["CP-AMZ"] = &ingestionv1.Counterparty{Id: "CP-AMZ", Name: "AMAZON PAYMENTS EUROPE S.C.A."}
			s.fake.mu.Unlock()
			s.publish(t, "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "I-AMZ", DebtorId: mp, Kind: "invoice",
				DocumentNumber: "RE-2026-1003", OrderId: order, Amount: eur(2990), DocumentDate: nov1, DueDate: nov1,
				PaymentReference: "RE-2026-1003", EntryId: "E-AMZ"})
			seq := s.publish(t, "ledger", &ledgerv1.OpenItemClassified{Tenant: "acme", OpenItemId: "I-AMZ", Marketplace: "amazon.de",
				Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL, ClaimOpenItemId: "I-AMZ",
				Vat: []*ledgerv1.VatAmount{{RateBp: 700, Net: eur(2794), Vat: eur(196)}}})
			if tt.shopCN != "" {
				seq = s.publish(t, "ledger", &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-AMZ", DebtorId: mp, OpenAmount: eur(2490),
					Settlements: []*ledgerv1.Settlement{{SettlementId: "S-CN", OpenItemId: "I-AMZ", Amount: eur(500), Document: tt.shopCN,
						EntryId: "E-CN", Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CREDIT_NOTE}}})
			}
			s.settled(t, "O2C_LEDGER", ItemsDurable, seq)
			decided := func() {
				t.Helper()
				seq := s.publish(t, "refund-import", &refundv1.RefundDecided{Tenant: "acme", Refund: &refundv1.Refund{
					AdjustmentId: "ADJ-1", OrderId: order, Kind: refundv1.RefundKind_REFUND_KIND_REFUND, Amount: eur(500),
					Source: refundv1.RefundSource_REFUND_SOURCE_API, State: tt.state, Reason: tt.why, OpenItemId: "I-AMZ",
					CreditNoteNumber: tt.shopCN, Key: "ADJ-1|" + order + "|SKU-1",
					DecidedAt: timestamppb.New(time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC))}})
				s.settled(t, "O2C_REFUND_IMPORT", RefundsDurable, seq)
			}
			if !tt.late {
				decided()
			}
			line := func(typ, adj, amountType, desc string, amount int64) *ingestionv1.SettlementLine {
				l := &ingestionv1.SettlementLine{TransactionType: typ, AmountType: amountType, AmountDescription: desc, Amount: eur(amount),
					MarketplaceName: "Amazon.de", PostedDate: nov1, AdjustmentId: adj}
				if typ == "Order" || typ == "Refund" {
					l.OrderId, l.MerchantOrderId = order, "RE-2026-1003"
				}
				return l
			}
			s.publish(t, "ingestion", &ingestionv1.SettlementReportReceived{Tenant: "acme", SettlementId: settleID, Marketplace: "amazon",
				DepositDate: nov20, Total: eur(1921), HasTotal: true, Currency: "EUR", LineCount: 6, BatchCount: 1})
			seq = s.publish(t, "ingestion", &ingestionv1.SettlementLinesReceived{Tenant: "acme", SettlementId: settleID, Marketplace: "amazon",
				Lines: []*ingestionv1.SettlementLine{
					line("Order", "", "ItemPrice", "Principal", 2794), line("Order", "", "ItemPrice", "Tax", 196),
					line("Order", "", "ItemFees", "Commission", -449),
					line("Refund", "ADJ-1", "ItemPrice", "Principal", -467), line("Refund", "ADJ-1", "ItemPrice", "Tax", -33),
					line("other-transaction", "", "other-transaction", "Storage Fee", -120),
				}})
			s.settled(t, "O2C_INGESTION", IngestionDurable, seq)
			seq = s.publish(t, "ingestion", bankTx("TX-AMZ", 1921, "AMAZON.DE SETTLEMENT "+settleID, "CP-AMZ"))
			s.settled(t, "O2C_INGESTION", BankDurable, seq)
			if tt.late {
				if cmds := s.commands(t); len(cmds) != 0 {
					t.Fatalf("before refund import's decision the payout sent %v, want it waiting", cmds)
				}
				decided()
			}
			got, err := s.queue.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: "TX-AMZ"}, testAuth.As(accountant("acme")))
			if err != nil {
				t.Fatal(err)
			}
			ex := got.GetException()
			if !tt.wantAuto {
				if ex.GetState() != matchingv1.ExceptionState_EXCEPTION_STATE_OPEN {
					t.Fatalf("payout is %v, want open in the queue", ex.GetState())
				}
				if want := "refund ADJ-1 held by refund import: " + heldWhy; !strings.Contains(ex.GetExplanation(), want) {
					t.Errorf("explanation %q, want it to say %q", ex.GetExplanation(), want)
				}
				if cmds := s.commands(t); len(cmds) != 0 {
					t.Errorf("commands sent for a held refund's payout: %v", cmds)
				}
				return
			}
			eventually(t, "the payout's ApplyPayment", func() bool { return len(s.commands(t)) >= 1 })
			cmds := s.commands(t)
			if len(cmds) != 1 {
				t.Fatalf("commands %v, want the ApplyPayment alone (no second credit note)", cmds)
			}
			ap, ok := cmds[0].(*ledgerv1.ApplyPayment)
			if !ok {
				t.Fatalf("command %v, want an ApplyPayment", cmds[0])
			}
			// 19.21 paid out plus 5.69 of fees: the 24.90 the shop's credit
			// note left open.
			if ap.GetAmount().GetMinorUnits() != 2490 || len(ap.GetAllocations()) != 1 ||
				ap.GetAllocations()[0].GetOpenItemId() != "I-AMZ" || ap.GetAllocations()[0].GetAmount().GetMinorUnits() != 2490 {
				t.Errorf("ApplyPayment %v, want 24.90 allocated to I-AMZ", ap)
			}
		})
	}
}
