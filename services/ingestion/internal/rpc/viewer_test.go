package rpc_test

import (
	"testing"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/rpc"
)

// TestViewersReadWhatCustomerServiceReads: a viewer may call the reads
// customer service may call, and nothing else (the subject-access export
// is not a read of that kind: it is not named like one).
func TestViewersReadWhatCustomerServiceReads(t *testing.T) {
	t.Parallel()
	policy, err := auth.Merge(rpc.DebtorPolicy, rpc.IngestionPolicy, rpc.ImportPolicy, rpc.CreditNotePolicy, rpc.ProfilePolicy)
	if err != nil {
		t.Fatal(err)
	}
	authztest.CheckViewer(t, policy, nil, nil)
}
