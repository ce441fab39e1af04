package service

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/libs/identity"
)

// TestHostileQueueRequests sends the matching queue's writes, as the
// console's forms and o2c queue do, with text that cannot be stored or
// published: a NUL in a note, reason or id, a note of 1 MiB (before: stored,
// and then NATS refused the event and matching stopped for good), a
// 100,000-byte note; and mandate writes with such a name or note. Each is
// INVALID_ARGUMENT naming the field, the payment is unchanged, and the
// service keeps serving.
func TestHostileQueueRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s, _ := e.start(t)
	ctx := context.Background()
	as := testAuth.As(accountant("acme"))
	s.item(t, "I-2", "D-2", "RE-2001", 23800)
	s.publish(t, "ingestion", bankTx("TX-2", 23800, "Zahlung", "CP-2"))
	var before *matchingv1.Exception
	eventually(t, "TX-2 decided", func() bool {
		r, err := s.queue.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: "TX-2"}, as)
		before = r.GetException()
		return err == nil
	})
	big := strings.Repeat("n", 1<<20)
	sepa := matchingv1grpc.NewSepaServiceClient(s.conn)
	op := testAuth.As(identity.Principal{Actor: "user:otto", Tenants: []string{"acme"}, Roles: []identity.Role{identity.Operator}})
	call := func(_ any, err error) error { return err }
	for _, tt := range []struct {
		name, says string
		err        error
	}{
		{"NUL in a park note", "note: contains a NUL byte",
			call(s.queue.Park(ctx, &matchingv1.ParkRequest{Tenant: "acme", PaymentId: "TX-2", Note: "a\x00b"}, as))},
		{"1 MiB park note", "note: is 1048576 bytes long",
			call(s.queue.Park(ctx, &matchingv1.ParkRequest{Tenant: "acme", PaymentId: "TX-2", Note: big}, as))},
		{"1 MiB confirmation note", "note: is 1048576 bytes long",
			call(s.queue.ConfirmProposal(ctx, &matchingv1.ConfirmProposalRequest{Tenant: "acme", PaymentId: "TX-2", Note: big}, as))},
		{"NUL in a manual match's debtor", "debtor_id: contains a NUL byte",
			call(s.queue.MatchManually(ctx, &matchingv1.MatchManuallyRequest{Tenant: "acme", PaymentId: "TX-2", DebtorId: "D-\x002",
				Allocations: []*matchingv1.ManualAllocation{{OpenItemId: "I-2", Amount: eur(23800)}}}, as))},
		{"100,000-byte split note", "note: is 100000 bytes long",
			call(s.queue.Split(ctx, &matchingv1.SplitRequest{Tenant: "acme", PaymentId: "TX-2", Note: strings.Repeat("s", 100000),
				Amounts: []*commonv1.Money{eur(100), eur(23700)}}, as))},
		{"NUL in an unmatch reason", "reason: contains a NUL byte",
			call(s.queue.Unmatch(ctx, &matchingv1.UnmatchRequest{Tenant: "acme", PaymentId: "TX-2", Reason: "\x00"}, as))},
		{"NUL in the payment id", "payment_id: contains a NUL byte",
			call(s.queue.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: "TX-\x002"}, as))},
		{"1 MiB mandate name", "mandate.name: is 1048576 bytes long",
			call(sepa.PutMandate(ctx, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Tenant: "acme", Reference: "M-1", DebtorId: "D-2",
				Name: big, Iban: "DE02120300000000202051", SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 2}}}, op))},
		{"NUL in a mandate note", "note: contains a NUL byte",
			call(sepa.PutMandate(ctx, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Tenant: "acme", Reference: "M-1", DebtorId: "D-2",
				Name: "Erika", Iban: "DE02120300000000202051", SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 2}}, Note: "\x00"}, op))},
		{"NUL in a revocation note", "note: contains a NUL byte",
			call(sepa.RevokeMandate(ctx, &matchingv1.RevokeMandateRequest{Tenant: "acme", Reference: "M-1", Note: "a\x00"}, op))},
	} {
		if status.Code(tt.err) != codes.InvalidArgument || !strings.Contains(status.Convert(tt.err).Message(), tt.says) {
			t.Errorf("%s: %v, want INVALID_ARGUMENT saying %q", tt.name, tt.err, tt.says)
		}
	}
	after, err := s.queue.GetException(ctx, &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: "TX-2"}, as)
	if err != nil {
		t.Fatalf("GetException after the hostile requests: %v", err)
	}
	if diff := cmp.Diff(before, after.GetException(), protocmp.Transform()); diff != "" {
		t.Errorf("the payment changed under refused requests (-before +after):\n%s", diff)
	}
	if _, err := s.queue.Park(ctx, &matchingv1.ParkRequest{Tenant: "acme", PaymentId: "TX-2", Note: "\x1b[2J wait for the customer"}, as); err != nil {
		t.Errorf("a note with a terminal escape: %v, want it taken as text", err)
	}
}
