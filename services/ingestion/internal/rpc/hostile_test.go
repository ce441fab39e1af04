package rpc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/internal/rpc"
)

// untouched is a MasterData and DebtorSearch that fails the test when it
// is asked anything: a refused request must not reach the store.
type untouched struct{ tb testing.TB }

func (u untouched) fail() { u.tb.Helper(); u.tb.Error("the request reached the store") }

func (u untouched) Debtor(context.Context, string, string) (postgres.Debtor, error) {
	u.fail()
	return postgres.Debtor{}, nil
}

func (u untouched) EraseDebtor(context.Context, string, string, string, time.Time) (postgres.Debtor, error) {
	u.fail()
	return postgres.Debtor{}, nil
}

func (u untouched) DebtorInvoices(context.Context, string, string) ([]postgres.InvoiceRef, error) {
	u.fail()
	return nil, nil
}

func (u untouched) DebtorRejections(context.Context, string, string) ([]postgres.RejectionRef, error) {
	u.fail()
	return nil, nil
}

func (u untouched) SearchDebtors(context.Context, string, string, int) ([]postgres.DebtorMatch, error) {
	u.fail()
	return nil, nil
}

func (u untouched) Profiles(context.Context, string, []string, string, int) ([]postgres.Profile, error) {
	u.fail()
	return nil, nil
}

func (u untouched) List(context.Context, string, string, ingestionv1.CreditNoteState, int, string) ([]*ingestionv1.CreditNote, string, error) {
	u.fail()
	return nil, "", nil
}

func (u untouched) InvoiceDocuments(context.Context, string, string) ([]postgres.InvoiceDocument, error) {
	u.fail()
	return nil, nil
}

// TestDebtorRPCsRefuseUnstorableText sends the debtor RPCs ids and queries
// PostgreSQL cannot take as a parameter (a NUL, invalid UTF-8) or that no
// debtor can have (more than 1,000 bytes): each is InvalidArgument naming
// the field, and the store is not asked (before, a NUL id came back as
// PostgreSQL's raw encoding error, answered Internal).
func TestDebtorRPCsRefuseUnstorableText(t *testing.T) {
	t.Parallel()
	ctx := identity.NewContext(context.Background(), identity.Principal{Actor: "user:anna", Tenants: []string{"acme"}, Roles: []identity.Role{identity.PlatformAdmin}})
	for _, bad := range []struct{ name, value, want string }{
		{"NUL", "C1\x00", "contains a NUL byte"},
		{"invalid UTF-8", "C1\xff", "is not valid UTF-8"},
		{"100,000 bytes", strings.Repeat("C", 100_000), "is 100000 bytes long"},
	} {
		calls := []struct {
			rpc, field string
			call       func(*rpc.DebtorService) error
		}{
			{"EraseDebtor", "debtor_id", func(s *rpc.DebtorService) error {
				_, err := s.EraseDebtor(ctx, &ingestionv1.EraseDebtorRequest{Tenant: "acme", DebtorId: bad.value})
				return err
			}},
			{"ExportDebtor", "debtor_id", func(s *rpc.DebtorService) error {
				_, err := s.ExportDebtor(ctx, &ingestionv1.ExportDebtorRequest{Tenant: "acme", DebtorId: bad.value})
				return err
			}},
			{"SearchDebtors", "query", func(s *rpc.DebtorService) error {
				_, err := s.SearchDebtors(ctx, &ingestionv1.SearchDebtorsRequest{Tenant: "acme", Query: bad.value})
				return err
			}},
			{"ListInvoices", "debtor_id", func(s *rpc.DebtorService) error {
				_, err := s.ListInvoices(ctx, &ingestionv1.ListInvoicesRequest{Tenant: "acme", DebtorId: bad.value})
				return err
			}},
			{"ListDebtorProfiles", "debtor_ids[1]", func(s *rpc.DebtorService) error {
				p := &rpc.DebtorProfileService{Store: s.Store.(untouched), Tenants: tenants{}}
				_, err := p.ListDebtorProfiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: "acme", DebtorIds: []string{"C1", bad.value}})
				return err
			}},
			{"ListCreditNotes", "debtor_id", func(s *rpc.DebtorService) error {
				cn := &rpc.CreditNoteService{List: s.Store.(untouched), Tenants: tenants{}}
				_, err := cn.ListCreditNotes(ctx, &ingestionv1.ListCreditNotesRequest{Tenant: "acme", DebtorId: bad.value})
				return err
			}},
			{"ExportDebtor", "tenant", func(s *rpc.DebtorService) error {
				_, err := s.ExportDebtor(ctx, &ingestionv1.ExportDebtorRequest{Tenant: bad.value, DebtorId: "C1"})
				return err
			}},
		}
		for _, c := range calls {
			t.Run(bad.name+"/"+c.rpc+"/"+c.field, func(t *testing.T) {
				t.Parallel()
				s := &rpc.DebtorService{Store: untouched{t}, Search: untouched{t}, OpenItems: openItems{}, Tenants: tenants{}, Now: func() time.Time { return now }}
				err := c.call(s)
				st := status.Convert(err)
				if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), c.field+": ") || !strings.Contains(st.Message(), bad.want) {
					t.Errorf("%s with %s in %s = %v %.200q, want InvalidArgument naming %s and saying %q", c.rpc, bad.name, c.field, st.Code(), st.Message(), c.field, bad.want)
				}
			})
		}
	}
}
