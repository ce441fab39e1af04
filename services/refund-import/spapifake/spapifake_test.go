package spapifake_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/amazon/finances"
	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

var posted = time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)

// parseEvent reads one generated event the way the import will, through
// a page of list.
func parseEvent(tb testing.TB, list string, ev []byte) *finances.Event {
	tb.Helper()
	page := `{"payload":{"FinancialEvents":{"` + list + `":[` + string(ev) + `]}}}`
	var got []*finances.Event
	if _, err := finances.Parse(strings.NewReader(page), finances.Handler{Event: func(e *finances.Event) error {
		c := *e
		c.Components = append([]finances.Component(nil), e.Components...)
		got = append(got, &c)
		return nil
	}}); err != nil {
		tb.Fatalf("generated %s does not parse: %v\n%s", list, err, ev)
	}
	if len(got) != 1 {
		tb.Fatalf("generated %s gave %d events", list, len(got))
	}
	return got[0]
}

type component struct {
	Kind  string
	Minor int64
}

// TestGeneratedEventsParse checks the generators against the finances
// parser: the ids, the date and every component with its sign.
func TestGeneratedEventsParse(t *testing.T) {
	t.Parallel()
	g := spapifake.RefundSpec{
		OrderID: "302-1234567-7654321", AdjustmentID: "amzn1:crow:abc", SKU: "MUG-1", Currency: "EUR", Posted: posted,
		Principal: 2521, Tax: 479, Shipping: 399, Commission: 378, Marketplace: "Amazon.de",
	}
	refund := []component{{"Principal", -2521}, {"Tax", -479}, {"ShippingCharge", -399}, {"ShippingTax", 0}, {"Commission", 378}, {"RefundCommission", -75}}
	reversal := []component{{"Principal", 2521}, {"Tax", 479}, {"ShippingCharge", 399}, {"ShippingTax", 0}, {"Commission", -378}, {"RefundCommission", 75}}
	for _, tc := range []struct {
		name, list string
		ev         []byte
		want       []component
	}{
		{"refund", spapifake.RefundEventList, spapifake.RefundEvent(g), refund},
		{"guarantee claim", spapifake.GuaranteeClaimEventList, spapifake.GuaranteeClaimEvent(g), refund},
		{"chargeback", spapifake.ChargebackEventList, spapifake.ChargebackEvent(g), refund},
		{"reversal", spapifake.ChargebackEventList, spapifake.ReversalEvent(g), reversal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := parseEvent(t, tc.list, tc.ev)
			if e.OrderID != g.OrderID || e.AdjustmentID != g.AdjustmentID || !e.Posted.Equal(posted) || e.Currency != "EUR" || e.Marketplace != "Amazon.de" {
				t.Errorf("event = order %q adjustment %q posted %s currency %q marketplace %q, want %+v",
					e.OrderID, e.AdjustmentID, e.Posted, e.Currency, e.Marketplace, g)
			}
			var got []component
			var sum int64
			for _, c := range e.Components {
				got = append(got, component{c.Kind, c.Amount.Minor})
				sum += c.Amount.Minor
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("components (-want +got):\n%s", diff)
			}
			if e.Minor != sum {
				t.Errorf("event total %d, components sum to %d", e.Minor, sum)
			}
		})
	}
}

// TestGeneratedAmountsKeepTheCurrencyExponent writes yen without and
// dinar with three decimals.
func TestGeneratedAmountsKeepTheCurrencyExponent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		currency string
		want     string
	}{{"JPY", `"CurrencyAmount":-1234}`}, {"BHD", `"CurrencyAmount":-1.234}`}, {"EUR", `"CurrencyAmount":-12.34}`}} {
		ev := spapifake.RefundEvent(spapifake.RefundSpec{OrderID: "1", AdjustmentID: "a", Currency: tc.currency, Posted: posted, Principal: 1234})
		if !bytes.Contains(ev, []byte(tc.want)) {
			t.Errorf("%s principal not written as %s: %s", tc.currency, tc.want, ev)
		}
		e := parseEvent(t, spapifake.RefundEventList, ev)
		if e.Components[0].Amount.Minor != -1234 {
			t.Errorf("%s principal parses to %d minor units, want -1234", tc.currency, e.Components[0].Amount.Minor)
		}
	}
}

