package rpc

import (
	"testing"

	"github.com/o2c-platform/o2c/libs/auth/authztest"
)

// TestViewersReadWhatCustomerServiceReads: a viewer may call the reads
// customer service may call, and nothing else.
func TestViewersReadWhatCustomerServiceReads(t *testing.T) {
	t.Parallel()
	authztest.CheckViewer(t, Policy, nil, nil)
}
