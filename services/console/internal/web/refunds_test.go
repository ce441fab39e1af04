package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"
)

// fakeRefunds answers ListRefunds with its refunds and ReviewRefund with
// the refund reviewed, and records every request.
type fakeRefunds struct {
	refundv1grpc.RefundServiceClient
	refunds []*refundv1.Refund

	mu   sync.Mutex
	reqs []proto.Message
}

func (f *fakeRefunds) ListRefunds(_ context.Context, r *refundv1.ListRefundsRequest, _ ...grpc.CallOption) (*refundv1.ListRefundsResponse, error) {
	f.record(r)
	return &refundv1.ListRefundsResponse{Refunds: f.refunds, NextPageToken: "next"}, nil
}

func (f *fakeRefunds) ReviewRefund(_ context.Context, r *refundv1.ReviewRefundRequest, _ ...grpc.CallOption) (*refundv1.ReviewRefundResponse, error) {
	f.record(r)
	return &refundv1.ReviewRefundResponse{Refund: &refundv1.Refund{AdjustmentId: r.GetAdjustmentId(), OrderId: r.GetOrderId(),
		Amount: &commonv1.Money{MinorUnits: 2000, Currency: "EUR"}}}, nil
}

func (f *fakeRefunds) record(m proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, m)
}

func (f *fakeRefunds) taken() []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.reqs
	f.reqs = nil
	return out
}

// newRefundServer serves a console whose refund import is f.
func newRefundServer(t *testing.T, f *fakeRefunds) *httptest.Server {
	t.Helper()
	ts, _ := newTestServerWith(t, func(s *Server) { s.refundImport = f })
	return ts
}

// demoRefunds are a held refund, a booked one credited twice, a booked one
// whose second credit note was kept, and a waiting one.
func demoRefunds() []*refundv1.Refund {
	eur := func(n int64) *commonv1.Money { return &commonv1.Money{MinorUnits: n, Currency: "EUR"} }
	return []*refundv1.Refund{
		{AdjustmentId: "adj-held", OrderId: "302-1", Sku: "MOKA-6", Kind: refundv1.RefundKind_REFUND_KIND_REFUND, Amount: eur(1000),
			State: refundv1.RefundState_REFUND_STATE_HELD, Reason: "exceeds what is left to credit by 10.00 EUR"},
		{AdjustmentId: "adj-twice", OrderId: "302-2", Sku: "CREMA-1KG", Kind: refundv1.RefundKind_REFUND_KIND_GUARANTEE_CLAIM, Amount: eur(2000),
			State: refundv1.RefundState_REFUND_STATE_BOOKED, CreditNoteNumber: "amazon-refund:adj-twice", CreditedAgainBy: []string{"GS-9"}},
		{AdjustmentId: "adj-kept", OrderId: "302-3", Kind: refundv1.RefundKind_REFUND_KIND_REFUND, Amount: eur(500),
			State: refundv1.RefundState_REFUND_STATE_BOOKED, CreditNoteNumber: "amazon-refund:adj-kept", CreditedAgainKept: []string{"GS-8"}, ReviewedBy: "user:finance"},
		{AdjustmentId: "adj-wait", OrderId: "302-4", Kind: refundv1.RefundKind_REFUND_KIND_CHARGEBACK, Amount: eur(700),
			State: refundv1.RefundState_REFUND_STATE_WAITING, Reason: "order 302-4 unknown"},
	}
}

