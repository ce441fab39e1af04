package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// decisions returns the RefundDecided events relayed for the refund with
// key, in order, once n of them were.
func (s *svc) decisions(t testing.TB, key string, n int) []eventstore.Event {
	t.Helper()
	ctx := context.Background()
	const subj = "o2c.acme.refund-import.refund.decided"
	var out []eventstore.Event
	eventually(t, "RefundDecided events of "+key, func() bool {
		out = nil
		cons, err := s.e.js.OrderedConsumer(ctx, "O2C_REFUND_IMPORT", jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
		if err != nil {
			return false
		}
		for {
			m, err := cons.Next(jetstream.FetchMaxWait(200 * time.Millisecond))
			if err != nil {
				break
			}
			ev, err := relay.Decode(m, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d, ok := ev.Payload.(*refundv1.RefundDecided); ok && d.GetRefund().GetKey() == key {
				out = append(out, ev)
			}
		}
		return len(out) >= n
	})
	return out
}

// review calls ReviewRefund as clara.
func (s *svc) review(req *refundv1.ReviewRefundRequest) (*refundv1.Refund, error) {
	req.Tenant = "acme"
	res, err := s.api.ReviewRefund(context.Background(), req, testAuth.As(clara))
	return res.GetRefund(), err
}

// TestReviewHeldRefunds: given two over-refunds held (orders invoiced
// 30.00, refunds of 59.50), when an accountant books the first on review,
// then its credit note is sent once, under the import's key, and a
// RefundDecided by the accountant says BOOKED with the reason; when she
// dismisses the second, then no credit note is sent and its RefundDecided
// says LINKED without a credit note (matching books its payout with the
// deduction left on the marketplace's debtor); a second review of either
// is refused, and the import seeing both again books nothing.
func TestReviewHeldRefunds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	s.order(t, "I-O-1", "O-1", 3000)
	s.order(t, "I-O-2", "O-2", 3000)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-2", "ADJ-2", march)))
	if got := s.run(t, &refundv1.RunImportRequest{}); got.GetError() != "" || got.GetHeld() != 2 {
		t.Fatalf("run %v; want both over-refunds held", got)
	}

	booked, err := s.review(&refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", Action: refundv1.ReviewAction_REVIEW_ACTION_BOOK,
		Reason: "goodwill agreed with the buyer"})
	if err != nil {
		t.Fatalf("book on review: %v", err)
	}
	if booked.GetState() != refundv1.RefundState_REFUND_STATE_BOOKED || booked.GetReviewedBy() != "user:clara" ||
		booked.GetCreditNoteNumber() != "amazon-refund:ADJ-1" || !strings.Contains(booked.GetReason(), "goodwill agreed with the buyer") {
		t.Errorf("booked on review: %v; want BOOKED as amazon-refund:ADJ-1 by user:clara with the reason", booked)
	}
	cmds := s.commands(t, 1)
	if len(cmds) != 1 {
		t.Fatalf("%d commands relayed, want the one credit note", len(cmds))
	}
	cn, ok := cmds[0].(*ledgerv1.IssueCreditNote)
	if !ok || cn.GetIdempotencyKey() != "amazon-refund:ADJ-1" || cn.GetGross().GetMinorUnits() != 5950 ||
		cn.GetOpenItemId() != "I-O-1" || cn.GetDebtorId() != marketplaceDebtor {
		t.Errorf("command %v; want a credit note of 59.50 keyed amazon-refund:ADJ-1 on I-O-1 of the marketplace's debtor", cmds[0])
	}
	evs := s.decisions(t, "ADJ-1|O-1|SKU-O-1", 2)
	last := evs[len(evs)-1]
	if last.Actor != "user:clara" || evs[0].Actor != "refund-import" {
		t.Errorf("actors %q then %q; want refund-import's hold, then user:clara's review", evs[0].Actor, last.Actor)
	}
	want := &refundv1.RefundDecided{Tenant: "acme", Refund: booked}
	if diff := cmp.Diff(want, last.Payload, protocmp.Transform(),
		protocmp.IgnoreFields(&refundv1.Refund{}, "decided_at", "charges", "posted", "entry_id")); diff != "" {
		t.Errorf("RefundDecided of the review (-want +got):\n%s", diff)
	}

	dismissed, err := s.review(&refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-2", OrderId: "O-2", Sku: "SKU-O-2",
		Action: refundv1.ReviewAction_REVIEW_ACTION_DISMISS, Reason: "Amazon reimburses the difference"})
	if err != nil {
		t.Fatalf("dismiss on review: %v", err)
	}
	if dismissed.GetState() != refundv1.RefundState_REFUND_STATE_LINKED || dismissed.GetCreditNoteNumber() != "" ||
		dismissed.GetReviewedBy() != "user:clara" || !strings.Contains(dismissed.GetReason(), "Amazon reimburses the difference") {
		t.Errorf("dismissed on review: %v; want LINKED without credit note, by user:clara with the reason", dismissed)
	}
	evs = s.decisions(t, "ADJ-2|O-2|SKU-O-2", 2)
	if last := evs[len(evs)-1]; last.Actor != "user:clara" ||
		last.Payload.(*refundv1.RefundDecided).GetRefund().GetState() != refundv1.RefundState_REFUND_STATE_LINKED {
		t.Errorf("last RefundDecided of ADJ-2 %v by %q; want LINKED by user:clara", last.Payload, last.Actor)
	}

	for _, adj := range []string{"ADJ-1", "ADJ-2"} {
		for _, a := range []refundv1.ReviewAction{refundv1.ReviewAction_REVIEW_ACTION_BOOK, refundv1.ReviewAction_REVIEW_ACTION_DISMISS} {
			_, err := s.review(&refundv1.ReviewRefundRequest{AdjustmentId: adj, Action: a, Reason: "again"})
			if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "reviewed by user:clara") {
				t.Errorf("second review of %s (%s): %v; want FAILED_PRECONDITION naming the first reviewer", adj, a, err)
			}
		}
	}
	again := s.run(t, &refundv1.RunImportRequest{SellerAccount: "eu", Since: timestamppb.New(march.Add(-24 * time.Hour))})
	if again.GetError() != "" || again.GetRefundsDuplicate() != 2 || again.GetRefundsNew() != 0 || again.GetHeld() != 0 {
		t.Errorf("import again %v; want both reviewed refunds seen as duplicates", again)
	}
	if n := s.stored(t, issueCreditNote); n != 1 {
		t.Errorf("%d credit notes stored, want the one booked on review", n)
	}
	rs := s.refunds(t, "O-1")
	if len(rs) != 1 || rs[0].GetState() != refundv1.RefundState_REFUND_STATE_BOOKED || rs[0].GetReviewedBy() != "user:clara" {
		t.Errorf("refunds of O-1: %v; want the refund booked on review by user:clara", rs)
	}
}

