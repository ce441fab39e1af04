package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/o2c-platform/o2c/libs/identity"
)

// DefaultJWKSRefresh is how often a JWKS is read again by default.
const DefaultJWKSRefresh = 5 * time.Minute

// jwksMinInterval bounds how often a token naming an unknown key id makes
// the verifier read the JWKS again, so that junk tokens cannot make it
// hammer the identity provider.
const jwksMinInterval = 10 * time.Second

// jwtLeeway is the clock skew allowed for exp, nbf and iat.
const jwtLeeway = time.Minute

// maxJWKS bounds the size of a JWKS document.
const maxJWKS = 1 << 20

// jwtMethods are the signing algorithms a JWT may use: asymmetric ones
// only, so that a public key can never be used as an HMAC secret.
var jwtMethods = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// JWTOptions configure a JWTVerifier.
type JWTOptions struct {
	// JWKS is a file path or an https URL of the key set.
	JWKS string
	// Refresh is how often the key set is read again (DefaultJWKSRefresh
	// when zero).
	Refresh time.Duration
	// Issuer and Audience, when set, must be the token's iss and among its
	// aud.
	Issuer, Audience string
	// HTTPClient fetches a JWKS URL (default: one with a 10 s timeout).
	HTTPClient *http.Client
	// Log receives one warning when a refresh fails (old keys stay).
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// JWTVerifier authenticates a call by its bearer JWT (see the package
// comment for the algorithms and claims). It is safe for concurrent use.
type JWTVerifier struct {
	opt    JWTOptions
	parser *jwt.Parser
	load   func(ctx context.Context) ([]byte, error)

	mu      sync.Mutex
	keys    map[string]jwk
	fetched time.Time // last successful read
	tried   time.Time // last attempt
	failing bool
}

// jwk is one usable key of a key set.
type jwk struct {
	key crypto.PublicKey
	alg string // "" when the set does not say
}

// NewJWTVerifier reads the key set now (a file, or an https URL) and
// fails when it cannot be read or holds no usable key; the error wraps
// ErrBadConfig.
func NewJWTVerifier(ctx context.Context, opt JWTOptions) (*JWTVerifier, error) {
	if opt.Refresh <= 0 {
		opt.Refresh = DefaultJWKSRefresh
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.HTTPClient == nil {
		opt.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	v := &JWTVerifier{opt: opt}
	switch u, err := url.Parse(opt.JWKS); {
	case opt.JWKS == "":
		return nil, fmt.Errorf("%w: no JWKS", ErrBadConfig)
	case err == nil && u.Scheme == "https":
		v.load = func(ctx context.Context) ([]byte, error) { return fetch(ctx, opt.HTTPClient, opt.JWKS) }
	case err == nil && u.Scheme != "" && len(u.Scheme) > 1:
		return nil, fmt.Errorf("%w: JWKS %q: want a file path or an https URL", ErrBadConfig, opt.JWKS)
	default:
		v.load = func(context.Context) ([]byte, error) { return readLimited(opt.JWKS) }
	}
	popts := []jwt.ParserOption{
		jwt.WithValidMethods(jwtMethods), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(jwtLeeway), jwt.WithTimeFunc(opt.Now),
	}
	if opt.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(opt.Issuer))
	}
	if opt.Audience != "" {
		popts = append(popts, jwt.WithAudience(opt.Audience))
	}
	v.parser = jwt.NewParser(popts...)
	if err := v.reload(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return v, nil
}

// claims are the JWT claims o2c reads.
type claims struct {
	jwt.RegisteredClaims
	Tenants []string `json:"o2c_tenants"`
	Roles   []string `json:"o2c_roles"`
	Agency  string   `json:"o2c_agency,omitempty"`
}

// Authenticate implements Authenticator.
func (v *JWTVerifier) Authenticate(ctx context.Context) (identity.Principal, error) {
	tok, err := BearerToken(ctx)
	if err != nil {
		return identity.Principal{}, err
	}
	return v.Verify(ctx, tok)
}

// Verify checks a JWT and returns the principal its claims describe. Its
// error wraps ErrBadCredentials.
func (v *JWTVerifier) Verify(ctx context.Context, token string) (identity.Principal, error) {
	var c claims
	_, err := v.parser.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := v.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		if k.alg != "" && k.alg != t.Method.Alg() {
			return nil, fmt.Errorf("key %q is for %s, the token says %s", kid, k.alg, t.Method.Alg())
		}
		return k.key, nil
	})
	if err != nil {
		return identity.Principal{}, fmt.Errorf("%w: JWT: %w", ErrBadCredentials, err)
	}
	p := identity.Principal{Actor: c.Subject, Tenants: c.Tenants, Agency: c.Agency, Via: "jwt"}
	for _, r := range c.Roles {
		p.Roles = append(p.Roles, identity.Role(r))
	}
	if err := p.Check(); err != nil {
		return identity.Principal{}, fmt.Errorf("%w: JWT claims: %w", ErrBadCredentials, err)
	}
	return p, nil
}

