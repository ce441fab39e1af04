package rpc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ingestion/internal/consumer"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// processor answers by order id: "new" accepted, "again" duplicate, "bad"
// invalid, "down" a storage failure.
type processor struct {
	handled []string
	// held is what Held answers for every tenant; heldErr fails it.
	held    []consumer.HeldMessage
	heldErr error
	// asked is the tenant Held was last asked for.
	asked string
}

var (
	errDown = errors.New("database down")
	id      = uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
)

func (p *processor) CheckTenant(tenant string) error {
	if tenant == "nosuch" {
		return tenants.ErrUnknownTenant
	}
	return nil
}

func (p *processor) Held(_ context.Context, tenant string) ([]consumer.HeldMessage, error) {
	p.asked = tenant
	var out []consumer.HeldMessage
	for _, h := range p.held {
		if tenant == "" || h.Tenant == tenant {
			out = append(out, h)
		}
	}
	return out, p.heldErr
}

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

// TestListPending maps each held message with what it waits for, since
// when and until when, for the tenant asked (every tenant for none), and
// passes on an unknown tenant and a storage failure.
func TestListPending(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	p := &processor{held: []consumer.HeldMessage{
		{Hold: shop.Hold{Tenant: "acme", EventType: "credit_note.issued", Document: "GS-1",
			WaitsFor: shop.Fact{Kind: shop.AwaitInvoice, Key: "RE-1"}, Reason: "GS-1: invoice RE-1 not known (yet)", HeldAt: since},
			Expires: since.Add(shop.DefaultHoldingPeriod)},
		{Hold: shop.Hold{Tenant: "beta", EventType: "payment.charged_back", Document: "stripe/dp_1",
			WaitsFor: shop.Fact{Kind: shop.AwaitCapture, Key: "stripe/ch_1"}, Reason: "capture not known", HeldAt: since.Add(time.Hour)},
			Expires: since.Add(2 * time.Hour)},
	}}
	s := newService(p)
	acme := &ingestionv1.PendingMessage{Tenant: "acme", EventType: "credit_note.issued", Document: "GS-1",
		WaitsForKind: "invoice", WaitsForKey: "RE-1", Reason: "GS-1: invoice RE-1 not known (yet)",
		HeldSince: timestamppb.New(since), ExpiresAt: timestamppb.New(since.Add(336 * time.Hour))}
	beta := &ingestionv1.PendingMessage{Tenant: "beta", EventType: "payment.charged_back", Document: "stripe/dp_1",
		WaitsForKind: "capture", WaitsForKey: "stripe/ch_1", Reason: "capture not known",
		HeldSince: timestamppb.New(since.Add(time.Hour)), ExpiresAt: timestamppb.New(since.Add(2 * time.Hour))}
	for _, tt := range []struct {
		tenant string
		want   []*ingestionv1.PendingMessage
	}{
		{"acme", []*ingestionv1.PendingMessage{acme}},
		{"", []*ingestionv1.PendingMessage{acme, beta}},
		{"gamma", []*ingestionv1.PendingMessage{}},
	} {
		resp, err := s.ListPending(context.Background(), &ingestionv1.ListPendingRequest{Tenant: tt.tenant})
		if err != nil {
			t.Fatalf("%q: %v", tt.tenant, err)
		}
		if p.asked != tt.tenant {
			t.Errorf("asked the store for %q, want %q", p.asked, tt.tenant)
		}
		if diff := cmp.Diff(&ingestionv1.ListPendingResponse{Pending: tt.want}, resp, protocmp.Transform()); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.tenant, diff)
		}
	}
	if _, err := s.ListPending(context.Background(), &ingestionv1.ListPendingRequest{Tenant: "nosuch"}); !errors.Is(err, tenants.ErrUnknownTenant) {
		t.Errorf("unknown tenant: %v, want tenants.ErrUnknownTenant", err)
	}
	down := newService(&processor{heldErr: errDown})
	if _, err := down.ListPending(context.Background(), &ingestionv1.ListPendingRequest{Tenant: "acme"}); !errors.Is(err, errDown) {
		t.Errorf("storage failure: %v, want it wrapped", err)
	}
}
