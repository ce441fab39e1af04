package spapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/amazon/finances"
	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// addRefunds gives the fake n refunds posted a minute apart from start and
// returns their adjustment ids in posted order.
func addRefunds(tb testing.TB, srv *spapifake.Server, n int, start time.Time) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range n {
		g := spapifake.RefundSpec{
			OrderID: fmt.Sprintf("302-%07d-%07d", i, i), AdjustmentID: fmt.Sprintf("adj-%04d", i), SKU: "SKU-1",
			Currency: "EUR", Posted: start.Add(time.Duration(i) * time.Minute), Principal: 1000 + int64(i), Tax: 190,
			Commission: 150, Marketplace: "Amazon.de",
		}
		srv.AddFinancialEvents(g.Posted, spapifake.RefundEventList, spapifake.RefundEvent(g))
		ids[i] = g.AdjustmentID
	}
	return ids
}

// pageLog parses every page handed over and keeps the adjustment ids of
// its events and the number of events of each page.
type pageLog struct {
	ids   []string
	sizes []int
}

func (l *pageLog) page(tb testing.TB) func([]byte) error {
	return func(body []byte) error {
		p, err := finances.Parse(bytes.NewReader(body), finances.Handler{Event: func(e *finances.Event) error {
			l.ids = append(l.ids, e.AdjustmentID)
			return nil
		}})
		if err != nil {
			tb.Errorf("page %d does not parse: %v", len(l.sizes)+1, err)
			return err
		}
		l.sizes = append(l.sizes, p.Events)
		return nil
	}
}

func lastMonth(c *clock) spapi.Window {
	return spapi.Window{PostedAfter: c.Now().Add(-30 * 24 * time.Hour), PostedBefore: c.Now().Add(-time.Hour)}
}

