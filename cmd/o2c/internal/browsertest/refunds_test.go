package browsertest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/browsertest"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	refundimport "github.com/o2c-platform/o2c/services/refund-import/service"
)

// TestReviewMarketplaceRefunds: finance finds the held over-refund and
// the guarantee claim the shop credited again on the refunds page, keeps
// the double credit and dismisses the over-refund, each with a reason;
// refund import records both with the reviewer, and nothing is left to
// review.
func TestReviewMarketplaceRefunds(t *testing.T) {
	env := browsertest.Shared(t)
	held := `tr[data-testid="refund-` + demo.OverRefund().Spec.AdjustmentID + `"]`
	twice := `tr[data-testid="refund-amzn1:crow:demo-claim-1008"]`

	fin := env.Open(t)
	fin.Login("finance")
	fin.Go("/")
	fin.Do("follow the navigation to the refunds", chromedp.Click(chromedp.CSS(`nav a[href="/refunds"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="refunds"]`)))
	fin.Shot("refunds-to-review")
	if n := fin.Count(`[data-testid="refunds"] tbody tr`); n != 2 {
		t.Errorf("%d refunds to review; want the held one and the one credited twice", n)
	}
	if got := fin.Text(twice + ` [data-testid="credited-again"]`); !strings.Contains(got, demo.ClaimCreditNoteNumber) {
		t.Errorf("the claim's row says %q; want the shop's %s named", got, demo.ClaimCreditNoteNumber)
	}
	if fin.Count(held+` [data-testid="book"]`) != 1 || fin.Count(held+` [data-testid="dismiss"]`) != 1 || fin.Count(held+` [data-testid="keep"]`) != 0 {
		t.Error("the held refund does not offer book and dismiss (only)")
	}

	fin.Do("say why both credit notes stay", chromedp.SendKeys(chromedp.CSS(twice+` input[name="reason"]`), "goodwill on top of Amazon's claim"))
	fin.Navigating("keep both", chromedp.Click(chromedp.CSS(twice+` [data-testid="keep"]`)))
	if flash := fin.Text(".flash"); !strings.Contains(flash, "kept") {
		t.Errorf("after keeping the page says %q", flash)
	}
	fin.Do("say why the over-refund is dismissed", chromedp.SendKeys(chromedp.CSS(held+` input[name="reason"]`), "Amazon reimburses it"))
	fin.Navigating("dismiss", chromedp.Click(chromedp.CSS(held+` [data-testid="dismiss"]`)))
	if flash := fin.Text(".flash"); !strings.Contains(flash, "dismissed") {
		t.Errorf("after dismissing the page says %q", flash)
	}
	fin.Do("nothing left to review", chromedp.WaitVisible(chromedp.CSS(`[data-testid="refunds-empty"]`)))
	fin.Shot("refunds-reviewed")

	fin.Go("/refunds?tab=all")
	for _, row := range []string{held, twice} {
		if got := fin.Text(row + ` [data-testid="reviewed-by"]`); !strings.Contains(got, "finance") {
			t.Errorf("%s says %q; want reviewed by finance", row, got)
		}
	}
	fin.Shot("refunds-all")

	resp, err := refundv1grpc.NewRefundServiceClient(env.Sys.Conn(refundimport.Name)).ListRefunds(context.Background(),
		&refundv1.ListRefundsRequest{Tenant: demo.Tenant, OrderId: demo.ReturnOrder})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.GetRefunds() {
		if r.GetAdjustmentId() == demo.OverRefund().Spec.AdjustmentID &&
			(r.GetState() != refundv1.RefundState_REFUND_STATE_LINKED || !strings.Contains(r.GetReason(), "Amazon reimburses it") || r.GetCreditNoteNumber() != "") {
			t.Errorf("the dismissed refund is %v, reason %q, credit note %q; want linked without a credit note, with the reviewer's reason",
				r.GetState(), r.GetReason(), r.GetCreditNoteNumber())
		}
	}
}
