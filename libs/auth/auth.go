// Package auth authenticates and authorizes the callers of every o2c gRPC
// server. An Authenticator turns a call's credentials into an
// identity.Principal; a Guard, installed on every host's server as its
// outermost interceptor, authenticates each call, checks the method's
// Rule in the service's Policy and the tenant the request names, and hands
// the principal to the handler (identity.FromContext). Nothing a client
// writes into a request or into metadata names the tenant, the actor or the
// roles: only credentials do.
//
// # Choosing an authenticator
//
// O2C_AUTH selects one (ConfigFromEnv); a service does not start without
// it:
//
//   - mtls: mutual TLS. The server presents O2C_TLS_CERT/O2C_TLS_KEY and
//     verifies client certificates against O2C_TLS_CLIENT_CA (PEM, one or
//     more CA certificates). A call without a verified client certificate
//     reaches only health and reflection. With O2C_JWT_JWKS set as well,
//     a call that also bears a JWT acts as the token's principal: the
//     certificate admits the caller (the console), the token says whose
//     behalf it acts on (the signed-in user), verified as for jwt.
//   - jwt: bearer JWTs ("authorization: Bearer <jwt>" metadata) verified
//     against the keys of O2C_JWT_JWKS, a JWKS file path or an https URL
//     (fetched at start, refreshed every O2C_JWT_JWKS_REFRESH, default 5m,
//     and at most every 10s when a token names an unknown key id). Set
//     O2C_JWT_ISSUER and O2C_JWT_AUDIENCE to require iss and aud.
//   - tokens: static bearer tokens ("authorization: Bearer <token>") for
//     small installations, listed in the file O2C_AUTH_TOKENS by their
//     SHA-256 (the file never holds a token itself).
//   - dev: development only (demo, tests). Every caller, with or without
//     credentials, is identity.DevPrincipal: every role, every tenant. The
//     host logs it loudly at start, and it is refused when
//     O2C_ENV=production.
//
// With jwt and tokens, O2C_TLS_CERT and O2C_TLS_KEY turn on server TLS;
// without them tokens travel in clear text, which the host warns about (run
// behind a proxy or mesh that terminates TLS).
//
// # Credential formats
//
// Client certificate (mtls): the subject's common name is the actor
// (else a SAN URI o2c:actor:<actor>); SAN URIs carry the rest, one value
// each:
//
//	o2c:tenant:<tenant>   a tenant the client acts for (o2c:tenant:* for a platform admin)
//	o2c:role:<role>       a role (shop, operator, accountant, customer-service, agency, service, platform-admin)
//	o2c:agency:<agency>   the collection agency, with the agency role
//
// JWT (jwt): signed with RS256/384/512, PS256/384/512, ES256/384/512 or
// EdDSA by a key of the JWKS (RSA, EC P-256/384/521 and OKP Ed25519 keys;
// "kid" selects the key, and may be left out when the set has one key).
// exp is required; nbf and iat are checked when present, with one minute
// of leeway. Claims:
//
//	{"sub": "user:anna", "o2c_tenants": ["acme"], "o2c_roles": ["accountant"],
//	 "o2c_agency": "inkasso-nord", "iss": "...", "aud": "...", "exp": 1767225600}
//
// sub is the actor; o2c_tenants is ["*"] for a platform admin and only for
// one; o2c_agency only with the agency role.
//
// Static tokens file (tokens), JSON, keyed by the lowercase hex SHA-256 of
// the token (HashToken); NewToken makes a token and WriteTokenFile the
// file:
//
//	{"tokens": {
//	  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08":
//	    {"actor": "shop:acme", "tenants": ["acme"], "roles": ["shop"]},
//	  "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752":
//	    {"actor": "user:root", "tenants": ["*"], "roles": ["platform-admin"]}}}
//
// Every principal a credential describes must pass identity.Principal.Check;
// the tokens file is checked entry by entry at start, and a certificate or
// JWT describing an impossible principal is refused.
//
// # Clients
//
// A client presents a certificate with ClientTLS, or a bearer token with
// Bearer (a grpc.DialOption or, per call, BearerCall). DevCA makes a
// throwaway CA, server and client certificates for development.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc/credentials"

	"github.com/o2c-platform/o2c/libs/identity"
)