// TestFinancialEventsPaginates pages through a window with NextToken,
// empty pages included, and hands over every event once, in order.
func TestFinancialEventsPaginates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		events    int
		empty     int
		wantSizes []int
	}{
		{"none", 0, 0, []int{0}},
		{"one page", 7, 0, []int{7}},
		{"exactly two pages", 20, 0, []int{10, 10}},
		{"three pages", 25, 0, []int{10, 10, 5}},
		{"empty pages first", 25, 2, []int{0, 0, 10, 10, 5}},
		{"only empty pages", 0, 3, []int{0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, spapifake.Options{Limits: spapi.NoLimits(), PageSize: 10}, spapi.Config{Limits: spapi.NoLimits()})
			w := lastMonth(f.clock)
			want := addRefunds(t, f.srv, tc.events, w.PostedAfter.Add(time.Hour))
			// Events outside the window must not come.
			addRefunds(t, f.srv, 1, w.PostedBefore)
			f.srv.EmptyPages(tc.empty)
			var log pageLog
			if err := f.client.FinancialEvents(context.Background(), w, log.page(t)); err != nil {
				t.Fatalf("FinancialEvents: %v", err)
			}
			if diff := cmp.Diff(want, log.ids, cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
				t.Errorf("adjustment ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSizes, log.sizes); diff != "" {
				t.Errorf("events per page (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTransactionsAndGroupsPaginate pages listTransactions (filtered by
// marketplace) and listFinancialEventGroups.
func TestTransactionsAndGroupsPaginate(t *testing.T) {
	t.Parallel()
	f := setup(t, spapifake.Options{Limits: spapi.NoLimits(), PageSize: 2}, spapi.Config{Limits: spapi.NoLimits()})
	w := lastMonth(f.clock)
	for i := range 5 {
		market := "A1PA6795UKMFR9"
		if i == 2 {
			market = "A13V1IB3VIYZZH"
		}
		posted := w.PostedAfter.Add(time.Duration(i) * time.Hour)
		f.srv.AddTransaction(posted, []byte(fmt.Sprintf(`{"transactionId":"tx-%d","postedDate":%q,"marketplaceDetails":{"marketplaceId":%q}}`, i, posted.Format(time.RFC3339), market)))
		f.srv.AddFinancialEventGroup(posted, []byte(fmt.Sprintf(`{"FinancialEventGroupId":"g-%d","FinancialEventGroupStart":%q}`, i, posted.Format(time.RFC3339))))
	}
	var txBodies, groupBodies []string
	if err := f.client.Transactions(context.Background(), w, "A1PA6795UKMFR9", func(b []byte) error {
		txBodies = append(txBodies, string(b))
		return nil
	}); err != nil {
		t.Fatalf("Transactions: %v", err)
	}
	if err := f.client.FinancialEventGroups(context.Background(), w, func(b []byte) error {
		groupBodies = append(groupBodies, string(b))
		return nil
	}); err != nil {
		t.Fatalf("FinancialEventGroups: %v", err)
	}
	var txs, groups []string
	for _, b := range txBodies {
		for i := range 5 {
			if strings.Contains(b, fmt.Sprintf(`"tx-%d"`, i)) {
				txs = append(txs, fmt.Sprint("tx-", i))
			}
		}
	}
	for _, b := range groupBodies {
		for i := range 5 {
			if strings.Contains(b, fmt.Sprintf(`"g-%d"`, i)) {
				groups = append(groups, fmt.Sprint("g-", i))
			}
		}
	}
	if diff := cmp.Diff([]string{"tx-0", "tx-1", "tx-3", "tx-4"}, txs); diff != "" {
		t.Errorf("transactions of the marketplace (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"g-0", "g-1", "g-2", "g-3", "g-4"}, groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if len(groupBodies) != 3 {
		t.Errorf("group pages = %d, want 3 of at most 2", len(groupBodies))
	}
}

// TestThrottling waits out 429s, honouring x-amzn-RateLimit-Limit, and
// gives up with ErrThrottled after MaxRetries.
func TestThrottling(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		serverLimits spapi.Limits
		clientLimits spapi.Limits
		throttled    int
		maxRetries   int
		wantErr      error
		wantRequests int
		wantSleeps   []time.Duration
	}{
		{
			name:         "header names a quarter request a second",
			serverLimits: spapi.Limits{spapi.OpListFinancialEvents: {PerSecond: 0.25, Burst: 5}},
			clientLimits: spapi.NoLimits(), throttled: 2, wantRequests: 3,
			wantSleeps: []time.Duration{4 * time.Second, 4 * time.Second},
		},
		{
			name:         "client bucket lowered to the header's rate",
			serverLimits: spapi.Limits{spapi.OpListFinancialEvents: {PerSecond: 0.25, Burst: 5}},
			clientLimits: spapi.Limits{spapi.OpListFinancialEvents: {PerSecond: 2, Burst: 1}}, throttled: 1, wantRequests: 2,
			// The 429 empties the bucket and lowers it to 0.25/s: 4 s for the
			// retry's token.
			wantSleeps: []time.Duration{4 * time.Second},
		},
		{
			name:         "gives up after MaxRetries",
			serverLimits: spapi.NoLimits(), clientLimits: spapi.NoLimits(), throttled: 10, maxRetries: 2,
			wantErr: spapi.ErrThrottled, wantRequests: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, spapifake.Options{Limits: tc.serverLimits}, spapi.Config{Limits: tc.clientLimits, MaxRetries: tc.maxRetries})
			w := lastMonth(f.clock)
			want := addRefunds(t, f.srv, 3, w.PostedAfter)
			f.srv.Throttle(spapi.OpListFinancialEvents, tc.throttled)
			var log pageLog
			err := f.client.FinancialEvents(context.Background(), w, log.page(t))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("FinancialEvents error = %v, want %v", err, tc.wantErr)
			}
			if got := f.srv.Requests(spapi.OpListFinancialEvents); got != tc.wantRequests {
				t.Errorf("requests = %d, want %d", got, tc.wantRequests)
			}
			if tc.wantErr != nil {
				return
			}
			if diff := cmp.Diff(want, log.ids); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSleeps, f.clock.Sleeps()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRateLimitPacesRequests keeps a client with Amazon's limits from
// being throttled by a server with the same limits: it waits for its
// bucket instead.
func TestRateLimitPacesRequests(t *testing.T) {
	t.Parallel()
	f := setup(t, spapifake.Options{PageSize: 1}, spapi.Config{})
	w := lastMonth(f.clock)
	want := addRefunds(t, f.srv, 40, w.PostedAfter) // 40 pages: 30 of burst, then 0.5/s
	var log pageLog
	if err := f.client.FinancialEvents(context.Background(), w, log.page(t)); err != nil {
		t.Fatalf("FinancialEvents: %v", err)
	}
	if diff := cmp.Diff(want, log.ids); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := f.srv.Requests(spapi.OpListFinancialEvents); got != 40 {
		t.Errorf("requests = %d, want 40 (none throttled)", got)
	}
	var waited time.Duration
	for _, d := range f.clock.Sleeps() {
		waited += d
	}
	if waited < 20*time.Second {
		t.Errorf("waited %s for 10 requests beyond the burst of 30 at 0.5/s, want at least 20s", waited)
	}
}

// TestServerErrorsAreRetried retries 5xx and gives up with ErrUpstream
// after MaxRetries, waiting a full-jitter back-off in between.
func TestServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		op           string
		status, n    int
		wantErr      error
		wantRequests int
	}{
		{"503 twice", spapi.OpListFinancialEvents, http.StatusServiceUnavailable, 2, nil, 3},
		{"500 once", spapi.OpListFinancialEvents, http.StatusInternalServerError, 1, nil, 2},
		{"500 beyond MaxRetries", spapi.OpListFinancialEvents, http.StatusInternalServerError, 4, spapi.ErrUpstream, 4},
		{"token endpoint 503", spapi.OpToken, http.StatusServiceUnavailable, 1, nil, 2},
		{"400 is not retried", spapi.OpListFinancialEvents, http.StatusBadRequest, 1, spapi.ErrBadRequest, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, spapifake.Options{Limits: spapi.NoLimits()}, spapi.Config{Limits: spapi.NoLimits(), MaxRetries: 3})
			w := lastMonth(f.clock)
			want := addRefunds(t, f.srv, 2, w.PostedAfter)
			f.srv.FailNext(tc.op, tc.status, tc.n)
			var log pageLog
			err := f.client.FinancialEvents(context.Background(), w, log.page(t))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("FinancialEvents error = %v, want %v", err, tc.wantErr)
			}
			if got := f.srv.Requests(tc.op); got != tc.wantRequests {
				t.Errorf("requests of %s = %d, want %d", tc.op, got, tc.wantRequests)
			}
			if tc.wantErr == nil {
				if diff := cmp.Diff(want, log.ids); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			}
			for i, d := range f.clock.Sleeps() {
				if ceiling := 500 * time.Millisecond << i; d > ceiling {
					t.Errorf("back-off %d = %s, above its ceiling %s", i+1, d, ceiling)
				}
			}
		})
	}
}

// TestNetworkErrorIsRetried retries a request that got no answer.
func TestNetworkErrorIsRetried(t *testing.T) {
	t.Parallel()
	srv := spapifake.New(spapifake.Options{Limits: spapi.NoLimits()})
	url, stop := srv.Start()
	stop() // nothing listens there any more
	c, err := spapi.New(spapi.Config{
		Endpoint: url, TokenURL: url + "/auth/o2/token", Credentials: srv.Credentials(), Limits: spapi.NoLimits(),
		MaxRetries: 2, Sleep: func(context.Context, time.Duration) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = c.FinancialEvents(context.Background(), spapi.Window{PostedAfter: now.Add(-48 * time.Hour), PostedBefore: now.Add(-time.Hour)},
		func([]byte) error { return nil })
	if !errors.Is(err, spapi.ErrUpstream) {
		t.Fatalf("error = %v, want ErrUpstream", err)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("error %q does not say it tried three times", err)
	}
}

// TestTokenExpiresMidRun refreshes the access token once when SP-API
// answers 403 "expired" in the middle of paging, and loses or repeats no
// event.
func TestTokenExpiresMidRun(t *testing.T) {
	t.Parallel()
	f := setup(t, spapifake.Options{Limits: spapi.NoLimits(), PageSize: 10}, spapi.Config{Limits: spapi.NoLimits()})
	w := lastMonth(f.clock)
	want := addRefunds(t, f.srv, 35, w.PostedAfter)
	var log pageLog
	parse := log.page(t)
	pages := 0
	err := f.client.FinancialEvents(context.Background(), w, func(body []byte) error {
		pages++
		if pages == 2 {
			f.srv.ExpireTokens()
		}
		return parse(body)
	})
	if err != nil {
		t.Fatalf("FinancialEvents: %v", err)
	}
	if diff := cmp.Diff(want, log.ids); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if got := f.srv.Requests(spapi.OpToken); got != 2 {
		t.Errorf("token requests = %d, want 2 (the first and one refresh)", got)
	}
	if got := f.srv.Requests(spapi.OpListFinancialEvents); got != 5 {
		t.Errorf("page requests = %d, want 5 (4 pages, one refused as expired)", got)
	}
}

// TestTokenRefreshedBeforeExpiry reuses the cached token and replaces it a
// minute before its hour is up.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	t.Parallel()
	f := setup(t, spapifake.Options{Limits: spapi.NoLimits()}, spapi.Config{Limits: spapi.NoLimits()})
	call := func() {
		t.Helper()
		w := lastMonth(f.clock)
		if err := f.client.FinancialEvents(context.Background(), w, func([]byte) error { return nil }); err != nil {
			t.Fatalf("FinancialEvents: %v", err)
		}
	}
	var got []int
	for _, step := range []time.Duration{0, 30 * time.Minute, 28 * time.Minute, 90 * time.Second, 10 * time.Minute} {
		f.clock.Advance(step)
		call()
		got = append(got, f.srv.Requests(spapi.OpToken))
	}
	// At 0 and 30 min the first token; at 58 min still it (2 min left); at
	// 59.5 min a new one (30 s left < 60 s); 10 min later still that one.
	if diff := cmp.Diff([]int{1, 1, 1, 2, 2}, got); diff != "" {
		t.Errorf("token requests after each call (-want +got):\n%s", diff)
	}
	if got := f.srv.Requests(spapi.OpListFinancialEvents); got != 5 {
		t.Errorf("page requests = %d, want 5: no request may meet an expired token", got)
	}
}

// TestUnauthorized fails with ErrUnauthorized, without a refresh, when
// Login with Amazon refuses the credentials or SP-API answers a 403 that
// does not say the token expired.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		creds   func(spapi.Credentials) spapi.Credentials
		refused int // 403 answers SP-API gives
	}{
		{"wrong refresh token", func(c spapi.Credentials) spapi.Credentials { c.RefreshToken = "Atzr|wrong"; return c }, 0},
		{"wrong client secret", func(c spapi.Credentials) spapi.Credentials { c.ClientSecret = "wrong"; return c }, 0},
		{"403 that is not an expired token", func(c spapi.Credentials) spapi.Credentials { return c }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, spapifake.Options{Limits: spapi.NoLimits()}, spapi.Config{Limits: spapi.NoLimits()})
			c, err := spapi.New(spapi.Config{
				Endpoint: f.url, TokenURL: f.url + "/auth/o2/token", Credentials: tc.creds(f.srv.Credentials()),
				Limits: spapi.NoLimits(), Now: f.clock.Now, Sleep: f.clock.Sleep,
			})
			if err != nil {
				t.Fatal(err)
			}
			f.srv.FailNext(spapi.OpListFinancialEvents, http.StatusForbidden, tc.refused)
			err = c.FinancialEvents(context.Background(), lastMonth(f.clock), func([]byte) error { return nil })
			if !errors.Is(err, spapi.ErrUnauthorized) {
				t.Fatalf("error = %v, want ErrUnauthorized", err)
			}
			if n := f.srv.Requests(spapi.OpToken); n != 1 {
				t.Errorf("token requests = %d, want 1", n)
			}
		})
	}
}

