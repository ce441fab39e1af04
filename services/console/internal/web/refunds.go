package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/libs/identity"
)

// Marketplace refunds: what refund import took in from the marketplaces
// and decided (refund-import's RefundService). The page lists the refunds
// that wait for a person first: held ones, which a reviewer books or
// dismisses, and booked ones a shop credit note credited again, whose
// double credit a reviewer keeps (or has one of the two credit notes
// undone). Reviewing records the user as the reviewer.

// refundReaders may list refunds and refundReviewers review them
// (refund-import's policy; the service checks again).
var (
	refundReaders   = []identity.Role{identity.Operator, identity.Accountant, identity.CustomerService}
	refundReviewers = []identity.Role{identity.Operator, identity.Accountant}
)

// refundTabs are the page's tabs: whether each lists only the refunds
// to review.
var refundTabs = map[string]bool{"review": true, "all": false}

// refundListData is what templates/refunds.html shows.
type refundListData struct {
	Tab   string
	Tabs  []string
	Order string
	Rows  []refundRow
	Pager Pager
	// CanReview shows the review forms (the service checks again).
	CanReview bool
	// Back is this page's address, where a review returns to.
	Back string
}

// refundRow is a refund as the table shows it.
type refundRow struct {
	*refundv1.Refund
	// State and Kind are the enums' names without their prefixes
	// ("HELD", "GUARANTEE_CLAIM"); Class is the state badge's class.
	State, Kind, Class string
	// Held and CreditedTwice say which review the row offers.
	Held, CreditedTwice bool
	// AgainBy and Kept are the shop credit notes flagged and kept,
	// comma-separated.
	AgainBy, Kept string
}

// refunds lists a tenant's marketplace refunds, the ones to review by
// default, newest posted first and paged; ?order= narrows to one order.
func (s *Server) refunds(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.refundImport == nil {
		return nil, notConfigured("refund-import")
	}
	q := r.URL.Query()
	tab := q.Get("tab")
	if _, ok := refundTabs[tab]; !ok {
		tab = "review"
	}
	order := strings.TrimSpace(q.Get("order"))
	req := &refundv1.ListRefundsRequest{Tenant: rc.Tenant, OrderId: order, ToReview: refundTabs[tab], PageSize: pageSize, PageToken: q.Get("t")}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := s.refundImport.ListRefunds(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	return &View{Template: "refunds.html", Data: refundListData{
		Tab: tab, Tabs: []string{"review", "all"}, Order: order, Rows: refundRows(resp.GetRefunds()),
		Pager: tokenPager(r, "t", "tp", resp.GetNextPageToken()), CanReview: rc.Can(refundReviewers...), Back: r.URL.RequestURI(),
	}}, nil
}

func refundRows(rs []*refundv1.Refund) []refundRow {
	out := make([]refundRow, len(rs))
	for i, m := range rs {
		row := refundRow{Refund: m, State: strings.TrimPrefix(m.GetState().String(), "REFUND_STATE_"),
			Kind:    strings.TrimPrefix(m.GetKind().String(), "REFUND_KIND_"),
			AgainBy: strings.Join(m.GetCreditedAgainBy(), ", "), Kept: strings.Join(m.GetCreditedAgainKept(), ", ")}
		switch m.GetState() {
		case refundv1.RefundState_REFUND_STATE_HELD:
			row.Class, row.Held = "warn", true
		case refundv1.RefundState_REFUND_STATE_WAITING:
			row.Class = "warn"
		case refundv1.RefundState_REFUND_STATE_BOOKED, refundv1.RefundState_REFUND_STATE_LINKED:
			row.Class = "good"
		}
		if m.GetState() == refundv1.RefundState_REFUND_STATE_BOOKED && len(m.GetCreditedAgainBy()) > 0 {
			row.Class, row.CreditedTwice = "bad", true
		}
		out[i] = row
	}
	return out
}

// refundActions are the review form's buttons and what each asks for.
var refundActions = map[string]refundv1.ReviewAction{
	"book":    refundv1.ReviewAction_REVIEW_ACTION_BOOK,
	"dismiss": refundv1.ReviewAction_REVIEW_ACTION_DISMISS,
	"keep":    refundv1.ReviewAction_REVIEW_ACTION_KEEP,
}

// reviewRefund sends a review (book, dismiss or keep, with the reviewer's
// reason) to refund import and returns to the list it came from.
func (s *Server) reviewRefund(w http.ResponseWriter, r *http.Request, rc *Request) (*View, error) {
	if s.refundImport == nil {
		return nil, notConfigured("refund-import")
	}
	action, ok := refundActions[r.PostFormValue("action")]
	if !ok {
		return nil, fmt.Errorf("%w: action %.40q is not book, dismiss or keep", errBadForm, r.PostFormValue("action"))
	}
	req := &refundv1.ReviewRefundRequest{Tenant: rc.Tenant, AdjustmentId: r.PostFormValue("adjustment"), OrderId: r.PostFormValue("order"),
		Sku: r.PostFormValue("sku"), Action: action, Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	if err := checkStorable(req); err != nil {
		return nil, err
	}
	resp, err := s.refundImport.ReviewRefund(rc.Ctx, req)
	if err != nil {
		return nil, err
	}
	m := resp.GetRefund()
	key := "refunds.flash." + r.PostFormValue("action")
	redirectAfterPost(w, r, refundsBack(r.PostFormValue("back")), s.catalog.T(rc.Locale, key, m.GetAdjustmentId(), m.GetOrderId(), formatMoney(rc.Locale, m.GetAmount())))
	return nil, nil
}

// refundsBack is the refunds list a review returns to: the form's back
// when it is one of this page's addresses, else the list to review.
func refundsBack(back string) string {
	u, err := url.Parse(back)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path != "/refunds" {
		return "/refunds"
	}
	return u.RequestURI()
}