// Authenticator turns the credentials of an incoming call (its peer's
// verified TLS certificate, its metadata) into the principal making it.
// Its errors wrap ErrNoCredentials or ErrBadCredentials; the Guard answers
// both with UNAUTHENTICATED.
type Authenticator interface {
	Authenticate(ctx context.Context) (identity.Principal, error)
}

// Mode is how a server authenticates (O2C_AUTH).
type Mode string

// The modes of O2C_AUTH.
const (
	MTLS   Mode = "mtls"
	JWT    Mode = "jwt"
	Tokens Mode = "tokens"
	Dev    Mode = "dev"
)

// The environment variables ConfigFromEnv reads.
const (
	ModeEnv         = "O2C_AUTH"
	EnvEnv          = "O2C_ENV"
	TLSCertEnv      = "O2C_TLS_CERT"
	TLSKeyEnv       = "O2C_TLS_KEY"
	ClientCAEnv     = "O2C_TLS_CLIENT_CA"
	JWKSEnv         = "O2C_JWT_JWKS"
	JWKSRefreshEnv  = "O2C_JWT_JWKS_REFRESH"
	JWTIssuerEnv    = "O2C_JWT_ISSUER"
	JWTAudienceEnv  = "O2C_JWT_AUDIENCE"
	TokensFileEnv   = "O2C_AUTH_TOKENS"
	productionValue = "production"
)

// Config is how a server authenticates its callers.
type Config struct {
	// Mode selects the authenticator (O2C_AUTH). Required unless
	// Authenticator is set.
	Mode Mode
	// Production is set by O2C_ENV=production: development mode is
	// refused.
	Production bool
	// TLSCert and TLSKey are the server's certificate and key, PEM files
	// (O2C_TLS_CERT, O2C_TLS_KEY): required for mtls, optional for jwt and
	// tokens.
	TLSCert, TLSKey string
	// ClientCA is the PEM file of the CAs that issue client certificates
	// (O2C_TLS_CLIENT_CA; mtls).
	ClientCA string
	// JWKS is the path or https URL of the JSON Web Key Set that signs
	// JWTs (O2C_JWT_JWKS; jwt).
	JWKS string
	// JWKSRefresh is how often a JWKS URL is fetched again
	// (O2C_JWT_JWKS_REFRESH, default 5m).
	JWKSRefresh time.Duration
	// Issuer and Audience, when set, must be a JWT's iss and among its aud
	// (O2C_JWT_ISSUER, O2C_JWT_AUDIENCE).
	Issuer, Audience string
	// TokensFile is the static tokens file (O2C_AUTH_TOKENS; tokens).
	TokensFile string
	// Authenticator, when set, is used as it is and Mode is ignored: for
	// tests and in-process embedding, never from the environment.
	Authenticator Authenticator
}

// Variable is an environment variable with its meaning, for a service's
// --help.
type Variable struct {
	Name, Meaning string
}

