package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

// Payers resolves ingestion's counterparty ids to payers, at most 1000 per
// call (ImportService.GetCounterparties). Errors mean ingestion could not
// be asked (transient).
type Payers interface {
	Payers(ctx context.Context, tenant string, ids []string) (map[string]queue.Payer, error)
}

// ErrStopped means the batcher stopped before the payment was decided; the
// message comes again.
var ErrStopped = errors.New("the batcher stopped")

// Batcher gathers the bank transactions of concurrent handlers into
// batches: one GetCounterparties call per tenant for the payers of a batch
// (through a cache), one Decide, one append. A handler waits for its
// payment's outcome.
type Batcher struct {
	Desk Decider
	// Payers, when set, resolves the payers (else payments are matched
	// without payer name and IBAN).
	Payers Payers
	// Max bounds a batch; 0 means 500.
	Max int
	// Cache keeps resolved payers in memory; nil resolves every time.
	Cache *PayerCache

	once sync.Once
	in   chan request
	done chan struct{}
}

type request struct {
	ctx context.Context
	a   queue.Arrival
	out chan error
}

func (b *Batcher) init() {
	b.once.Do(func() {
		b.in = make(chan request, 1024)
		b.done = make(chan struct{})
	})
}

// Decide hands a to the batch being gathered and waits for its outcome.
func (b *Batcher) Decide(ctx context.Context, a queue.Arrival) error {
	b.init()
	r := request{ctx: ctx, a: a, out: make(chan error, 1)}
	select {
	case b.in <- r:
	case <-b.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.out:
		return err
	case <-b.done:
		// Run stopped; it answers every request it took before it returns.
		select {
		case err := <-r.out:
			return err
		default:
			return ErrStopped
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run gathers and decides batches until ctx ends.
func (b *Batcher) Run(ctx context.Context) error {
	b.init()
	max := b.Max
	if max <= 0 {
		max = 500
	}
	defer func() {
		// Answer whatever is still queued.
		for {
			select {
			case r := <-b.in:
				r.out <- ErrStopped
			default:
				return
			}
		}
	}()
	for {
		var batch []request
		select {
		case <-ctx.Done():
			b.closeDone()
			return nil
		case r := <-b.in:
			batch = append(batch, r)
		}
	fill:
		for len(batch) < max {
			select {
			case r := <-b.in:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.decide(context.WithoutCancel(ctx), batch)
	}
}

func (b *Batcher) closeDone() {
	select {
	case <-b.done:
	default:
		close(b.done)
	}
}

// decide resolves the batch's payers and decides it.
func (b *Batcher) decide(ctx context.Context, batch []request) {
	arrivals := make([]queue.Arrival, len(batch))
	for i, r := range batch {
		arrivals[i] = r.a
		arrivals[i].TraceParent, arrivals[i].TraceState = es.TraceContext(r.ctx)
	}
	if err := b.resolve(ctx, arrivals); err != nil {
		for _, r := range batch {
			r.out <- err
		}
		return
	}
	errs := b.Desk.Decide(ctx, arrivals)
	for i, r := range batch {
		r.out <- errs[i]
	}
}

// resolve sets the payers of arrivals, asking ingestion per tenant for
// those the cache does not hold.
func (b *Batcher) resolve(ctx context.Context, arrivals []queue.Arrival) error {
	if b.Payers == nil {
		return nil
	}
	missing := map[string][]string{}
	found := map[[2]string]queue.Payer{}
	for i := range arrivals {
		a := &arrivals[i]
		id := a.Payment.GetCounterpartyId()
		if id == "" {
			continue
		}
		if p, ok := b.Cache.get(a.Tenant, id); ok {
			a.Payer = p
			continue
		}
		missing[a.Tenant] = append(missing[a.Tenant], id)
	}
	for tenant, ids := range missing {
		ids = unique(ids)
		for start := 0; start < len(ids); start += 1000 {
			chunk := ids[start:min(start+1000, len(ids))]
			got, err := b.Payers.Payers(ctx, tenant, chunk)
			if err != nil {
				return fmt.Errorf("payers of %d bank transactions: %w", len(chunk), err)
			}
			for _, id := range chunk {
				found[[2]string{tenant, id}] = got[id]
				b.Cache.put(tenant, id, got[id])
			}
		}
	}
	for i := range arrivals {
		a := &arrivals[i]
		if p, ok := found[[2]string{a.Tenant, a.Payment.GetCounterpartyId()}]; ok {
			a.Payer = p
		}
	}
	return nil
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// PayerCache keeps resolved payers in memory for TTL, at most Max of them
// (then it starts afresh). It holds personal data: nothing of it is ever
// written to disk, and an erasure in ingestion reaches it within TTL.
type PayerCache struct {
	TTL time.Duration
	Max int
	Now func() time.Time

	mu sync.Mutex
	m  map[[2]string]cached
}

type cached struct {
	p  queue.Payer
	at time.Time
}

func (c *PayerCache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *PayerCache) get(tenant, id string) (queue.Payer, bool) {
	if c == nil {
		return queue.Payer{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[[2]string{tenant, id}]
	if !ok || c.TTL > 0 && c.now().Sub(v.at) > c.TTL {
		return queue.Payer{}, false
	}
	return v.p, true
}

func (c *PayerCache) put(tenant, id string, p queue.Payer) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.Max > 0 && len(c.m) >= c.Max {
		c.m = map[[2]string]cached{}
	}
	c.m[[2]string{tenant, id}] = cached{p: p, at: c.now()}
}
