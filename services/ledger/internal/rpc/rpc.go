// Package rpc is the ledger's gRPC API (o2c.ledger.v1.LedgerService).
package rpc

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// Queries answers read-model questions; its errors are storage failures.
type Queries interface {
	OpenItems(ctx context.Context, tenant, debtorID string) ([]*ledgerv1.OpenItem, error)
}

// TenantValid reports whether a tenant id is well formed.
type TenantValid func(string) bool

// LedgerService implements ledgerv1.LedgerServiceServer.
type LedgerService struct {
	ledgerv1.UnimplementedLedgerServiceServer
	Queries     Queries
	ValidTenant TenantValid
}

// ListOpenItems implements the RPC.
func (s *LedgerService) ListOpenItems(ctx context.Context, req *ledgerv1.ListOpenItemsRequest) (*ledgerv1.ListOpenItemsResponse, error) {
	if !s.ValidTenant(req.GetTenant()) {
		return nil, status.Errorf(codes.InvalidArgument, "tenant %q is not a tenant id (lowercase letters, digits, dashes)", req.GetTenant())
	}
	items, err := s.Queries.OpenItems(ctx, req.GetTenant(), req.GetDebtorId())
	if err != nil {
		return nil, toStatus(err)
	}
	return &ledgerv1.ListOpenItemsResponse{OpenItems: items}, nil
}

// toStatus is the one table from errors to gRPC codes.
func toStatus(err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Unavailable, "ledger storage: "+err.Error())
}
