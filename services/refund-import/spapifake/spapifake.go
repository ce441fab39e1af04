// Package spapifake is a fake of Amazon's Selling Partner API for tests,
// the demo and the benchmark, spoken to over real HTTP: the
// Login-with-Amazon token endpoint, the Finances API v0
// (listFinancialEvents, listFinancialEventGroups) and 2024-06-19
// (listTransactions), and the Reports API flow for settlement reports
// (getReports, getReport, getReportDocument and the document's download
// URL).
//
// It serves what it was given, oldest first, and keeps SP-API's rules as
// Amazon's models (financesV0, finances_2024-06-19, reports_2021-06-30)
// state them: a posted window must end more
// than two minutes before the request and after its start (else 400 with
// SP-API's error body, code InvalidInput); a window longer than 180 days
// gets an empty answer; NextToken pages repeat the first request's
// arguments; getReports takes a nextToken only alone. Pages are cut at
// Options.PageSize and the tokens are opaque cursors, so events added while
// a client pages are not skipped. Every operation has a token bucket (429
// QuotaExceeded with x-amzn-RateLimit-Limit when it is empty) unless
// Options.Limits is spapi.NoLimits(). An access token lives an hour; an
// expired one is answered 403 "The access token you provided has expired."
// as SP-API does. FailNext, Throttle, EmptyPages and ExpireTokens make it
// misbehave on purpose.
package spapifake

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
)

// Options configures a Server.
type Options struct {
	// Limits are the rate limits the server enforces by operation; nil
	// means Amazon's (spapi.DefaultLimits), spapi.NoLimits() none.
	Limits spapi.Limits
	// PageSize is the most events, groups or transactions a page holds (a
	// smaller MaxResultsPerPage wins); 0 means 100.
	PageSize int
	// Now is the server's clock for the window rules, token lifetimes and
	// rate limits; nil means time.Now.
	Now func() time.Time
}

// Server is the fake SP-API. It is an http.Handler and safe for concurrent
// use.
type Server struct {
	opt   Options
	now   func() time.Time
	creds spapi.Credentials
	mux   *http.ServeMux

	mu       sync.Mutex
	seq      int64
	events   series // financial events, by posted date
	groups   series // financial event groups, by start
	txs      series // 2024-06-19 transactions, by posted date
	reports  []*report
	docs     map[string]*report
	tokens   map[string]time.Time // access token -> expiry
	fail     map[string][]failure
	throttle map[string]int
	empty    int
	requests map[string]int
	buckets  map[string]*bucket
}

// failure is a queued fault: answer status n more times.
type failure struct{ status, n int }

// New returns a fake server with no data.
func New(opt Options) *Server {
	if opt.PageSize <= 0 {
		opt.PageSize = 100
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	limits := opt.Limits
	if limits == nil {
		limits = spapi.DefaultLimits()
	}
	s := &Server{
		opt: opt, now: opt.Now,
		creds: spapi.Credentials{
			ClientID:     "amzn1.application-oa2-client.fake" + randomHex(8),
			ClientSecret: "amzn1.oa2-cs.v1.fake" + randomHex(16),
			RefreshToken: "Atzr|fake" + randomHex(24),
		},
		docs: map[string]*report{}, tokens: map[string]time.Time{}, fail: map[string][]failure{},
		throttle: map[string]int{}, requests: map[string]int{}, buckets: map[string]*bucket{},
	}
	for op, r := range limits {
		s.buckets[op] = &bucket{rate: r.PerSecond, burst: float64(max(r.Burst, 1)), tokens: float64(max(r.Burst, 1))}
	}
	m := http.NewServeMux()
	m.HandleFunc("POST /auth/o2/token", s.token)
	m.HandleFunc("GET /finances/v0/financialEvents", s.api(spapi.OpListFinancialEvents, s.financialEvents))
	m.HandleFunc("GET /finances/v0/financialEventGroups", s.api(spapi.OpListFinancialEventGroups, s.financialEventGroups))
	m.HandleFunc("GET /finances/2024-06-19/transactions", s.api(spapi.OpListTransactions, s.transactions))
	m.HandleFunc("GET /reports/2021-06-30/reports", s.api(spapi.OpGetReports, s.getReports))
	m.HandleFunc("GET /reports/2021-06-30/reports/{id}", s.api(spapi.OpGetReport, s.getReport))
	m.HandleFunc("GET /reports/2021-06-30/documents/{id}", s.api(spapi.OpGetReportDocument, s.getReportDocument))
	m.HandleFunc("GET /download/{id}", s.download)
	s.mux = m
	return s
}

// ServeHTTP serves the token endpoint, the APIs and the report documents.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Start serves s on 127.0.0.1 at a free port and returns its base URL; the
// token endpoint is url+"/auth/o2/token". stop closes the listener and
// every connection and waits for the server to end. Like
// httptest.NewServer it panics when no port can be had; Listen returns the
// error instead.
func (s *Server) Start() (url string, stop func()) {
	url, stop, err := s.Listen("127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("spapifake: %v", err)) // a test cannot go on without it
	}
	return url, stop
}

// Listen serves s on addr (host:port, port 0 for a free one) and returns
// its base URL and the function that stops it, as Start does.
func (s *Server) Listen(addr string) (url string, stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(l)
	}()
	var once sync.Once
	return "http://" + l.Addr().String(), func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if hs.Shutdown(ctx) != nil {
				_ = hs.Close()
			}
			<-done
		})
	}, nil
}