// key returns the key kid names ("" when the set has only one key),
// reading the set again when it is due or, at most every
// jwksMinInterval, when kid is unknown.
func (v *JWTVerifier) key(ctx context.Context, kid string) (jwk, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.opt.Now()
	due := now.Sub(v.fetched) >= v.opt.Refresh && now.Sub(v.tried) >= jwksMinInterval
	k, ok := v.lookup(kid)
	if due || (!ok && now.Sub(v.tried) >= jwksMinInterval) {
		if err := v.reloadLocked(ctx); err != nil {
			if !v.failing {
				v.opt.Log.Warn("reading the JWKS failed; keeping the keys read before", "jwks", v.opt.JWKS, "error", err)
			}
			v.failing = true
		} else {
			if v.failing {
				v.opt.Log.Info("reading the JWKS works again", "jwks", v.opt.JWKS)
			}
			v.failing = false
		}
		k, ok = v.lookup(kid)
	}
	if !ok {
		if kid == "" {
			return jwk{}, errors.New("the token names no key id (kid) and the key set has more than one key")
		}
		return jwk{}, fmt.Errorf("no key %q in the key set", kid)
	}
	return k, nil
}

func (v *JWTVerifier) lookup(kid string) (jwk, bool) {
	if kid == "" && len(v.keys) == 1 {
		for _, k := range v.keys {
			return k, true
		}
	}
	k, ok := v.keys[kid]
	return k, ok
}

func (v *JWTVerifier) reload(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.reloadLocked(ctx)
}

// reloadLocked reads the key set; v.mu is held. On failure the old keys
// stay.
func (v *JWTVerifier) reloadLocked(ctx context.Context) error {
	v.tried = v.opt.Now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	data, err := v.load(ctx)
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", v.opt.JWKS, err)
	}
	keys, err := parseJWKS(data)
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", v.opt.JWKS, err)
	}
	v.keys = keys
	v.fetched = v.tried
	return nil
}

func fetch(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET: %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKS+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJWKS {
		return nil, fmt.Errorf("larger than %d bytes", maxJWKS)
	}
	return data, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxJWKS+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxJWKS {
		return nil, fmt.Errorf("larger than %d bytes", maxJWKS)
	}
	return data, nil
}

// rawJWK is a JSON Web Key as RFC 7517 and 7518 write it.
type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS reads the signing keys of a JSON Web Key Set by key id: RSA
// keys of 2048 bits or more, EC keys on P-256, P-384 and P-521 and OKP
// Ed25519 keys. Keys for encryption ("use": "enc") and of other types are
// skipped; a set without a usable key, a malformed key or two keys with
// the same id are errors.
func parseJWKS(data []byte) (map[string]jwk, error) {
	var set struct {
		Keys []rawJWK `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, err
	}
	keys := map[string]jwk{}
	for i, r := range set.Keys {
		if r.Use != "" && r.Use != "sig" {
			continue
		}
		k, ok, err := r.publicKey()
		if err != nil {
			return nil, fmt.Errorf("key %d (kid %q): %w", i, r.Kid, err)
		}
		if !ok {
			continue
		}
		if _, dup := keys[r.Kid]; dup {
			return nil, fmt.Errorf("key id %q appears twice", r.Kid)
		}
		keys[r.Kid] = jwk{key: k, alg: r.Alg}
	}
	if len(keys) == 0 {
		return nil, errors.New("no usable signing key (want RSA, EC P-256/384/521 or Ed25519)")
	}
	return keys, nil
}

// publicKey returns the key r describes, false for a type o2c does not
// use.
func (r rawJWK) publicKey() (crypto.PublicKey, bool, error) {
	b64 := func(name, s string) ([]byte, error) {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%s is not base64url", name)
		}
		return b, nil
	}
	switch r.Kty {
	case "RSA":
		n, err := b64("n", r.N)
		if err != nil {
			return nil, false, err
		}
		e, err := b64("e", r.E)
		if err != nil {
			return nil, false, err
		}
		if len(e) > 4 {
			return nil, false, errors.New("e is too large")
		}
		k := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if k.N.BitLen() < 2048 {
			return nil, false, fmt.Errorf("RSA key of %d bits; want 2048 or more", k.N.BitLen())
		}
		if k.E < 3 || k.E%2 == 0 {
			return nil, false, errors.New("RSA exponent is not an odd number above 2")
		}
		return k, true, nil
	case "EC":
		var curve elliptic.Curve
		switch r.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, false, nil
		}
		x, err := b64("x", r.X)
		if err != nil {
			return nil, false, err
		}
		y, err := b64("y", r.Y)
		if err != nil {
			return nil, false, err
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) != size || len(y) != size {
			return nil, false, fmt.Errorf("x and y of a %s key are %d bytes each", r.Crv, size)
		}
		k, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, false, fmt.Errorf("%s point: %w", r.Crv, err)
		}
		return k, true, nil
	case "OKP":
		if r.Crv != "Ed25519" {
			return nil, false, nil
		}
		x, err := b64("x", r.X)
		if err != nil {
			return nil, false, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, false, fmt.Errorf("an Ed25519 key is %d bytes", ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(x), true, nil
	}
	return nil, false, nil
}