// TestRefundsPage: the page lists the refunds to review by default (the
// request asks for them) and all on its other tab; a reviewer (the
// operator) gets book and dismiss on the held refund and keep on the one
// credited twice, and nothing on the others; customer service sees the
// same list without a form; viewers do not get the page in the
// navigation.
func TestRefundsPage(t *testing.T) {
	t.Parallel()
	f := &fakeRefunds{refunds: demoRefunds()}
	ts := newRefundServer(t, f)
	c, _ := signedIn(t, ts.URL, "en")
	get := func(c *http.Client, path string) string {
		t.Helper()
		r, err := c.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		page := body(t, r)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d\n%.2000s", path, r.StatusCode, page)
		}
		return page
	}
	page := get(c, "/refunds")
	if diff := cmp.Diff([]proto.Message{&refundv1.ListRefundsRequest{Tenant: "demo", ToReview: true, PageSize: pageSize}}, f.taken(), protocmp.Transform()); diff != "" {
		t.Errorf("default tab's request (-want +got):\n%s", diff)
	}
	rows := map[string]string{}
	for _, part := range strings.Split(page, `data-testid="refund-`)[1:] {
		id, rest, _ := strings.Cut(part, `"`)
		rows[id], _, _ = strings.Cut(rest, "</tr>")
	}
	want := map[string]struct{ has, hasNot []string }{
		"adj-held":  {[]string{"held for review", "exceeds what is left", `value="book"`, `value="dismiss"`, `name="sku" value="MOKA-6"`}, []string{`value="keep"`}},
		"adj-twice": {[]string{"credited twice?", "The shop&#39;s GS-9 credited the order after this refund was booked as amazon-refund:adj-twice", `value="keep"`, "A-to-z guarantee claim"}, []string{`value="book"`}},
		"adj-kept":  {[]string{"booked", "kept beside it: GS-8", "reviewed by user:finance"}, []string{`data-testid="review"`, "credited twice?"}},
		"adj-wait":  {[]string{"waits for its order", "chargeback"}, []string{`data-testid="review"`}},
	}
	for id, w := range want {
		row, ok := rows[id]
		if !ok {
			t.Errorf("no row for %s", id)
			continue
		}
		for _, s := range w.has {
			if !strings.Contains(row, s) {
				t.Errorf("row %s does not show %q:\n%s", id, s, row)
			}
		}
		for _, s := range w.hasNot {
			if strings.Contains(row, s) {
				t.Errorf("row %s shows %q:\n%s", id, s, row)
			}
		}
	}
	if !strings.Contains(page, "t=next") {
		t.Error("no link to the next page")
	}

	get(c, "/refunds?tab=all&order=302-2")
	if diff := cmp.Diff([]proto.Message{&refundv1.ListRefundsRequest{Tenant: "demo", OrderId: "302-2", PageSize: pageSize}}, f.taken(), protocmp.Transform()); diff != "" {
		t.Errorf("all of one order (-want +got):\n%s", diff)
	}

	cs := client(t)
	if code := login(t, cs, ts.URL, "cs", "demo"); code != http.StatusSeeOther {
		t.Fatalf("cs sign-in: %d", code)
	}
	if page := get(cs, "/refunds"); strings.Contains(page, `data-testid="review"`) || !strings.Contains(page, "adj-twice") {
		t.Error("customer service: want the list without review forms")
	}
	viewer := client(t)
	if code := login(t, viewer, ts.URL, "viewer", "demo"); code != http.StatusSeeOther {
		t.Fatalf("viewer sign-in: %d", code)
	}
	if page := get(viewer, "/"); strings.Contains(page, `href="/refunds"`) {
		t.Error("a viewer's navigation links the refunds page, which refund import refuses viewers")
	}
	if page := get(c, "/"); !strings.Contains(page, `href="/refunds"`) {
		t.Error("the operator's navigation does not link the refunds page")
	}
}

