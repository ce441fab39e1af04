package rpc

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
)

// MaxBatch is the most events one SubmitShopEvents call may carry.
const MaxBatch = 500

// Processor is the processing the JetStream consumer runs
// (consumer.Processor): the IngestionService calls the same code.
type Processor interface {
	CheckTenant(tenant string) error
	Handle(ctx context.Context, tenant string, msg proto.Message) (consumer.Result, error)
	Held(ctx context.Context, tenant string) ([]consumer.HeldMessage, error)
}

// IngestionService serves ingestionv1grpc.IngestionService.
type IngestionService struct {
	ingestionv1grpc.UnimplementedIngestionServiceServer
	Processor Processor
	// Classify is the service's fault chain: an item whose error it deems
	// permanent is answered as rejected, any other error fails the call.
	Classify fault.Classifier
}

// SubmitShopEvents handles the events in order, each as the consumer
// handles the message on its subject. A rejected event is answered, not
// recorded as a rejection: the caller has it and the reason at once. A
// storage failure ends the call (UNAVAILABLE through the fault chain);
// what was stored before stays, and submitting the batch again answers it
// as duplicates.
func (s *IngestionService) SubmitShopEvents(ctx context.Context, req *ingestionv1.SubmitShopEventsRequest) (*ingestionv1.SubmitShopEventsResponse, error) {
	n := len(req.GetEvents())
	if n == 0 || n > MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "events: %d given, send 1 to %d", n, MaxBatch)
	}
	tenant := req.GetTenant()
	if err := s.Processor.CheckTenant(tenant); err != nil {
		return nil, err
	}
	resp := &ingestionv1.SubmitShopEventsResponse{Results: make([]*ingestionv1.SubmitResult, 0, n)}
	for i, ev := range req.GetEvents() {
		r := &ingestionv1.SubmitResult{Index: int32(i)}
		resp.Results = append(resp.Results, r)
		msg := message(ev)
		if msg == nil {
			r.Outcome, r.ReasonCode, r.Reason = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_REJECTED, "invalid", "event: no event set"
			continue
		}
		res, err := s.Processor.Handle(ctx, tenant, msg)
		if err != nil {
			if !s.Classify(err).Permanent() {
				return nil, fmt.Errorf("events[%d]: %w", i, err)
			}
			r.Outcome, r.ReasonCode, r.Reason = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_REJECTED, fault.DetailOf(err).Code, err.Error()
			continue
		}
		if res.Outcome == consumer.Held {
			r.Outcome, r.Reason = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_HELD, res.Reason
			continue
		}
		r.EventId = res.EventID.String()
		r.Outcome = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_ACCEPTED
		if res.Outcome == consumer.Duplicate {
			r.Outcome = ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_DUPLICATE
			if res.EventID == uuid.Nil { // an older customer version: nothing was stored
				r.EventId = ""
			}
		}
	}
	return resp, nil
}

// ListPending lists the held messages of the request's tenant (every
// tenant's when empty; the guard lets only a platform admin ask so), the
// longest held first. A tenant the file does not list is NOT_FOUND.
func (s *IngestionService) ListPending(ctx context.Context, req *ingestionv1.ListPendingRequest) (*ingestionv1.ListPendingResponse, error) {
	tenant := req.GetTenant()
	if tenant != "" {
		if err := s.Processor.CheckTenant(tenant); err != nil {
			return nil, err
		}
	}
	held, err := s.Processor.Held(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("list pending: %w", err)
	}
	resp := &ingestionv1.ListPendingResponse{Pending: make([]*ingestionv1.PendingMessage, len(held))}
	for i, h := range held {
		resp.Pending[i] = &ingestionv1.PendingMessage{
			Tenant: h.Tenant, EventType: h.EventType, Document: h.Document,
			WaitsForKind: h.WaitsFor.Kind, WaitsForKey: h.WaitsFor.Key, Reason: h.Reason,
			HeldSince: timestamppb.New(h.HeldAt), ExpiresAt: timestamppb.New(h.Expires),
		}
	}
	return resp, nil
}

// message returns the shop message ev carries, or nil. It reads whichever
// field of the oneof is set, so a shop event added to ShopEvent needs no
// change here.
func message(ev *ingestionv1.ShopEvent) proto.Message {
	m := ev.ProtoReflect()
	f := m.WhichOneof(m.Descriptor().Oneofs().ByName("event"))
	if f == nil || f.Message() == nil {
		return nil
	}
	return m.Get(f).Message().Interface()
}
