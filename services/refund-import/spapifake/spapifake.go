// Package spapifake is a fake of Amazon's Selling Partner API for tests,
// the demo and the benchmark: the Login-with-Amazon token endpoint, the
// Finances API v0 (listFinancialEvents, listFinancialEventGroups) and
// 2024-06-19 (listTransactions), and the Reports API flow for settlement
// reports (getReports, getReportDocument and the document's download URL).
// It serves what it was given, paginates with opaque NextTokens, enforces
// SP-API's posted-window rules and rate limits, and can be told to fail,
// to return empty pages, to expire tokens or to throttle.
package spapifake

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
)

// Options configures a Server.
type Options struct {
	Limits   spapi.Limits // nil means Amazon's; spapi.NoLimits() switches them off
	PageSize int          // events or transactions a page; 0 means 100
}

// Server is the fake SP-API. It is an http.Handler and safe for concurrent use.
type Server struct {
	opt Options
}

// New returns a fake server with no data.
func New(opt Options) *Server { return &Server{opt: opt} }

// ServeHTTP serves the token endpoint and the APIs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }

// Start serves s on 127.0.0.1 at a free port and returns its base URL; the
// token endpoint is url+"/auth/o2/token". stop shuts the listener down.
func (s *Server) Start() (url string, stop func()) { return "", func() {} }

// Credentials returns the credentials the server accepts.
func (s *Server) Credentials() spapi.Credentials { return spapi.Credentials{} }

// AddFinancialEvents adds a v0 event posted at posted to the named event
// list (such as "RefundEventList").
func (s *Server) AddFinancialEvents(posted time.Time, list string, event json.RawMessage) {}

// AddTransaction adds a 2024-06-19 transaction posted at posted.
func (s *Server) AddTransaction(posted time.Time, tx json.RawMessage) {}

// AddSettlementReport adds a V2 flat-file settlement report created at
// created and returns its report id.
func (s *Server) AddSettlementReport(created time.Time, flatFile []byte) (reportID string) { return "" }

// FailNext makes the next n requests of op answer status.
func (s *Server) FailNext(op string, status int, n int) {}

// EmptyPages makes the next n pages of financial events empty.
func (s *Server) EmptyPages(n int) {}

// ExpireTokens expires every access token issued so far.
func (s *Server) ExpireTokens() {}

// Throttle makes the next n requests of op answer 429.
func (s *Server) Throttle(op string, n int) {}

// Requests returns how many requests of op the server received.
func (s *Server) Requests(op string) int { return 0 }
