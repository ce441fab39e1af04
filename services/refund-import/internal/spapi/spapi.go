// Package spapi is the client of Amazon's Selling Partner API that the
// refund import uses: Login-with-Amazon token refresh, the regional
// endpoints, the Finances API (v0 listFinancialEvents and
// listFinancialEventGroups, 2024-06-19 listTransactions) with NextToken
// pagination, and the Reports API for the V2 flat-file settlement report.
//
// The client keeps Amazon's rules so that a request it sends is never
// refused for its form: a posted window is at most 180 days long and ends
// at least two minutes in the past (see [Windows]), and every operation is
// rate limited by its own token bucket. A 429 is waited out and retried, a
// 5xx or a network error is retried with full jitter, and a 403 saying the
// access token expired refreshes the token once. Every exchange with the
// API is handed to Config.Audit with the access token, the refresh token,
// the client secret and any Authorization header redacted.
//
// The package speaks HTTP through the standard library only; it imports
// neither pgx nor NATS nor gRPC.
package spapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// Region is an SP-API selling region: "eu", "na" or "fe".
type Region string

// The three selling regions of SP-API.
const (
	Europe       Region = "eu"
	NorthAmerica Region = "na"
	FarEast      Region = "fe"
)

// Endpoint returns the base URL of the region's SP-API endpoint, such as
// https://sellingpartnerapi-eu.amazon.com, or "" for an unknown region.
func Endpoint(r Region) string {
	switch r {
	case Europe:
		return "https://sellingpartnerapi-eu.amazon.com"
	case NorthAmerica:
		return "https://sellingpartnerapi-na.amazon.com"
	case FarEast:
		return "https://sellingpartnerapi-fe.amazon.com"
	}
	return ""
}

// DefaultTokenURL is Login with Amazon's token endpoint.
const DefaultTokenURL = "https://api.amazon.com/auth/o2/token"

// Credentials are a seller account's Login-with-Amazon application
// credentials and the refresh token the seller granted.
type Credentials struct{ ClientID, ClientSecret, RefreshToken string }

// Limits are the rate limits by operation name: "listFinancialEvents",
// "listFinancialEventGroups", "listTransactions", "getReports", "getReport"
// and "getReportDocument". An operation without an entry is not limited.
type Limits map[string]Rate

// Rate is a token bucket: PerSecond requests a second on average and at
// most Burst at once.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Operation names, as Amazon's models name them.
const (
	OpListFinancialEvents      = "listFinancialEvents"
	OpListFinancialEventGroups = "listFinancialEventGroups"
	OpListTransactions         = "listTransactions"
	OpGetReports               = "getReports"
	OpGetReport                = "getReport"
	OpGetReportDocument        = "getReportDocument"
)

// DefaultLimits returns Amazon's documented default usage plans for the
// operations the client calls.
func DefaultLimits() Limits {
	return Limits{
		OpListFinancialEvents:      {PerSecond: 0.5, Burst: 30},
		OpListFinancialEventGroups: {PerSecond: 0.5, Burst: 30},
		OpListTransactions:         {PerSecond: 0.5, Burst: 10},
		OpGetReports:               {PerSecond: 0.0222, Burst: 10},
		OpGetReport:                {PerSecond: 2, Burst: 15},
		OpGetReportDocument:        {PerSecond: 0.0167, Burst: 15},
	}
}

// NoLimits returns limits that limit nothing: an empty, non-nil map.
func NoLimits() Limits { return Limits{} }

// Exchange is one HTTP request and its response, as handed to
// Config.Audit. Secrets are already redacted.
type Exchange struct {
	Operation, Method, URL string
	RequestHeaders         http.Header
	Status                 int
	ResponseBody           []byte
	Started                time.Time
	Duration               time.Duration
	Attempt                int
}

// Config configures a Client.
type Config struct {
	Region   Region
	Endpoint string // overrides the region's endpoint (the fake server's URL)
	TokenURL string // default DefaultTokenURL

	Credentials Credentials

	HTTP   *http.Client
	Limits Limits // nil means DefaultLimits(); NoLimits() switches them off

	// Audit receives every request and response, redacted; nil keeps none.
	// An error from it stops the call.
	Audit func(context.Context, Exchange) error

	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error

	MaxRetries int
}

// Client calls SP-API for one seller account. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	return &Client{cfg: cfg}, nil
}

// Window is a span of posted dates, PostedAfter inclusive and PostedBefore
// exclusive, as listFinancialEvents takes them.
type Window struct{ PostedAfter, PostedBefore time.Time }

// Windows splits [from, now-2min] into windows of at most 180 days.
func Windows(from, now time.Time) []Window { return nil }

// FinancialEvents pages through listFinancialEvents for w and calls page with
// each page's raw JSON body.
func (c *Client) FinancialEvents(ctx context.Context, w Window, page func(body []byte) error) error {
	return errors.New("not implemented")
}

// FinancialEventGroups pages through listFinancialEventGroups for w.
func (c *Client) FinancialEventGroups(ctx context.Context, w Window, page func(body []byte) error) error {
	return errors.New("not implemented")
}

// Transactions pages through the 2024-06-19 listTransactions for w and the
// marketplace.
func (c *Client) Transactions(ctx context.Context, w Window, marketplace string, page func(body []byte) error) error {
	return errors.New("not implemented")
}

// Report is a report as the Reports API lists it.
type Report struct {
	ID, Type, DocumentID, ProcessingStatus string
	Created, DataStart, DataEnd            time.Time
}

// SettlementReports lists the DONE V2 flat-file settlement reports created
// since createdSince.
func (c *Client) SettlementReports(ctx context.Context, createdSince time.Time) ([]Report, error) {
	return nil, errors.New("not implemented")
}

// ReportDocument returns the content of a report document.
func (c *Client) ReportDocument(ctx context.Context, documentID string) (io.ReadCloser, error) {
	return nil, errors.New("not implemented")
}
