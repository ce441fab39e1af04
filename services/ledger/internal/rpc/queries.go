package rpc

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// Reports answers the report queries. Its errors wrap
// postgres.ErrInvalidQuery, postgres.ErrInvalidPageToken or
// books.ErrUnknownDebtor, a context error, or are storage failures.
type Reports interface {
	AccountBalance(ctx context.Context, q postgres.BalanceQuery) ([]*ledgerv1.AccountBalance, error)
	OpenItemsAtKeyDate(ctx context.Context, q postgres.KeyDateQuery) ([]*ledgerv1.OpenItem, string, error)
	DebtorStatement(ctx context.Context, q postgres.StatementQuery) (*ledgerv1.GetDebtorStatementResponse, error)
	TrialBalance(ctx context.Context, q postgres.PeriodQuery) (*ledgerv1.GetTrialBalanceResponse, error)
	JournalLines(ctx context.Context, q postgres.JournalQuery) ([]*ledgerv1.JournalListingLine, string, error)
	BankReconciliations(ctx context.Context, tenant, iban string) ([]postgres.Reconciliation, error)
}

// LedgerQueryService implements ledgerv1grpc.LedgerQueryServiceServer. It
// checks the tenant; the storage validates every other argument, so the
// RPCs only map messages.
type LedgerQueryService struct {
	ledgerv1grpc.UnimplementedLedgerQueryServiceServer
	Reports Reports
	Tenants Tenants
}

// GetAccountBalance implements the RPC.
func (s *LedgerQueryService) GetAccountBalance(ctx context.Context, req *ledgerv1.GetAccountBalanceRequest) (*ledgerv1.GetAccountBalanceResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	b, err := s.Reports.AccountBalance(ctx, postgres.BalanceQuery{
		Tenant: req.GetTenant(), Account: req.GetAccount(), Currency: req.GetCurrency(),
		AsOf: req.GetAsOf(), KnownAt: instant(req.GetKnownAt()),
	})
	if err != nil {
		return nil, err
	}
	return &ledgerv1.GetAccountBalanceResponse{Balances: b}, nil
}

// ListOpenItemsAtKeyDate implements the RPC.
func (s *LedgerQueryService) ListOpenItemsAtKeyDate(ctx context.Context, req *ledgerv1.ListOpenItemsAtKeyDateRequest) (*ledgerv1.ListOpenItemsAtKeyDateResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	items, next, err := s.Reports.OpenItemsAtKeyDate(ctx, postgres.KeyDateQuery{
		Tenant: req.GetTenant(), DebtorID: req.GetDebtorId(), KeyDate: req.GetKeyDate(), KnownAt: instant(req.GetKnownAt()),
		Page: postgres.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
	})
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ListOpenItemsAtKeyDateResponse{OpenItems: items, NextPageToken: next}, nil
}

// GetDebtorStatement implements the RPC.
func (s *LedgerQueryService) GetDebtorStatement(ctx context.Context, req *ledgerv1.GetDebtorStatementRequest) (*ledgerv1.GetDebtorStatementResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	resp, err := s.Reports.DebtorStatement(ctx, postgres.StatementQuery{
		DebtorID: req.GetDebtorId(),
		PeriodQuery: postgres.PeriodQuery{
			Tenant: req.GetTenant(), From: req.GetFrom(), To: req.GetTo(), KnownAt: instant(req.GetKnownAt()),
			Page: postgres.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
		},
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetTrialBalance implements the RPC.
func (s *LedgerQueryService) GetTrialBalance(ctx context.Context, req *ledgerv1.GetTrialBalanceRequest) (*ledgerv1.GetTrialBalanceResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	resp, err := s.Reports.TrialBalance(ctx, postgres.PeriodQuery{
		Tenant: req.GetTenant(), From: req.GetFrom(), To: req.GetTo(), KnownAt: instant(req.GetKnownAt()),
		Page: postgres.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// ListJournalLines implements the RPC.
func (s *LedgerQueryService) ListJournalLines(ctx context.Context, req *ledgerv1.ListJournalLinesRequest) (*ledgerv1.ListJournalLinesResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	lines, next, err := s.Reports.JournalLines(ctx, postgres.JournalQuery{
		Tenant: req.GetTenant(), Account: req.GetAccount(), DebtorID: req.GetDebtorId(), DocumentNumber: req.GetDocumentNumber(),
		EffectiveFrom: req.GetEffectiveFrom(), EffectiveTo: req.GetEffectiveTo(),
		RecordedFrom: instant(req.GetRecordedFrom()), RecordedTo: instant(req.GetRecordedTo()),
		Page: postgres.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()},
	})
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ListJournalLinesResponse{Lines: lines, NextPageToken: next}, nil
}

// ListBankReconciliations implements the RPC.
func (s *LedgerQueryService) ListBankReconciliations(ctx context.Context, req *ledgerv1.ListBankReconciliationsRequest) (*ledgerv1.ListBankReconciliationsResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	recs, err := s.Reports.BankReconciliations(ctx, req.GetTenant(), req.GetIban())
	if err != nil {
		return nil, err
	}
	resp := &ledgerv1.ListBankReconciliationsResponse{}
	for _, r := range recs {
		resp.Reconciliations = append(resp.Reconciliations, r.Proto())
	}
	return resp, nil
}

// instant is the time of an optional timestamp; unset is the zero time,
// which the queries read as "no limit".
func instant(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}
