// Package rpc is ingestion's gRPC side: proto <-> domain mapping of the
// services ingestion serves beside the RejectionService. Errors go back as
// they are; the host's interceptor turns them into status codes through
// ingestion's fault chain.
package rpc

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/storable"
	"github.com/o2c-platform/o2c/services/ingestion/internal/erasure"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// MasterData is the master data store the DebtorService reads and erases
// (postgres.Store). Its errors wrap erasure.ErrUnknownDebtor for a debtor
// it does not know.
type MasterData interface {
	Debtor(ctx context.Context, tenant, id string) (postgres.Debtor, error)
	EraseDebtor(ctx context.Context, tenant, id, actor string, at time.Time) (postgres.Debtor, error)
	DebtorInvoices(ctx context.Context, tenant, id string) ([]postgres.InvoiceRef, error)
	DebtorRejections(ctx context.Context, tenant, id string) ([]postgres.RejectionRef, error)
}

// OpenItems counts a debtor's open items. Its errors wrap
// erasure.ErrLedgerUnreachable when the ledger cannot be asked.
type OpenItems interface {
	CountOpenItems(ctx context.Context, tenant, debtorID string) (int, error)
}

// Tenants checks that a tenant id is one of the tenants file's.
type Tenants interface {
	Check(tenant string) error
}

// DebtorService serves ingestionv1grpc.DebtorService.
type DebtorService struct {
	ingestionv1grpc.UnimplementedDebtorServiceServer
	Store MasterData
	// Search finds debtors for SearchDebtors.
	Search    DebtorSearch
	OpenItems OpenItems
	Tenants   Tenants
	Now       func() time.Time
}

// EraseDebtor erases the debtor's personal data when erasure.Check allows
// it, recording the caller's actor.
func (s *DebtorService) EraseDebtor(ctx context.Context, req *ingestionv1.EraseDebtorRequest) (*ingestionv1.EraseDebtorResponse, error) {
	tenant, id := req.GetTenant(), req.GetDebtorId()
	if err := checkText(req); err != nil {
		return nil, err
	}
	if err := s.check(tenant, id); err != nil {
		return nil, err
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.Store.Debtor(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if !d.ErasedAt.IsZero() {
		return &ingestionv1.EraseDebtorResponse{Debtor: record(d)}, nil
	}
	open, err := s.OpenItems.CountOpenItems(ctx, tenant, id)
	if err != nil {
		return nil, fmt.Errorf("erase debtor %s: %w", id, err)
	}
	invoices, err := s.Store.DebtorInvoices(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	var last time.Time
	for _, inv := range invoices {
		if inv.IssueDate.After(last) {
			last = inv.IssueDate
		}
	}
	now := s.Now()
	if err := erasure.Check(now, erasure.Facts{OpenItems: open, LastInvoice: last}); err != nil {
		return nil, fmt.Errorf("erase debtor %s of %s: %w", id, tenant, err)
	}
	d, err = s.Store.EraseDebtor(ctx, tenant, id, p.RecordedActor(), now)
	if err != nil {
		return nil, err
	}
	return &ingestionv1.EraseDebtorResponse{Debtor: record(d)}, nil
}

// ExportDebtor returns the debtor's master data, invoices and rejections.
func (s *DebtorService) ExportDebtor(ctx context.Context, req *ingestionv1.ExportDebtorRequest) (*ingestionv1.ExportDebtorResponse, error) {
	tenant, id := req.GetTenant(), req.GetDebtorId()
	if err := checkText(req); err != nil {
		return nil, err
	}
	if err := s.check(tenant, id); err != nil {
		return nil, err
	}
	d, err := s.Store.Debtor(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	invoices, err := s.Store.DebtorInvoices(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	rejections, err := s.Store.DebtorRejections(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	resp := &ingestionv1.ExportDebtorResponse{Debtor: record(d)}
	for _, inv := range invoices {
		resp.Invoices = append(resp.Invoices, &ingestionv1.DebtorInvoice{
			InvoiceNumber: inv.Number, EventId: inv.EventID, IssueDate: date(inv.IssueDate),
		})
	}
	for _, r := range rejections {
		resp.Rejections = append(resp.Rejections, &ingestionv1.DebtorRejection{
			Id: r.ID, Subject: r.Subject, Reason: r.Reason, State: r.State, RejectedAt: timestamppb.New(r.RejectedAt),
		})
	}
	return resp, nil
}

func (s *DebtorService) check(tenant, id string) error {
	if err := s.Tenants.Check(tenant); err != nil {
		return err
	}
	if id == "" {
		return status.Error(codes.InvalidArgument, "debtor_id is required")
	}
	return nil
}

// checkText refuses a request with text PostgreSQL cannot take as a
// parameter or o2c does not store (a NUL, invalid UTF-8, more than
// storable.MaxStringBytes bytes) as InvalidArgument naming the field:
// the server answered a NUL in an id with its raw encoding error, which
// reached the caller as Internal.
func checkText(req proto.Message) error {
	if ps := storable.Problems(req); len(ps) > 0 {
		return status.Error(codes.InvalidArgument, ps[0].Error())
	}
	return nil
}

func record(d postgres.Debtor) *ingestionv1.DebtorRecord {
	r := &ingestionv1.DebtorRecord{
		Tenant: d.Tenant, DebtorId: d.DebtorID, Kind: d.Kind, Name: d.Name, VatId: d.VATID, Email: d.Email,
		AddressJson: string(d.Address), UpdatedAt: timestamppb.New(d.UpdatedAt), ErasedBy: d.ErasedBy,
	}
	if !d.ErasedAt.IsZero() {
		r.ErasedAt = timestamppb.New(d.ErasedAt)
	}
	return r
}

func date(t time.Time) *commonv1.Date {
	if t.IsZero() {
		return nil
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// Ledger counts open items by asking the ledger's ListOpenItems. A nil
// Client means no ledger is configured, and every count fails with
// erasure.ErrLedgerUnreachable.
type Ledger struct {
	Client ledgerv1grpc.LedgerServiceClient
}

// CountOpenItems returns the number of the debtor's open items.
func (l Ledger) CountOpenItems(ctx context.Context, tenant, debtorID string) (int, error) {
	if l.Client == nil {
		return 0, fmt.Errorf("%w: ingestion has no ledger address (set LEDGER_ADDR)", erasure.ErrLedgerUnreachable)
	}
	resp, err := l.Client.ListOpenItems(ctx, &ledgerv1.ListOpenItemsRequest{Tenant: tenant, DebtorId: debtorID})
	if err != nil {
		return 0, fmt.Errorf("%w: ListOpenItems: %s", erasure.ErrLedgerUnreachable, status.Convert(err).Message())
	}
	return len(resp.GetOpenItems()), nil
}
