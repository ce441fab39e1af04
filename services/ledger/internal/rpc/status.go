package rpc

import (
	"context"

	statusv1 "github.com/o2c-platform/o2c/proto/o2c/status/v1"
	"github.com/o2c-platform/o2c/proto/o2c/status/v1/statusv1grpc"
)

// Statuses answers the status queries from the status read models. Its
// errors wrap postgres.ErrInvalidQuery, postgres.ErrUnknownInvoice or
// books.ErrUnknownDebtor, a context error, or are storage failures.
type Statuses interface {
	InvoiceStatus(ctx context.Context, tenant, invoiceNumber string) (*statusv1.InvoiceStatusChanged, error)
	CustomerStatus(ctx context.Context, tenant, debtorID string) ([]*statusv1.CustomerStatusChanged, []*statusv1.InvoiceStatusChanged, error)
}

// StatusService implements statusv1grpc.StatusServiceServer: the last
// status facts the ledger published on the shops' status feed. It checks
// the tenant; the storage validates the other arguments.
type StatusService struct {
	statusv1grpc.UnimplementedStatusServiceServer
	Statuses Statuses
	Tenants  Tenants
}

// GetInvoiceStatus implements the RPC.
func (s *StatusService) GetInvoiceStatus(ctx context.Context, req *statusv1.GetInvoiceStatusRequest) (*statusv1.GetInvoiceStatusResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	st, err := s.Statuses.InvoiceStatus(ctx, req.GetTenant(), req.GetInvoiceNumber())
	if err != nil {
		return nil, err
	}
	return &statusv1.GetInvoiceStatusResponse{Status: st}, nil
}

// GetCustomerStatus implements the RPC.
func (s *StatusService) GetCustomerStatus(ctx context.Context, req *statusv1.GetCustomerStatusRequest) (*statusv1.GetCustomerStatusResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	balances, invoices, err := s.Statuses.CustomerStatus(ctx, req.GetTenant(), req.GetDebtorId())
	if err != nil {
		return nil, err
	}
	return &statusv1.GetCustomerStatusResponse{Balances: balances, Invoices: invoices}, nil
}
