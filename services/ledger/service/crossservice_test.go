package service

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	rejectionv1 "github.com/o2c-platform/o2c/proto/o2c/rejection/v1"
	"github.com/o2c-platform/o2c/proto/o2c/rejection/v1/rejectionv1grpc"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// sender is a second service, as matching will be: its own schema and event
// store beside the ledger's, whose relay publishes the ledger commands it
// stores on the subjects its Routes declare.
type sender struct {
	h *host.Host
}

func startSender(t *testing.T, s *svc, name string, routes bus.Routes) *sender {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: s.ownerURL, NATSURL: s.natsURL, GRPCAddr: lis.Addr().String(), ManageStreams: true, ShutdownTimeout: 5 * time.Second,
		Auth: auth.Config{Authenticator: testAuth}}
	ctx, cancel := context.WithCancel(context.Background())
	h, err := host.New(ctx, host.Spec{Name: name, Routes: routes}, cfg, telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := h.Relay(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: serve: %v", name, err)
		}
	})
	return &sender{h: h}
}

// store appends cmd to the sender's event store, as a service's domain
// stores the commands it decides on.
func (p *sender) store(t *testing.T, tenant, streamType, id string, cmd proto.Message) {
	t.Helper()
	_, err := p.h.Events.Append(context.Background(), eventstore.StreamID{Tenant: tenant, Type: streamType, ID: id}, eventstore.AnyVersion,
		[]eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now(), Actor: "service:" + p.h.Spec.Name}, Payload: cmd}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCommandFromAnotherServiceIsBookedThroughTheRelay stores an
// ApplyPayment in a second service's event store; its relay publishes it on
// the command subject its Routes name, and the ledger books it.
func TestCommandFromAnotherServiceIsBookedThroughTheRelay(t *testing.T) {
	t.Parallel()
	s := startService(t)
	const tn = "shop-x"
	must(t, s.cmds, invoice(tn, "D1", "R-1", 10000, day(2026, 3, 1), day(2026, 4, 1)))
	m := startSender(t, s, "matching", bus.CommandsFor("ledger", "o2c.ledger.v1.ApplyPayment"))
	if got, want := m.h.Subject(eventstore.Event{Envelope: eventstore.Envelope{Type: "o2c.ledger.v1.ApplyPayment", Stream: eventstore.StreamID{Tenant: tn}}}),
		"o2c.shop-x.matching.ledger.apply-payment"; got != want {
		t.Errorf("command subject = %s, want %s", got, want)
	}
	m.store(t, tn, "payment", "P-1", &ledgerv1.ApplyPayment{
		Tenant: tn, IdempotencyKey: "pay:P-1", PaymentId: "P-1", DebtorId: "D1", Amount: eur(5000), ValueDate: day(2026, 4, 5), Iban: testIBAN,
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got := s.openItems(t, tn, "D1"); got["R-1"] == 6900 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payment from matching not booked: open items %v", s.openItems(t, tn, "D1"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRejectedCommandIsRecordedNotRedelivered publishes, over JetStream on
// dunning's subject, a merge of a debtor that was merged away already. No
// service may send merges (they are taken over gRPC only), so it must be
// rejected at once as not entitled, before the books see it, recorded with
// its reason naming sender and command, and replayable: the replay fails
// again for the same reason and stays open.
func TestRejectedCommandIsRecordedNotRedelivered(t *testing.T) {
	t.Parallel()
	s := startService(t)
	ctx := context.Background()
	const tn = "shop-m"
	must(t, s.cmds, invoice(tn, "K-DUP", "R-10", 10000, day(2026, 3, 1), day(2026, 4, 1)))
	must(t, s.cmds, &ledgerv1.MergeDebtor{Tenant: tn, IdempotencyKey: "merge:K-DUP", DebtorId: "K-DUP", IntoDebtorId: "K-1",
		MergeDate: day(2026, 3, 15), Reason: "same customer registered twice"})
	again := &ledgerv1.MergeDebtor{Tenant: tn, IdempotencyKey: "merge:K-DUP-2", DebtorId: "K-DUP", IntoDebtorId: "K-2",
		MergeDate: day(2026, 3, 16), Reason: "sent again"}
	data, err := proto.Marshal(again)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.js.PublishMsg(ctx, &nats.Msg{Subject: bus.CommandSubject(tn, "dunning", "ledger", "o2c.ledger.v1.MergeDebtor"), Data: data}); err != nil {
		t.Fatal(err)
	}
	operator := identity.Principal{Actor: "user:olga", Tenants: []string{tn}, Roles: []identity.Role{identity.Operator}}
	conn, err := grpc.NewClient(s.l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), testAuth.DialAs(operator))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rejections := rejectionv1grpc.NewRejectionServiceClient(conn)
	var got []*rejectionv1.Rejection
	deadline := time.Now().Add(30 * time.Second)
	for len(got) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the rejected merge was not recorded")
		}
		time.Sleep(20 * time.Millisecond)
		resp, err := rejections.ListRejections(ctx, &rejectionv1.ListRejectionsRequest{Tenant: tn})
		if err != nil {
			t.Fatal(err)
		}
		got = resp.GetRejections()
	}
	r := got[0]
	if len(got) != 1 || r.GetReasonCode() != "not_entitled" || r.GetDocument() != "merge:K-DUP-2" || r.GetService() != "ledger" ||
		r.GetConsumer() != "ledger-commands-dunning" || r.GetDeliveries() != 1 ||
		!strings.Contains(r.GetReason(), "service dunning may not send MergeDebtor") {
		t.Errorf("rejections = %v, want one not_entitled rejection of merge:K-DUP-2 after one delivery, naming dunning and MergeDebtor", got)
	}
	cons, err := s.js.Consumer(ctx, bus.ServiceStream("dunning"), "ledger-commands-dunning")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumRedelivered != 0 || info.NumAckPending != 0 {
		t.Errorf("consumer has %d redelivered and %d pending messages, want none", info.NumRedelivered, info.NumAckPending)
	}
	rep, err := rejections.ReplayRejection(ctx, &rejectionv1.ReplayRejectionRequest{Id: r.GetId(), Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.GetRejection().GetState() != rejectionv1.RejectionState_REJECTION_STATE_OPEN || rep.GetRejection().GetReasonCode() != "not_entitled" {
		t.Errorf("replay = %v, want still open as not_entitled", rep.GetRejection())
	}
}