// Variables lists what ConfigFromEnv reads.
func Variables() []Variable {
	return []Variable{
		{ModeEnv, "how gRPC callers authenticate (required): mtls (client certificates), jwt (bearer JWTs), tokens (static bearer tokens) or dev (development only: every caller is an all-powerful dev user; refused when O2C_ENV=production)"},
		{EnvEnv, "production refuses O2C_AUTH=dev"},
		{TLSCertEnv + ", " + TLSKeyEnv, "the server's TLS certificate and key (PEM files); required for mtls, turn on TLS for jwt and tokens"},
		{ClientCAEnv, "PEM file of the CAs that issue client certificates (mtls); the subject CN is the actor, SAN URIs o2c:tenant:<t>, o2c:role:<r>, o2c:agency:<a> the rest"},
		{JWKSEnv, "JWKS file path or https URL whose keys sign the JWTs (jwt; with mtls, the users' JWTs a client such as the console forwards on top of its certificate); claims sub, o2c_tenants, o2c_roles, o2c_agency; exp required"},
		{JWKSRefreshEnv, "how often a JWKS URL is fetched again (default 5m)"},
		{JWTIssuerEnv + ", " + JWTAudienceEnv, "required iss and aud of JWTs (jwt; unset: not checked)"},
		{TokensFileEnv, "static tokens file (tokens): JSON {\"tokens\": {\"<sha256 hex of token>\": {\"actor\", \"tenants\", \"roles\", \"agency\"}}}"},
	}
}

// ConfigFromEnv reads a Config through getenv. It fails without O2C_AUTH,
// with an unknown mode, when a mode lacks what it needs, and for dev with
// O2C_ENV=production, saying what to set.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Mode:       Mode(strings.TrimSpace(getenv(ModeEnv))),
		Production: strings.EqualFold(strings.TrimSpace(getenv(EnvEnv)), productionValue),
		TLSCert:    getenv(TLSCertEnv),
		TLSKey:     getenv(TLSKeyEnv),
		ClientCA:   getenv(ClientCAEnv),
		JWKS:       getenv(JWKSEnv),
		Issuer:     getenv(JWTIssuerEnv),
		Audience:   getenv(JWTAudienceEnv),
		TokensFile: getenv(TokensFileEnv),
	}
	if v := getenv(JWKSRefreshEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%s=%q: want a positive duration such as 5m", JWKSRefreshEnv, v)
		}
		c.JWKSRefresh = d
	}
	return c, c.check()
}

// DevConfig is development mode for a process that starts services
// in-process (the demo): every caller is identity.DevPrincipal. With
// O2C_ENV=production, read through getenv, the services refuse to start.
func DevConfig(getenv func(string) string) Config {
	return Config{Mode: Dev, Production: strings.EqualFold(strings.TrimSpace(getenv(EnvEnv)), productionValue)}
}

// check says what the mode lacks.
func (c Config) check() error {
	if c.Authenticator != nil {
		return nil
	}
	var missing []string
	need := func(v, name, why string) {
		if v == "" {
			missing = append(missing, name+" ("+why+")")
		}
	}
	switch c.Mode {
	case "":
		return fmt.Errorf("%w: set %s to mtls, jwt or tokens (or dev for development); a service's --help lists what each needs", ErrNoAuth, ModeEnv)
	case MTLS:
		need(c.TLSCert, TLSCertEnv, "the server certificate")
		need(c.TLSKey, TLSKeyEnv, "its key")
		need(c.ClientCA, ClientCAEnv, "the CAs of client certificates")
	case JWT:
		need(c.JWKS, JWKSEnv, "the keys that sign the JWTs")
	case Tokens:
		need(c.TokensFile, TokensFileEnv, "the static tokens file")
	case Dev:
		if c.Production {
			return fmt.Errorf("%w: %s=dev lets every caller do everything; it is refused with %s=%s", ErrDevInProduction, ModeEnv, EnvEnv, productionValue)
		}
	default:
		return fmt.Errorf("%w: %s=%q; want mtls, jwt, tokens or dev", ErrNoAuth, ModeEnv, c.Mode)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		missing = append(missing, TLSCertEnv+" and "+TLSKeyEnv+" go together")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s=%s needs %s", ErrNoAuth, ModeEnv, c.Mode, strings.Join(missing, ", "))
	}
	return nil
}

