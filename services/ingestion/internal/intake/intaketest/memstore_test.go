package intaketest

import (
	"testing"

	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
)

func TestMemStore(t *testing.T) {
	t.Parallel()
	StoreSuite(t, func(testing.TB) intake.Store { return NewMemStore() })
}
