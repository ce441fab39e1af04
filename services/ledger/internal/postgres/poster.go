package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/trace"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// ErrStopped means the poster's committers have stopped (the service is
// shutting down); the entry was not stored.
var ErrStopped = errors.New("ledger poster stopped")

// Entry is a journal entry to post; see books.ManualEntry.
type Entry = books.ManualEntry

// Posted is the result of a post.
type Posted struct {
	EntryID uuid.UUID
	// RecordedAt is when the ledger stored the entry (the original post's
	// time for a replay).
	RecordedAt time.Time
	// Replayed reports that the key was posted before with the same
	// content: nothing new was stored.
	Replayed bool
	// Cursor is the entry's place in the ordered log.
	Cursor eventstore.Cursor
}

// PosterOptions tune the group commit. Zero values take the defaults.
type PosterOptions struct {
	// MaxBatch is the most entries one commit carries (default 500).
	MaxBatch int
	// Window is how long a committer waits for more entries after the
	// first one of a batch when fewer than MaxBatch are queued (default
	// 500µs). A committer whose previous batch held a single entry does
	// not wait: a lone client pays no window, concurrent clients fill
	// batches.
	Window time.Duration
	// Committers is the number of batches in flight at once (default 1;
	// the next batch fills in the queue while one commits). More
	// committers overlap commits, which helps throughput when a WAL flush
	// is slow, but split the concurrent posts into smaller batches: every
	// commit costs the server a WAL flush, about 150 µs of CPU on the
	// development machine, whatever the batch's size.
	Committers int
}

// Poster is the ledger's write path for manual journal entries
// (PostJournalEntry). Post has the books check an entry (books.JournalEntry)
// and hands it to a group committer, which has the books check its period
// against the tenant's period stream (Ledger.CheckOpen, so an entry dated
// in a closed period fails with books.ErrPeriodClosed) and stores the
// entries of many concurrent callers with one eventstore.AppendBatch, one
// transaction and one WAL flush. Every caller gets its own result; an
// entry that fails (a closed period, an idempotency conflict, a database
// error of its own) does not fail the others of its batch. A period close
// takes effect for the batches decided after it is stored, as for
// commands. Run must be running for posts to complete.
type Poster struct {
	events  *eventstore.Store
	opt     PosterOptions
	queue   chan *postCall
	stopped chan struct{}
	once    sync.Once

	mu      sync.Mutex
	periods map[string]*periods
}

// periods is what a Poster knows of a tenant's period stream: the events
// up to version, applied to books of their own. It is read again only when
// stale: at first, and after a group commit's guard found the stream past
// version (see periodsGuard).
type periods struct {
	mu      sync.Mutex
	books   *books.Ledger
	version int64
	stale   bool
}

type postCall struct {
	ctx   context.Context
	event eventstore.Event
	done  chan postResult
}

type postResult struct {
	posted Posted
	err    error
}

// NewPoster returns a poster that appends to events.
func NewPoster(events *eventstore.Store, opt PosterOptions) *Poster {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 500
	}
	if opt.Window <= 0 {
		opt.Window = 500 * time.Microsecond
	}
	if opt.Committers <= 0 {
		opt.Committers = 1
	}
	return &Poster{
		events:  events,
		opt:     opt,
		queue:   make(chan *postCall, opt.MaxBatch*opt.Committers),
		stopped: make(chan struct{}),
		periods: make(map[string]*periods),
	}
}

