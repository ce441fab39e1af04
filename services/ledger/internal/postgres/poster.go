package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
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
// up to version, applied to books of their own.
type periods struct {
	mu      sync.Mutex
	books   *books.Ledger
	version int64
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

// commit decides one batch against the tenants' periods, stores the
// entries that pass and answers every caller.
func (p *Poster) commit(ctx context.Context, batch []*postCall) {
	ctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	byTenant := map[string][]*postCall{}
	var tenants []string
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.done <- postResult{err: err}
			continue
		}
		t := entryOf(c).GetTenant()
		if byTenant[t] == nil {
			tenants = append(tenants, t)
		}
		byTenant[t] = append(byTenant[t], c)
	}
	groups := make([]eventstore.AppendGroup, 0, len(batch))
	calls := batch[:0:0]
	for _, t := range tenants {
		for _, c := range p.decide(ctx, t, byTenant[t]) {
			groups = append(groups, eventstore.AppendGroup{{Stream: entryStream(entryOf(c)), Expected: eventstore.NoStream, Events: []eventstore.Event{c.event}}})
			calls = append(calls, c)
		}
	}
	if len(groups) == 0 {
		return
	}
	res, err := p.events.AppendBatch(ctx, groups)
	for i, c := range calls {
		if err != nil {
			c.done <- postResult{err: fmt.Errorf("post journal entries: %w", err)}
			continue
		}
		c.done <- result(res[i], entryOf(c).GetEntryId())
	}
}

func entryOf(c *postCall) *ledgerv1.JournalEntryPosted {
	return c.event.Payload.(*ledgerv1.JournalEntryPosted)
}

func entryStream(e *ledgerv1.JournalEntryPosted) eventstore.StreamID {
	return eventstore.StreamID{Tenant: e.GetTenant(), Type: books.StreamTypeEntry, ID: e.GetEntryId()}
}

// decide has the tenant's books check the periods of calls' entries and
// returns the calls to store; it answers the others. An entry dated in a
// closed period that was stored before the close is a replay.
func (p *Poster) decide(ctx context.Context, tenant string, calls []*postCall) []*postCall {
	p.mu.Lock()
	ps, ok := p.periods[tenant]
	if !ok {
		ps = &periods{books: books.New(tenant, books.Config{})}
		p.periods[tenant] = ps
	}
	p.mu.Unlock()

	ps.mu.Lock()
	defer ps.mu.Unlock()
	evs, err := p.events.ReadStream(ctx, books.PeriodsStream(tenant), ps.version+1, 0)
	if err == nil {
		for _, ev := range evs {
			if err = ps.books.Apply(ev.Payload); err != nil {
				// The books are now unknown: start again next time.
				p.mu.Lock()
				delete(p.periods, tenant)
				p.mu.Unlock()
				break
			}
			ps.version = ev.Version
		}
	}
	if err != nil {
		for _, c := range calls {
			c.done <- postResult{err: fmt.Errorf("post journal entry: periods of %s: %w", tenant, err)}
		}
		return nil
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
	return keep
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
