// Package spapi is the client of Amazon's Selling Partner API that the
// refund import uses: Login-with-Amazon token refresh, the regional
// endpoints, the Finances API (v0 listFinancialEvents and
// listFinancialEventGroups, 2024-06-19 listTransactions) with NextToken
// pagination, and the Reports API for the V2 flat-file settlement report.
//
// The client keeps Amazon's rules so that no request is refused for its
// form: a posted window is at most 180 days long and ends more than two
// minutes before the request (see [Windows]; a window breaking a rule is
// refused with [ErrInvalidWindow] before anything is sent), and every
// operation waits for its own token bucket. A 429 is waited out (at the rate
// the x-amzn-RateLimit-Limit header names, where present) and retried; a
// 5xx or a network error is retried after a full-jitter back-off; a 403
// saying the access token expired refreshes the token once and repeats the
// request. A request is retried at most Config.MaxRetries times.
//
// Every exchange with Login with Amazon and SP-API is handed to
// Config.Audit, with the access token, the refresh token, the client secret
// and any Authorization header redacted.
//
// The package speaks HTTP through the standard library only; it imports
// neither pgx nor NATS nor gRPC.
package spapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
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
	case Europe, NorthAmerica, FarEast:
		return "https://sellingpartnerapi-" + string(r) + ".amazon.com"
	}
	return ""
}

// DefaultTokenURL is Login with Amazon's token endpoint.
const DefaultTokenURL = "https://api.amazon.com/auth/o2/token"

// DefaultMaxRetries is how often a request is retried when Config.MaxRetries
// is zero.
const DefaultMaxRetries = 5

// Credentials are a seller account's Login-with-Amazon application
// credentials and the refresh token the seller granted. ClientID is not a
// secret; ClientSecret and RefreshToken are, and never reach the audit.
type Credentials struct{ ClientID, ClientSecret, RefreshToken string }

// Limits are the rate limits by operation name (the Op constants). An
// operation without an entry is not limited.
type Limits map[string]Rate

// Rate is a token bucket: PerSecond requests a second on average and at
// most Burst at once.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Operation names, as Amazon's models name them; they key Limits, Exchange
// and the fake server's counters. OpToken is the Login-with-Amazon token
// request and OpDownload the fetch of a report document from its URL;
// neither is an SP-API operation with a usage plan.
const (
	OpListFinancialEvents      = "listFinancialEvents"
	OpListFinancialEventGroups = "listFinancialEventGroups"
	OpListTransactions         = "listTransactions"
	OpGetReports               = "getReports"
	OpGetReport                = "getReport"
	OpGetReportDocument        = "getReportDocument"
	OpToken                    = "token"
	OpDownload                 = "downloadReportDocument"
)

// DefaultLimits returns the default usage plans Amazon documents in the
// models of the operations the client calls (requests per second, burst).
// Amazon may grant a seller more; the x-amzn-RateLimit-Limit header of a
// 429 lowers a bucket to what Amazon applied.
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
// Config.Audit. Secrets are already redacted: the x-amz-access-token and
// Authorization headers, any access token, refresh token or client secret
// in the URL or the body, and the tokens of a token response. Status is 0
// when no response arrived (a network error); Attempt counts from 1 for
// each call of an operation.
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
	// Region selects the endpoint; Endpoint, when set, overrides it (the
	// fake server's URL).
	Region   Region
	Endpoint string
	// TokenURL is Login with Amazon's token endpoint; "" means
	// DefaultTokenURL.
	TokenURL string

	Credentials Credentials

	// HTTP is the client requests go through; nil means a client with a
	// one-minute timeout.
	HTTP *http.Client
	// Limits are the rate limits by operation; nil means DefaultLimits(),
	// NoLimits() switches them off.
	Limits Limits

	// Audit receives every request and its response, redacted; nil keeps
	// none. An error from it ends the call with that error: an exchange
	// that cannot be recorded is not used.
	Audit func(context.Context, Exchange) error

	// Now and Sleep are the clock; nil means time.Now and a sleep that
	// ends early with the context's error.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error

	// MaxRetries is how often one request is retried after a 429, a 5xx or
	// a network error; 0 means DefaultMaxRetries, a negative value none.
	// The refresh after an expired token is not counted.
	MaxRetries int

	// MaxDocument is the largest report document accepted once
	// decompressed, in bytes; 0 means DefaultMaxDocument. A document that
	// decompresses to more (a gzip bomb) is refused with ErrUpstream after
	// reading at most MaxDocument+1 bytes of it.
	MaxDocument int
}

// Client calls SP-API for one seller account. It is safe for concurrent use.
type Client struct {
	base, tokenURL string
	creds          Credentials
	http           *http.Client
	audit          func(context.Context, Exchange) error
	now            func() time.Time
	sleep          func(context.Context, time.Duration) error
	maxRetries     int
	maxDoc         int

	buckets map[string]*bucket // fixed after New; each bucket locks itself

	tokenMu sync.Mutex // held while a token is fetched, so only one refresh runs
	token   string
	expires time.Time

	issuedMu sync.Mutex // not tokenMu: the token request's audit reads issued
	issued   []string   // every access token received, for redaction
}

// New returns a client for cfg. It fails with ErrConfig when the endpoint
// is unknown or a credential is missing.
func New(cfg Config) (*Client, error) {
	base := cfg.Endpoint
	if base == "" {
		base = Endpoint(cfg.Region)
	}
	if base == "" {
		return nil, fmt.Errorf("%w: no endpoint for region %q", ErrConfig, cfg.Region)
	}
	var missing []string
	if cfg.Credentials.ClientID == "" {
		missing = append(missing, "client id")
	}
	if cfg.Credentials.ClientSecret == "" {
		missing = append(missing, "client secret")
	}
	if cfg.Credentials.RefreshToken == "" {
		missing = append(missing, "refresh token")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing %s", ErrConfig, strings.Join(missing, ", "))
	}
	c := &Client{
		base:       strings.TrimSuffix(base, "/"),
		tokenURL:   cfg.TokenURL,
		creds:      cfg.Credentials,
		http:       cfg.HTTP,
		audit:      cfg.Audit,
		now:        cfg.Now,
		sleep:      cfg.Sleep,
		maxRetries: cfg.MaxRetries,
		maxDoc:     cfg.MaxDocument,
		buckets:    map[string]*bucket{},
	}
	if c.maxDoc <= 0 {
		c.maxDoc = DefaultMaxDocument
	}
	if c.tokenURL == "" {
		c.tokenURL = DefaultTokenURL
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: time.Minute}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleepContext
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	limits := cfg.Limits
	if limits == nil {
		limits = DefaultLimits()
	}
	for op, r := range limits {
		if r.PerSecond <= 0 {
			return nil, fmt.Errorf("%w: rate of %s must be positive, is %v", ErrConfig, op, r.PerSecond)
		}
		c.buckets[op] = newBucket(r)
	}
	return c, nil
}

// sleepContext waits d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
