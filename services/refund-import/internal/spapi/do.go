package spapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/redact"
)

// maxBody is the largest response body read; SP-API refuses pages above
// 10 MB, so a larger body is not an answer of it.
const maxBody = 256 << 20

// Back-off after a 5xx or a network error: full jitter, a random wait
// between zero and min(backoffCap, backoffBase·2^retry).
const (
	backoffBase = 500 * time.Millisecond
	backoffCap  = 30 * time.Second
)

// userAgent identifies the client to SP-API in the form Amazon asks for
// (application/version, then the language).
const userAgent = "o2c-refund-import/1 (Language=Go)"

// APIError is an error answer of SP-API: its status and error list.
type APIError struct {
	Status int
	Errors []ErrorItem
}

// ErrorItem is one entry of SP-API's error list.
type ErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %d", e.Status)
	for _, it := range e.Errors {
		fmt.Fprintf(&b, "; %s: %s", it.Code, it.Message)
		if it.Details != "" {
			fmt.Fprintf(&b, " (%s)", it.Details)
		}
	}
	return b.String()
}

// apiError reads SP-API's error body {"errors": [...]}; a body of another
// shape leaves the list empty.
func apiError(status int, body []byte) *APIError {
	var v struct {
		Errors []ErrorItem `json:"errors"`
	}
	_ = json.Unmarshal(body, &v)
	return &APIError{Status: status, Errors: v.Errors}
}

// tokenExpired reports whether a 403 says the access token expired
// ("Unauthorized", details "The access token you provided has expired.").
func (e *APIError) tokenExpired() bool {
	for _, it := range e.Errors {
		text := strings.ToLower(it.Message + " " + it.Details)
		if strings.Contains(text, "expired") && strings.Contains(text, "token") {
			return true
		}
	}
	return false
}

// get sends an SP-API GET of op to path with query and returns the body of
// the 2xx answer. It waits for op's bucket, sends the access token, refreshes
// it once when SP-API says it expired, and retries 429, 5xx and network
// errors.
func (c *Client) get(ctx context.Context, op, path string, query url.Values) ([]byte, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var token string
	build := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", userAgent)
		req.Header.Set("x-amz-access-token", token)
		return req, nil
	}
	refreshed := false
	var err error
	if token, err = c.accessToken(ctx, ""); err != nil {
		return nil, err
	}
	for {
		status, body, err := c.exchange(ctx, op, build, true)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if status >= 200 && status < 300 {
			return body, nil
		}
		ae := apiError(status, body)
		switch {
		case status == http.StatusForbidden && ae.tokenExpired() && !refreshed:
			refreshed = true
			if token, err = c.accessToken(ctx, token); err != nil {
				return nil, fmt.Errorf("%s: %w", op, err)
			}
			continue
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return nil, fmt.Errorf("%s: %w: %w", op, ErrUnauthorized, ae)
		case status >= 400 && status < 500:
			return nil, fmt.Errorf("%s: %w: %w", op, ErrBadRequest, ae)
		default:
			return nil, fmt.Errorf("%s: %w: %w", op, ErrUpstream, ae)
		}
	}
}

// exchange sends the request build makes, waiting for op's bucket when
// limited is set, and retries a 429, a 5xx or a network error up to
// MaxRetries times. It returns the last status and body; an error only
// when no usable answer came (ErrThrottled, ErrUpstream, the context's
// error or the audit's).
func (c *Client) exchange(ctx context.Context, op string, build func(context.Context) (*http.Request, error), limited bool) (int, []byte, error) {
	b := c.buckets[op]
	for attempt := 1; ; attempt++ {
		if b != nil && limited {
			if err := c.sleep(ctx, b.reserve(c.now())); err != nil {
				return 0, nil, err
			}
		}
		req, err := build(ctx)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: build request: %v", ErrUpstream, err)
		}
		started := c.now()
		status, header, body, err := c.send(req)
		if aerr := c.record(ctx, op, req, status, body, started, attempt); aerr != nil {
			return 0, nil, aerr
		}
		if err != nil && ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		retry := attempt <= c.maxRetries
		var wait time.Duration
		switch {
		case err != nil:
			if !retry {
				return 0, nil, fmt.Errorf("%w after %d attempts: %v", ErrUpstream, attempt, err)
			}
			wait = jitter(attempt)
		case status == http.StatusTooManyRequests:
			if !retry {
				return status, body, fmt.Errorf("%w after %d attempts: %w", ErrThrottled, attempt, apiError(status, body))
			}
			limit, _ := strconv.ParseFloat(header.Get("x-amzn-RateLimit-Limit"), 64)
			switch {
			case b != nil:
				wait = b.throttled(c.now(), limit)
			case limit > 0:
				wait = seconds(1 / limit)
			default:
				wait = jitter(attempt)
			}
		case status >= 500:
			if !retry {
				return status, body, fmt.Errorf("%w after %d attempts: %w", ErrUpstream, attempt, apiError(status, body))
			}
			wait = jitter(attempt)
		default:
			return status, body, nil
		}
		if err := c.sleep(ctx, wait); err != nil {
			return 0, nil, err
		}
	}
}

