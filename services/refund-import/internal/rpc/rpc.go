// Package rpc is refund import's gRPC surface: RefundService (run an
// import now, list what was imported and the settlement reports fetched,
// book or dismiss a held refund on review)
// and its client of ingestion (settlement reports handed over). Handlers
// check the tenant and the arguments and return domain errors as they
// are: the host's interceptor maps them through the service's fault
// chain. Who may call each RPC is Policy.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"
	"github.com/o2c-platform/o2c/proto/o2c/refund/v1/refundv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/storable"
	"github.com/o2c-platform/o2c/services/refund-import/internal/job"
	"github.com/o2c-platform/o2c/services/refund-import/internal/postgres"
	"github.com/o2c-platform/o2c/services/refund-import/internal/refund"
)

// ErrInvalidArgument means a request's field is malformed; the message
// names it.
var ErrInvalidArgument = errors.New("invalid argument")

// Errors classifies the package's sentinels.
var Errors = fault.Table{
	{Err: ErrInvalidArgument, Class: fault.Invalid},
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidArgument, field, fmt.Sprintf(format, args...))
}

// storableArgs refuses, as ErrInvalidArgument naming the field, a request
// holding text that cannot be stored or sent on (a NUL, invalid UTF-8,
// more than storable.MaxStringBytes bytes) or an enum value the schema
// lacks: a review's reason becomes part of an event, and an event the
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

// Tenants says which tenants exist (tenants.File): Check returns nil for
// a configured tenant and an error wrapping tenants.ErrUnknownTenant or
// tenants.ErrInvalidTenantID otherwise.
type Tenants interface {
	Check(tenant string) error
}

// RefundService implements refundv1grpc.RefundServiceServer.
type RefundService struct {
	refundv1grpc.UnimplementedRefundServiceServer
	Tenants  Tenants
	Importer *job.Importer
	Store    *postgres.Store
}

func checkPage(size int32) error {
	if size < 0 || size > postgres.MaxPageSize {
		return invalid("page_size", "%d is not between 0 and %d", size, postgres.MaxPageSize)
	}
	return nil
}

// RunImport implements the RPC: it runs the import and streams the
// progress per seller account.
func (s *RefundService) RunImport(req *refundv1.RunImportRequest, stream refundv1grpc.RefundService_RunImportServer) error {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return err
	}
	var since time.Time
	if req.GetSince() != nil {
		if err := req.GetSince().CheckValid(); err != nil {
			return invalid("since", "%v", err)
		}
		since = req.GetSince().AsTime()
		if since.After(time.Now()) {
			return fmt.Errorf("%w: since %s", refund.ErrInvalidSince, since.Format(time.RFC3339))
		}
	}
	if _, err := s.Importer.Accounts(req.GetTenant(), req.GetSellerAccount()); err != nil {
		return err
	}
	var sendErr error
	last := time.Time{}
	err := s.Importer.RunTenant(stream.Context(), req.GetTenant(), req.GetSellerAccount(), since, func(c job.Counts) {
		if sendErr != nil {
			return
		}
		// Progress at most every 100 ms, and always the last of an account.
		if !c.Done && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		sendErr = stream.Send(c.Proto())
	})
	if sendErr != nil {
		return sendErr
	}
	if err != nil && errors.Is(err, context.Canceled) {
		return err
	}
	// A failed seller account was reported in its last message.
	return nil
}

// ListRefunds implements the RPC.
func (s *RefundService) ListRefunds(ctx context.Context, req *refundv1.ListRefundsRequest) (*refundv1.ListRefundsResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	if err := checkPage(req.GetPageSize()); err != nil {
		return nil, err
	}
	rs, next, err := s.Store.Refunds(ctx, req.GetTenant(), req.GetOrderId(), req.GetToReview(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &refundv1.ListRefundsResponse{Refunds: rs, NextPageToken: next}, nil
}

// ReviewRefund implements the RPC: the caller (identity.FromContext) is
// the reviewer recorded with the decision.
func (s *RefundService) ReviewRefund(ctx context.Context, req *refundv1.ReviewRefundRequest) (*refundv1.ReviewRefundResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	var a refund.Action
	switch req.GetAction() {
	case refundv1.ReviewAction_REVIEW_ACTION_BOOK:
		a = refund.Book
	case refundv1.ReviewAction_REVIEW_ACTION_DISMISS:
		a = refund.Dismiss
	case refundv1.ReviewAction_REVIEW_ACTION_KEEP:
		a = refund.Keep
	default:
		return nil, invalid("action", "%s is not BOOK, DISMISS or KEEP", req.GetAction())
	}
	if req.GetAdjustmentId() == "" {
		return nil, invalid("adjustment_id", "required")
	}
	if strings.TrimSpace(req.GetReason()) == "" {
		return nil, invalid("reason", "required: say why the refund is booked, dismissed or kept")
	}
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return nil, err
	}
	ds, err := s.Store.RefundsOf(ctx, req.GetTenant(), req.GetAdjustmentId(), req.GetOrderId(), req.GetSku())
	if err != nil {
		return nil, err
	}
	d, err := refund.Pick(req.GetAdjustmentId(), ds)
	if err != nil {
		return nil, err
	}
	dec, err := s.Importer.Review(ctx, req.GetTenant(), d.Refund, a, p.Actor, strings.TrimSpace(req.GetReason()))
	if err != nil {
		return nil, err
	}
	m := dec.Proto(time.Time{})
	m.EntryId = ""
	return &refundv1.ReviewRefundResponse{Refund: m}, nil
}

// ListSettlementFetches implements the RPC.
func (s *RefundService) ListSettlementFetches(ctx context.Context, req *refundv1.ListSettlementFetchesRequest) (*refundv1.ListSettlementFetchesResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	if err := checkPage(req.GetPageSize()); err != nil {
		return nil, err
	}
	fs, next, err := s.Store.Fetches(ctx, req.GetTenant(), req.GetSellerAccount(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &refundv1.ListSettlementFetchesResponse{Fetches: fs, NextPageToken: next}, nil
}
