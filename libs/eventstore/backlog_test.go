package eventstore_test

import (
	"context"
	"testing"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// TestBacklog: the backlog after a cursor counts the events ReadAll would
// still return, up to the limit, and names the oldest one's recording
// time; after the last event it is empty.
func TestBacklog(t *testing.T) {
	t.Parallel()
	s := newStore(t, newTestDB(t))
	ctx := context.Background()
	evs := appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "B-1"}, 3)
	evs = append(evs, appendN(t, s, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "B-2"}, 2)...)
	for _, tt := range []struct {
		name   string
		after  eventstore.Cursor
		limit  int
		want   int64
		oldest int // index into evs of the oldest unread event, -1 for none
	}{
		{"from the start", eventstore.Cursor{}, 0, 5, 0},
		{"after the first append", evs[2].Cursor, 0, 2, 3},
		{"bounded", eventstore.Cursor{}, 4, 4, 0},
		{"caught up", evs[4].Cursor, 0, 0, -1},
	} {
		n, oldest, err := s.Backlog(ctx, tt.after, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if n != tt.want {
			t.Errorf("%s: backlog %d, want %d", tt.name, n, tt.want)
		}
		switch {
		case tt.oldest < 0 && !oldest.IsZero():
			t.Errorf("%s: oldest %v, want none", tt.name, oldest)
		case tt.oldest >= 0 && !oldest.Equal(evs[tt.oldest].RecordedAt):
			t.Errorf("%s: oldest %v, want %v", tt.name, oldest, evs[tt.oldest].RecordedAt)
		}
	}
}