// TestReviewRefused: a review without reason or action, or of a refund
// the import does not know, is refused before anything is stored.
func TestReviewRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	s.order(t, "I-O-1", "O-1", 11900)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
	if got := s.run(t, &refundv1.RunImportRequest{}); got.GetRefundsNew() != 1 {
		t.Fatalf("run %v; want the refund booked", got)
	}
	tests := []struct {
		name string
		req  *refundv1.ReviewRefundRequest
		want codes.Code
	}{
		{name: "no reason", req: &refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", Action: refundv1.ReviewAction_REVIEW_ACTION_DISMISS},
			want: codes.InvalidArgument},
		{name: "no action", req: &refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", Reason: "x"}, want: codes.InvalidArgument},
		{name: "no adjustment id", req: &refundv1.ReviewRefundRequest{Action: refundv1.ReviewAction_REVIEW_ACTION_BOOK, Reason: "x"},
			want: codes.InvalidArgument},
		{name: "unknown refund", req: &refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-9", Action: refundv1.ReviewAction_REVIEW_ACTION_BOOK, Reason: "x"},
			want: codes.NotFound},
		{name: "another order", req: &refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", OrderId: "O-2",
			Action: refundv1.ReviewAction_REVIEW_ACTION_BOOK, Reason: "x"}, want: codes.NotFound},
		{name: "not held", req: &refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", Action: refundv1.ReviewAction_REVIEW_ACTION_DISMISS, Reason: "x"},
			want: codes.FailedPrecondition},
	}
	for _, tt := range tests {
		_, err := s.review(tt.req)
		if status.Code(err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
		}
	}
	if n := s.stored(t, "o2c.refund.v1.RefundDecided"); n != 1 {
		t.Errorf("%d RefundDecided stored, want only the import's", n)
	}
}