// Post stores e as a journal entry, or returns the entry stored before
// under the same tenant and idempotency key if its content is the same
// (Replayed). It returns an error wrapping books.ErrInvalidCommand (and
// books.ErrUnbalanced for legs that do not balance), books.ErrPeriodClosed,
// books.ErrIdempotencyConflict or ErrStopped, ctx's error, or a storage
// error. If ctx ends while the entry is in a batch, the entry may still be
// stored: a retry with the same key tells.
func (p *Poster) Post(ctx context.Context, e Entry) (Posted, error) {
	ev, err := entryEvent(ctx, e)
	if err != nil {
		return Posted{}, err
	}
	c := &postCall{ctx: ctx, event: ev, done: make(chan postResult, 1)}
	select {
	case p.queue <- c:
	case <-p.stopped:
		return Posted{}, ErrStopped
	case <-ctx.Done():
		return Posted{}, fmt.Errorf("post entry %s: %w", e.IdempotencyKey, ctx.Err())
	}
	select {
	case r := <-c.done:
		return r.posted, r.err
	case <-ctx.Done():
		return Posted{}, fmt.Errorf("post entry %s: %w", e.IdempotencyKey, ctx.Err())
	case <-p.stopped:
		select {
		case r := <-c.done:
			return r.posted, r.err
		default:
			return Posted{}, ErrStopped
		}
	}
}

// entryEvent has the books check e and wraps its JournalEntryPosted event.
func entryEvent(ctx context.Context, e Entry) (eventstore.Event, error) {
	posted, err := books.JournalEntry(e)
	if err != nil {
		return eventstore.Event{}, err
	}
	env := eventstore.Envelope{
		EventID:    books.DerivedID(books.JournalEntryID(e.Tenant, e.IdempotencyKey), "journal-entry-posted"),
		OccurredAt: date(e.EffectiveDate),
		// The actor is part of the content hash, so it is fixed: a retry
		// through another path must still be a replay.
		Actor: "service:ledger",
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		env.TraceParent = fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
		env.TraceState = sc.TraceState().String()
	}
	return eventstore.Event{Envelope: env, Payload: posted}, nil
}

// Run runs the committers until ctx ends; batches in flight then finish,
// entries still queued fail with ErrStopped, and so does every later Post.
func (p *Poster) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for range p.opt.Committers {
		wg.Go(func() { p.commitLoop(ctx) })
	}
	wg.Wait()
	p.once.Do(func() { close(p.stopped) })
	for {
		select {
		case c := <-p.queue:
			c.done <- postResult{err: ErrStopped}
		default:
			return nil
		}
	}
}

func (p *Poster) commitLoop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	batch := make([]*postCall, 0, p.opt.MaxBatch)
	last := 0
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case c := <-p.queue:
			batch = append(batch, c)
		}
		if last > 1 {
			timer.Reset(p.opt.Window)
		collect:
			for len(batch) < p.opt.MaxBatch {
				select {
				case c := <-p.queue:
					batch = append(batch, c)
				case <-timer.C:
					break collect
				}
			}
			timer.Stop()
		} else {
		drain:
			for len(batch) < p.opt.MaxBatch {
				select {
				case c := <-p.queue:
					batch = append(batch, c)
				default:
					break drain
				}
			}
		}
		last = len(batch)
		p.commit(context.WithoutCancel(ctx), batch)
	}
}

// commitTimeout bounds one group commit, which runs to its end even when
// the poster is stopping.
const commitTimeout = 30 * time.Second

// maxPeriodAttempts bounds how often a batch's entries are decided again
// because a period event was stored while they were being stored.
const maxPeriodAttempts = 3

// commit decides one batch against the tenants' periods, stores the
// entries that pass and answers every caller.
//
// The periods are decided on the books the poster keeps of each tenant's
// period stream, without reading the stream for every batch: the batch's
// transaction runs a guard per tenant (periodsGuard) that fails it when
// the stream holds an event past the version the decision read, in the
// same round trip and commit as the INSERT. The entries of a failed guard
// are then decided again on the stream read anew, so an entry is stored
// only if its period was open in a version of the stream that was the
// latest when its transaction ran, as when the stream was read before
// every batch.
func (p *Poster) commit(ctx context.Context, batch []*postCall) {
	ctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	pending := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.done <- postResult{err: err}
			continue
		}
		pending = append(pending, c)
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		pending = p.commitOnce(ctx, pending, attempt == maxPeriodAttempts)
	}
}

