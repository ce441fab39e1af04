package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"google.golang.org/grpc/metadata"

	"github.com/o2c-platform/o2c/libs/identity"
)

// TokenPrefix starts every token NewToken makes, so that a leaked one is
// easy to recognise (and to scan for).
const TokenPrefix = "o2c_"

// NewToken returns a new random static token: TokenPrefix and 256 random
// bits in unpadded base64url.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the lowercase hex SHA-256 of token: its key in the
// tokens file.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenEntry is one principal of the tokens file.
type tokenEntry struct {
	Actor   string   `json:"actor"`
	Tenants []string `json:"tenants"`
	Roles   []string `json:"roles"`
	Agency  string   `json:"agency,omitempty"`
}

type tokenFile struct {
	Tokens map[string]tokenEntry `json:"tokens"`
}

// TokenAuthenticator authenticates a call by its static bearer token,
// looked up by its SHA-256 in a tokens file.
type TokenAuthenticator struct {
	byHash map[string]identity.Principal
}

// LoadTokenFile reads and checks the tokens file at path (see the package
// comment). Its error wraps ErrBadConfig and names every problem.
func LoadTokenFile(path string) (*TokenAuthenticator, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: tokens file: %w", ErrBadConfig, err)
	}
	return ParseTokenFile(path, data)
}

// ParseTokenFile parses a tokens file; name is its path for messages.
// Unknown fields, keys that are not a lowercase hex SHA-256 and principals
// that cannot exist (identity.Principal.Check) are errors.
func ParseTokenFile(name string, data []byte) (*TokenAuthenticator, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f tokenFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: tokens file %s: %w", ErrBadConfig, name, err)
	}
	a := &TokenAuthenticator{byHash: make(map[string]identity.Principal, len(f.Tokens))}
	var problems []string
	for _, hash := range slices.Sorted(maps.Keys(f.Tokens)) {
		e := f.Tokens[hash]
		if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size || strings.ToLower(hash) != hash {
			problems = append(problems, fmt.Sprintf("key %q is not the lowercase hex SHA-256 of a token (the file lists hashes, never tokens)", short(hash)))
			continue
		}
		p := identity.Principal{Actor: e.Actor, Tenants: e.Tenants, Agency: e.Agency, Via: "token"}
		for _, r := range e.Roles {
			p.Roles = append(p.Roles, identity.Role(r))
		}
		if err := p.Check(); err != nil {
			problems = append(problems, fmt.Sprintf("token %s…: %v", hash[:12], err))
			continue
		}
		a.byHash[hash] = p
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: tokens file %s: %s", ErrBadConfig, name, strings.Join(problems, "; "))
	}
	if len(a.byHash) == 0 {
		return nil, fmt.Errorf("%w: tokens file %s lists no tokens", ErrBadConfig, name)
	}
	return a, nil
}

// short cuts a string that may be a secret pasted by mistake to a prefix.
func short(s string) string {
	if len(s) > 8 {
		return s[:8] + "…"
	}
	return s
}

// Authenticate implements Authenticator.
func (a *TokenAuthenticator) Authenticate(ctx context.Context) (identity.Principal, error) {
	tok, err := BearerToken(ctx)
	if err != nil {
		return identity.Principal{}, err
	}
	p, ok := a.byHash[HashToken(tok)]
	if !ok {
		return identity.Principal{}, fmt.Errorf("%w: unknown token", ErrBadCredentials)
	}
	return p, nil
}

// MarshalTokenFile returns the tokens file listing each token of byToken
// (by its hash) with its principal; every principal is checked first.
func MarshalTokenFile(byToken map[string]identity.Principal) ([]byte, error) {
	f := tokenFile{Tokens: map[string]tokenEntry{}}
	for tok, p := range byToken {
		if err := p.Check(); err != nil {
			return nil, err
		}
		e := tokenEntry{Actor: p.Actor, Tenants: p.Tenants, Agency: p.Agency}
		for _, r := range p.Roles {
			e.Roles = append(e.Roles, string(r))
		}
		f.Tokens[HashToken(tok)] = e
	}
	return json.MarshalIndent(f, "", "  ")
}

// WriteTokenFile writes MarshalTokenFile's file to path, readable by its
// owner only.
func WriteTokenFile(path string, byToken map[string]identity.Principal) error {
	data, err := MarshalTokenFile(byToken)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}

// BearerToken returns the bearer token of an incoming call's
// "authorization" metadata. Its error wraps ErrNoCredentials when there is
// none, ErrBadCredentials when the header is not one "Bearer <token>".
func BearerToken(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	switch len(vals) {
	case 0:
		return "", fmt.Errorf("%w: no authorization metadata (want \"Bearer <token>\")", ErrNoCredentials)
	case 1:
	default:
		return "", fmt.Errorf("%w: %d authorization values, want one", ErrBadCredentials, len(vals))
	}
	scheme, tok, ok := strings.Cut(vals[0], " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(tok) == "" {
		return "", fmt.Errorf("%w: authorization is not \"Bearer <token>\"", ErrBadCredentials)
	}
	return strings.TrimSpace(tok), nil
}
