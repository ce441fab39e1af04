package service

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"

	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/identity"
)

// TestHostileBlockRequests sets and lifts dunning blocks, as the console's
// dunning stop form and o2c dunning do, with text that cannot be stored or
// published (a NUL, a reason of 1 MiB that NATS would refuse to carry, a
// 100,000-byte debtor id) and dates outside the calendar. Each is
// INVALID_ARGUMENT naming the field, and no block is set.
func TestHostileBlockRequests(t *testing.T) {
	t.Parallel()
	_, conn := startService(t)
	c := dunningv1grpc.NewDunningServiceClient(conn)
	ctx := context.Background()
	as := testAuth.As(authztest.Principal(identity.CustomerService, "acme"))
	set := func(f func(*dunningv1.SetBlockRequest)) error {
		r := &dunningv1.SetBlockRequest{Tenant: "acme", DebtorId: "D-1", Reason: "disputed"}
		f(r)
		_, err := c.SetBlock(ctx, r, as)
		return err
	}
	for _, tt := range []struct {
		name, says string
		err        error
	}{
		{"NUL in the reason", "reason: contains a NUL byte", set(func(r *dunningv1.SetBlockRequest) { r.Reason = "a\x00b" })},
		{"1 MiB reason", "reason: is 1048576 bytes long", set(func(r *dunningv1.SetBlockRequest) { r.Reason = strings.Repeat("r", 1<<20) })},
		{"100,000-byte debtor id", "debtor_id: is 100000 bytes long", set(func(r *dunningv1.SetBlockRequest) { r.DebtorId = strings.Repeat("d", 100000) })},
		{"NUL in the source", "source: contains a NUL byte", set(func(r *dunningv1.SetBlockRequest) { r.Source = "\x00" })},
		{"expiry on 30 February", "expires", set(func(r *dunningv1.SetBlockRequest) { r.Expires = &commonv1.Date{Year: 2027, Month: 2, Day: 30} })},
		{"NUL in a block id", "block_id: contains a NUL byte",
			func() error {
				_, err := c.LiftBlock(ctx, &dunningv1.LiftBlockRequest{Tenant: "acme", DebtorId: "D-1", BlockId: "b\x00"}, as)
				return err
			}()},
	} {
		if status.Code(tt.err) != codes.InvalidArgument || !strings.Contains(status.Convert(tt.err).Message(), tt.says) {
			t.Errorf("%s: %v, want INVALID_ARGUMENT saying %q", tt.name, tt.err, tt.says)
		}
	}
	blocks, err := c.ListBlocks(ctx, &dunningv1.ListBlocksRequest{Tenant: "acme"}, as)
	if err != nil {
		t.Fatalf("ListBlocks after the hostile requests: %v", err)
	}
	if len(blocks.GetBlocks()) != 0 {
		t.Errorf("blocks set by refused requests: %v", blocks.GetBlocks())
	}
}
