// Package rpc is dunning's gRPC API (o2c.dunning.v1.DunningService) and
// its client of ingestion (the debtor's name for a notice, Ingestion).
// Every RPC first checks its tenant against the tenants file (a tenant not
// listed is NOT_FOUND) and its arguments, maps protobuf to the run's
// domain and back, and returns domain and storage errors as they are: the
// server's error interceptor turns them into status codes through
// dunning's one fault chain.
//
// Who may call each RPC is Policy, enforced by the host's auth.Guard; the
// actor a block records is the authenticated caller's
// (identity.FromContext), never a request field.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/storable"
	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
	"github.com/o2c-platform/o2c/services/dunning/internal/run"
)

// ErrInvalidArgument means a request is malformed: a required field is
// missing or a value is out of range; the message names the field.
var ErrInvalidArgument = errors.New("invalid argument")

// Errors classifies the package's own sentinel errors.
var Errors = fault.Table{
	{Err: ErrInvalidArgument, Class: fault.Invalid},
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidArgument, field, fmt.Sprintf(format, args...))
}

// storableArgs refuses, as ErrInvalidArgument naming the field, a request
// holding text that cannot be stored or sent on (a NUL, invalid UTF-8,
// more than storable.MaxStringBytes bytes) or an enum value the schema
// lacks: a block's reason becomes part of an event, and an event the
// relay cannot publish (NATS refuses messages above its payload limit)
// stops the service.
func storableArgs(m proto.Message) error {
	err := storable.Check(m)
	var fe *storable.FieldError
	if errors.As(err, &fe) {
		return invalid(fe.Path, "%s", fe.Problem)
	}
	if err != nil {
		return invalid("request", "%v", err)
	}
	return nil
}

// Tenants says which tenants exist: those of the tenants file. Check
// returns nil for a configured tenant and an error wrapping
// tenants.ErrUnknownTenant or tenants.ErrInvalidTenantID otherwise.
type Tenants interface {
	Check(tenant string) error
}

// DunningService implements dunningv1grpc.DunningServiceServer over the
// run.
type DunningService struct {
	dunningv1grpc.UnimplementedDunningServiceServer
	Runner  *run.Runner
	Tenants Tenants
}

// caller checks the tenant and returns the authenticated actor.
func (s *DunningService) caller(ctx context.Context, tenant string) (string, error) {
	if err := s.Tenants.Check(tenant); err != nil {
		return "", err
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return "", err
	}
	if err := p.CheckTenant(tenant); err != nil {
		return "", err
	}
	return p.Actor, nil
}

// Run implements the RPC: it streams the run's progress after every batch
// of debtors and a last message with done set.
func (s *DunningService) Run(req *dunningv1.RunRequest, stream dunningv1grpc.DunningService_RunServer) error {
	ctx := stream.Context()
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return err
	}
	var date dunning.Date
	if req.GetDate() != nil {
		d, err := run.CheckDate("date", req.GetDate())
		if err != nil {
			return err
		}
		date = d
	}
	send := func(p run.Progress, done bool) error {
		return stream.Send(&dunningv1.RunResponse{DebtorsTotal: int32(p.Total), DebtorsDone: int32(p.Done), Notices: int32(p.Notices),
			Charges: int32(p.Charges), Releases: int32(p.Releases), AlreadyDecided: int32(p.Already), Done: done, Decisions: p.Decisions})
	}
	p, err := s.Runner.Run(ctx, req.GetTenant(), date, req.GetDryRun(), func(p run.Progress) error { return send(p, false) })
	if err != nil {
		return err
	}
	return send(p, true)
}

// Status implements the RPC.
func (s *DunningService) Status(ctx context.Context, req *dunningv1.StatusRequest) (*dunningv1.StatusResponse, error) {
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetDebtorId()) == "" {
		return nil, invalid("debtor_id", "missing")
	}
	var asOf dunning.Date
	if req.GetAsOf() != nil {
		d, err := run.CheckDate("as_of", req.GetAsOf())
		if err != nil {
			return nil, err
		}
		asOf = d
	}
	return s.Runner.Status(ctx, req.GetTenant(), req.GetDebtorId(), asOf)
}

