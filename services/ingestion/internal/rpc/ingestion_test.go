package rpc

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
)

// processor answers by order id: "new" accepted, "again" duplicate, "bad"
// invalid, "down" a storage failure.
type processor struct{ handled []string }

var (
	errDown = errors.New("database down")
	id      = uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
)

func (p *processor) CheckTenant(tenant string) error { return nil }

func (p *processor) Handle(_ context.Context, _ string, msg proto.Message) (consumer.Result, error) {
	o := msg.(*shopv1.OrderPlaced).GetOrderId()
	p.handled = append(p.handled, o)
	switch o {
	case "new":
		return consumer.Result{Outcome: consumer.Accepted, EventID: id}, nil
	case "again":
		return consumer.Result{Outcome: consumer.Duplicate, EventID: id}, nil
	case "bad":
		return consumer.Result{}, fault.WithDetail(&invoice.ValidationError{Document: "order", Problems: []string{"payment_method: required"}},
			fault.Detail{Code: "invalid"})
	}
	return consumer.Result{}, errDown
}

func orderEvent(id string) *ingestionv1.ShopEvent {
	return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_OrderPlaced{OrderPlaced: &shopv1.OrderPlaced{OrderId: id}}}
}

func newService(p *processor) *IngestionService {
	return &IngestionService{Processor: p, Classify: fault.Chain(invoice.Errors.Classify)}
}

// TestSubmitShopEventsAnswersEachEvent: every event gets its answer in
// order, an event with nothing set is rejected as invalid, and the
// processor's reason code and reason are passed on.
func TestSubmitShopEventsAnswersEachEvent(t *testing.T) {
	t.Parallel()
	p := &processor{}
	resp, err := newService(p).SubmitShopEvents(context.Background(), &ingestionv1.SubmitShopEventsRequest{Tenant: "acme",
		Events: []*ingestionv1.ShopEvent{orderEvent("new"), {}, orderEvent("bad"), orderEvent("again")}})
	if err != nil {
		t.Fatal(err)
	}
	want := &ingestionv1.SubmitShopEventsResponse{Results: []*ingestionv1.SubmitResult{
		{Index: 0, Outcome: ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_ACCEPTED, EventId: id.String()},
		{Index: 1, Outcome: ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_REJECTED, ReasonCode: "invalid", Reason: "event: no event set"},
		{Index: 2, Outcome: ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_REJECTED, ReasonCode: "invalid", Reason: "invalid order: payment_method: required"},
		{Index: 3, Outcome: ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_DUPLICATE, EventId: id.String()},
	}}
	if diff := cmp.Diff(want, resp, protocmp.Transform()); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

// TestSubmitShopEventsFailsAsAWhole: an empty or oversized batch is
// refused, and a storage failure ends the call at the failing event, so
// that the caller submits again.
func TestSubmitShopEventsFailsAsAWhole(t *testing.T) {
	t.Parallel()
	big := make([]*ingestionv1.ShopEvent, MaxBatch+1)
	for i := range big {
		big[i] = orderEvent("new")
	}
	for _, tt := range []struct {
		name    string
		events  []*ingestionv1.ShopEvent
		code    codes.Code
		wantErr error
		handled []string
	}{
		{"empty", nil, codes.InvalidArgument, nil, nil},
		{"oversized", big, codes.InvalidArgument, nil, nil},
		{"storage down", []*ingestionv1.ShopEvent{orderEvent("new"), orderEvent("down"), orderEvent("new")}, codes.Unknown, errDown, []string{"new", "down"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &processor{}
			_, err := newService(p).SubmitShopEvents(context.Background(), &ingestionv1.SubmitShopEventsRequest{Tenant: "acme", Events: tt.events})
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) || tt.wantErr == nil && status.Code(err) != tt.code {
				t.Errorf("error %v, want %v / %v", err, tt.code, tt.wantErr)
			}
			if diff := cmp.Diff(tt.handled, p.handled); diff != "" {
				t.Errorf("events handled (-want +got):\n%s", diff)
			}
		})
	}
}
