package spapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// refreshAhead is how long before its expiry an access token is replaced.
const refreshAhead = 60 * time.Second

// accessToken returns a valid access token, fetching one from Login with
// Amazon when none is cached or the cached one expires within a minute.
// stale, when not "", is a token SP-API refused as expired: unless another
// call has replaced it already, a new one is fetched whatever its expiry.
func (c *Client) accessToken(ctx context.Context, stale string) (string, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token != "" && c.token != stale && c.now().Add(refreshAhead).Before(c.expires) {
		return c.token, nil
	}
	tok, ttl, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	c.token, c.expires = tok, c.now().Add(ttl)
	c.issuedMu.Lock()
	c.issued = append(c.issued, tok)
	c.issuedMu.Unlock()
	return tok, nil
}

// lwaToken is Login with Amazon's answer to a token request.
type lwaToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// fetchToken trades the refresh token for an access token (grant_type
// refresh_token) and returns it with its lifetime.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {c.creds.RefreshToken},
		"client_id":     {c.creds.ClientID},
		"client_secret": {c.creds.ClientSecret},
	}.Encode()
	build := func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
		return req, nil
	}
	status, body, err := c.exchange(ctx, OpToken, build, false)
	if err != nil {
		return "", 0, fmt.Errorf("refresh access token: %w", err)
	}
	var t lwaToken
	if jerr := json.Unmarshal(body, &t); jerr != nil && status == http.StatusOK {
		return "", 0, fmt.Errorf("refresh access token: %w: unreadable answer: %v", ErrUpstream, jerr)
	}
	if status != http.StatusOK {
		return "", 0, fmt.Errorf("refresh access token: %w: Login with Amazon answered %d %s %s", ErrUnauthorized, status, t.Error, t.Description)
	}
	if t.AccessToken == "" {
		return "", 0, fmt.Errorf("refresh access token: %w: answer without access_token", ErrUpstream)
	}
	ttl := time.Duration(t.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour // Login with Amazon's access tokens live one hour
	}
	return t.AccessToken, ttl, nil
}
