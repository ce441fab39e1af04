package web

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/o2c-platform/o2c/libs/identity"
)

// DevIssuer is the iss of the tokens the development login mints.
const DevIssuer = "o2c-console-dev"

// DevAudience is their aud.
const DevAudience = "o2c"

// devTokenLifetime is how long a development token is valid.
const devTokenLifetime = 8 * time.Hour

// DevUser is a user of the development login.
type DevUser struct {
	// Name is what the user types ("cs"); the principal's actor is
	// "user:<Name>".
	Name string
	// Password is the user's password (a demo password, printed by
	// `make demo`).
	Password string
	// Roles are the user's roles, Tenants its tenants.
	Roles   []identity.Role
	Tenants []string
}

// Principal is the principal the user's token describes.
func (u DevUser) Principal() identity.Principal {
	return identity.Principal{Actor: "user:" + u.Name, Tenants: u.Tenants, Roles: u.Roles, Via: "jwt"}
}

// DevLogin is the built-in development login of the demo: a fixed list of
// users with passwords, whose tokens it mints and signs with its own
// Ed25519 key. The backends trust them because the demo gives them the
// key's JWKS (JWKS). It is refused when the console runs with
// O2C_PRODUCTION=true (see service.Options), and it must never be
// configured in a deployment: whoever holds the key is everybody.
type DevLogin struct {
	users []DevUser
	key   ed25519.PrivateKey
	kid   string
	now   func() time.Time
}

// NewDevLogin returns a development login for users, signing with key (a
// fresh key when nil). Every user must be a valid principal.
func NewDevLogin(users []DevUser, key ed25519.PrivateKey, now func() time.Time) (*DevLogin, error) {
	if key == nil {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, err
		}
		key = k
	}
	if now == nil {
		now = time.Now
	}
	for _, u := range users {
		if err := u.Principal().Check(); err != nil {
			return nil, fmt.Errorf("development user %s: %w", u.Name, err)
		}
	}
	sum := sha256.Sum256(key.Public().(ed25519.PublicKey))
	return &DevLogin{users: slices.Clone(users), key: key, kid: "dev-" + base64.RawURLEncoding.EncodeToString(sum[:8]), now: now}, nil
}

// Users returns the users, for the login page and `make demo`'s output.
func (d *DevLogin) Users() []DevUser { return slices.Clone(d.users) }

// Kind implements Login.
func (d *DevLogin) Kind() string { return "dev" }

// Password implements Login.
func (d *DevLogin) Password(_ context.Context, user, password string) (Grant, error) {
	for _, u := range d.users {
		if u.Name == user && subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) == 1 {
			tok, exp, err := d.Mint(u.Principal())
			if err != nil {
				return Grant{}, err
			}
			return Grant{Principal: u.Principal(), Token: tok, Expires: exp}, nil
		}
	}
	return Grant{}, fmt.Errorf("%w: unknown user or wrong password", ErrBadLogin)
}

// Start implements Login: the development login has no identity provider.
func (d *DevLogin) Start(context.Context, string) (string, LoginState, error) {
	return "", LoginState{}, ErrUnsupported
}

// Finish implements Login.
func (d *DevLogin) Finish(context.Context, string, LoginState, string, string) (Grant, error) {
	return Grant{}, ErrUnsupported
}

// Mint signs a token for p, valid for eight hours, with the claims
// libs/auth reads (sub, o2c_tenants, o2c_roles, o2c_agency).
func (d *DevLogin) Mint(p identity.Principal) (string, time.Time, error) {
	now := d.now()
	exp := now.Add(devTokenLifetime)
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	claims := jwt.MapClaims{
		"iss": DevIssuer, "aud": DevAudience, "sub": p.Actor, "iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(),
		"o2c_tenants": p.Tenants, "o2c_roles": roles,
	}
	if p.Agency != "" {
		claims["o2c_agency"] = p.Agency
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = d.kid
	s, err := tok.SignedString(d.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign a development token: %w", err)
	}
	return s, exp, nil
}

// JWKS returns the JSON Web Key Set of the signing key: what the demo's
// services verify the development tokens with (auth.JWTOptions.JWKS).
func (d *DevLogin) JWKS() []byte {
	pub := d.key.Public().(ed25519.PublicKey)
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": d.kid,
		"x": base64.RawURLEncoding.EncodeToString(pub),
	}}})
	return b
}

// DemoUsers are the demo's users of tenant, each with password "demo":
// customer service, finance (accountant), a viewer and an admin (the
// tenant's operator, who also holds the accountant's rights: the console's
// admin role; platform-admin stays with the platform team, as it is
// cross-tenant).
func DemoUsers(tenant string) []DevUser {
	t := []string{tenant}
	return []DevUser{
		{Name: "cs", Password: "demo", Roles: []identity.Role{identity.CustomerService}, Tenants: t},
		{Name: "finance", Password: "demo", Roles: []identity.Role{identity.Accountant}, Tenants: t},
		{Name: "viewer", Password: "demo", Roles: []identity.Role{identity.Viewer}, Tenants: t},
		{Name: "admin", Password: "demo", Roles: []identity.Role{identity.Operator, identity.Accountant, identity.CustomerService}, Tenants: t},
	}
}

// ErrDevLoginInProduction means the development login was configured
// while O2C_PRODUCTION=true.
var ErrDevLoginInProduction = errors.New("the development login is refused in production")

// urlUnescape undoes urlQueryEscape.
func urlUnescape(s string) (string, error) { return url.QueryUnescape(s) }