// send does req and reads the whole answer.
func (c *Client) send(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 && n <= maxBody {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1)); err != nil {
		return 0, nil, nil, fmt.Errorf("read answer: %w", err)
	}
	body := buf.Bytes()
	if len(body) > maxBody {
		return 0, nil, nil, fmt.Errorf("answer larger than %d bytes", maxBody)
	}
	return resp.StatusCode, resp.Header, body, nil
}

// jitter is the full-jitter back-off before retry number attempt.
func jitter(attempt int) time.Duration {
	ceiling := backoffCap
	if attempt < 16 {
		ceiling = min(backoffCap, backoffBase<<(attempt-1))
	}
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// record hands the exchange to the audit, redacted.
func (c *Client) record(ctx context.Context, op string, req *http.Request, status int, body []byte, started time.Time, attempt int) error {
	if c.audit == nil {
		return nil
	}
	secrets := c.secrets()
	headers := req.Header.Clone()
	for name, vs := range headers {
		if redact.SecretKey(name) || strings.EqualFold(name, "x-amz-access-token") {
			headers[name] = []string{redact.Redacted}
			continue
		}
		for i, v := range vs {
			vs[i] = string(scrub([]byte(v), secrets))
		}
	}
	switch op {
	case OpToken:
		body = redactTokenAnswer(body)
	case OpGetReportDocument:
		body = presigned.ReplaceAll(body, []byte("${1}"+redact.Redacted))
	}
	ex := Exchange{
		Operation: op, Method: req.Method, URL: redactURL(req.URL, secrets), RequestHeaders: headers,
		Status: status, ResponseBody: scrub(body, secrets), Started: started, Duration: c.now().Sub(started),
		Attempt: attempt,
	}
	if err := c.audit(ctx, ex); err != nil {
		return fmt.Errorf("audit %s: %w", op, err)
	}
	return nil
}

// secrets are the values that must not reach the audit: the refresh
// token, the client secret and every access token received.
func (c *Client) secrets() [][]byte {
	c.issuedMu.Lock()
	defer c.issuedMu.Unlock()
	out := [][]byte{[]byte(c.creds.RefreshToken), []byte(c.creds.ClientSecret)}
	for _, t := range c.issued {
		out = append(out, []byte(t))
	}
	return out
}

// scrub replaces every occurrence of a secret in b; it returns b itself
// when none occurs.
func scrub(b []byte, secrets [][]byte) []byte {
	for _, s := range secrets {
		if len(s) > 0 && bytes.Contains(b, s) {
			b = bytes.ReplaceAll(b, s, []byte(redact.Redacted))
		}
	}
	return b
}

// redactURL writes u with secret values replaced and the values of query
// parameters that name a secret or a signature (a presigned document URL's
// X-Amz-Security-Token, X-Amz-Credential, X-Amz-Signature) redacted.
func redactURL(u *url.URL, secrets [][]byte) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for name, vs := range q {
			if redact.SecretKey(name) || strings.Contains(strings.ToLower(name), "signature") {
				for i := range vs {
					vs[i] = redact.Redacted
				}
			}
		}
		c.RawQuery = q.Encode()
	}
	return string(scrub([]byte(c.String()), secrets))
}

// redactTokenAnswer masks the tokens of a Login-with-Amazon answer,
// whatever their values.
func redactTokenAnswer(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return []byte(redact.String(string(body)))
	}
	for k := range m {
		if redact.SecretKey(k) && k != "token_type" {
			m[k] = redact.Redacted
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return []byte(redact.Redacted)
	}
	return out
}

// errNoProgress is returned when SP-API keeps handing back the token it was
// given.
var errNoProgress = errors.New("the next page token keeps repeating")

// presigned matches the credentials of a presigned document URL, as
// getReportDocument's answer and the download's URL carry them.
var presigned = regexp.MustCompile(`(?i)(X-Amz-(?:Signature|Security-Token|Credential)=)[^&"\\\s]+`)
