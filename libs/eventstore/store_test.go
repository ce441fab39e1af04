package eventstore_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/storetest"
)

// pgStore remembers the owner URL for tampering.
type pgStore struct {
	*eventstore.Store
	ownerURL string
}

func TestContract(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
		New: func(t testing.TB) storetest.Store {
			db := newTestDB(t)
			return pgStore{Store: newStore(t, db), ownerURL: db.ownerURL}
		},
		CatchUp: func(ctx context.Context, s storetest.Store, name string, batch int, h func(context.Context, eventstore.Event) error) (int, error) {
			return s.(pgStore).CatchUp(ctx, name, batch, func(ctx context.Context, _ pgx.Tx, ev eventstore.Event) error { return h(ctx, ev) })
		},
		Tamper: func(t testing.TB, s storetest.Store, id uuid.UUID, data []byte) {
			tamper(t, s.(pgStore).ownerURL, `UPDATE billing.events SET payload = $1 WHERE event_id = $2`, data, id)
		},
	})
}