// Credentials returns the credentials the server accepts, the same for
// the server's life and different for each server.
func (s *Server) Credentials() spapi.Credentials { return s.creds }

// AddFinancialEvents adds a v0 event posted at posted to the named event
// list of FinancialEvents (such as "RefundEventList"); event is the JSON
// the model has for the list's elements, served as it is.
func (s *Server) AddFinancialEvents(posted time.Time, list string, event json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.events.add(entry{posted: posted, seq: s.seq, list: list, raw: event})
}

// AddFinancialEventGroup adds a v0 FinancialEventGroup that started at
// started, for listFinancialEventGroups.
func (s *Server) AddFinancialEventGroup(started time.Time, group json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.groups.add(entry{posted: started, seq: s.seq, raw: group})
}

// AddTransaction adds a 2024-06-19 transaction posted at posted. A request
// with a marketplaceId gets it when its marketplaceDetails.marketplaceId or
// sellingPartnerMetadata.marketplaceId is that marketplace.
func (s *Server) AddTransaction(posted time.Time, tx json.RawMessage) {
	var v struct {
		Meta struct {
			MarketplaceID string `json:"marketplaceId"`
		} `json:"sellingPartnerMetadata"`
		Details struct {
			MarketplaceID string `json:"marketplaceId"`
		} `json:"marketplaceDetails"`
	}
	_ = json.Unmarshal(tx, &v)
	market := v.Details.MarketplaceID
	if market == "" {
		market = v.Meta.MarketplaceID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.txs.add(entry{posted: posted, seq: s.seq, market: market, raw: tx})
}

// report is a settlement report the server holds, its document gzipped.
type report struct {
	id, docID          string
	created            time.Time
	dataStart, dataEnd time.Time
	gz                 []byte
}

// AddSettlementReport adds a V2 flat-file settlement report created at
// created, DONE, and returns its report id. Its data period is the
// settlement's start and end when the file says them, else the 14 days
// before created. The document is served gzipped.
func (s *Server) AddSettlementReport(created time.Time, flatFile []byte) (reportID string) {
	start, end := created.Add(-14*24*time.Hour), created
	if rd, err := settlement.NewReader(bytes.NewReader(flatFile)); err == nil {
		if st, err := rd.NextSettlement(); err == nil && !st.Start.IsZero() && !st.End.IsZero() {
			start, end = st.Start, st.End
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(flatFile) // writes to memory do not fail
	_ = zw.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &report{
		id:      fmt.Sprintf("%d", 50000000000+len(s.reports)+1),
		docID:   "amzn1.spdoc.1.4.eu.fake" + randomHex(12),
		created: created.UTC(), dataStart: start.UTC(), dataEnd: end.UTC(), gz: gz.Bytes(),
	}
	s.reports = append(s.reports, r)
	s.docs[r.docID] = r
	return r.id
}

// FailNext makes the next n requests of op (an spapi.Op name, including
// spapi.OpToken and spapi.OpDownload) answer status with SP-API's error
// body, before anything else is checked. Calls queue up in order.
func (s *Server) FailNext(op string, status int, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > 0 {
		s.fail[op] = append(s.fail[op], failure{status: status, n: n})
	}
}

// EmptyPages makes the next n pages of listFinancialEvents,
// listFinancialEventGroups or listTransactions empty: each has no entries
// and a NextToken that leads to the page that would have been served.
func (s *Server) EmptyPages(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.empty += n
}

// ExpireTokens expires every access token issued so far; SP-API answers
// each 403 "The access token you provided has expired." from now on.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for t := range s.tokens {
		s.tokens[t] = past
	}
}

// Throttle makes the next n requests of op answer 429 QuotaExceeded,
// whatever the bucket holds.
func (s *Server) Throttle(op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[op] += n
}

// Requests returns how many requests of op the server received, refused
// ones included.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[op]
}

// errorItem is one entry of SP-API's error list.
type errorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details"`
}