// TestRefundReview: a review reaches refund import with the refund's
// adjustment, order and SKU, the action and the trimmed reason, and
// returns to the list it came from (a back address elsewhere goes to the
// list); an unknown action and hostile values are refused with 400 and
// send nothing.
func TestRefundReview(t *testing.T) {
	t.Parallel()
	f := &fakeRefunds{}
	ts := newRefundServer(t, f)
	c, csrf := signedIn(t, ts.URL, "en")
	post := func(form url.Values) (*http.Response, string) {
		t.Helper()
		form.Set("csrf", csrf)
		r, err := c.PostForm(ts.URL+"/refunds/review", form)
		if err != nil {
			t.Fatal(err)
		}
		return r, body(t, r)
	}
	r, page := post(url.Values{"adjustment": {"adj-twice"}, "order": {"302-2"}, "sku": {"CREMA-1KG"}, "action": {"keep"},
		"reason": {"  goodwill on top  "}, "back": {"/refunds?tab=all&order=302-2"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/refunds?tab=all&order=302-2" {
		t.Fatalf("keep: %d to %q\n%.2000s", r.StatusCode, r.Header.Get("Location"), page)
	}
	if diff := cmp.Diff([]proto.Message{&refundv1.ReviewRefundRequest{Tenant: "demo", AdjustmentId: "adj-twice", OrderId: "302-2", Sku: "CREMA-1KG",
		Action: refundv1.ReviewAction_REVIEW_ACTION_KEEP, Reason: "goodwill on top"}}, f.taken(), protocmp.Transform()); diff != "" {
		t.Errorf("keep's request (-want +got):\n%s", diff)
	}
	for _, back := range []string{"https://evil.example/refunds", "//evil.example/refunds", "/debtors/K-1", ""} {
		r, _ := post(url.Values{"adjustment": {"adj-held"}, "action": {"book"}, "reason": {"agreed"}, "back": {back}})
		if got := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || got != "/refunds" {
			t.Errorf("back %q: %d to %q, want 303 to /refunds", back, r.StatusCode, got)
		}
		if reqs := f.taken(); len(reqs) != 1 || reqs[0].(*refundv1.ReviewRefundRequest).GetAction() != refundv1.ReviewAction_REVIEW_ACTION_BOOK {
			t.Errorf("back %q: requests %v, want one BOOK", back, reqs)
		}
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"unknown action", url.Values{"adjustment": {"a"}, "action": {"<b>approve</b>"}, "reason": {"x"}}, "is not book, dismiss or keep"},
		{"no action", url.Values{"adjustment": {"a"}, "reason": {"x"}}, "is not book, dismiss or keep"},
		{"NUL in the reason", url.Values{"adjustment": {"a"}, "action": {"dismiss"}, "reason": {"no\x00"}}, "reason: contains a NUL byte"},
		{"invalid UTF-8 in the adjustment", url.Values{"adjustment": {"a\xff"}, "action": {"book"}, "reason": {"x"}}, "adjustment_id: is not valid UTF-8"},
		{"a reason of 1 MiB", url.Values{"adjustment": {"a"}, "action": {"keep"}, "reason": {strings.Repeat("r", 1<<20)}}, "reason: is 1048576 bytes long"},
	} {
		r, page := post(tt.form)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(page, htmlEscaped(tt.want)) {
			t.Errorf("%s: %d, want 400 saying %q\n%.2000s", tt.name, r.StatusCode, tt.want, page)
		}
		if strings.Contains(page, "<b>approve") {
			t.Errorf("%s: the error page shows the form's markup unescaped", tt.name)
		}
		if reqs := f.taken(); len(reqs) != 0 {
			t.Errorf("%s: refund import received %v, want nothing", tt.name, reqs)
		}
	}
}

// TestRefundEnumsHaveTexts: every refund state and kind refund import may
// send has a text in every catalogue, so no row shows a "[key]".
func TestRefundEnumsHaveTexts(t *testing.T) {
	t.Parallel()
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, n := range refundv1.RefundState_name {
		keys = append(keys, "refunds.state."+strings.TrimPrefix(n, "REFUND_STATE_"))
	}
	for _, n := range refundv1.RefundKind_name {
		keys = append(keys, "refunds.kind."+strings.TrimPrefix(n, "REFUND_KIND_"))
	}
	for tab := range refundTabs {
		keys = append(keys, "refunds.tab."+tab, "refunds.explain."+tab, "refunds.empty."+tab)
	}
	for a := range refundActions {
		keys = append(keys, "refunds.flash."+a)
	}
	for _, k := range keys {
		if !cat.Has(k) {
			t.Errorf("no catalogue has %q", k)
		}
	}
}
