package memstore

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
)

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
		New: func(testing.TB) storetest.Store { return New(nil) },
		CatchUp: func(ctx context.Context, s storetest.Store, name string, batch int, h func(context.Context, eventstore.Event) error) (int, error) {
			return s.(*Store).CatchUp(ctx, name, batch, h)
		},
		Tamper: func(t testing.TB, s storetest.Store, id uuid.UUID, data []byte) {
			t.Helper()
			m := s.(*Store)
			m.mu.Lock()
			defer m.mu.Unlock()
			i, ok := m.byID[id]
			if !ok {
				t.Fatalf("tamper: no event %s", id)
			}
			m.log[i].Data = slices.Clone(data)
		},
	})
}
