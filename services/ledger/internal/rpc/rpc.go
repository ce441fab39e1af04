// Package rpc is the ledger's gRPC API (o2c.ledger.v1.LedgerService,
// LedgerQueryService and LedgerCommandService): it checks arguments and maps
// protobuf to the write path and the read models and back. Every RPC
// first checks its tenant against the tenants file (Tenants): a tenant not
// listed there does not exist, and the answer is NOT_FOUND, never empty
// books. It returns domain and storage errors as they are; the server's
// error interceptor turns them into status codes through the ledger's one
// fault chain (books.Errors, postgres.Errors, tenants.Errors), so no table
// here can drift from the consumers' verdicts.
//
// Who may call each RPC is Policy, enforced by the host's auth.Guard before
// a handler runs; the guard also refuses a tenant outside the caller's. The
// actor a command records is the caller's (identity.FromContext).
package rpc

import (
	"context"

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

// Tenants says which tenants exist: those of the tenants file. Check
// returns nil for a configured tenant, an error wrapping
// tenants.ErrInvalidTenantID for a string that is no tenant id, and one
// wrapping tenants.ErrUnknownTenant for a tenant the file does not list.
// Every RPC checks its tenant first, so a question about a tenant that does
// not exist is answered NOT_FOUND instead of with empty books.
type Tenants interface {
	Check(tenant string) error
}

// LedgerService implements ledgerv1grpc.LedgerServiceServer.
type LedgerService struct {
	ledgerv1grpc.UnimplementedLedgerServiceServer
	Queries Queries
	Poster  Poster
	Tenants Tenants
}

// ListOpenItems implements the RPC.
func (s *LedgerService) ListOpenItems(ctx context.Context, req *ledgerv1.ListOpenItemsRequest) (*ledgerv1.ListOpenItemsResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	items, err := s.Queries.OpenItems(ctx, req.GetTenant(), req.GetDebtorId())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ListOpenItemsResponse{OpenItems: items}, nil
}

// PostJournalEntry implements the RPC.
func (s *LedgerService) PostJournalEntry(ctx context.Context, req *ledgerv1.PostJournalEntryRequest) (*ledgerv1.PostJournalEntryResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
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
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	b, err := s.Queries.Balances(ctx, req.GetTenant(), req.GetAccount())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ListAccountBalancesResponse{Balances: b}, nil
}
