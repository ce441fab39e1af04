// Package rpc is matching's gRPC API, the exception queue
// (o2c.matching.v1.MatchingService) and SEPA direct debits and payouts
// (o2c.matching.v1.SepaService, sepa.go), and its client of ingestion
// (payers and debtors' master data, Ingestion). Every RPC first checks its tenant
// against the tenants file (a tenant not listed is NOT_FOUND) and its
// arguments, maps protobuf to the queue's domain and back, and returns
// domain and storage errors as they are: the server's error interceptor
// turns them into status codes through matching's one fault chain.
//
// Who may call each RPC is Policy, enforced by the host's auth.Guard; the
// actor every decision records is the authenticated caller's
// (identity.FromContext), never a request field.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/storable"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
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
// lacks: a note becomes part of an event, and an event the relay cannot
// publish (NATS refuses messages above its payload limit) stops the
// service; a NUL fails PostgreSQL's text.
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

// Lister lists the exception queue (postgres.Store.List); its errors wrap
// postgres.ErrBadPageToken or are storage failures.
type Lister interface {
	List(ctx context.Context, tenant string, f postgres.Filter) ([]*matchingv1.Exception, string, error)
}

// Documents fills in the document numbers of exceptions' allocations from
// the read model (postgres.Store.FillDocumentNumbers); its errors are
// storage failures.
type Documents interface {
	FillDocumentNumbers(ctx context.Context, tenant string, exs ...*matchingv1.Exception) error
}

// MatchingService implements matchingv1grpc.MatchingServiceServer over
// the queue's Desk (decisions, read from the payments' streams) and the
// queue's read model (listing).
type MatchingService struct {
	matchingv1grpc.UnimplementedMatchingServiceServer
	Desk    *queue.Desk
	Queue   Lister
	Tenants Tenants
	// Documents, when set, adds the items' document numbers to the
	// allocations served.
	Documents Documents
	// Now is the clock the age filters count from; nil means time.Now.
	Now func() time.Time
}

