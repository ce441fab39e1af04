package eventstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// VerifyAnchors checks the store against the anchors of its schema that
// src holds, trusting only signatures by pub.
//
// It checks each anchor's signature (an anchor that fails is reported and
// ignored), that the anchors follow one another (sequence numbers, links,
// heads that add up to each signed digest), and then the database: every
// stream head any anchor recorded must still be stored, at that version
// with exactly that chain hash, and the log up to the latest anchor's
// cursor must hold exactly the anchored number of events. A deleted tail,
// a deleted stream and a rewritten event before the anchored head are
// reported naming the stream and the version, at most one problem per
// stream. Run Verify as well: it checks every link of every chain, which
// this does not.
//
// What it cannot detect: changes after the latest anchor; anchors forged
// with the signing key; and the deletion of the newest anchors together
// with the events they covered, or of the whole anchor store (then there
// is nothing to compare with; the report has no Latest anchor).
//
// The error is for failures to read the anchors or the database, not for
// problems found.
func (s *Store) VerifyAnchors(ctx context.Context, src AnchorSource, pub ed25519.PublicKey) (AnchorReport, error) {
	c := newAnchorChain(s.schema, pub, true)
	err := src.ReadAnchors(ctx, s.schema, func(a *Anchor) error {
		c.add(a)
		return nil
	})
	if err != nil {
		return AnchorReport{}, fmt.Errorf("verify anchors of %s: read anchors: %w", s.schema, err)
	}
	rep := AnchorReport{Anchors: c.anchors, Latest: c.latest, Problems: c.problems}
	if c.latest == nil {
		return rep, nil
	}
	t := pgx.Identifier{s.schema, "events"}.Sanitize()
	var n int64
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM `+t+` WHERE (tx_id, position) <= ($1::text::xid8, $2)`,
		strconv.FormatUint(c.latest.Cursor.TxID, 10), c.latest.Cursor.Position).Scan(&n)
	if err != nil {
		return AnchorReport{}, fmt.Errorf("verify anchors of %s: count events: %w", s.schema, err)
	}
	if n != c.latest.Events {
		rep.Problems = append(rep.Problems, AnchorProblem{Anchor: c.latest.Seq, Kind: ProblemLogLength,
			Detail: fmt.Sprintf("the log holds %d events up to position %d, the anchor counted %d: events were deleted or inserted before the anchor", n, c.latest.Cursor.Position, c.latest.Events)})
	}
	streams, err := s.compareAnchored(ctx, c.points)
	if err != nil {
		return AnchorReport{}, fmt.Errorf("verify anchors of %s: %w", s.schema, err)
	}
	sortStreamProblems(streams)
	rep.Problems = append(rep.Problems, streams...)
	return rep, nil
}

// storedLink is a version and chain hash as stored.
type storedLink struct {
	version int64
	chain   []byte
}

// compareAnchored reads every stored (stream, version, chain hash) in
// stream order and checks the anchored points of each stream against the
// stream's stored links. It holds one stream's links in memory at a time.
func (s *Store) compareAnchored(ctx context.Context, points map[StreamID][]anchoredPoint) ([]AnchorProblem, error) {
	t := pgx.Identifier{s.schema, "events"}.Sanitize()
	rows, err := s.pool.Query(ctx, `SELECT tenant, stream_type, stream_id, version, chain_hash FROM `+t+` ORDER BY tenant, stream_type, stream_id, version`)
	if err != nil {
		return nil, fmt.Errorf("read chain hashes: %w", err)
	}
	defer rows.Close()
	var problems []AnchorProblem
	seen := make(map[StreamID]bool, len(points))
	var cur StreamID
	var links []storedLink
	flush := func() {
		if pts, ok := points[cur]; ok {
			seen[cur] = true
			if p, bad := checkStream(cur, pts, links); bad {
				problems = append(problems, p)
			}
		}
		links = links[:0]
	}
	for rows.Next() {
		var st StreamID
		var l storedLink
		if err := rows.Scan(&st.Tenant, &st.Type, &st.ID, &l.version, &l.chain); err != nil {
			return nil, fmt.Errorf("read chain hashes: %w", err)
		}
		if st != cur {
			flush()
			cur = st
		}
		if _, ok := points[st]; ok {
			links = append(links, l)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read chain hashes: %w", err)
	}
	flush()
	for st, pts := range points {
		if seen[st] {
			continue
		}
		last := slices.MaxFunc(pts, func(a, b anchoredPoint) int { return cmp.Compare(a.version, b.version) })
		problems = append(problems, AnchorProblem{Anchor: last.seq, Stream: st, Version: last.version, Kind: ProblemStreamDeleted,
			Detail: fmt.Sprintf("anchored at version %d, the database holds no event of the stream", last.version)})
	}
	return problems, nil
}

// checkStream compares the anchored points of one stream, lowest version
// first, with its stored links (by version) and returns the first
// mismatch.
func checkStream(st StreamID, pts []anchoredPoint, links []storedLink) (AnchorProblem, bool) {
	pts = slices.Clone(pts)
	slices.SortStableFunc(pts, func(a, b anchoredPoint) int { return cmp.Compare(a.version, b.version) })
	var end int64
	if len(links) > 0 {
		end = links[len(links)-1].version
	}
	for _, p := range pts {
		if p.version > end {
			return AnchorProblem{Anchor: p.seq, Stream: st, Version: p.version, Kind: ProblemTailDeleted,
				Detail: fmt.Sprintf("anchored at version %d, the stream ends at version %d in the database: versions %d to %d were deleted", p.version, end, end+1, p.version)}, true
		}
		i, found := slices.BinarySearchFunc(links, p.version, func(l storedLink, v int64) int { return cmp.Compare(l.version, v) })
		if !found {
			return AnchorProblem{Anchor: p.seq, Stream: st, Version: p.version, Kind: ProblemEventMissing,
				Detail: fmt.Sprintf("anchored version %d is not in the database, later versions are", p.version)}, true
		}
		if !bytes.Equal(links[i].chain, p.chain) {
			return AnchorProblem{Anchor: p.seq, Stream: st, Version: p.version, Kind: ProblemChainHash,
				Detail: fmt.Sprintf("anchored chain hash %x, stored %x: an event up to version %d was rewritten", p.chain, links[i].chain, p.version)}, true
		}
	}
	return AnchorProblem{}, false
}