// TestInvalidWindowRefused: the client refuses a window that breaks
// SP-API's rules before sending it, and the fake server answers such a
// window as the model says: 400 InvalidInput, or an empty page for a
// window longer than 180 days.
func TestInvalidWindowRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, spapifake.Options{Limits: spapi.NoLimits()}, spapi.Config{Limits: spapi.NoLimits()})
	now := f.clock.Now()
	addRefunds(t, f.srv, 3, now.Add(-200*24*time.Hour))
	addRefunds(t, f.srv, 3, now.Add(-10*24*time.Hour))
	for _, tc := range []struct {
		name       string
		w          spapi.Window
		wantStatus int
		wantCode   string
	}{
		{"ends a minute ago", spapi.Window{PostedAfter: now.Add(-time.Hour), PostedBefore: now.Add(-time.Minute)}, 400, "InvalidInput"},
		{"ends exactly two minutes ago", spapi.Window{PostedAfter: now.Add(-time.Hour), PostedBefore: now.Add(-2 * time.Minute)}, 400, "InvalidInput"},
		{"ends in the future", spapi.Window{PostedAfter: now.Add(-time.Hour), PostedBefore: now.Add(time.Hour)}, 400, "InvalidInput"},
		{"reversed", spapi.Window{PostedAfter: now.Add(-time.Hour), PostedBefore: now.Add(-2 * time.Hour)}, 400, "InvalidInput"},
		{"empty", spapi.Window{PostedAfter: now.Add(-time.Hour), PostedBefore: now.Add(-time.Hour)}, 400, "InvalidInput"},
		{"181 days", spapi.Window{PostedAfter: now.Add(-182 * 24 * time.Hour), PostedBefore: now.Add(-24 * time.Hour)}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := f.srv.Requests(spapi.OpListFinancialEvents)
			err := f.client.FinancialEvents(context.Background(), tc.w, func([]byte) error {
				t.Error("a page was handed over")
				return nil
			})
			if !errors.Is(err, spapi.ErrInvalidWindow) {
				t.Errorf("client error = %v, want ErrInvalidWindow", err)
			}
			if got := f.srv.Requests(spapi.OpListFinancialEvents) - sent; got != 0 {
				t.Errorf("the client sent %d requests", got)
			}

			status, body := rawGet(t, f, "/finances/v0/financialEvents?PostedAfter="+stamp(tc.w.PostedAfter)+"&PostedBefore="+stamp(tc.w.PostedBefore))
			if status != tc.wantStatus {
				t.Errorf("server status = %d, want %d; body %s", status, tc.wantStatus, body)
			}
			if tc.wantCode != "" && !strings.Contains(body, `"code":"`+tc.wantCode+`"`) {
				t.Errorf("server body %s has no error code %s", body, tc.wantCode)
			}
			if tc.wantStatus == 200 && strings.Contains(body, "adj-") {
				t.Errorf("server answered events for a window above 180 days: %s", body)
			}
		})
	}
}

