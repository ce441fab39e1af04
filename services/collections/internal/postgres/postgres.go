// Package postgres keeps collections' cases and read models in the
// service's PostgreSQL schema. A case is the stream of its events in the
// event store (type collections.StreamType); Decide loads it, lets the
// domain decide and appends the events and ledger commands together with
// optimistic concurrency. The projection folds each changed case into the
// cases table (lists and the report), case_items (which items are in
// collection) and changes (the agencies' feed). Items, blocks and debtors
// follow the ledger's, dunning's and ingestion's events for manual
// releases and eligibility.
//
// Personal data is never written here.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/services/collections/internal/collections"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is collections' PostgreSQL schema.
const Schema = "collections"

// Migrations returns collections' own migrations (applied after the event
// store's and the rejection store's).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// Store is collections' storage.
type Store struct {
	pool   *pgxpool.Pool
	events *eventstore.Store
	// releasing bounds the releases holding a debtor's lock (and so a
	// pooled connection) at once to half the pool, so that they always
	// find connections for their reads and appends.
	releasing chan struct{}
}

// New returns a store on pool (connected with search_path = Schema) and
// the service's event store.
func New(pool *pgxpool.Pool, events *eventstore.Store) *Store {
	return &Store{pool: pool, events: events, releasing: make(chan struct{}, max(1, pool.Config().MaxConns/2))}
}

func stream(tenant, caseID string) es.StreamID {
	return es.StreamID{Tenant: tenant, Type: collections.StreamType, ID: caseID}
}

// Load folds a case from its stream; a case never released folds to the
// zero Case (ID empty).
func (s *Store) Load(ctx context.Context, tenant, caseID string) (*collections.Case, error) {
	evs, err := s.events.ReadStream(ctx, stream(tenant, caseID), 1, 0)
	if err != nil {
		return nil, fmt.Errorf("load case %s: %w", caseID, err)
	}
	c := &collections.Case{}
	for _, ev := range evs {
		if ev.Payload == nil {
			return nil, fmt.Errorf("load case %s: event %s: %w", caseID, ev.EventID, eventstore.ErrUndecodable)
		}
		c.Apply(ev.Payload, ev.OccurredAt)
	}
	return c, nil
}

// Decision is what a domain function decides on a case: events and ledger
// commands to append, none for nothing to do.
type Decision func(c *collections.Case) ([]proto.Message, error)

// maxAttempts bounds the retries of a decision that lost a race.
const maxAttempts = 8

// Decide loads the case, runs decide and appends what it returns at the
// version it saw, by actor at occurred; it decides again when another
// writer came first. It returns the case afterwards and what was appended.
func (s *Store) Decide(ctx context.Context, tenant, caseID, actor string, occurred time.Time, decide Decision) (*collections.Case, []proto.Message, error) {
	for range maxAttempts {
		c, err := s.Load(ctx, tenant, caseID)
		if err != nil {
			return nil, nil, err
		}
		msgs, err := decide(c)
		if err != nil || len(msgs) == 0 {
			return c, nil, err
		}
		if err := s.append(ctx, tenant, caseID, es.ExpectedVersion(c.Version), actor, occurred, msgs); err != nil {
			if errors.Is(err, es.ErrVersionConflict) {
				continue
			}
			return nil, nil, err
		}
		for _, m := range msgs {
			c.Apply(m, occurred)
		}
		return c, msgs, nil
	}
	return nil, nil, fmt.Errorf("case %s: %d writers came first: %w", caseID, maxAttempts, es.ErrVersionConflict)
}

// Create appends a new case's first events; a case that exists already is
// returned as it is with created false (a release delivered twice).
func (s *Store) Create(ctx context.Context, tenant, caseID, actor string, occurred time.Time, msgs []proto.Message) (*collections.Case, bool, error) {
	err := s.append(ctx, tenant, caseID, es.NoStream, actor, occurred, msgs)
	if errors.Is(err, es.ErrVersionConflict) {
		c, err := s.Load(ctx, tenant, caseID)
		return c, false, err
	}
	if err != nil {
		return nil, false, err
	}
	c := &collections.Case{}
	for _, m := range msgs {
		c.Apply(m, occurred)
	}
	return c, true, nil
}

func (s *Store) append(ctx context.Context, tenant, caseID string, expected es.ExpectedVersion, actor string, occurred time.Time, msgs []proto.Message) error {
	events := make([]es.Event, len(msgs))
	first := uuid.New()
	for i, m := range msgs {
		id := first
		if i > 0 {
			id = uuid.New()
		}
		events[i] = es.Event{Envelope: es.Envelope{EventID: id, OccurredAt: occurred, Actor: actor,
			CausationID: first.String(), CorrelationID: first.String()}, Payload: m}
	}
	if _, err := s.events.Append(ctx, stream(tenant, caseID), expected, events); err != nil {
		return fmt.Errorf("append to case %s: %w", caseID, err)
	}
	return nil
}

// Reported returns the PaymentReported the agency's write key stored on
// the case, so that a retried report answers with the first one's
// allocation.
func (s *Store) Reported(ctx context.Context, tenant, caseID, key string) (*collectionsv1.PaymentReported, error) {
	evs, err := s.events.ReadStream(ctx, stream(tenant, caseID), 1, 0)
	if err != nil {
		return nil, fmt.Errorf("load case %s: %w", caseID, err)
	}
	for _, ev := range evs {
		if p, ok := ev.Payload.(*collectionsv1.PaymentReported); ok && p.GetWrite().GetIdempotencyKey() == key {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w: no payment reported under key %q on case %s", collections.ErrUnknownCase, key, caseID)
}