// writeError answers status with SP-API's error body.
func writeError(w http.ResponseWriter, status int, code, message, details string) {
	writeJSON(w, status, struct {
		Errors []errorItem `json:"errors"`
	}{[]errorItem{{Code: code, Message: message, Details: details}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"code":"InternalFailure","message":"encoding failed"}]}`)
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// fault answers the next queued fault of op, if any; it is called with the
// lock held and reports whether it answered.
func (s *Server) fault(w http.ResponseWriter, op string) bool {
	q := s.fail[op]
	if len(q) == 0 {
		return false
	}
	status := q[0].status
	if q[0].n--; q[0].n == 0 {
		s.fail[op] = q[1:]
	}
	code := "InternalFailure"
	switch {
	case status == http.StatusServiceUnavailable:
		code = "ServiceUnavailable"
	case status == http.StatusTooManyRequests:
		code = "QuotaExceeded"
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		code = "Unauthorized"
	case status == http.StatusNotFound:
		code = "NotFound"
	case status < 500:
		code = "InvalidInput"
	}
	writeError(w, status, code, "Failure injected by the fake SP-API server.", "")
	return true
}

// api wraps the handler of an SP-API operation: counting, injected faults,
// throttling, the access token and the rate limit, in that order.
func (s *Server) api(op string, h func(http.ResponseWriter, *http.Request, time.Time)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		s.mu.Lock()
		s.requests[op]++
		if s.fault(w, op) {
			s.mu.Unlock()
			return
		}
		b := s.buckets[op]
		if b != nil {
			w.Header().Set("x-amzn-RateLimit-Limit", fmt.Sprint(b.rate))
		}
		if s.throttle[op] > 0 {
			s.throttle[op]--
			s.mu.Unlock()
			writeError(w, http.StatusTooManyRequests, "QuotaExceeded", "You exceeded your quota for the requested resource.", "")
			return
		}
		tok := r.Header.Get("x-amz-access-token")
		exp, known := s.tokens[tok]
		switch {
		case tok == "":
			s.mu.Unlock()
			writeError(w, http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.", "Access token is missing in the request header.")
			return
		case !known:
			s.mu.Unlock()
			writeError(w, http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.", "The access token you provided is revoked, malformed or invalid.")
			return
		case !now.Before(exp):
			s.mu.Unlock()
			writeError(w, http.StatusForbidden, "Unauthorized", "Access to requested resource is denied.", "The access token you provided has expired.")
			return
		}
		if b != nil && !b.take(now) {
			s.mu.Unlock()
			writeError(w, http.StatusTooManyRequests, "QuotaExceeded", "You exceeded your quota for the requested resource.", "")
			return
		}
		s.mu.Unlock()
		h(w, r, now)
	}
}

// token is Login with Amazon's token endpoint for grant_type refresh_token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[spapi.OpToken]++
	if s.fault(w, spapi.OpToken) {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_request", "The request body cannot be read."})
		return
	}
	switch {
	case r.PostForm.Get("grant_type") != "refresh_token":
		writeJSON(w, http.StatusBadRequest, lwaError{"unsupported_grant_type", "Only grant_type refresh_token is supported."})
		return
	case r.PostForm.Get("client_id") != s.creds.ClientID || r.PostForm.Get("client_secret") != s.creds.ClientSecret:
		writeJSON(w, http.StatusUnauthorized, lwaError{"invalid_client", "Client authentication failed"})
		return
	case r.PostForm.Get("refresh_token") != s.creds.RefreshToken:
		writeJSON(w, http.StatusBadRequest, lwaError{"invalid_grant", "The request has an invalid grant parameter : refresh_token"})
		return
	}
	tok := "Atza|fake" + randomHex(32)
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(time.Hour)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}{tok, "bearer", 3600})
}

// lwaError is Login with Amazon's error body.
type lwaError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// bucket is the server's token bucket for one operation; the server's lock
// guards it.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

// take takes a token at now, reporting false when the bucket is empty.
func (b *bucket) take(now time.Time) bool {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// entry is one event, group or transaction the server holds.
type entry struct {
	posted time.Time
	seq    int64
	list   string // the event list of a financial event
	market string // the marketplace of a transaction
	raw    json.RawMessage
}

// before orders entries by date, then by insertion.
func (e entry) before(posted time.Time, seq int64) bool {
	return e.posted.Before(posted) || e.posted.Equal(posted) && e.seq < seq
}

// series is a list of entries kept in date order; it is sorted lazily,
// since entries mostly arrive in order.
type series struct {
	list   []entry
	sorted bool
}

func (s *series) add(e entry) {
	if n := len(s.list); n == 0 {
		s.sorted = true
	} else if s.sorted && e.before(s.list[n-1].posted, s.list[n-1].seq) {
		s.sorted = false
	}
	s.list = append(s.list, e)
}

// from returns the index of the first entry at or after (posted, seq).
func (s *series) from(posted time.Time, seq int64) int {
	if !s.sorted {
		sort.Slice(s.list, func(i, j int) bool { return s.list[i].before(s.list[j].posted, s.list[j].seq) })
		s.sorted = true
	}
	return sort.Search(len(s.list), func(i int) bool { return !s.list[i].before(posted, seq) })
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// errBadToken is a NextToken the server did not issue for these arguments.
var errBadToken = errors.New("invalid NextToken")
