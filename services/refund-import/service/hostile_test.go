package service

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// firstAmount is the first amount of a generated event.
var firstAmount = regexp.MustCompile(`"CurrencyAmount":-?[0-9.]+`)

// TestHostileFinancialEvents lets the fake SP-API serve, on one page
// between two valid refunds, an event a broken or hostile upstream could
// send. A page is booked as a whole or not at all: an event that cannot
// be read or is no valid refund fails the page, the run answers with an
// error naming the window, the element path or the field, and no credit
// note is stored; the service keeps serving and a second run answers the
// same. Text that is odd but storable (a terminal escape in an order id)
// and amounts of the other sign are data: the page is booked and the odd
// refund waits or is held for review.
func TestHostileFinancialEvents(t *testing.T) {
	t.Parallel()
	ev := func(order, adj string, at time.Time) string {
		return string(spapifake.RefundEvent(refundSpec(order, adj, at)))
	}
	at := march.Add(time.Minute)
	for _, tt := range []struct {
		name, event string
		// says is a part of the run's error; "" means the page is booked.
		says string
	}{
		{"amount 1e400", firstAmount.ReplaceAllString(ev("O-2", "ADJ-2", at), `"CurrencyAmount":1e400`), "RefundEventList[1].ShipmentItemAdjustmentList[0].ItemChargeAdjustmentList[0].ChargeAmount.CurrencyAmount"},
		{"amount beyond int64", firstAmount.ReplaceAllString(ev("O-2", "ADJ-2", at), `"CurrencyAmount":-92233720368547758.08`), "ChargeAmount.CurrencyAmount"},
		{"NUL in the order id", strings.Replace(ev("O-2", "ADJ-2", at), `"O-2"`, `"O-\u0000"`, 1), "order id contains a NUL byte"},
		{"100,000-byte order id", strings.Replace(ev("O-2", "ADJ-2", at), `"O-2"`, `"`+strings.Repeat("O", 100000)+`"`, 1), "order id has 100000 bytes, more than 1000"},
		{"NUL in the currency", strings.ReplaceAll(ev("O-2", "ADJ-2", at), `"EUR"`, `"EU\u0000"`), "ChargeAmount.CurrencyCode"},
		{"nested 10,000 deep", strings.Replace(ev("O-2", "ADJ-2", at), `"SellerSKU"`, `"X":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`,"SellerSKU"`, 1), "exceeded max depth"},
		{"object for a string", strings.Replace(ev("O-2", "ADJ-2", at), `"AmazonOrderId":"O-2"`, `"AmazonOrderId":{"$ne":1}`, 1), "RefundEventList[1]: handler failed: invalid refund"},
		{"year 99999", strings.Replace(ev("O-2", "ADJ-2", at), at.UTC().Format(time.RFC3339), "99999-01-01T00:00:00Z", 1), "RefundEventList[1].PostedDate"},
		{"terminal escape in the order id", strings.Replace(ev("O-2", "ADJ-2", at), `"O-2"`, `"O-\u001b[2J"`, 1), ""},
		{"amounts of the other sign", strings.ReplaceAll(ev("O-2", "ADJ-2", at), `"CurrencyAmount":-`, `"CurrencyAmount":`), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, spapifake.Options{PageSize: 100})
			s := e.start(t)
			for _, o := range []string{"O-1", "O-2", "O-3"} {
				s.order(t, "I-"+o, o, 11900)
			}
			e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
			e.amazon.AddFinancialEvents(at, spapifake.RefundEventList, []byte(tt.event))
			e.amazon.AddFinancialEvents(march.Add(time.Hour), spapifake.RefundEventList,
				spapifake.RefundEvent(refundSpec("O-3", "ADJ-3", march.Add(time.Hour))))
			got := s.run(t, &refundv1.RunImportRequest{})
			booked := s.stored(t, issueCreditNote)
			if tt.says == "" {
				if got.GetError() != "" || booked != 2 {
					t.Fatalf("run %.500v with %d credit notes; want the page booked: O-1 and O-3", got, booked)
				}
				return
			}
			if !strings.Contains(got.GetError(), tt.says) || !strings.Contains(got.GetError(), "financial events [") {
				t.Errorf("run error %.500q; want the window and %q", got.GetError(), tt.says)
			}
			if len(got.GetError()) > 2000 {
				t.Errorf("run error of %d bytes; want it short", len(got.GetError()))
			}
			if booked != 0 || got.GetRefundsNew() != 0 {
				t.Errorf("%d credit notes stored, %d refunds new; want the page refused whole", booked, got.GetRefundsNew())
			}
			again := s.run(t, &refundv1.RunImportRequest{})
			if again.GetError() != got.GetError() {
				t.Errorf("second run %.300q; want the same refusal", again.GetError())
			}
		})
	}
}

// TestHostileReview reviews a refund, as the console and o2c refunds do,
// with a reason that cannot be stored or published (a NUL, 1 MiB that NATS
// would refuse to carry) or a NUL in the adjustment id: each is
// INVALID_ARGUMENT naming the field, and no decision is stored.
func TestHostileReview(t *testing.T) {
	t.Parallel()
	e := newEnv(t, spapifake.Options{})
	s := e.start(t)
	s.order(t, "I-O-1", "O-1", 11900)
	e.amazon.AddFinancialEvents(march, spapifake.RefundEventList, spapifake.RefundEvent(refundSpec("O-1", "ADJ-1", march)))
	if got := s.run(t, &refundv1.RunImportRequest{}); got.GetRefundsNew() != 1 {
		t.Fatalf("run %v; want the refund booked", got)
	}
	dismiss := refundv1.ReviewAction_REVIEW_ACTION_DISMISS
	for _, tt := range []struct {
		name, says string
		req        *refundv1.ReviewRefundRequest
	}{
		{"NUL in the reason", "reason: contains a NUL byte", &refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", Action: dismiss, Reason: "a\x00b"}},
		{"1 MiB reason", "reason: is 1048576 bytes long", &refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-1", Action: dismiss, Reason: strings.Repeat("r", 1<<20)}},
		{"NUL in the adjustment id", "adjustment_id: contains a NUL byte", &refundv1.ReviewRefundRequest{AdjustmentId: "ADJ-\x001", Action: dismiss, Reason: "x"}},
	} {
		_, err := s.review(tt.req)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), tt.says) {
			t.Errorf("%s: %v, want INVALID_ARGUMENT saying %q", tt.name, err, tt.says)
		}
	}
	if n := s.stored(t, "o2c.refund.v1.RefundDecided"); n != 1 {
		t.Errorf("%d RefundDecided stored, want only the import's", n)
	}
}
