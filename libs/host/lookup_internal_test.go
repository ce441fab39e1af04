package host

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
)

// TestStreamLookupFailureIsRetried checks that the relay's failed look-up
// of its stream is retried whatever NATS answered, a JetStream request's
// own deadline included: were it taken for the end of the service's
// context, the relay would stop for good after a NATS restart.
func TestStreamLookupFailureIsRetried(t *testing.T) {
	t.Parallel()
	for _, cause := range []error{context.DeadlineExceeded, nats.ErrTimeout, nats.ErrNoResponders, fmt.Errorf("nats: %w", context.DeadlineExceeded)} {
		if err := lookupFailed("O2C_INGESTION", cause); !transient(err) {
			t.Errorf("lookupFailed(%v) = %v is not transient; the relay would stop", cause, err)
		}
	}
}
