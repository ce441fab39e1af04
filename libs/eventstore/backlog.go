package eventstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Backlog returns how many committed events come after the cursor after
// (as ReadAll orders them), counting at most limit of them, and the time
// the oldest of them was recorded (zero when there is none). With a relay's
// checkpoint it is the relay's lag: events appended but not yet published.
// The count stops at limit so that reading it stays cheap when a relay is
// far behind; limit <= 0 means 1,000,000.
func (s *Store) Backlog(ctx context.Context, after Cursor, limit int) (n int64, oldest time.Time, err error) {
	if limit <= 0 {
		limit = 1_000_000
	}
	t := pgx.Identifier{s.schema, "events"}.Sanitize()
	q := `SELECT count(*), min(recorded_at) FROM (SELECT recorded_at FROM ` + t + `
		WHERE (tx_id, position) > ($1::text::xid8, $2) ORDER BY tx_id::xid8, position LIMIT $3) b`
	var first *time.Time
	if err := s.pool.QueryRow(ctx, q, strconv.FormatUint(after.TxID, 10), after.Position, limit).Scan(&n, &first); err != nil {
		return 0, time.Time{}, fmt.Errorf("backlog after %v: %w", after, err)
	}
	if first != nil {
		oldest = first.UTC()
	}
	return n, oldest, nil
}
