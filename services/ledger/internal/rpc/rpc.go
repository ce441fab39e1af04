// Package rpc is the ledger's gRPC API (o2c.ledger.v1.LedgerService,
// LedgerQueryService and LedgerCommandService): it checks arguments and maps
// protobuf to the write path and the read models and back. It returns
// domain and storage errors as they are; the server's error interceptor
// turns them into status codes through the ledger's one fault table
// (books.Errors, postgres.Errors), so no table here can drift from the
// consumers' verdicts.
package rpc

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// Queries answers read-model questions; its errors are storage failures.
type Queries interface {
	OpenItems(ctx context.Context, tenant, debtorID string) ([]*ledgerv1.OpenItem, error)
	Balances(ctx context.Context, tenant, account string) ([]*ledgerv1.AccountBalance, error)
}

// Poster posts journal entries. Its errors wrap books.ErrInvalidCommand,
// books.ErrPeriodClosed, books.ErrIdempotencyConflict or
// postgres.ErrStopped, a context error,
// or are storage failures.
type Poster interface {
	Post(ctx context.Context, e postgres.Entry) (postgres.Posted, error)
}

// TenantValid reports whether a tenant id is well formed.
type TenantValid func(string) bool

// LedgerService implements ledgerv1grpc.LedgerServiceServer.
type LedgerService struct {
	ledgerv1grpc.UnimplementedLedgerServiceServer
	Queries     Queries
	Poster      Poster
	ValidTenant TenantValid
}

// ListOpenItems implements the RPC.
func (s *LedgerService) ListOpenItems(ctx context.Context, req *ledgerv1.ListOpenItemsRequest) (*ledgerv1.ListOpenItemsResponse, error) {
	if !s.ValidTenant(req.GetTenant()) {
		return nil, invalidTenant(req.GetTenant())
	}
	items, err := s.Queries.OpenItems(ctx, req.GetTenant(), req.GetDebtorId())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ListOpenItemsResponse{OpenItems: items}, nil
}

// PostJournalEntry implements the RPC.
func (s *LedgerService) PostJournalEntry(ctx context.Context, req *ledgerv1.PostJournalEntryRequest) (*ledgerv1.PostJournalEntryResponse, error) {
	p, err := s.Poster.Post(ctx, postgres.Entry{
		Tenant:         req.GetTenant(),
		IdempotencyKey: req.GetIdempotencyKey(),
		EffectiveDate:  req.GetEffectiveDate(),
		DocumentNumber: req.GetDocumentNumber(),
		Text:           req.GetText(),
		Legs:           req.GetLegs(),
	})
	if err != nil {
		return nil, err
	}
	return &ledgerv1.PostJournalEntryResponse{
		EntryId:    p.EntryID.String(),
		RecordedAt: timestamppb.New(p.RecordedAt),
		Replayed:   p.Replayed,
	}, nil
}

// ListAccountBalances implements the RPC.
func (s *LedgerService) ListAccountBalances(ctx context.Context, req *ledgerv1.ListAccountBalancesRequest) (*ledgerv1.ListAccountBalancesResponse, error) {
	if !s.ValidTenant(req.GetTenant()) {
		return nil, invalidTenant(req.GetTenant())
	}
	b, err := s.Queries.Balances(ctx, req.GetTenant(), req.GetAccount())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ListAccountBalancesResponse{Balances: b}, nil
}

func invalidTenant(t string) error {
	return status.Errorf(codes.InvalidArgument, "tenant %q is not a tenant id (lowercase letters, digits, dashes)", t)
}