// TestRefundsAreDeterministic gives the same refunds for the same seed,
// distinct adjustment ids, posted in order inside the span.
func TestRefundsAreDeterministic(t *testing.T) {
	t.Parallel()
	from, to := posted, posted.Add(24*time.Hour)
	a, la := spapifake.Refunds(7, 1000, from, to)
	b, lb := spapifake.Refunds(7, 1000, from, to)
	if diff := cmp.Diff(a, b); diff != "" || !cmp.Equal(la, lb) {
		t.Fatalf("two runs with seed 7 differ:\n%s", diff)
	}
	c, _ := spapifake.Refunds(8, 1000, from, to)
	if cmp.Equal(a, c) {
		t.Error("seeds 7 and 8 give the same refunds")
	}
	seen := map[string]bool{}
	counts := map[string]int{}
	for i, g := range a {
		if seen[g.AdjustmentID] {
			t.Errorf("adjustment id %s twice", g.AdjustmentID)
		}
		seen[g.AdjustmentID] = true
		counts[la[i]]++
		if g.Posted.Before(from) || !g.Posted.Before(to) || i > 0 && g.Posted.Before(a[i-1].Posted) {
			t.Errorf("refund %d posted %s, out of order or outside [%s, %s)", i, g.Posted, from, to)
		}
		if g.Principal <= 0 || g.Tax <= 0 || g.Commission <= 0 {
			t.Errorf("refund %d has a non-positive amount: %+v", i, g)
		}
	}
	if diff := cmp.Diff(map[string]int{spapifake.RefundEventList: 880, spapifake.GuaranteeClaimEventList: 80, spapifake.ChargebackEventList: 40}, counts); diff != "" {
		t.Errorf("refunds per list (-want +got):\n%s", diff)
	}
}

// server is a started fake with a valid access token.
type server struct {
	srv   *spapifake.Server
	url   string
	token string
	now   time.Time
}

func start(tb testing.TB, opt spapifake.Options) *server {
	tb.Helper()
	s := &server{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	opt.Now = func() time.Time { return s.now }
	s.srv = spapifake.New(opt)
	u, stop := s.srv.Start()
	tb.Cleanup(stop)
	s.url = u
	c := s.srv.Credentials()
	status, body := s.post(tb, "/auth/o2/token", url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {c.RefreshToken}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
	})
	if status != http.StatusOK {
		tb.Fatalf("token: %d %s", status, body)
	}
	s.token = between(body, `"access_token":"`, `"`)
	return s
}

func (s *server) post(tb testing.TB, path string, form url.Values) (int, string) {
	tb.Helper()
	resp, err := http.PostForm(s.url+path, form)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *server) get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("x-amz-access-token", s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
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

func iso(t time.Time) string { return url.QueryEscape(t.UTC().Format(time.RFC3339)) }

// TestServerRules checks what the fake answers requests that break
// SP-API's rules, as the models describe them.
func TestServerRules(t *testing.T) {
	t.Parallel()
	s := start(t, spapifake.Options{Limits: spapi.NoLimits(), PageSize: 1})
	for i := range 3 {
		g := spapifake.RefundSpec{OrderID: fmt.Sprint(i), AdjustmentID: fmt.Sprint("adj-", i), Currency: "EUR", Posted: s.now.Add(-time.Duration(10+i) * time.Hour)}
		s.srv.AddFinancialEvents(g.Posted, spapifake.RefundEventList, spapifake.RefundEvent(g))
	}
	s.srv.AddSettlementReport(s.now.Add(-time.Hour), []byte("a\n"))
	s.srv.AddSettlementReport(s.now.Add(-time.Hour), []byte("b\n"))
	after, before := iso(s.now.Add(-48*time.Hour)), iso(s.now.Add(-time.Hour))
	_, first := s.get(t, "/finances/v0/financialEvents?PostedAfter="+after+"&PostedBefore="+before)
	token := url.QueryEscape(between(first, `"NextToken":"`, `"`))
	_, reports := s.get(t, "/reports/2021-06-30/reports?reportTypes="+spapi.SettlementReportType+"&pageSize=1")
	reportsToken := url.QueryEscape(between(reports, `"nextToken":"`, `"`))
	if token == "" || reportsToken == "" {
		t.Fatalf("no next tokens in %s and %s", first, reports)
	}
	for _, tc := range []struct {
		name, path string
		status     int
		contains   string
	}{
		{"before without after", "/finances/v0/financialEvents?PostedBefore=" + before, 400, "InvalidInput"},
		{"after missing", "/finances/v0/financialEvents", 400, "InvalidInput"},
		{"after not a date", "/finances/v0/financialEvents?PostedAfter=yesterday", 400, "InvalidInput"},
		{"after too recent", "/finances/v0/financialEvents?PostedAfter=" + iso(s.now.Add(-time.Minute)), 400, "InvalidInput"},
		{"page size 0", "/finances/v0/financialEvents?PostedAfter=" + after + "&MaxResultsPerPage=0", 400, "InvalidInput"},
		{"next token with the same arguments", "/finances/v0/financialEvents?PostedAfter=" + after + "&PostedBefore=" + before + "&NextToken=" + token, 200, `"adj-1"`},
		{"next token with other arguments", "/finances/v0/financialEvents?PostedAfter=" + after + "&NextToken=" + token, 400, "InvalidInput"},
		{"next token of another operation", "/finances/2024-06-19/transactions?postedAfter=" + after + "&postedBefore=" + before + "&nextToken=" + token, 400, "InvalidInput"},
		{"forged next token", "/finances/v0/financialEvents?NextToken=abc", 400, "InvalidInput"},
		{"default PostedBefore", "/finances/v0/financialEvents?PostedAfter=" + after + "&MaxResultsPerPage=5", 200, `"adj-2"`},
		{"getReports without reportTypes", "/reports/2021-06-30/reports", 400, "InvalidInput"},
		{"getReports nextToken with another parameter", "/reports/2021-06-30/reports?pageSize=1&nextToken=" + reportsToken, 400, "InvalidInput"},
		{"getReports nextToken alone", "/reports/2021-06-30/reports?nextToken=" + reportsToken, 200, `"reportId":"50000000002"`},
		{"getReport", "/reports/2021-06-30/reports/50000000001", 200, `"processingStatus":"DONE"`},
		{"unknown report", "/reports/2021-06-30/reports/1", 404, "NotFound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := s.get(t, tc.path)
			if status != tc.status || !strings.Contains(body, tc.contains) {
				t.Errorf("GET %s = %d %s, want %d containing %s", tc.path, status, body, tc.status, tc.contains)
			}
		})
	}
}