// rawGet sends a GET to the fake with a valid access token, bypassing the
// client's checks.
func rawGet(tb testing.TB, f *fixture, path string) (int, string) {
	tb.Helper()
	form := strings.NewReader("grant_type=refresh_token&refresh_token=" + urlEscape(f.srv.Credentials().RefreshToken) +
		"&client_id=" + urlEscape(f.srv.Credentials().ClientID) + "&client_secret=" + urlEscape(f.srv.Credentials().ClientSecret))
	resp, err := http.Post(f.url+"/auth/o2/token", "application/x-www-form-urlencoded", form)
	if err != nil {
		tb.Fatal(err)
	}
	tok, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	access := between(string(tok), `"access_token":"`, `"`)
	req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
	req.Header.Set("x-amz-access-token", access)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}

func urlEscape(s string) string {
	return strings.NewReplacer("|", "%7C", "+", "%2B", "&", "%26", "=", "%3D").Replace(s)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// TestSettlementReports lists the DONE V2 settlement reports over several
// pages and fetches a document, decompressed to the bytes added.
func TestSettlementReports(t *testing.T) {
	t.Parallel()
	f := setup(t, spapifake.Options{Limits: spapi.NoLimits()}, spapi.Config{Limits: spapi.NoLimits()})
	now := f.clock.Now()
	since := now.Add(-60 * 24 * time.Hour)
	f.srv.AddSettlementReport(since.Add(-time.Hour), []byte("too old\n"))
	files := map[string][]byte{}
	var want []string
	for i := range 105 { // more than a page of 100
		file := []byte(fmt.Sprintf("settlement-id\tsettlement-start-date\n%d\t%d\n", 1000+i, i))
		id := f.srv.AddSettlementReport(since.Add(time.Duration(i)*time.Hour), file)
		files[id] = file
		want = append(want, id)
	}
	reports, err := f.client.SettlementReports(context.Background(), since)
	if err != nil {
		t.Fatalf("SettlementReports: %v", err)
	}
	var got []string
	for _, r := range reports {
		got = append(got, r.ID)
		if r.Type != spapi.SettlementReportType || r.ProcessingStatus != "DONE" || r.DocumentID == "" || r.Created.Before(since) {
			t.Errorf("report %+v is not a DONE V2 settlement report with a document since %s", r, since)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report ids (-want +got):\n%s", diff)
	}
	if n := f.srv.Requests(spapi.OpGetReports); n != 2 {
		t.Errorf("getReports requests = %d, want 2 pages", n)
	}
	last := reports[len(reports)-1]
	rc, err := f.client.ReportDocument(context.Background(), last.DocumentID)
	if err != nil {
		t.Fatalf("ReportDocument: %v", err)
	}
	defer rc.Close()
	content, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(content, files[last.ID]) {
		t.Errorf("document = %q, want %q", content, files[last.ID])
	}
	if _, err := f.client.ReportDocument(context.Background(), "amzn1.spdoc.unknown"); !errors.Is(err, spapi.ErrBadRequest) {
		t.Errorf("unknown document: error = %v, want ErrBadRequest (404)", err)
	}
}

// TestAuditRedactsSecrets records every exchange, including the token
// requests and the document download, and none holds a secret.
func TestAuditRedactsSecrets(t *testing.T) {
	t.Parallel()
	f := setup(t, spapifake.Options{Limits: spapi.NoLimits(), PageSize: 2}, spapi.Config{Limits: spapi.NoLimits()})
	w := lastMonth(f.clock)
	addRefunds(t, f.srv, 3, w.PostedAfter)
	f.srv.AddSettlementReport(f.clock.Now().Add(-time.Hour), []byte("settlement-id\n1\n"))
	ctx := context.Background()
	pages := 0
	if err := f.client.FinancialEvents(ctx, w, func([]byte) error {
		if pages++; pages == 1 {
			f.srv.ExpireTokens()
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	reports, err := f.client.SettlementReports(ctx, f.clock.Now().Add(-24*time.Hour))
	if err != nil || len(reports) != 1 {
		t.Fatalf("SettlementReports = %v, %v", reports, err)
	}
	rc, err := f.client.ReportDocument(ctx, reports[0].DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()

	ex := f.audit.Exchanges()
	ops := map[string]int{}
	for _, e := range ex {
		ops[e.Operation]++
	}
	wantOps := map[string]int{
		spapi.OpToken: 2, spapi.OpListFinancialEvents: 3, spapi.OpGetReports: 1, spapi.OpGetReportDocument: 1, spapi.OpDownload: 1,
	}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("exchanges by operation (-want +got):\n%s", diff)
	}
	creds := f.srv.Credentials()
	secrets := []string{creds.RefreshToken, creds.ClientSecret, "Atza|", "X-Amz-Signature=0", "X-Amz-Signature=1", "X-Amz-Signature=2", "X-Amz-Signature=3", "X-Amz-Signature=4", "X-Amz-Signature=5", "X-Amz-Signature=6", "X-Amz-Signature=7", "X-Amz-Signature=8", "X-Amz-Signature=9", "X-Amz-Signature=a", "X-Amz-Signature=b", "X-Amz-Signature=c", "X-Amz-Signature=d", "X-Amz-Signature=e", "X-Amz-Signature=f"}
	for _, e := range ex {
		text := fmt.Sprintf("%s %s %v %s", e.Method, e.URL, e.RequestHeaders, e.ResponseBody)
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s exchange holds the secret %q: %s", e.Operation, s, text)
			}
		}
		if e.Operation != spapi.OpToken && e.Operation != spapi.OpDownload {
			if got := e.RequestHeaders.Get("x-amz-access-token"); got != "[redacted]" {
				t.Errorf("%s exchange: x-amz-access-token header = %q, want [redacted]", e.Operation, got)
			}
		}
		if e.Status == 0 || e.Attempt < 1 {
			t.Errorf("%s exchange without status or attempt: %+v", e.Operation, e)
		}
	}
	for _, e := range ex {
		if e.Operation == spapi.OpToken && !strings.Contains(string(e.ResponseBody), `"access_token":"[redacted]"`) {
			t.Errorf("token answer not kept with the token redacted: %s", e.ResponseBody)
		}
	}
}

// TestAuditFailureStopsTheCall ends the call when the audit cannot record.
func TestAuditFailureStopsTheCall(t *testing.T) {
	t.Parallel()
	boom := errors.New("audit store down")
	f := setup(t, spapifake.Options{Limits: spapi.NoLimits()}, spapi.Config{
		Limits: spapi.NoLimits(), Audit: func(context.Context, spapi.Exchange) error { return boom },
	})
	err := f.client.FinancialEvents(context.Background(), lastMonth(f.clock), func([]byte) error {
		t.Error("a page was handed over without its audit")
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want the audit's", err)
	}
}

// TestNewRefusesIncompleteConfig names what is missing.
func TestNewRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	full := spapi.Credentials{ClientID: "id", ClientSecret: "secret", RefreshToken: "Atzr|x"}
	for _, tc := range []struct {
		name string
		cfg  spapi.Config
		want string
	}{
		{"unknown region", spapi.Config{Region: "xx", Credentials: full}, `region "xx"`},
		{"no refresh token", spapi.Config{Region: spapi.Europe, Credentials: spapi.Credentials{ClientID: "id", ClientSecret: "s"}}, "refresh token"},
		{"zero rate", spapi.Config{Region: spapi.Europe, Credentials: full, Limits: spapi.Limits{"getReports": {}}}, "getReports"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := spapi.New(tc.cfg)
			if !errors.Is(err, spapi.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want ErrConfig naming %s", err, tc.want)
			}
		})
	}
	if got := spapi.Endpoint(spapi.FarEast); got != "https://sellingpartnerapi-fe.amazon.com" {
		t.Errorf("Endpoint(fe) = %q", got)
	}
}

// TestConcurrentCalls pages one window from several goroutines at once
// while the tokens expire: every call sees every event, and the client
// fetches one token for all of them and one more after the expiry.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	f := setup(t, spapifake.Options{Limits: spapi.NoLimits(), PageSize: 5}, spapi.Config{Limits: spapi.NoLimits()})
	w := lastMonth(f.clock)
	want := addRefunds(t, f.srv, 40, w.PostedAfter)
	const callers = 4
	logs := make([]pageLog, callers)
	errs := make(chan error, callers)
	// The first token is fetched before the callers start, so that they
	// share it; the expiry then hits them all in the middle of their pages.
	if err := f.client.FinancialEvents(context.Background(), w, func([]byte) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range callers {
		parse := logs[i].page(t)
		go func() {
			errs <- f.client.FinancialEvents(context.Background(), w, func(body []byte) error {
				if len(logs[i].sizes) == 3 && i == 0 {
					f.srv.ExpireTokens()
				}
				return parse(body)
			})
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Errorf("FinancialEvents: %v", err)
		}
	}
	for i := range callers {
		if diff := cmp.Diff(want, logs[i].ids); diff != "" {
			t.Errorf("caller %d events (-want +got):\n%s", i, diff)
		}
	}
	if got := f.srv.Requests(spapi.OpToken); got != 2 {
		t.Errorf("token requests = %d, want 2: one before the expiry, one shared refresh after it", got)
	}
}
