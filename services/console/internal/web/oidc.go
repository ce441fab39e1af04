package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
)

// OIDCOptions configure the OIDC login.
type OIDCOptions struct {
	// Issuer is the identity provider's issuer URL (https); its discovery
	// document is read from <Issuer>/.well-known/openid-configuration.
	Issuer string
	// ClientID and ClientSecret are the console's client at the provider.
	// The secret is read from a file or variable by reference (see
	// service.OIDCFromEnv), never written into configuration.
	ClientID, ClientSecret string
	// RedirectURL is the console's callback (https://console.example/auth/callback);
	// empty derives it from the request's host.
	RedirectURL string
	// Audience is the aud the access token must carry, the one the
	// backends check (O2C_JWT_AUDIENCE there); empty checks none.
	Audience string
	// Scopes beyond "openid".
	Scopes []string
	// HTTPClient reaches the provider (default: 10 s timeout).
	HTTPClient *http.Client
	// Log receives the JWKS refresh warnings.
	Log *slog.Logger
}

// OIDCLogin signs users in at an OpenID Connect provider with the
// authorization-code flow and PKCE. The access token the provider issues
// is verified as the backends verify it (libs/auth's JWT verifier with
// the provider's JWKS, issuer and audience) and forwarded to them; it
// must carry o2c's claims (sub, o2c_tenants, o2c_roles). An ID token in
// the answer is verified too (audience the client id, the nonce of the
// sign-in).
type OIDCLogin struct {
	opt      OIDCOptions
	oauth    oauth2.Config
	access   *auth.JWTVerifier
	idTokens *auth.JWTVerifier
}

// discovery is the part of the provider's discovery document the login
// reads.
type discovery struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

// NewOIDCLogin reads the provider's discovery document and key set now,
// so that a wrong issuer stops the console at start.
func NewOIDCLogin(ctx context.Context, opt OIDCOptions) (*OIDCLogin, error) {
	if opt.Issuer == "" || opt.ClientID == "" {
		return nil, errors.New("OIDC needs an issuer URL and a client id")
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	d, err := discover(ctx, opt.HTTPClient, opt.Issuer)
	if err != nil {
		return nil, err
	}
	access, err := auth.NewJWTVerifier(ctx, auth.JWTOptions{JWKS: d.JWKSURI, Issuer: d.Issuer, Audience: opt.Audience, HTTPClient: opt.HTTPClient, Log: opt.Log})
	if err != nil {
		return nil, fmt.Errorf("OIDC provider %s: %w", opt.Issuer, err)
	}
	ids, err := auth.NewJWTVerifier(ctx, auth.JWTOptions{JWKS: d.JWKSURI, Issuer: d.Issuer, Audience: opt.ClientID, HTTPClient: opt.HTTPClient, Log: opt.Log})
	if err != nil {
		return nil, fmt.Errorf("OIDC provider %s: %w", opt.Issuer, err)
	}
	return &OIDCLogin{
		opt: opt, access: access, idTokens: ids,
		oauth: oauth2.Config{
			ClientID: opt.ClientID, ClientSecret: opt.ClientSecret, RedirectURL: opt.RedirectURL,
			Endpoint: oauth2.Endpoint{AuthURL: d.AuthorizationEndpoint, TokenURL: d.TokenEndpoint},
			Scopes:   append([]string{"openid"}, opt.Scopes...),
		},
	}, nil
}

// discover reads issuer's discovery document; its issuer must be issuer.
func discover(ctx context.Context, c *http.Client, issuer string) (discovery, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return discovery{}, fmt.Errorf("OIDC discovery %s: %w", u, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return discovery{}, fmt.Errorf("OIDC discovery %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return discovery{}, fmt.Errorf("OIDC discovery %s: %s", u, resp.Status)
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return discovery{}, fmt.Errorf("OIDC discovery %s: %w", u, err)
	}
	if strings.TrimSuffix(d.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return discovery{}, fmt.Errorf("OIDC discovery %s: the document names issuer %q", u, d.Issuer)
	}
	if d.AuthorizationEndpoint == "" || d.TokenEndpoint == "" || d.JWKSURI == "" {
		return discovery{}, fmt.Errorf("OIDC discovery %s: authorization_endpoint, token_endpoint and jwks_uri are required", u)
	}
	return d, nil
}

// Kind implements Login.
func (o *OIDCLogin) Kind() string { return "oidc" }

// Password implements Login: OIDC users sign in at the provider.
func (o *OIDCLogin) Password(context.Context, string, string) (Grant, error) {
	return Grant{}, ErrUnsupported
}

// Start implements Login: the authorization URL with a fresh state, nonce
// and PKCE verifier (S256).
func (o *OIDCLogin) Start(_ context.Context, callbackURL string) (string, LoginState, error) {
	st := LoginState{State: randomID(), Verifier: oauth2.GenerateVerifier(), Nonce: randomID()}
	cfg := o.oauth
	cfg.RedirectURL = callbackURL
	return cfg.AuthCodeURL(st.State, oauth2.S256ChallengeOption(st.Verifier), oauth2.SetAuthURLParam("nonce", st.Nonce)), st, nil
}

// Finish implements Login: it checks the state, exchanges the code with
// the PKCE verifier, and verifies the tokens.
func (o *OIDCLogin) Finish(ctx context.Context, callbackURL string, kept LoginState, code, state string) (Grant, error) {
	if kept.State == "" || state != kept.State {
		return Grant{}, fmt.Errorf("%w: the state does not match the sign-in's", ErrBadLogin)
	}
	cfg := o.oauth
	cfg.RedirectURL = callbackURL
	ctx = context.WithValue(ctx, oauth2.HTTPClient, o.opt.HTTPClient)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(kept.Verifier))
	if err != nil {
		return Grant{}, fmt.Errorf("%w: code exchange: %w", ErrBadLogin, err)
	}
	if raw, ok := tok.Extra("id_token").(string); ok && raw != "" {
		if err := o.checkIDToken(ctx, raw, kept.Nonce); err != nil {
			return Grant{}, err
		}
	}
	p, err := o.access.Verify(ctx, tok.AccessToken)
	if err != nil {
		return Grant{}, fmt.Errorf("%w: access token: %w", ErrBadLogin, err)
	}
	exp := tok.Expiry
	return Grant{Principal: p, Token: tok.AccessToken, Expires: exp}, nil
}

// checkIDToken verifies the ID token's signature, issuer, audience and
// expiry, and that its nonce is the sign-in's.
func (o *OIDCLogin) checkIDToken(ctx context.Context, raw, nonce string) error {
	// An ID token need not carry o2c's claims: only a signature, issuer,
	// audience or expiry failure refuses it.
	if _, err := o.idTokens.Verify(ctx, raw); err != nil && !errors.Is(err, identity.ErrInvalidPrincipal) {
		return fmt.Errorf("%w: ID token: %w", ErrBadLogin, err)
	}
	var c struct {
		Nonce string `json:"nonce"`
		jwt.RegisteredClaims
	}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &c); err != nil {
		return fmt.Errorf("%w: ID token: %w", ErrBadLogin, err)
	}
	if c.Nonce != nonce {
		return fmt.Errorf("%w: ID token: the nonce is not the sign-in's", ErrBadLogin)
	}
	return nil
}