// TestServerAuthorization checks the token endpoint and the answers to a
// missing, unknown or expired access token.
func TestServerAuthorization(t *testing.T) {
	t.Parallel()
	s := start(t, spapifake.Options{Limits: spapi.NoLimits()})
	c := s.srv.Credentials()
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		error  string
	}{
		{"wrong grant", url.Values{"grant_type": {"client_credentials"}}, 400, "unsupported_grant_type"},
		{"wrong secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {c.RefreshToken}, "client_id": {c.ClientID}, "client_secret": {"x"}}, 401, "invalid_client"},
		{"wrong refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, 400, "invalid_grant"},
	} {
		status, body := s.post(t, "/auth/o2/token", tc.form)
		if status != tc.status || !strings.Contains(body, tc.error) {
			t.Errorf("%s: token = %d %s, want %d %s", tc.name, status, body, tc.status, tc.error)
		}
	}
	path := "/finances/v0/financialEvents?PostedAfter=" + iso(s.now.Add(-48*time.Hour))
	if status, _ := s.get(t, path); status != 200 {
		t.Fatalf("valid token refused: %d", status)
	}
	good := s.token
	s.token = "Atza|forged"
	if status, body := s.get(t, path); status != 403 || !strings.Contains(body, "revoked, malformed or invalid") {
		t.Errorf("forged token: %d %s", status, body)
	}
	s.token = good
	s.now = s.now.Add(time.Hour) // the token's hour is over
	if status, body := s.get(t, path); status != 403 || !strings.Contains(body, "The access token you provided has expired.") {
		t.Errorf("token after an hour: %d %s", status, body)
	}
	s.now = s.now.Add(-time.Hour)
	s.srv.ExpireTokens()
	if status, body := s.get(t, path); status != 403 || !strings.Contains(body, `"code":"Unauthorized"`) {
		t.Errorf("expired token: %d %s", status, body)
	}
}

// TestServerRateLimit answers 429 with x-amzn-RateLimit-Limit once the
// burst is used, and serves again when the bucket refilled.
func TestServerRateLimit(t *testing.T) {
	t.Parallel()
	s := start(t, spapifake.Options{Limits: spapi.Limits{spapi.OpGetReports: {PerSecond: 0.5, Burst: 2}}})
	path := "/reports/2021-06-30/reports?reportTypes=" + spapi.SettlementReportType
	var got []int
	for range 3 {
		status, _ := s.get(t, path)
		got = append(got, status)
	}
	s.now = s.now.Add(2 * time.Second)
	status, _ := s.get(t, path)
	got = append(got, status)
	if diff := cmp.Diff([]int{200, 200, 429, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	req.Header.Set("x-amz-access-token", s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("x-amzn-RateLimit-Limit") != "0.5" {
		t.Errorf("throttled answer: %d with x-amzn-RateLimit-Limit %q, want 429 and 0.5", resp.StatusCode, resp.Header.Get("x-amzn-RateLimit-Limit"))
	}
	if n := s.srv.Requests(spapi.OpGetReports); n != 5 {
		t.Errorf("Requests(getReports) = %d, want 5", n)
	}
}
