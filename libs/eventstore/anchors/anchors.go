// Package anchors keeps the signed anchors of event stores (see
// eventstore.Anchor) outside PostgreSQL, where a database superuser who
// deletes or rewrites events cannot reach them: in a JSON-lines file
// (File), in a JetStream stream (JetStream), or, for tests, in memory
// (Memory). All three implement eventstore.AnchorSink and keep each
// service's anchors append-only and in sequence: an append whose sequence
// number does not follow the last stored anchor of its service fails with
// eventstore.ErrAnchorConflict, atomically, also between processes.
//
// An anchor store only helps while the attacker of the database cannot
// also delete from it: give it other credentials than the database, deny
// deletes (StreamConfig does, for JetStream), and copy it elsewhere.
package anchors

import (
	"encoding/json"
	"fmt"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// position is the part of a stored anchor that appends check.
type position struct {
	Service string `json:"service"`
	Seq     int64  `json:"seq"`
}

func decodePosition(data []byte) (position, error) {
	var p position
	if err := json.Unmarshal(data, &p); err != nil {
		return p, fmt.Errorf("%w: %v", eventstore.ErrMalformedAnchor, err)
	}
	return p, nil
}

// checkNext fails with eventstore.ErrAnchorConflict unless a follows an
// anchor of its service with sequence number last (0: none).
func checkNext(a *eventstore.Anchor, last int64) error {
	if a.Seq != last+1 {
		return fmt.Errorf("%w: anchor %s #%d does not follow the last stored anchor #%d", eventstore.ErrAnchorConflict, a.Service, a.Seq, last)
	}
	return nil
}
