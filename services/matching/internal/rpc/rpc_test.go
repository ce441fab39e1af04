package rpc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/durationpb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// lister records the filter it is asked with.
type lister struct{ got *postgres.Filter }

func (l *lister) List(_ context.Context, _ string, f postgres.Filter) ([]*matchingv1.Exception, string, error) {
	l.got = &f
	return nil, "", nil
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// TestListExceptionsFilter: the request's filters reach the read model as
// states, arrival bounds counted from now and absolute amount bounds; a
// malformed filter is refused naming the field, an unknown tenant as not
// found.
func TestListExceptionsFilter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	l := &lister{}
	s := &MatchingService{Queue: l, Tenants: tenantstest.File(t, "acme"), Now: func() time.Time { return now }}
	ctx := context.Background()
	if _, err := s.ListExceptions(ctx, &matchingv1.ListExceptionsRequest{Tenant: "acme", States: []matchingv1.ExceptionState{matchingv1.ExceptionState_EXCEPTION_STATE_PARKED},
		MinAge: durationpb.New(48 * time.Hour), MaxAge: durationpb.New(720 * time.Hour), MinAmount: eur(1000), MaxAmount: eur(50000),
		DebtorId: "K-1", PageSize: 20, PageToken: "t"}); err != nil {
		t.Fatal(err)
	}
	lo, hi := int64(1000), int64(50000)
	want := postgres.Filter{States: []queue.State{queue.Parked}, ReceivedBefore: now.Add(-48 * time.Hour), ReceivedAfter: now.Add(-720 * time.Hour),
		MinAmount: &lo, MaxAmount: &hi, Currency: "EUR", Debtor: "K-1", Limit: 20, PageToken: "t"}
	if diff := cmp.Diff(&want, l.got); diff != "" {
		t.Errorf("filter (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		req  *matchingv1.ListExceptionsRequest
		want error
	}{
		{"a page too large", &matchingv1.ListExceptionsRequest{Tenant: "acme", PageSize: 1001}, ErrInvalidArgument},
		{"a negative age", &matchingv1.ListExceptionsRequest{Tenant: "acme", MinAge: durationpb.New(-time.Hour)}, ErrInvalidArgument},
		{"bounds in two currencies", &matchingv1.ListExceptionsRequest{Tenant: "acme", MinAmount: eur(1), MaxAmount: &commonv1.Money{MinorUnits: 5, Currency: "CHF"}}, ErrInvalidArgument},
		{"a negative bound", &matchingv1.ListExceptionsRequest{Tenant: "acme", MinAmount: eur(-1)}, ErrInvalidArgument},
		{"an unknown state", &matchingv1.ListExceptionsRequest{Tenant: "acme", States: []matchingv1.ExceptionState{99}}, ErrInvalidArgument},
		{"an unknown tenant", &matchingv1.ListExceptionsRequest{Tenant: "nosuch"}, tenants.ErrUnknownTenant},
	} {
		if _, err := s.ListExceptions(ctx, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestDecisionsNeedACaller: a decision names its actor from the
// authenticated caller; reached without one, or for another tenant, it is
// refused before anything is read.
func TestDecisionsNeedACaller(t *testing.T) {
	t.Parallel()
	s := &MatchingService{Tenants: tenantstest.File(t, "acme", "beta")}
	req := &matchingv1.ParkRequest{Tenant: "acme", PaymentId: "TX-1", Note: "why"}
	if _, err := s.Park(context.Background(), req); !errors.Is(err, identity.ErrNoPrincipal) {
		t.Errorf("without a caller: %v, want %v", err, identity.ErrNoPrincipal)
	}
	beta := identity.NewContext(context.Background(), identity.Principal{Actor: "user:bea", Tenants: []string{"beta"}, Roles: []identity.Role{identity.Accountant}})
	if _, err := s.Park(beta, req); !errors.Is(err, identity.ErrForeignTenant) {
		t.Errorf("a caller of another tenant: %v, want %v", err, identity.ErrForeignTenant)
	}
	if _, err := s.Park(beta, &matchingv1.ParkRequest{Tenant: "beta"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("without a payment id: %v, want %v", err, ErrInvalidArgument)
	}
}

// documents is a Documents naming every item DOC-<id>.
type documents struct{}

func (documents) FillDocumentNumbers(_ context.Context, _ string, exs ...*matchingv1.Exception) error {
	for _, ex := range exs {
		for _, a := range ex.GetMatch().GetAllocations() {
			a.DocumentNumber = "DOC-" + a.GetOpenItemId()
		}
	}
	return nil
}

// listed is a Lister of fixed exceptions.
type listed []*matchingv1.Exception

func (l listed) List(context.Context, string, postgres.Filter) ([]*matchingv1.Exception, string, error) {
	return l, "", nil
}

// TestListExceptionsNamesDocuments: the exceptions listed carry their
// allocations' document numbers from the read model.
func TestListExceptionsNamesDocuments(t *testing.T) {
	t.Parallel()
	ex := &matchingv1.Exception{Match: &matchingv1.Proposal{Allocations: []*matchingv1.Allocation{{OpenItemId: "I-1", Amount: eur(100)}}}}
	s := &MatchingService{Queue: listed{ex}, Documents: documents{}, Tenants: tenantstest.File(t, "acme")}
	res, err := s.ListExceptions(context.Background(), &matchingv1.ListExceptionsRequest{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.GetExceptions() {
		for _, a := range e.GetMatch().GetAllocations() {
			got = append(got, a.GetDocumentNumber())
		}
	}
	if diff := cmp.Diff([]string{"DOC-I-1"}, got); diff != "" {
		t.Errorf("document numbers (-want +got):\n%s", diff)
	}
}
