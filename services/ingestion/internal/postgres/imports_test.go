package postgres_test

import (
	"testing"

	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake/intaketest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// TestImportsStore runs the intake.Store contract against PostgreSQL, as
// the service's app role.
func TestImportsStore(t *testing.T) {
	t.Parallel()
	intaketest.StoreSuite(t, func(tb testing.TB) intake.Store {
		e := newEnv(tb)
		return postgres.NewImports(e.pool, e.events)
	})
}
