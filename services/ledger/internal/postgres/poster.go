package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// Errors of Poster.Post.
var (
	// ErrInvalidEntry means the entry was rejected before it was stored:
	// a malformed tenant, key, date, account or currency, fewer than two
	// legs, or legs that do not balance per currency (then it also wraps
	// books.ErrUnbalanced). The error says which field is wrong.
	ErrInvalidEntry = errors.New("invalid journal entry")
	// ErrIdempotencyConflict means the idempotency key was used before for
	// an entry with different content; the stored entry is unchanged.
	ErrIdempotencyConflict = errors.New("idempotency key already used for a different entry")
	// ErrStopped means the poster's committers have stopped (the service
	// is shutting down); the entry was not stored.
	ErrStopped = errors.New("ledger poster stopped")
)

// Limits of a posted entry.
const (
	maxLegs      = 1000
	maxKeyLen    = 200
	maxTextLen   = 1000
	maxLegAmount = 1_000_000_000_000_000 // 10^15 minor units: maxLegs of them cannot overflow int64
)

var debtorAccount = regexp.MustCompile(DebtorAccountPattern)

// StreamTypeEntry is the stream type of posted journal entries: one stream
// per entry, its id the entry id.
const StreamTypeEntry = "journal-entry"

// entryNamespace derives entry ids from (tenant, idempotency key).
var entryNamespace = uuid.MustParse("0f7a3c52-9d1e-5b84-a6c3-2e5d8f1b9a70")

// EntryID returns the id of the entry posted under key by tenant: the same
// key always names the same entry.
func EntryID(tenant, key string) uuid.UUID {
	return uuid.NewSHA1(entryNamespace, []byte(tenant+"\x00"+key))
}

// Entry is a journal entry to post. Legs are signed: a debit is positive, a
// credit negative, in minor units of their currency.
type Entry struct {
	Tenant         string
	IdempotencyKey string
	EffectiveDate  *commonv1.Date
	DocumentNumber string
	Text           string
	Legs           []*ledgerv1.JournalLeg
}

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
	// Committers is the number of batches in flight at once (default 2):
	// while one waits for its WAL flush, the next one fills.
	Committers int
}

// Poster is the ledger's write path: Post validates an entry and hands it
// to a group committer that stores the entries of many concurrent callers
// with one eventstore.AppendBatch, one transaction and one WAL flush. Every
// caller gets its own result; an entry that fails (an idempotency conflict,
// a database error of its own) does not fail the others of its batch.
// Run must be running for posts to complete.
type Poster struct {
	events  *eventstore.Store
	opt     PosterOptions
	queue   chan *postCall
	stopped chan struct{}
	once    sync.Once
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
		opt.Committers = 2
	}
	return &Poster{
		events:  events,
		opt:     opt,
		queue:   make(chan *postCall, opt.MaxBatch*opt.Committers),
		stopped: make(chan struct{}),
	}
}

// Post stores e as a journal entry, or returns the entry stored before
// under the same tenant and idempotency key if its content is the same
// (Replayed). It returns an error wrapping ErrInvalidEntry,
// ErrIdempotencyConflict or ErrStopped, ctx's error, or a storage error. If
// ctx ends while the entry is in a batch, the entry may still be stored: a
// retry with the same key tells.
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

// entryEvent validates e and builds its JournalEntryPosted event.
func entryEvent(ctx context.Context, e Entry) (eventstore.Event, error) {
	if err := validate(e); err != nil {
		return eventstore.Event{}, err
	}
	id := EntryID(e.Tenant, e.IdempotencyKey)
	legs := make([]*ledgerv1.JournalLeg, len(e.Legs))
	for i, l := range e.Legs {
		legs[i] = proto.CloneOf(l)
	}
	posted := &ledgerv1.JournalEntryPosted{
		Tenant:         e.Tenant,
		EntryId:        id.String(),
		EffectiveDate:  proto.CloneOf(e.EffectiveDate),
		DocumentNumber: e.DocumentNumber,
		Text:           e.Text,
		Legs:           legs,
		IdempotencyKey: e.IdempotencyKey,
	}
	if err := books.CheckBalanced(posted); err != nil {
		return eventstore.Event{}, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
	}
	env := eventstore.Envelope{
		EventID:    books.DerivedID(id, "journal-entry-posted"),
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

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidEntry, fmt.Sprintf(format, args...))
}

