package rpc

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// Commander executes ledger commands. Its errors wrap the typed errors of
// package books, books.ErrUnsupportedCommand, books.ErrContended, a
// context error, or are storage failures.
type Commander interface {
	Execute(ctx context.Context, cmd proto.Message, m books.Meta) (books.Result, error)
}

// CommandService implements ledgerv1grpc.LedgerCommandServiceServer: each RPC
// hands its command to the Commander and maps the result. The actor of a
// command, recorded on its events and checked against the tenant's
// period_actors for ClosePeriod and ReopenPeriod, is the authenticated
// caller's (identity.FromContext); no request field or metadata names it.
// The guard in front (Policy) has already checked the caller's roles and
// the command's tenant.
type CommandService struct {
	ledgerv1grpc.UnimplementedLedgerCommandServiceServer
	Commander Commander
	Tenants   Tenants
}

// execute runs one command and returns its result or a status error.
func (s *CommandService) execute(ctx context.Context, cmd interface {
	proto.Message
	GetTenant() string
}) (*ledgerv1.CommandResult, error) {
	if cmd == nil || !cmd.ProtoReflect().IsValid() {
		return nil, status.Error(codes.InvalidArgument, "command: missing")
	}
	if err := s.Tenants.Check(cmd.GetTenant()); err != nil {
		return nil, err
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.CheckTenant(cmd.GetTenant()); err != nil {
		return nil, err
	}
	r, err := s.Commander.Execute(ctx, cmd, books.Meta{Actor: p.Actor})
	if err != nil {
		return nil, err
	}
	return &ledgerv1.CommandResult{EntryIds: r.EntryIDs, EventIds: r.EventIDs, OpenItemIds: r.OpenItemIDs, Replayed: r.Replayed}, nil
}

// RegisterInvoice implements the RPC.
func (s *CommandService) RegisterInvoice(ctx context.Context, req *ledgerv1.RegisterInvoiceRequest) (*ledgerv1.RegisterInvoiceResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.RegisterInvoiceResponse{Result: r}, nil
}

// RecordOpeningBalance implements the RPC.
func (s *CommandService) RecordOpeningBalance(ctx context.Context, req *ledgerv1.RecordOpeningBalanceRequest) (*ledgerv1.RecordOpeningBalanceResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.RecordOpeningBalanceResponse{Result: r}, nil
}

// IssueCreditNote implements the RPC.
func (s *CommandService) IssueCreditNote(ctx context.Context, req *ledgerv1.IssueCreditNoteRequest) (*ledgerv1.IssueCreditNoteResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.IssueCreditNoteResponse{Result: r}, nil
}

// ApplyPayment implements the RPC.
func (s *CommandService) ApplyPayment(ctx context.Context, req *ledgerv1.ApplyPaymentRequest) (*ledgerv1.ApplyPaymentResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ApplyPaymentResponse{Result: r}, nil
}

// ReturnPayment implements the RPC.
func (s *CommandService) ReturnPayment(ctx context.Context, req *ledgerv1.ReturnPaymentRequest) (*ledgerv1.ReturnPaymentResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ReturnPaymentResponse{Result: r}, nil
}

// AssessCharge implements the RPC.
func (s *CommandService) AssessCharge(ctx context.Context, req *ledgerv1.AssessChargeRequest) (*ledgerv1.AssessChargeResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.AssessChargeResponse{Result: r}, nil
}

// WriteOff implements the RPC.
func (s *CommandService) WriteOff(ctx context.Context, req *ledgerv1.WriteOffRequest) (*ledgerv1.WriteOffResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.WriteOffResponse{Result: r}, nil
}

// RecoverWrittenOff implements the RPC.
func (s *CommandService) RecoverWrittenOff(ctx context.Context, req *ledgerv1.RecoverWrittenOffRequest) (*ledgerv1.RecoverWrittenOffResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.RecoverWrittenOffResponse{Result: r}, nil
}

// RecordAgencyCollection implements the RPC.
func (s *CommandService) RecordAgencyCollection(ctx context.Context, req *ledgerv1.RecordAgencyCollectionRequest) (*ledgerv1.RecordAgencyCollectionResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.RecordAgencyCollectionResponse{Result: r}, nil
}

// ReverseEntry implements the RPC.
func (s *CommandService) ReverseEntry(ctx context.Context, req *ledgerv1.ReverseEntryRequest) (*ledgerv1.ReverseEntryResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ReverseEntryResponse{Result: r}, nil
}

// PayOutCreditBalance implements the RPC.
func (s *CommandService) PayOutCreditBalance(ctx context.Context, req *ledgerv1.PayOutCreditBalanceRequest) (*ledgerv1.PayOutCreditBalanceResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.PayOutCreditBalanceResponse{Result: r}, nil
}

// ClosePeriod implements the RPC.
func (s *CommandService) ClosePeriod(ctx context.Context, req *ledgerv1.ClosePeriodRequest) (*ledgerv1.ClosePeriodResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ClosePeriodResponse{Result: r}, nil
}

// ReopenPeriod implements the RPC.
func (s *CommandService) ReopenPeriod(ctx context.Context, req *ledgerv1.ReopenPeriodRequest) (*ledgerv1.ReopenPeriodResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.ReopenPeriodResponse{Result: r}, nil
}

// MergeDebtor implements the RPC.
func (s *CommandService) MergeDebtor(ctx context.Context, req *ledgerv1.MergeDebtorRequest) (*ledgerv1.MergeDebtorResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.MergeDebtorResponse{Result: r}, nil
}

// RecordBankTransaction implements the RPC.
func (s *CommandService) RecordBankTransaction(ctx context.Context, req *ledgerv1.RecordBankTransactionRequest) (*ledgerv1.RecordBankTransactionResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.RecordBankTransactionResponse{Result: r}, nil
}

// RecordStatementBalance implements the RPC.
func (s *CommandService) RecordStatementBalance(ctx context.Context, req *ledgerv1.RecordStatementBalanceRequest) (*ledgerv1.RecordStatementBalanceResponse, error) {
	r, err := s.execute(ctx, req.GetCommand())
	if err != nil {
		return nil, err
	}
	return &ledgerv1.RecordStatementBalanceResponse{Result: r}, nil
}