func (s *MatchingService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// paymentRequest is a write on one payment.
type paymentRequest interface {
	proto.Message
	GetTenant() string
	GetPaymentId() string
}

// caller checks the request's tenant, payment id and text and returns the
// authenticated actor.
func (s *MatchingService) caller(ctx context.Context, req paymentRequest) (string, error) {
	tenant, paymentID := req.GetTenant(), req.GetPaymentId()
	if err := s.Tenants.Check(tenant); err != nil {
		return "", err
	}
	if err := storableArgs(req); err != nil {
		return "", err
	}
	if strings.TrimSpace(paymentID) == "" {
		return "", invalid("payment_id", "missing")
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

// ListExceptions implements the RPC. It reads the queue's projection,
// which can be briefly stale: a payment just split, matched or parked may
// still be listed as it was until the projection has caught up
// (GetException reads the payment's stream and is current).
func (s *MatchingService) ListExceptions(ctx context.Context, req *matchingv1.ListExceptionsRequest) (*matchingv1.ListExceptionsResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	f := postgres.Filter{Debtor: req.GetDebtorId(), PageToken: req.GetPageToken(), Limit: int(req.GetPageSize())}
	if f.Limit < 0 || f.Limit > 1000 {
		return nil, invalid("page_size", "%d is not between 0 and 1000", f.Limit)
	}
	for i, st := range req.GetStates() {
		d := queue.StateOf(st)
		if d == "" {
			return nil, invalid(fmt.Sprintf("states[%d]", i), "%v is not a state", st)
		}
		f.States = append(f.States, d)
	}
	now := s.now()
	if a := req.GetMinAge(); a != nil {
		if a.AsDuration() < 0 {
			return nil, invalid("min_age", "negative")
		}
		f.ReceivedBefore = now.Add(-a.AsDuration())
	}
	if a := req.GetMaxAge(); a != nil {
		if a.AsDuration() < 0 {
			return nil, invalid("max_age", "negative")
		}
		f.ReceivedAfter = now.Add(-a.AsDuration())
	}
	for _, b := range []struct {
		field string
		m     *commonv1.Money
		to    **int64
	}{{"min_amount", req.GetMinAmount(), &f.MinAmount}, {"max_amount", req.GetMaxAmount(), &f.MaxAmount}} {
		if b.m == nil {
			continue
		}
		if b.m.GetCurrency() == "" || f.Currency != "" && f.Currency != b.m.GetCurrency() {
			return nil, invalid(b.field+".currency", "%q: both amount bounds need the same currency", b.m.GetCurrency())
		}
		if b.m.GetMinorUnits() < 0 {
			return nil, invalid(b.field, "negative: the bounds are of the absolute amount")
		}
		f.Currency = b.m.GetCurrency()
		v := b.m.GetMinorUnits()
		*b.to = &v
	}
	list, next, err := s.Queue.List(ctx, req.GetTenant(), f)
	if err != nil {
		return nil, err
	}
	if err := s.documents(ctx, req.GetTenant(), list...); err != nil {
		return nil, err
	}
	return &matchingv1.ListExceptionsResponse{Exceptions: list, NextPageToken: next}, nil
}

// exception is an entry as the API shows it, with its payer when asked.
func (s *MatchingService) exception(ctx context.Context, e queue.Entry, withPayer bool) (*matchingv1.Exception, error) {
	m := queue.ExceptionMsg(e)
	if withPayer {
		p, err := s.Desk.Payer(ctx, e.Tenant, e.Stored)
		if err != nil {
			return nil, err
		}
		if p != (queue.Payer{}) {
			m.Payer = &matchingv1.Payer{Name: p.Name, Iban: p.IBAN, Erased: p.Erased}
		}
	}
	if err := s.documents(ctx, e.Tenant, m); err != nil {
		return nil, err
	}
	return m, nil
}

// documents fills in the allocations' document numbers when s.Documents
// is set.
func (s *MatchingService) documents(ctx context.Context, tenant string, exs ...*matchingv1.Exception) error {
	if s.Documents == nil || len(exs) == 0 {
		return nil
	}
	return s.Documents.FillDocumentNumbers(ctx, tenant, exs...)
}

// GetException implements the RPC.
func (s *MatchingService) GetException(ctx context.Context, req *matchingv1.GetExceptionRequest) (*matchingv1.GetExceptionResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetPaymentId()) == "" {
		return nil, invalid("payment_id", "missing")
	}
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	e, err := s.Desk.Get(ctx, req.GetTenant(), req.GetPaymentId())
	if err != nil {
		return nil, err
	}
	m, err := s.exception(ctx, e, true)
	if err != nil {
		return nil, err
	}
	return &matchingv1.GetExceptionResponse{Exception: m}, nil
}

// ConfirmProposal implements the RPC.
func (s *MatchingService) ConfirmProposal(ctx context.Context, req *matchingv1.ConfirmProposalRequest) (*matchingv1.ConfirmProposalResponse, error) {
	actor, err := s.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	e, err := s.Desk.Confirm(ctx, req.GetTenant(), req.GetPaymentId(), int(req.GetProposalIndex()), req.GetNote(), req.GetExpectedVersion(), actor)
	if err != nil {
		return nil, err
	}
	m, err := s.exception(ctx, e, false)
	if err != nil {
		return nil, err
	}
	return &matchingv1.ConfirmProposalResponse{Exception: m}, nil
}

// MatchManually implements the RPC.
func (s *MatchingService) MatchManually(ctx context.Context, req *matchingv1.MatchManuallyRequest) (*matchingv1.MatchManuallyResponse, error) {
	actor, err := s.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	var m queue.Manual
	if req.GetReversesPaymentId() == "" {
		if strings.TrimSpace(req.GetDebtorId()) == "" {
			return nil, invalid("debtor_id", "missing")
		}
		m.Debtor = req.GetDebtorId()
		if k := req.GetDifferenceKind(); k != matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED {
			if m.DifferenceKind = queue.DifferenceKindOf(k); m.DifferenceKind == "" {
				return nil, invalid("difference_kind", "%v is not a difference kind", k)
			}
		}
		e, err := s.Desk.Get(ctx, req.GetTenant(), req.GetPaymentId())
		if err != nil {
			return nil, err
		}
		cur := e.Payment.Amount.Currency
		for i, a := range req.GetAllocations() {
			if a.GetOpenItemId() == "" {
				return nil, invalid(fmt.Sprintf("allocations[%d].open_item_id", i), "missing")
			}
			if c := a.GetAmount().GetCurrency(); c != cur {
				return nil, invalid(fmt.Sprintf("allocations[%d].amount.currency", i), "%q, the payment is in %s", c, cur)
			}
			m.Allocations = append(m.Allocations, engine.Allocation{Item: a.GetOpenItemId(), Amount: a.GetAmount().GetMinorUnits()})
		}
	} else if len(req.GetAllocations()) > 0 || req.GetDebtorId() != "" || req.GetDifferenceKind() != matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED {
		return nil, invalid("reverses_payment_id", "a return takes no allocations, debtor or difference kind")
	}
	e, err := s.Desk.MatchManually(ctx, req.GetTenant(), req.GetPaymentId(), m, req.GetReversesPaymentId(), req.GetNote(), req.GetExpectedVersion(), actor)
	if err != nil {
		return nil, err
	}
	out, err := s.exception(ctx, e, false)
	if err != nil {
		return nil, err
	}
	return &matchingv1.MatchManuallyResponse{Exception: out}, nil
}

// Split implements the RPC.
func (s *MatchingService) Split(ctx context.Context, req *matchingv1.SplitRequest) (*matchingv1.SplitResponse, error) {
	actor, err := s.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	e, err := s.Desk.Get(ctx, req.GetTenant(), req.GetPaymentId())
	if err != nil {
		return nil, err
	}
	amounts := make([]int64, len(req.GetAmounts()))
	for i, a := range req.GetAmounts() {
		if c := a.GetCurrency(); c != e.Payment.Amount.Currency {
			return nil, invalid(fmt.Sprintf("amounts[%d].currency", i), "%q, the payment is in %s", c, e.Payment.Amount.Currency)
		}
		amounts[i] = a.GetMinorUnits()
	}
	parent, parts, err := s.Desk.Split(ctx, req.GetTenant(), req.GetPaymentId(), amounts, req.GetNote(), req.GetExpectedVersion(), actor)
	if err != nil {
		return nil, err
	}
	out := &matchingv1.SplitResponse{}
	if out.Exception, err = s.exception(ctx, parent, false); err != nil {
		return nil, err
	}
	for _, p := range parts {
		m, err := s.exception(ctx, p, false)
		if err != nil {
			return nil, err
		}
		out.Parts = append(out.Parts, m)
	}
	return out, nil
}

// Park implements the RPC.
func (s *MatchingService) Park(ctx context.Context, req *matchingv1.ParkRequest) (*matchingv1.ParkResponse, error) {
	actor, err := s.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	e, err := s.Desk.Park(ctx, req.GetTenant(), req.GetPaymentId(), req.GetNote(), req.GetExpectedVersion(), actor)
	if err != nil {
		return nil, err
	}
	m, err := s.exception(ctx, e, false)
	if err != nil {
		return nil, err
	}
	return &matchingv1.ParkResponse{Exception: m}, nil
}

// Unmatch implements the RPC.
func (s *MatchingService) Unmatch(ctx context.Context, req *matchingv1.UnmatchRequest) (*matchingv1.UnmatchResponse, error) {
	actor, err := s.caller(ctx, req)
	if err != nil {
		return nil, err
	}
	e, err := s.Desk.Unmatch(ctx, req.GetTenant(), req.GetPaymentId(), req.GetReason(), req.GetExpectedVersion(), actor)
	if err != nil {
		return nil, err
	}
	m, err := s.exception(ctx, e, false)
	if err != nil {
		return nil, err
	}
	return &matchingv1.UnmatchResponse{Exception: m}, nil
}