func validate(e Entry) error {
	switch {
	case !bus.ValidTenant(e.Tenant):
		return invalid("tenant %q is not a tenant id (lowercase letters, digits, dashes)", e.Tenant)
	case e.IdempotencyKey == "" || len(e.IdempotencyKey) > maxKeyLen || !utf8.ValidString(e.IdempotencyKey):
		return invalid("idempotency_key must be 1 to %d bytes of UTF-8", maxKeyLen)
	case len(e.Text) > maxTextLen || !utf8.ValidString(e.Text) || !utf8.ValidString(e.DocumentNumber) || len(e.DocumentNumber) > maxKeyLen:
		return invalid("text (up to %d bytes) and document_number (up to %d) must be UTF-8", maxTextLen, maxKeyLen)
	case len(e.Legs) < 2 || len(e.Legs) > maxLegs:
		return invalid("an entry has 2 to %d legs, this one %d", maxLegs, len(e.Legs))
	}
	d := e.EffectiveDate
	if d == nil || d.GetYear() < 1900 || d.GetYear() > 9999 ||
		date(d).Month() != time.Month(d.GetMonth()) || date(d).Day() != int(d.GetDay()) || d.GetMonth() < 1 || d.GetDay() < 1 {
		return invalid("effective_date %v is not a calendar date", d)
	}
	for i, l := range e.Legs {
		a := l.GetAmount()
		if l.GetAccount() == "" || len(l.GetAccount()) > 20 || !utf8.ValidString(l.GetAccount()) {
			return invalid("legs[%d].account %q must be 1 to 20 characters", i, l.GetAccount())
		}
		if _, ok := money.Exponent(a.GetCurrency()); !ok {
			return invalid("legs[%d].amount.currency %q is not an ISO 4217 currency", i, a.GetCurrency())
		}
		if m := a.GetMinorUnits(); m == 0 || m > maxLegAmount || m < -maxLegAmount {
			return invalid("legs[%d].amount.minor_units %d must be non-zero and at most 10^15 in size", i, m)
		}
		if len(l.GetDebtorId()) > maxKeyLen || len(l.GetTaxKey()) > 10 {
			return invalid("legs[%d]: debtor_id or tax_key too long", i)
		}
		if l.GetDebtorId() != "" && !debtorAccount.MatchString(l.GetAccount()) {
			return invalid("legs[%d] names debtor %q but account %q is not a debtor personal account (5 to 9 digits, leading 1-6)", i, l.GetDebtorId(), l.GetAccount())
		}
	}
	return nil
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

// commit stores one batch and answers every caller.
func (p *Poster) commit(ctx context.Context, batch []*postCall) {
	ctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	groups := make([]eventstore.AppendGroup, 0, len(batch))
	calls := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.done <- postResult{err: err}
			continue
		}
		e := c.event.Payload.(*ledgerv1.JournalEntryPosted)
		stream := eventstore.StreamID{Tenant: e.GetTenant(), Type: StreamTypeEntry, ID: e.GetEntryId()}
		groups = append(groups, eventstore.AppendGroup{{Stream: stream, Expected: eventstore.NoStream, Events: []eventstore.Event{c.event}}})
		calls = append(calls, c)
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
		c.done <- result(res[i], c.event.Payload.(*ledgerv1.JournalEntryPosted).GetEntryId())
	}
}

func result(r eventstore.GroupResult, entryID string) postResult {
	switch {
	case errors.Is(r.Err, eventstore.ErrContentMismatch), errors.Is(r.Err, eventstore.ErrVersionConflict):
		// The entry's stream exists with another event: the key was used
		// for different content.
		return postResult{err: fmt.Errorf("%w: %w", ErrIdempotencyConflict, r.Err)}
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