// guard is the period stream version one tenant's entries were decided on.
type guard struct {
	tenant  string
	version int64
}

// commitOnce decides and stores calls, answers them, and returns those
// whose period guard failed, to be decided again; with last it answers
// those too, with the error.
func (p *Poster) commitOnce(ctx context.Context, calls []*postCall, last bool) []*postCall {
	byTenant := map[string][]*postCall{}
	var tenants []string
	for _, c := range calls {
		t := entryOf(c).GetTenant()
		if byTenant[t] == nil {
			tenants = append(tenants, t)
		}
		byTenant[t] = append(byTenant[t], c)
	}
	groups := make([]eventstore.AppendGroup, 0, len(calls))
	stored := calls[:0:0]
	guards := make([]guard, 0, len(tenants))
	for _, t := range tenants {
		keep, version := p.decide(ctx, t, byTenant[t])
		if len(keep) == 0 {
			continue
		}
		guards = append(guards, guard{tenant: t, version: version})
		for _, c := range keep {
			groups = append(groups, eventstore.AppendGroup{{Stream: entryStream(entryOf(c)), Expected: eventstore.NoStream, Events: []eventstore.Event{c.event}}})
			stored = append(stored, c)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	guardSQL := periodsGuard(p.events.Schema())
	res, err := p.events.AppendBatchWith(ctx, groups, func(_ []int, b *pgx.Batch) {
		for _, g := range guards {
			ps := books.PeriodsStream(g.tenant)
			b.Queue(guardSQL, ps.Tenant, ps.Type, ps.ID, g.version)
		}
	})
	var again []*postCall
	for i, c := range stored {
		if err != nil {
			c.done <- postResult{err: fmt.Errorf("post journal entries: %w", err)}
			continue
		}
		if periodsMoved(res[i].Err) {
			p.stale(entryOf(c).GetTenant())
			if !last {
				again = append(again, c)
				continue
			}
		}
		c.done <- result(res[i], entryOf(c).GetEntryId())
	}
	return again
}

// periodsGuard is the statement that fails a group commit's transaction
// with a division by zero (SQLSTATE 22012) when the period stream ($1,
// $2, $3) holds an event past version $4.
func periodsGuard(schema string) string {
	return `SELECT 1 / (NOT EXISTS (SELECT FROM ` + pgx.Identifier{schema, "events"}.Sanitize() + `
		WHERE tenant = $1 AND stream_type = $2 AND stream_id = $3 AND version > $4))::int`
}

// periodsMoved reports whether err is a failed periodsGuard.
func periodsMoved(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "22012"
}

// stale has the next decision for tenant read its period stream.
func (p *Poster) stale(tenant string) {
	p.mu.Lock()
	ps := p.periods[tenant]
	p.mu.Unlock()
	if ps != nil {
		ps.mu.Lock()
		ps.stale = true
		ps.mu.Unlock()
	}
}

func entryOf(c *postCall) *ledgerv1.JournalEntryPosted {
	return c.event.Payload.(*ledgerv1.JournalEntryPosted)
}

func entryStream(e *ledgerv1.JournalEntryPosted) eventstore.StreamID {
	return eventstore.StreamID{Tenant: e.GetTenant(), Type: books.StreamTypeEntry, ID: e.GetEntryId()}
}

// decide has the tenant's books check the periods of calls' entries and
// returns the calls to store and the version of the period stream the
// books were at; it answers the others. It reads the period stream when
// the books are stale, and before it rejects an entry for a closed period
// (the period may have been reopened since). An entry dated in a closed
// period that was stored before the close is a replay.
func (p *Poster) decide(ctx context.Context, tenant string, calls []*postCall) ([]*postCall, int64) {
	p.mu.Lock()
	ps, ok := p.periods[tenant]
	if !ok {
		ps = &periods{books: books.New(tenant, books.Config{}), stale: true}
		p.periods[tenant] = ps
	}
	p.mu.Unlock()

	ps.mu.Lock()
	defer ps.mu.Unlock()
	fail := func(err error) ([]*postCall, int64) {
		for _, c := range calls {
			c.done <- postResult{err: fmt.Errorf("post journal entry: periods of %s: %w", tenant, err)}
		}
		return nil, 0
	}
	if ps.stale {
		if err := p.readPeriods(ctx, tenant, ps); err != nil {
			return fail(err)
		}
	} else if slices.ContainsFunc(calls, func(c *postCall) bool {
		return ps.books.CheckOpen(books.DateOf(entryOf(c).GetEffectiveDate())) != nil
	}) {
		if err := p.readPeriods(ctx, tenant, ps); err != nil {
			return fail(err)
		}
	}
	keep := calls[:0]
	for _, c := range calls {
		e := entryOf(c)
		closed := ps.books.CheckOpen(books.DateOf(e.GetEffectiveDate()))
		if closed == nil {
			keep = append(keep, c)
			continue
		}
		c.done <- p.storedBefore(ctx, c, fmt.Errorf("journal entry %s: %w", e.GetIdempotencyKey(), closed))
	}
	return keep, ps.version
}

// readPeriods applies what the tenant's period stream holds after
// ps.version to ps's books. The caller holds ps.mu.
func (p *Poster) readPeriods(ctx context.Context, tenant string, ps *periods) error {
	evs, err := p.events.ReadStream(ctx, books.PeriodsStream(tenant), ps.version+1, 0)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if err := ps.books.Apply(ev.Payload); err != nil {
			// The books are now unknown: start again next time.
			p.mu.Lock()
			delete(p.periods, tenant)
			p.mu.Unlock()
			return err
		}
		ps.version = ev.Version
	}
	ps.stale = false
	return nil
}

// storedBefore answers a call whose entry the books reject: with the entry
// stored under the same key if it has the same content (a replay), else
// with an idempotency conflict if another entry is, else with rejected.
func (p *Poster) storedBefore(ctx context.Context, c *postCall, rejected error) postResult {
	e := entryOf(c)
	stream := entryStream(e)
	stored, err := p.events.ReadStream(ctx, stream, 1, 1)
	if err != nil {
		return postResult{err: fmt.Errorf("post journal entry: look up %s: %w", stream, err)}
	}
	if len(stored) == 0 {
		return postResult{err: rejected}
	}
	mine, err := eventstore.Prepare(stream, []eventstore.Event{c.event})
	if err != nil {
		return postResult{err: fmt.Errorf("post journal entry: %w", err)}
	}
	if stored[0].EventID != mine[0].EventID || !bytes.Equal(stored[0].ContentHash, mine[0].ContentHash) {
		return postResult{err: fmt.Errorf("journal entry %s: %w", e.GetIdempotencyKey(), books.ErrIdempotencyConflict)}
	}
	return result(eventstore.GroupResult{Events: [][]eventstore.Event{stored}, Replayed: true}, e.GetEntryId())
}

func result(r eventstore.GroupResult, entryID string) postResult {
	switch {
	case errors.Is(r.Err, eventstore.ErrContentMismatch), errors.Is(r.Err, eventstore.ErrVersionConflict):
		// The entry's stream exists with another event: the key was used
		// for different content.
		return postResult{err: fmt.Errorf("%w: %w", books.ErrIdempotencyConflict, r.Err)}
	case r.Err != nil:
		return postResult{err: fmt.Errorf("post journal entry: %w", r.Err)}
	}
	ev := r.Events[0][0]
	id, err := uuid.Parse(entryID)
	if err != nil {
		return postResult{err: fmt.Errorf("post journal entry: stored entry id: %w", err)}
	}
	return postResult{posted: Posted{EntryID: id, RecordedAt: ev.RecordedAt, Replayed: r.Replayed, Cursor: ev.Cursor}}
}
