package rpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// fakeReports fails every query with err and records the last query.
type fakeReports struct {
	err  error
	last any
}

func (f *fakeReports) AccountBalance(_ context.Context, q postgres.BalanceQuery) ([]*ledgerv1.AccountBalance, error) {
	f.last = q
	return nil, f.err
}

func (f *fakeReports) OpenItemsAtKeyDate(_ context.Context, q postgres.KeyDateQuery) ([]*ledgerv1.OpenItem, string, error) {
	f.last = q
	return nil, "next", f.err
}

func (f *fakeReports) DebtorStatement(_ context.Context, q postgres.StatementQuery) (*ledgerv1.GetDebtorStatementResponse, error) {
	f.last = q
	return &ledgerv1.GetDebtorStatementResponse{}, f.err
}

func (f *fakeReports) TrialBalance(_ context.Context, q postgres.PeriodQuery) (*ledgerv1.GetTrialBalanceResponse, error) {
	f.last = q
	return &ledgerv1.GetTrialBalanceResponse{}, f.err
}

func (f *fakeReports) JournalLines(_ context.Context, q postgres.JournalQuery) ([]*ledgerv1.JournalListingLine, string, error) {
	f.last = q
	return nil, "", f.err
}

func (f *fakeReports) BankReconciliations(_ context.Context, tenant, iban string) ([]postgres.Reconciliation, error) {
	f.last = [2]string{tenant, iban}
	return nil, f.err
}

// TestQueryStatus checks the code every report RPC's errors get through the
// ledger's fault chain (what the server's error interceptor applies):
// argument errors, unknown debtors, deadlines, a lost database connection,
// and an error nobody classified, which must not leak its text.
func TestQueryStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want codes.Code
	}{
		{nil, codes.OK},
		{fmt.Errorf("x: %w", postgres.ErrInvalidQuery), codes.InvalidArgument},
		{fmt.Errorf("x: %w", postgres.ErrInvalidPageToken), codes.InvalidArgument},
		{fmt.Errorf("x: %w", books.ErrUnknownDebtor), codes.NotFound},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{fmt.Errorf("query: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), codes.Unavailable},
		{errors.New("relation \"secret_table\" does not exist"), codes.Internal},
	}
	classify := fault.Chain(books.Errors.Classify, postgres.Errors.Classify, database.Classify)
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			t.Parallel()
			s := &LedgerQueryService{Reports: &fakeReports{err: tt.err}, Tenants: tenantstest.File(t, "acme")}
			ctx := context.Background()
			calls := map[string]func() error{
				"GetAccountBalance": func() error {
					_, err := s.GetAccountBalance(ctx, &ledgerv1.GetAccountBalanceRequest{Tenant: "acme"})
					return err
				},
				"ListOpenItemsAtKeyDate": func() error {
					_, err := s.ListOpenItemsAtKeyDate(ctx, &ledgerv1.ListOpenItemsAtKeyDateRequest{Tenant: "acme"})
					return err
				},
				"GetDebtorStatement": func() error {
					_, err := s.GetDebtorStatement(ctx, &ledgerv1.GetDebtorStatementRequest{Tenant: "acme"})
					return err
				},
				"GetTrialBalance": func() error {
					_, err := s.GetTrialBalance(ctx, &ledgerv1.GetTrialBalanceRequest{Tenant: "acme"})
					return err
				},
				"ListJournalLines": func() error {
					_, err := s.ListJournalLines(ctx, &ledgerv1.ListJournalLinesRequest{Tenant: "acme"})
					return err
				},
				"ListBankReconciliations": func() error {
					_, err := s.ListBankReconciliations(ctx, &ledgerv1.ListBankReconciliationsRequest{Tenant: "acme"})
					return err
				},
			}
			for name, call := range calls {
				err := serve.Status(classify, call())
				if got := status.Code(err); got != tt.want {
					t.Errorf("%s with %v: code %v, want %v", name, tt.err, got, tt.want)
				}
				if strings.Contains(status.Convert(err).Message(), "secret_table") {
					t.Errorf("%s: an unclassified error's text reached the client: %v", name, err)
				}
			}
		})
	}
}

// TestQueryMapping checks that request fields reach the query.
func TestQueryMapping(t *testing.T) {
	t.Parallel()
	f := &fakeReports{}
	s := &LedgerQueryService{Reports: f, Tenants: tenantstest.File(t, "acme")}
	known := time.Date(2026, 4, 5, 12, 0, 0, 0, time.UTC)
	resp, err := s.ListOpenItemsAtKeyDate(context.Background(), &ledgerv1.ListOpenItemsAtKeyDateRequest{
		Tenant: "acme", DebtorId: "K-1", KnownAt: timestamppb.New(known), PageSize: 7, PageToken: "tok",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := postgres.KeyDateQuery{Tenant: "acme", DebtorID: "K-1", KnownAt: known, Page: postgres.Page{Size: 7, Token: "tok"}}
	if diff := cmp.Diff(want, f.last); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if resp.GetNextPageToken() != "next" {
		t.Errorf("next_page_token %q, want the store's", resp.GetNextPageToken())
	}
	if _, err := s.ListJournalLines(context.Background(), &ledgerv1.ListJournalLinesRequest{Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	if q := f.last.(postgres.JournalQuery); !q.RecordedFrom.IsZero() || !q.RecordedTo.IsZero() {
		t.Errorf("unset recorded range became %v..%v, want no limit", q.RecordedFrom, q.RecordedTo)
	}
}
