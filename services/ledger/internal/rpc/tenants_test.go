package rpc

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// calls counts what reached the layers behind the RPCs.
type calls struct{ n int }

func (c *calls) OpenItems(context.Context, string, string) ([]*ledgerv1.OpenItem, error) {
	c.n++
	return nil, nil
}

func (c *calls) Balances(context.Context, string, string) ([]*ledgerv1.AccountBalance, error) {
	c.n++
	return nil, nil
}

func (c *calls) Post(context.Context, postgres.Entry) (postgres.Posted, error) {
	c.n++
	return postgres.Posted{}, nil
}

func (c *calls) Execute(context.Context, proto.Message, books.Meta) (books.Result, error) {
	c.n++
	return books.Result{}, nil
}

// TestUnknownTenant asks every RPC about a tenant the tenants file does not
// list, and about a string that is no tenant id: the answers are NOT_FOUND
// "tenant nosuch does not exist" and INVALID_ARGUMENT through the ledger's
// fault chain (no hand-built status), and nothing reaches the read models,
// the poster or the books. A configured tenant gets through.
func TestUnknownTenant(t *testing.T) {
	t.Parallel()
	classify := fault.Chain(books.Errors.Classify, postgres.Errors.Classify, tenants.Errors.Classify, database.Classify)
	known := tenantstest.File(t, "demo")
	tests := []struct {
		tenant  string
		code    codes.Code
		message string
	}{
		{"nosuch", codes.NotFound, "tenant nosuch does not exist (not in the tenants file)"},
		{"No Such", codes.InvalidArgument, `not a tenant id: "No Such": want lowercase letters, digits and single dashes, at most 63 characters`},
		{"", codes.InvalidArgument, `not a tenant id: "": want lowercase letters, digits and single dashes, at most 63 characters`},
		{"demo", codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.code.String()+"/"+tt.tenant, func(t *testing.T) {
			t.Parallel()
			behind := &calls{}
			ledger := &LedgerService{Queries: behind, Poster: behind, Tenants: known}
			queries := &LedgerQueryService{Reports: &fakeReports{}, Tenants: known}
			commands := &CommandService{Commander: behind, Tenants: known}
			ctx := identity.NewContext(context.Background(), identity.DevPrincipal())
			tn := tt.tenant
			rpcs := map[string]func() error{
				"ListOpenItems": func() error {
					_, err := ledger.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: tn})
					return err
				},
				"ListAccountBalances": func() error {
					_, err := ledger.ListAccountBalances(ctx, &ledgerv1.ListAccountBalancesRequest{Tenant: tn})
					return err
				},
				"PostJournalEntry": func() error {
					_, err := ledger.PostJournalEntry(ctx, &ledgerv1.PostJournalEntryRequest{Tenant: tn})
					return err
				},
				"GetAccountBalance": func() error {
					_, err := queries.GetAccountBalance(ctx, &ledgerv1.GetAccountBalanceRequest{Tenant: tn})
					return err
				},
				"ListOpenItemsAtKeyDate": func() error {
					_, err := queries.ListOpenItemsAtKeyDate(ctx, &ledgerv1.ListOpenItemsAtKeyDateRequest{Tenant: tn})
					return err
				},
				"GetDebtorStatement": func() error {
					_, err := queries.GetDebtorStatement(ctx, &ledgerv1.GetDebtorStatementRequest{Tenant: tn})
					return err
				},
				"GetTrialBalance": func() error {
					_, err := queries.GetTrialBalance(ctx, &ledgerv1.GetTrialBalanceRequest{Tenant: tn})
					return err
				},
				"ListJournalLines": func() error {
					_, err := queries.ListJournalLines(ctx, &ledgerv1.ListJournalLinesRequest{Tenant: tn})
					return err
				},
				"ApplyPayment": func() error {
					_, err := commands.ApplyPayment(ctx, &ledgerv1.ApplyPaymentRequest{Command: &ledgerv1.ApplyPayment{Tenant: tn}})
					return err
				},
				"ClosePeriod": func() error {
					_, err := commands.ClosePeriod(ctx, &ledgerv1.ClosePeriodRequest{Command: &ledgerv1.ClosePeriod{Tenant: tn}})
					return err
				},
			}
			for name, call := range rpcs {
				err := serve.Status(classify, call())
				if got := status.Code(err); got != tt.code {
					t.Errorf("%s: code %v (%v), want %v", name, got, err, tt.code)
				}
				if tt.code != codes.OK && status.Convert(err).Message() != tt.message {
					t.Errorf("%s: message %q, want %q", name, status.Convert(err).Message(), tt.message)
				}
			}
			if want := map[bool]int{true: 5, false: 0}[tt.code == codes.OK]; behind.n != want {
				t.Errorf("%d calls reached the read models, poster and books, want %d", behind.n, want)
			}
		})
	}
}
