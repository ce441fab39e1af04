package books

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
)

// DefaultCachedDebtors is how many debtors' books a Commander keeps in
// memory between commands when CommanderOptions.CachedDebtors is zero.
const DefaultCachedDebtors = 1024

// booksCache keeps the books of recently used debtor streams, so that a
// command reads only the events appended since the last one instead of
// the debtor's whole history and the tenant's period stream. The least
// recently used books go first when it is full.
type booksCache struct {
	mu     sync.Mutex
	max    int
	lru    *list.List // of *cachedBooks, most recently used first
	byName map[es.StreamID]*list.Element
}

// cachedBooks are the books of one debtor stream: the tenant's period
// stream up to version periods and the debtor's stream up to version
// version, applied in that order. mu is held while a command decides on
// the stream, so commands of one process for one debtor take turns
// instead of racing; l is nil when the books must be loaded afresh.
type cachedBooks struct {
	stream  es.StreamID
	mu      sync.Mutex
	l       *Ledger
	periods int64
	version int64
}

func newBooksCache(max int) *booksCache {
	return &booksCache{max: max, lru: list.New(), byName: make(map[es.StreamID]*list.Element)}
}

// acquire returns the locked books of stream, new and empty when they are
// not cached.
func (c *booksCache) acquire(stream es.StreamID) *cachedBooks {
	b := c.entry(stream)
	b.mu.Lock()
	return b
}

// tryAcquire is acquire when the books are not locked; false when they
// are (another command decides on them).
func (c *booksCache) tryAcquire(stream es.StreamID) (*cachedBooks, bool) {
	b := c.entry(stream)
	return b, b.mu.TryLock()
}

// entry returns the books of stream, new and empty when they are not
// cached, most recently used now.
func (c *booksCache) entry(stream es.StreamID) *cachedBooks {
	c.mu.Lock()
	e, ok := c.byName[stream]
	if ok {
		c.lru.MoveToFront(e)
	} else {
		e = c.lru.PushFront(&cachedBooks{stream: stream})
		c.byName[stream] = e
		for c.lru.Len() > c.max {
			// A command still holding the evicted books finishes with
			// them; the next command for that stream loads it again.
			old := c.lru.Back()
			delete(c.byName, old.Value.(*cachedBooks).stream)
			c.lru.Remove(old)
		}
	}
	b := e.Value.(*cachedBooks)
	c.mu.Unlock()
	return b
}

// refresh brings b up to the period stream's and stream's current
// versions, loading them whole when b is empty. On error b is emptied.
func (c *Commander) refresh(ctx context.Context, b *cachedBooks, tenant string, stream es.StreamID) error {
	if b.l == nil {
		b.l, b.periods, b.version = New(tenant, c.opt.Config(tenant)), 0, 0
	}
	for _, s := range []struct {
		stream  es.StreamID
		version *int64
	}{{PeriodsStream(tenant), &b.periods}, {stream, &b.version}} {
		evs, err := c.readFrom(ctx, s.stream, *s.version+1)
		if err == nil {
			err = load(b.l, evs)
		}
		if err != nil {
			b.l = nil
			return err
		}
		if n := len(evs); n > 0 {
			*s.version = evs[n-1].Version
		}
	}
	return nil
}

// onceCached is once for a command on a debtor's stream, deciding on the
// cached books of the stream (see booksCache). The books are dropped
// whenever they may no longer equal the stored events: after a failed
// append, or when the append stored something other than this command's
// events right after the version read.
func (c *Commander) onceCached(ctx context.Context, cmd proto.Message, t target, m Meta, decide decideFunc) (Result, error) {
	now := c.opt.Now().UTC().Truncate(time.Microsecond)
	name := cmd.ProtoReflect().Descriptor().Name()
	stream := t.stream()
	b := c.cache.acquire(stream)
	defer b.mu.Unlock()
	if err := c.refresh(ctx, b, t.tenant, stream); err != nil {
		return Result{}, err
	}
	l := b.l
	account := ""
	if t.assign != "" {
		if _, known := l.PersonalAccount(t.assign); !known {
			var err error
			if account, err = c.dir.DebtorAccount(ctx, t.tenant, t.assign, c.opt.Config(t.tenant).Chart); err != nil {
				return Result{}, err
			}
		}
	}
	// Deciding reads the books and changes nothing; StatusFacts then
	// applies the decided events.
	out, err := decideChecked(decide, l, cmd, account, Origin{Actor: m.Actor, Now: now})
	if err != nil {
		return Result{}, err
	}
	key := idempotencyKey(cmd)
	if len(out) == 0 {
		// A replay: the first booking's ids are in the stream.
		own, err := c.readFrom(ctx, stream, 1)
		if err != nil {
			return Result{}, err
		}
		return replayed(own, key), nil
	}
	b.l = nil // until the books hold exactly what is stored
	facts, err := l.StatusFacts(out, now)
	if err != nil {
		return Result{}, fmt.Errorf("%s: status: %w", name, err)
	}
	out = append(out, facts...)
	stored, err := c.events.Append(ctx, stream, es.ExpectedVersion(b.version), envelopes(t.tenant, key, "", out, now, m))
	if err != nil {
		return Result{}, fmt.Errorf("store %s on %s: %w", name, stream, err)
	}
	if len(stored) == len(out) && stored[0].Version == b.version+1 && stored[len(stored)-1].Version == b.version+int64(len(out)) &&
		l.Apply(facts...) == nil {
		b.l, b.version = l, stored[len(stored)-1].Version
	}
	if err := c.dir.SaveRoutes(ctx, RoutesOf(stored)); err != nil {
		return Result{}, fmt.Errorf("store %s on %s: %w", name, stream, err)
	}
	return resultOf(stored), nil
}