// SetBlock implements the RPC.
func (s *DunningService) SetBlock(ctx context.Context, req *dunningv1.SetBlockRequest) (*dunningv1.SetBlockResponse, error) {
	actor, err := s.caller(ctx, req.GetTenant())
	if err != nil {
		return nil, err
	}
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetDebtorId()) == "" {
		return nil, invalid("debtor_id", "missing")
	}
	b := dunning.Block{Debtor: req.GetDebtorId(), Item: req.GetOpenItemId(), Reason: req.GetReason(), Source: req.GetSource()}
	if req.GetExpires() != nil {
		if b.Expires, err = run.CheckDate("expires", req.GetExpires()); err != nil {
			return nil, err
		}
	}
	pb, err := s.Runner.SetBlock(ctx, req.GetTenant(), actor, b)
	if err != nil {
		return nil, err
	}
	return &dunningv1.SetBlockResponse{Block: pb}, nil
}

// LiftBlock implements the RPC.
func (s *DunningService) LiftBlock(ctx context.Context, req *dunningv1.LiftBlockRequest) (*dunningv1.LiftBlockResponse, error) {
	actor, err := s.caller(ctx, req.GetTenant())
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetBlockId()) == "" {
		return nil, invalid("block_id", "missing")
	}
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	b, err := s.Runner.LiftBlock(ctx, req.GetTenant(), req.GetDebtorId(), req.GetBlockId(), actor)
	if err != nil {
		return nil, err
	}
	return &dunningv1.LiftBlockResponse{Block: b}, nil
}

// ListBlocks implements the RPC.
func (s *DunningService) ListBlocks(ctx context.Context, req *dunningv1.ListBlocksRequest) (*dunningv1.ListBlocksResponse, error) {
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	bs, err := s.Runner.Store.Blocks(ctx, req.GetTenant(), req.GetDebtorId(), req.GetIncludeLifted())
	if err != nil {
		return nil, err
	}
	return &dunningv1.ListBlocksResponse{Blocks: bs}, nil
}

// ListNotices implements the RPC.
func (s *DunningService) ListNotices(ctx context.Context, req *dunningv1.ListNoticesRequest) (*dunningv1.ListNoticesResponse, error) {
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size < 0 || size > 1000 {
		return nil, invalid("page_size", "%d is not between 0 and 1000", size)
	}
	if size == 0 {
		size = 100
	}
	ns, err := s.Runner.Store.Notices(ctx, req.GetTenant(), req.GetDebtorId(), size)
	if err != nil {
		return nil, err
	}
	out := &dunningv1.ListNoticesResponse{}
	for _, n := range ns {
		out.Notices = append(out.Notices, &dunningv1.NoticeSummary{NoticeId: n.GetNotice().GetNoticeId(), DebtorId: n.GetDebtorId(),
			Date: n.GetDate(), Level: n.GetNotice().GetLevel(), Total: n.GetNotice().GetTotal(), Items: int32(len(n.GetNotice().GetItems()))})
	}
	return out, nil
}

// GetNotice implements the RPC.
func (s *DunningService) GetNotice(ctx context.Context, req *dunningv1.GetNoticeRequest) (*dunningv1.GetNoticeResponse, error) {
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetNoticeId()) == "" {
		return nil, invalid("notice_id", "missing")
	}
	return s.Runner.GetNotice(ctx, req.GetTenant(), req.GetNoticeId())
}

// Simulate implements the RPC.
func (s *DunningService) Simulate(ctx context.Context, req *dunningv1.SimulateRequest) (*dunningv1.SimulateResponse, error) {
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	if len(req.GetProcedureJson()) == 0 {
		return nil, invalid("procedure_json", "missing")
	}
	from, err := run.CheckDate("from", req.GetFrom())
	if err != nil {
		return nil, err
	}
	to, err := run.CheckDate("to", req.GetTo())
	if err != nil {
		return nil, err
	}
	return s.Runner.Simulate(ctx, req.GetTenant(), req.GetProcedureJson(), from, to)
}

// ListProcedures implements the RPC.
func (s *DunningService) ListProcedures(ctx context.Context, req *dunningv1.ListProceduresRequest) (*dunningv1.ListProceduresResponse, error) {
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	return s.Runner.Procedures(req.GetTenant())
}
