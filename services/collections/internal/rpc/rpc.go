// Package rpc is collections' gRPC API: AgencyService (what a collection
// agency calls) and CollectionsService (the merchant's side). Every RPC
// first checks its tenant against the tenants file (a tenant not listed is
// NOT_FOUND) and its arguments, maps protobuf to the domain and back, and
// returns domain and storage errors as they are: the server's error
// interceptor turns them into status codes through collections' one
// fault chain.
//
// Who may call each RPC is Policy, enforced by the host's auth.Guard. An
// agency is the one its credentials name (identity.Principal.Agency),
// never a request field: a case assigned to another agency answers
// NOT_FOUND exactly like a case that does not exist. The actor recorded is
// always the authenticated caller's.
package rpc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/collections/internal/collections"
	"github.com/o2c-platform/o2c/services/collections/internal/postgres"
)

// ErrInvalidArgument means a request is malformed: a required field is
// missing or a value is out of range; the message names the field.
var ErrInvalidArgument = errors.New("invalid argument")

// ErrNotAnAgency means a caller reached an agency's RPC without an agency
// in its credentials.
var ErrNotAnAgency = errors.New("the credentials name no agency")

// Errors classifies the package's own sentinel errors.
var Errors = fault.Table{
	{Err: ErrInvalidArgument, Class: fault.Invalid},
	{Err: ErrNotAnAgency, Class: fault.Forbidden},
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidArgument, field, fmt.Sprintf(format, args...))
}

// Tenants says which tenants exist: those of the tenants file. Check
// returns nil for a configured tenant and an error wrapping
// tenants.ErrUnknownTenant or tenants.ErrInvalidTenantID otherwise.
type Tenants interface {
	Check(tenant string) error
}

// Profiles fills in a debtor's personal data (name, addresses, e-mail)
// for an agency; it returns an error when the master data cannot be read.
type Profiles interface {
	Fill(ctx context.Context, tenant string, d *collectionsv1.Debtor) error
}

// Service is what both gRPC services share.
type Service struct {
	Store   *postgres.Store
	Tenants Tenants
	// Configs are the tenants' collections sections.
	Configs map[string]collections.Config
	// Profiles, when set, adds the debtor's master data to the cases an
	// agency reads.
	Profiles Profiles
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Poll is how often StreamCases looks for changes; 0 means 200 ms.
	Poll time.Duration
	// Classify is the service's fault chain: StreamCases maps its errors
	// through it (the host's error interceptor maps unary calls only).
	// Nil leaves them as they are.
	Classify fault.Classifier
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// caller checks the tenant and returns the authenticated principal.
func (s *Service) caller(ctx context.Context, tenant string) (identity.Principal, error) {
	if tenant == "" {
		return identity.Principal{}, invalid("tenant", "missing")
	}
	if err := s.Tenants.Check(tenant); err != nil {
		return identity.Principal{}, err
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return p, err
	}
	if err := p.CheckTenant(tenant); err != nil {
		return p, err
	}
	return p, nil
}

// today is the calendar date of now in UTC.
func today(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// hash is the hash of a request's content without its idempotency key:
// the same key must come with the same hash.
func hash(req proto.Message, clearKey func(proto.Message)) (string, error) {
	c := proto.Clone(req)
	clearKey(c)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("hash request: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
