package rejection

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/identity"
)

// Errors classifies the store's errors for the service's fault chain.
var Errors = fault.Table{
	{Err: ErrNotFound, Class: fault.NotFound},
	{Err: ErrNotOpen, Class: fault.Precondition},
}

// Replayers maps a consumer's durable name to the handler that processes
// its messages; a replay runs the stored message through it again.
type Replayers map[string]bus.Handler

// Service implements rejectionv1grpc.RejectionServiceServer over one service's
// store. Its errors are domain and storage errors; the server's error
// interceptor (serve.ErrorInterceptor with Errors in the chain) maps them.
//
// It serves only behind auth.Guard with Policy: every RPC takes the caller
// from its context (identity.FromContext) and refuses without one. The
// guard checks the tenant ListRejections names; the RPCs that name a
// rejection by id check the tenant of the rejection they load, so a caller
// sees, replays and resolves only its own tenants' rejections (a platform
// admin every one, including those no tenant could be read from). The
// actor recorded when a rejection is replayed or resolved is the caller's;
// the requests' actor fields are ignored.
type Service struct {
	rejectionv1grpc.UnimplementedRejectionServiceServer
	Store    *Store
	Replay   Replayers
	Classify fault.Classifier
}

var stateNames = map[rejectionv1.RejectionState]string{
	rejectionv1.RejectionState_REJECTION_STATE_OPEN:     Open,
	rejectionv1.RejectionState_REJECTION_STATE_REPLAYED: Replayed,
	rejectionv1.RejectionState_REJECTION_STATE_RESOLVED: Resolved,
}

// ListRejections implements the RPC.
func (s *Service) ListRejections(ctx context.Context, req *rejectionv1.ListRejectionsRequest) (*rejectionv1.ListRejectionsResponse, error) {
	limit := int(req.GetLimit())
	if limit < 0 || limit > 10000 {
		return nil, status.Errorf(codes.InvalidArgument, "limit %d out of range 0..10000", limit)
	}
	if limit == 0 {
		limit = 100
	}
	st, ok := stateNames[req.GetState()]
	if !ok && req.GetState() != rejectionv1.RejectionState_REJECTION_STATE_UNSPECIFIED {
		return nil, status.Errorf(codes.InvalidArgument, "state %d is not a rejection state", req.GetState())
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.CheckTenant(req.GetTenant()); err != nil {
		return nil, err
	}
	rs, err := s.Store.List(ctx, req.GetTenant(), st, limit)
	if err != nil {
		return nil, err
	}
	out := &rejectionv1.ListRejectionsResponse{}
	for _, r := range rs {
		pb := ToProto(r)
		pb.Payload = nil
		out.Rejections = append(out.Rejections, pb)
	}
	return out, nil
}

// GetRejection implements the RPC.
func (s *Service) GetRejection(ctx context.Context, req *rejectionv1.GetRejectionRequest) (*rejectionv1.GetRejectionResponse, error) {
	id, err := parseID(req.GetId())
	if err != nil {
		return nil, err
	}
	r, _, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return &rejectionv1.GetRejectionResponse{Rejection: ToProto(r)}, nil
}

// load returns rejection id and the caller, when the caller may act for
// the rejection's tenant; else an error wrapping identity.ErrForeignTenant
// (or identity.ErrNoPrincipal) that does not name the tenant.
func (s *Service) load(ctx context.Context, id uuid.UUID) (Rejection, identity.Principal, error) {
	p, err := identity.Require(ctx)
	if err != nil {
		return Rejection{}, p, err
	}
	r, err := s.Store.Get(ctx, id)
	if err != nil {
		return Rejection{}, p, err
	}
	if !p.MayActFor(r.Tenant) {
		return Rejection{}, p, fmt.Errorf("%w: rejection %s is not one of %s's tenants'", identity.ErrForeignTenant, id, p.Actor)
	}
	return r, p, nil
}

// ReplayRejection implements the RPC: the stored message goes through the
// handler of the consumer that rejected it. Success closes the rejection as
// replayed; a permanent failure keeps it open with the new reason; a
// transient one is returned (UNAVAILABLE) and changes nothing.
func (s *Service) ReplayRejection(ctx context.Context, req *rejectionv1.ReplayRejectionRequest) (*rejectionv1.ReplayRejectionResponse, error) {
	id, err := parseID(req.GetId())
	if err != nil {
		return nil, err
	}
	r, p, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != Open {
		return nil, status.Errorf(codes.FailedPrecondition, "rejection %s is %s, not open", id, r.State)
	}
	h, ok := s.Replay[r.Consumer]
	if !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "rejection %s came from consumer %q, which this service no longer runs; resolve it instead", id, r.Consumer)
	}
	herr := h(ctx, r.Msg())
	if herr != nil {
		class := s.Classify(herr)
		if !class.Permanent() {
			return nil, herr
		}
		code := fault.DetailOf(herr).Code
		if code == "" {
			code = class.String()
		}
		if err := s.Store.Reopen(ctx, id, code, herr.Error()); err != nil {
			return nil, err
		}
		if r, err = s.Store.Get(ctx, id); err != nil {
			return nil, err
		}
		return &rejectionv1.ReplayRejectionResponse{Rejection: ToProto(r)}, nil
	}
	r, err = s.Store.Close(ctx, id, Replayed, p.RecordedActor(), "replayed")
	if err != nil {
		return nil, err
	}
	return &rejectionv1.ReplayRejectionResponse{Rejection: ToProto(r)}, nil
}

// ResolveRejection implements the RPC: the caller closes the rejection
// with a note saying why.
func (s *Service) ResolveRejection(ctx context.Context, req *rejectionv1.ResolveRejectionRequest) (*rejectionv1.ResolveRejectionResponse, error) {
	id, err := parseID(req.GetId())
	if err != nil {
		return nil, err
	}
	if req.GetNote() == "" {
		return nil, status.Error(codes.InvalidArgument, "resolving a rejection needs a note saying why")
	}
	_, p, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	r, err := s.Store.Close(ctx, id, Resolved, p.RecordedActor(), req.GetNote())
	if err != nil {
		return nil, err
	}
	return &rejectionv1.ResolveRejectionResponse{Rejection: ToProto(r)}, nil
}

func parseID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, status.Errorf(codes.InvalidArgument, "rejection id %q is not a UUID", s)
	}
	return id, nil
}

// ToProto maps a stored rejection to its message.
func ToProto(r Rejection) *rejectionv1.Rejection {
	pb := &rejectionv1.Rejection{
		Id: r.ID.String(), Service: r.Service, Consumer: r.Consumer, Tenant: r.Tenant, Subject: r.Subject,
		ContentType: r.ContentType, Reason: r.Reason, ReasonCode: r.ReasonCode, RejectedAt: timestamppb.New(r.RejectedAt),
		ClosedBy: r.ClosedBy, Note: r.Note, Payload: r.Payload, Document: r.Document,
		Deliveries: int32(min(r.Deliveries, 1<<31-1)), DeliveryErrors: r.DeliveryErrors,
	}
	if len(r.Headers) > 0 {
		pb.Headers = map[string]string{}
		for k, v := range r.Headers {
			if len(v) > 0 {
				pb.Headers[k] = v[0]
			}
		}
	}
	for st, name := range stateNames {
		if name == r.State {
			pb.State = st
		}
	}
	if r.ClosedAt != nil {
		pb.ClosedAt = timestamppb.New(*r.ClosedAt)
	}
	return pb
}
