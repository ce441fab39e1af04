package table

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
)

// TestRefundsTable checks that each refund's row says what was imported
// and what became of it: kind, amount in the currency's decimals, state,
// reason and credit note, with "-" where there is nothing to say.
func TestRefundsTable(t *testing.T) {
	t.Parallel()
	posted := timestamppb.New(time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC))
	rs := []*refundv1.Refund{
		{AdjustmentId: "amzn1.adj.1", OrderId: "302-1", Kind: refundv1.RefundKind_REFUND_KIND_REFUND, Amount: eurQ(1495), Posted: posted,
			Source: refundv1.RefundSource_REFUND_SOURCE_API, State: refundv1.RefundState_REFUND_STATE_BOOKED, CreditNoteNumber: "amazon-refund:amzn1.adj.1"},
		{AdjustmentId: "amzn1.adj.2", OrderId: "302-2", Kind: refundv1.RefundKind_REFUND_KIND_GUARANTEE_CLAIM, Amount: eurQ(2990), Posted: posted,
			Source: refundv1.RefundSource_REFUND_SOURCE_SETTLEMENT, State: refundv1.RefundState_REFUND_STATE_HELD,
			Reason: "credits 10.00 EUR more\nthan invoiced"},
	}
	var buf bytes.Buffer
	Refunds(&buf, rs)
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	var got [][]string
	for _, l := range lines[1 : len(lines)-1] {
		got = append(got, strings.Fields(l))
	}
	want := [][]string{
		{"amzn1.adj.1", "302-1", "refund", "14.95", "EUR", "2026-11-20T09:30:00Z", "api", "booked", "-", "amazon-refund:amzn1.adj.1"},
		{"amzn1.adj.2", "302-2", "guarantee_claim", "29.90", "EUR", "2026-11-20T09:30:00Z", "settlement", "held", "credits", "10.00", "EUR", "more", "than", "invoiced", "-"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s\n%s", diff, buf.String())
	}
	if last := lines[len(lines)-1]; last != "2 refunds" {
		t.Errorf("last line %q, want the count", last)
	}
}

// TestRefundsTableNamesOrdersCreditedTwice: a booked refund whose order a
// shop credit note credited again gets a line below the table naming the
// order and both credit notes; others get none.
func TestRefundsTableNamesOrdersCreditedTwice(t *testing.T) {
	t.Parallel()
	rs := []*refundv1.Refund{
		{AdjustmentId: "amzn1.adj.1", OrderId: "302-1", Kind: refundv1.RefundKind_REFUND_KIND_REFUND, Amount: eurQ(1495),
			State: refundv1.RefundState_REFUND_STATE_BOOKED, CreditNoteNumber: "amazon-refund:amzn1.adj.1", CreditedAgainBy: []string{"GS-7", "GS-9"}},
		{AdjustmentId: "amzn1.adj.2", OrderId: "302-2", Kind: refundv1.RefundKind_REFUND_KIND_REFUND, Amount: eurQ(500),
			State: refundv1.RefundState_REFUND_STATE_BOOKED, CreditNoteNumber: "amazon-refund:amzn1.adj.2"},
	}
	var buf bytes.Buffer
	Refunds(&buf, rs)
	var flagged []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(l, "credited twice?") {
			flagged = append(flagged, l)
		}
	}
	want := []string{"credited twice? order 302-1: the shop's GS-7, GS-9 credited it after refund amzn1.adj.1 was booked as amazon-refund:amzn1.adj.1"}
	if diff := cmp.Diff(want, flagged); diff != "" {
		t.Errorf("flag lines (-want +got):\n%s\n%s", diff, buf.String())
	}
}
