// Package chains verifies the services' event stores for `o2c verify` and
// the demo: the hash chains of every stream, and, given anchors, that no
// anchored event was deleted or rewritten.
package chains

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/telemetry"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// Schemas are the schemas of the services that have an event store (a
// service's name with dashes as underscores, host.Schema). A schema not
// migrated in the database verified is reported and skipped, so a
// deployment without one of the services verifies the others.
var Schemas = []string{"ingestion", "ledger", "matching", "dunning", "refund_import", "collections"}

// Anchors says where the services' anchors are and which key must have
// signed them.
type Anchors struct {
	Source eventstore.AnchorSource
	// PublicKey is the trusted anchor key; anchors not signed with it are
	// reported and ignored.
	PublicKey ed25519.PublicKey
	// Name describes the source in the output, e.g. "file anchors.jsonl".
	Name string
}

// Verify verifies the hash chains of each schema and reports whether all of
// them verified, printing a line per schema and every first broken link.
// Without anchors it cannot see deleted tails, and says so.
func Verify(ctx context.Context, dbURL string, schemas []string, w io.Writer) (bool, error) {
	return VerifyAnchored(ctx, dbURL, schemas, nil, w)
}

// VerifyAnchored is Verify and, when anchors is not nil, a check of each
// schema against its anchors (see eventstore.Store.VerifyAnchors): every
// anchored stream head must still be stored, and the log up to the latest
// anchor must be as long as anchored. It reports whether everything
// verified. A schema without anchors in the source is reported but does
// not fail the check: its service may not anchor.
func VerifyAnchored(ctx context.Context, dbURL string, schemas []string, anchors *Anchors, w io.Writer) (bool, error) {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	allOK := true
	for _, schema := range schemas {
		var exists bool
		if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, schema+".events").Scan(&exists); err != nil {
			return false, fmt.Errorf("schema %s: %w", schema, err)
		}
		if !exists {
			fmt.Fprintf(w, "%-10s no event store (schema not migrated)\n", schema)
			continue
		}
		store, err := eventstore.New(pool, schema, eventstore.Options{})
		if err != nil {
			return false, err
		}
		rep, err := store.Verify(ctx)
		if err != nil {
			return false, fmt.Errorf("verify %s: %w", schema, err)
		}
		if rep.OK() {
			fmt.Fprintf(w, "%-10s ok: %d streams, %d events, every hash chain verifies\n", schema, rep.Streams, rep.Events)
		} else {
			allOK = false
			fmt.Fprintf(w, "%-10s BROKEN: %d of %d streams (%d events)\n", schema, len(rep.Broken), rep.Streams, rep.Events)
			for _, b := range rep.Broken {
				fmt.Fprintf(w, "  first broken link: %s\n", b)
			}
		}
		if anchors != nil {
			ok, err := verifyAnchors(ctx, store, anchors, w)
			if err != nil {
				return false, err
			}
			allOK = allOK && ok
		}
		if schema == ledger.Name {
			ok, err := verifyLedger(ctx, dbURL, w)
			if err != nil {
				return false, err
			}
			allOK = allOK && ok
		}
	}
	if anchors == nil {
		fmt.Fprintf(w, "%-10s none given: a deleted tail (the last events of a stream) or a deleted stream cannot be detected without anchors\n", "anchors")
	}
	return allOK, nil
}

// verifyAnchors checks one store against its anchors.
func verifyAnchors(ctx context.Context, store *eventstore.Store, anchors *Anchors, w io.Writer) (bool, error) {
	schema := store.Schema()
	rep, err := store.VerifyAnchors(ctx, anchors.Source, anchors.PublicKey)
	if err != nil {
		return false, fmt.Errorf("verify %s against anchors (%s): %w", schema, anchors.Name, err)
	}
	switch {
	case rep.Anchors == 0:
		fmt.Fprintf(w, "%-10s anchors: none in %s, so a deleted tail or stream cannot be detected\n", schema, anchors.Name)
		return true, nil
	case rep.OK():
		l := rep.Latest
		fmt.Fprintf(w, "%-10s anchors ok: %d anchors (key %s); the latest, #%d of %s, covers %d events in %d streams, all still stored; later changes are not covered\n",
			schema, rep.Anchors, eventstore.KeyID(anchors.PublicKey), l.Seq, l.CreatedAt.Format(time.RFC3339), l.Events, l.Streams)
		return true, nil
	}
	fmt.Fprintf(w, "%-10s ANCHORS DO NOT MATCH: %d problems (%d anchors read from %s, key %s)\n", schema, len(rep.Problems), rep.Anchors, anchors.Name, eventstore.KeyID(anchors.PublicKey))
	if rep.Latest == nil {
		fmt.Fprintf(w, "  no anchor verifies with the trusted key\n")
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
	return false, nil
}

// verifyLedger rebuilds the ledger's read models from its events and checks
// the accounting invariants.
func verifyLedger(ctx context.Context, dbURL string, w io.Writer) (bool, error) {
	pool, err := database.Connect(ctx, dbURL, ledger.Name, telemetry.Providers{})
	if err != nil {
		return false, err
	}
	defer pool.Close()
	rep, err := ledger.VerifyReadModels(ctx, pool)
	if err != nil {
		return false, err
	}
	return printReadModels(rep, w), nil
}

// printReadModels prints what VerifyReadModels found and reports whether
// it was all right.
func printReadModels(rep ledger.ReadModelReport, w io.Writer) bool {
	if rep.OK() {
		fmt.Fprintf(w, "%-10s ok: read models equal a rebuild from %d events; trial balance, control account and open items agree; every debtor has one personal account, every merge is sound and every recorded bank statement reconciles\n", ledger.Name, rep.Events)
		return true
	}
	if len(rep.Mismatches) > 0 {
		fmt.Fprintf(w, "%-10s READ MODELS DIFFER (rebuilt from %d events)\n", ledger.Name, rep.Events)
	} else {
		fmt.Fprintf(w, "%-10s INVARIANTS BREACHED (read models equal a rebuild from %d events)\n", ledger.Name, rep.Events)
	}
	for _, m := range rep.Mismatches {
		fmt.Fprintf(w, "  %s: %d rows missing, %d rows that a rebuild does not produce\n", m.Table, m.Missing, m.Extra)
	}
	for _, b := range rep.Breaches {
		if b.Detail != "" {
			fmt.Fprintf(w, "  invariant %q breached for %s: %s\n", b.Invariant, b.Tenant, b.Detail)
			continue
		}
		fmt.Fprintf(w, "  invariant %q breached for %s %s: off by %d minor units\n", b.Invariant, b.Tenant, b.Currency, b.Difference)
	}
	return false
}
