package postgres_test

import (
	"context"
	"testing"
	"time"

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

// TestImportLockAcrossProcesses: two stores on one database, as two
// ingestion processes would have, import one tenant at a time (the
// advisory lock) and different tenants at once.
func TestImportLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := postgres.NewImports(e.pool, e.events), postgres.NewImports(e.pool, e.events)
	ctx := context.Background()
	unlock, err := a.Lock(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := b.Lock(ctx, "t2")
	if err != nil {
		t.Fatalf("another tenant's import waits: %v", err)
	}
	other()
	got := make(chan error, 1)
	go func() {
		u, err := b.Lock(ctx, "t1")
		if err == nil {
			u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("the second process locked t1 (%v) while the first held it", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
