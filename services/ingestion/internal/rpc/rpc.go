// Package rpc is ingestion's gRPC API: the RejectionService through which
// operators list, inspect, replay and resolve rejected shop messages.
package rpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// Rejections is the storage the service reads and closes rejections in. It
// returns postgres.ErrNotFound and postgres.ErrNotOpen.
type Rejections interface {
	ListRejections(ctx context.Context, tenant, state string, limit int) ([]postgres.Rejection, error)
	GetRejection(ctx context.Context, id uuid.UUID) (postgres.Rejection, error)
	Close(ctx context.Context, id uuid.UUID, state, actor, note string) (postgres.Rejection, error)
	UpdateReason(ctx context.Context, id uuid.UUID, code, reason string) error
}

// Replayer runs a stored message through ingestion again.
type Replayer interface {
	Process(ctx context.Context, m consumer.Message) (consumer.Result, error)
}

// RejectionService implements ingestionv1.RejectionServiceServer.
type RejectionService struct {
	ingestionv1.UnimplementedRejectionServiceServer
	Store    Rejections
	Replayer Replayer
}

var stateNames = map[ingestionv1.RejectionState]string{
	ingestionv1.RejectionState_REJECTION_STATE_OPEN:     "open",
	ingestionv1.RejectionState_REJECTION_STATE_REPLAYED: "replayed",
	ingestionv1.RejectionState_REJECTION_STATE_RESOLVED: "resolved",
}

// ListRejections implements the RPC.
func (s *RejectionService) ListRejections(ctx context.Context, req *ingestionv1.ListRejectionsRequest) (*ingestionv1.ListRejectionsResponse, error) {
	limit := int(req.GetLimit())
	if limit < 0 || limit > 10000 {
		return nil, status.Errorf(codes.InvalidArgument, "limit %d out of range 0..10000", limit)
	}
	if limit == 0 {
		limit = 100
	}
	rs, err := s.Store.ListRejections(ctx, req.GetTenant(), stateNames[req.GetState()], limit)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &ingestionv1.ListRejectionsResponse{}
	for _, r := range rs {
		pb := toProto(r)
		pb.Payload = nil
		out.Rejections = append(out.Rejections, pb)
	}
	return out, nil
}

// GetRejection implements the RPC.
func (s *RejectionService) GetRejection(ctx context.Context, req *ingestionv1.GetRejectionRequest) (*ingestionv1.GetRejectionResponse, error) {
	id, err := parseID(req.GetId())
	if err != nil {
		return nil, err
	}
	r, err := s.Store.GetRejection(ctx, id)
	if err != nil {
		return nil, toStatus(err)
	}
	return &ingestionv1.GetRejectionResponse{Rejection: toProto(r)}, nil
}

// ReplayRejection implements the RPC.
func (s *RejectionService) ReplayRejection(ctx context.Context, req *ingestionv1.ReplayRejectionRequest) (*ingestionv1.ReplayRejectionResponse, error) {
	id, err := parseID(req.GetId())
	if err != nil {
		return nil, err
	}
	r, err := s.Store.GetRejection(ctx, id)
	if err != nil {
		return nil, toStatus(err)
	}
	if r.State != "open" {
		return nil, status.Errorf(codes.FailedPrecondition, "rejection %s is %s, not open", id, r.State)
	}
	res, err := s.Replayer.Process(ctx, consumer.Message{
		Subject: r.Subject, ContentType: r.ContentType, MsgID: r.MsgID, Headers: r.Headers, Data: r.Payload,
	})
	if err != nil {
		return nil, toStatus(err)
	}
	if res.Outcome == consumer.Rejected {
		// Process recorded (or found) an open rejection for the same
		// message; keep this one open with the current reason.
		if err := s.Store.UpdateReason(ctx, id, res.ReasonCode, res.Reason); err != nil {
			return nil, toStatus(err)
		}
		if res.RejectionID != id {
			if _, err := s.Store.Close(ctx, res.RejectionID, "resolved", req.GetActor(), "duplicate of rejection "+id.String()+" (replay)"); err != nil && !errors.Is(err, postgres.ErrNotOpen) {
				return nil, toStatus(err)
			}
		}
		r, err = s.Store.GetRejection(ctx, id)
		if err != nil {
			return nil, toStatus(err)
		}
		return &ingestionv1.ReplayRejectionResponse{Rejection: toProto(r)}, nil
	}
	actor := req.GetActor()
	if actor == "" {
		actor = "operator"
	}
	r, err = s.Store.Close(ctx, id, "replayed", actor, "replayed")
	if err != nil {
		return nil, toStatus(err)
	}
	return &ingestionv1.ReplayRejectionResponse{Rejection: toProto(r)}, nil
}

// ResolveRejection implements the RPC.
func (s *RejectionService) ResolveRejection(ctx context.Context, req *ingestionv1.ResolveRejectionRequest) (*ingestionv1.ResolveRejectionResponse, error) {
	id, err := parseID(req.GetId())
	if err != nil {
		return nil, err
	}
	if req.GetActor() == "" || req.GetNote() == "" {
		return nil, status.Error(codes.InvalidArgument, "resolving a rejection needs an actor and a note saying why")
	}
	r, err := s.Store.Close(ctx, id, "resolved", req.GetActor(), req.GetNote())
	if err != nil {
		return nil, toStatus(err)
	}
	return &ingestionv1.ResolveRejectionResponse{Rejection: toProto(r)}, nil
}

func parseID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, status.Errorf(codes.InvalidArgument, "rejection id %q is not a UUID", s)
	}
	return id, nil
}

// toStatus is the one table from domain and storage errors to gRPC codes.
func toStatus(err error) error {
	switch {
	case errors.Is(err, postgres.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, postgres.ErrNotOpen):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Unavailable, fmt.Sprintf("ingestion storage: %v", err))
}

func toProto(r postgres.Rejection) *ingestionv1.Rejection {
	pb := &ingestionv1.Rejection{
		Id: r.ID.String(), Tenant: r.Tenant, Subject: r.Subject, ContentType: r.ContentType,
		Reason: r.Reason, ReasonCode: r.ReasonCode, RejectedAt: timestamppb.New(r.RejectedAt),
		ClosedBy: r.ClosedBy, Note: r.Note, Payload: r.Payload, InvoiceNumber: r.InvoiceNumber,
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