// Server is what a gRPC server needs to authenticate its callers.
type Server struct {
	// Authenticator authenticates each call (give it to NewGuard).
	Authenticator Authenticator
	// Creds are the server's TLS credentials (grpc.Creds), nil for clear
	// text.
	Creds credentials.TransportCredentials
	// Mode is the configured mode ("" for an injected Authenticator).
	Mode Mode
}

// Server builds the authenticator and transport credentials c describes,
// reading every file it names (and fetching a JWKS URL) now, so that a
// mistake stops the service at start. It logs development mode as an
// error-level warning, and bearer tokens over clear text as a warning.
func (c Config) Server(ctx context.Context, log *slog.Logger) (Server, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := c.check(); err != nil {
		return Server{}, err
	}
	if c.Authenticator != nil {
		return Server{Authenticator: c.Authenticator}, nil
	}
	s := Server{Mode: c.Mode}
	var err error
	switch c.Mode {
	case MTLS:
		if s.Creds, err = ServerTLS(c.TLSCert, c.TLSKey, c.ClientCA); err != nil {
			return Server{}, err
		}
		s.Authenticator = ClientCertificates{}
		if c.JWKS != "" {
			v, err := NewJWTVerifier(ctx, JWTOptions{JWKS: c.JWKS, Refresh: c.JWKSRefresh, Issuer: c.Issuer, Audience: c.Audience, Log: log})
			if err != nil {
				return Server{}, err
			}
			s.Authenticator = OnBehalf{Bearer: v}
		}
		return s, nil
	case JWT:
		if s.Authenticator, err = NewJWTVerifier(ctx, JWTOptions{JWKS: c.JWKS, Refresh: c.JWKSRefresh, Issuer: c.Issuer, Audience: c.Audience, Log: log}); err != nil {
			return Server{}, err
		}
	case Tokens:
		if s.Authenticator, err = LoadTokenFile(c.TokensFile); err != nil {
			return Server{}, err
		}
	case Dev:
		log.Error("DEVELOPMENT MODE: " + ModeEnv + "=dev, authentication is off and every caller acts as " +
			identity.DevPrincipal().String() + "; never run it in production (" + EnvEnv + "=" + productionValue + " refuses it)")
		return Server{Authenticator: DevAuthenticator{}, Mode: Dev}, nil
	}
	if c.TLSCert != "" {
		if s.Creds, err = ServerTLS(c.TLSCert, c.TLSKey, ""); err != nil {
			return Server{}, err
		}
	} else {
		log.Warn("bearer tokens arrive over clear-text gRPC: set " + TLSCertEnv + " and " + TLSKeyEnv + " unless a proxy or mesh terminates TLS in front of this service")
	}
	return s, nil
}

// DevAuthenticator makes every caller identity.DevPrincipal, whatever it
// presents: development mode.
type DevAuthenticator struct{}

// Authenticate implements Authenticator.
func (DevAuthenticator) Authenticate(context.Context) (identity.Principal, error) {
	return identity.DevPrincipal(), nil
}

// OnBehalf authenticates a call by its verified client certificate and,
// when the call also bears a token, as the token's principal: a client
// (the console) admitted by its certificate acting for the user whose
// token it forwards. A call without a token is its certificate's
// principal, as with ClientCertificates; a token without a verified
// certificate is refused.
type OnBehalf struct {
	// Bearer verifies the forwarded tokens (a JWTVerifier).
	Bearer interface {
		Verify(ctx context.Context, token string) (identity.Principal, error)
	}
}

// Authenticate implements Authenticator.
func (o OnBehalf) Authenticate(ctx context.Context) (identity.Principal, error) {
	client, err := ClientCertificates{}.Authenticate(ctx)
	if err != nil {
		return identity.Principal{}, err
	}
	tok, err := BearerToken(ctx)
	switch {
	case errors.Is(err, ErrNoCredentials):
		return client, nil
	case err != nil:
		return identity.Principal{}, err
	}
	return o.Bearer.Verify(ctx, tok)
}
