package books

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
)

// Command is a command with its metadata, one of a batch (ExecuteBatch).
type Command struct {
	Msg  proto.Message
	Meta Meta
}

// RoutedAppender stores the events of many commands and the routes they
// record in one transaction per round of es.AppendGroup writes (package
// postgres implements it on the ledger's event store).
type RoutedAppender interface {
	// AppendBatchRouted is EventStore.AppendBatch that records routes[i]
	// in the transaction that writes groups[i]; a group that is replayed
	// or fails records none. Its errors are AppendBatch's.
	AppendBatchRouted(ctx context.Context, groups []es.AppendGroup, routes [][]Route) ([]es.GroupResult, error)
}

// ExecuteBatch executes cmds as Execute would one after another, in their
// order, and returns each one's result and error. The commands decided on
// a debtor's stream (every command of the table but those on a period,
// bank or statement stream and MergeDebtor) are decided one by one on the
// debtor's cached books, each seeing the commands before it, and stored
// together: one AppendBatch, with the routes they record in the same
// transaction when CommanderOptions.Appender is set, and each append at
// the version its decision read, so a command that another process
// overtook, or that follows one of the batch that failed, is not stored;
// such commands are executed again alone, as Execute retries. Every other
// command is executed alone, after the commands before it are stored.
// One command's failure is its own error; the idempotency check, the
// books' invariants and the routes are those of Execute.
func (c *Commander) ExecuteBatch(ctx context.Context, cmds []Command) ([]Result, []error) {
	results, errs := make([]Result, len(cmds)), make([]error, len(cmds))
	if c.cache == nil {
		for i, x := range cmds {
			results[i], errs[i] = c.Execute(ctx, x.Msg, x.Meta)
		}
		return results, errs
	}
	g := &group{c: c, held: map[es.StreamID]*heldBooks{}, routes: map[routeKey]string{},
		periods: map[string]periodEvents{}, results: results, errs: errs}
	defer g.release()
	for i, x := range cmds {
		spec, t, err := c.targetOf(x.Msg)
		if err != nil {
			errs[i] = err
			continue
		}
		if t.kind != "" && t.ref != "" {
			// The route may be one a command of this batch records.
			if d, ok := g.routes[routeKey{t.tenant, t.kind, t.ref}]; ok {
				t.debtor = d
			} else if t.debtor, err = c.dir.Route(ctx, t.tenant, t.kind, t.ref); err != nil {
				errs[i] = fmt.Errorf("find the debtor of %s %s: %w", t.kind, t.ref, err)
				continue
			}
		}
		if spec.decide == nil || t.periods || t.own.Type != "" || t.into != "" || t.debtor == "" {
			g.flush(ctx)
			results[i], errs[i] = c.execute(ctx, spec, x.Msg, t, x.Meta)
			continue
		}
		g.decide(ctx, i, x, spec, t)
	}
	g.flush(ctx)
	// After the flush every route the batch records is stored.
	for i, x := range cmds {
		errs[i] = c.unknownDebtorItem(ctx, x.Msg, errs[i])
	}
	return results, errs
}

// group is the state of one ExecuteBatch: the books it holds locked and
// the commands decided and not yet stored.
type group struct {
	c       *Commander
	held    map[es.StreamID]*heldBooks
	pending []decided
	// routes are the routes the pending commands record.
	routes map[routeKey]string
	// periods are the period streams read in this batch, by tenant.
	periods map[string]periodEvents
	results []Result
	errs    []error
}

// heldBooks are the cached books of a stream while a batch holds them:
// next is the version the stream will have once the batch's commands
// decided on them are stored; valid is false when the books no longer
// follow those decisions.
type heldBooks struct {
	b     *cachedBooks
	next  int64
	valid bool
}

// decided is a command decided and waiting to be stored.
type decided struct {
	i        int
	cmd      Command
	h        *heldBooks
	stream   es.StreamID
	expected int64
	events   []es.Event
	routes   []Route
}

// decide decides command i on its debtor's books, held for the rest of
// the batch, and queues its events; a replay, or books that cannot follow
// it, first store what is queued.
func (g *group) decide(ctx context.Context, i int, x Command, spec command, t target) {
	c := g.c
	now := c.opt.Now().UTC().Truncate(time.Microsecond)
	name := x.Msg.ProtoReflect().Descriptor().Name()
	stream := t.stream()
	h := g.held[stream]
	if h != nil && !h.valid {
		g.flush(ctx)
		h = nil
	}
	if h == nil {
		// Waiting for books while holding others could deadlock with a
		// batch that holds these and waits for those: wait holding none.
		b, ok := c.cache.tryAcquire(stream)
		if !ok {
			g.flush(ctx)
			b = c.cache.acquire(stream)
		}
		if err := g.refresh(ctx, b, t.tenant, stream); err != nil {
			b.mu.Unlock()
			g.errs[i] = err
			return
		}
		h = &heldBooks{b: b, next: b.version, valid: true}
		g.held[stream] = h
	}
	l := h.b.l
	account := ""
	if t.assign != "" {
		if _, known := l.PersonalAccount(t.assign); !known {
			var err error
			if account, err = c.dir.DebtorAccount(ctx, t.tenant, t.assign, c.opt.Config(t.tenant).Chart); err != nil {
				g.errs[i] = err
				return
			}
		}
	}
	out, err := decideChecked(spec.decide, l, x.Msg, account, Origin{Actor: x.Meta.Actor, Now: now})
	if err != nil {
		g.errs[i] = err
		return
	}
	key := idempotencyKey(x.Msg)
	if len(out) == 0 {
		// A replay: the first booking may be queued in this batch; store
		// it, then read its ids as Execute does.
		g.flush(ctx)
		g.results[i], g.errs[i] = c.execute(ctx, spec, x.Msg, t, x.Meta)
		return
	}
	facts, err := l.StatusFacts(out, now)
	if err != nil {
		// StatusFacts applied part of the decision: the books no longer
		// equal what is stored and queued.
		h.valid = false
		h.b.l = nil
		g.errs[i] = fmt.Errorf("%s: status: %w", name, err)
		return
	}
	out = append(out, facts...)
	if err := l.Apply(facts...); err != nil {
		h.valid = false
	}
	evs := envelopes(t.tenant, key, "", out, now, x.Meta)
	routed := make([]es.Event, len(evs))
	for k, ev := range evs {
		routed[k] = ev
		routed[k].Stream = stream
	}
	rs := RoutesOf(routed)
	for _, r := range rs {
		g.routes[routeKey{r.Tenant, r.Kind, r.Ref}] = r.DebtorID
	}
	g.pending = append(g.pending, decided{i: i, cmd: x, h: h, stream: stream, expected: h.next, events: evs, routes: rs})
	h.next += int64(len(evs))
}

// refresh brings b up to the period stream's current version, reading it
// once per tenant and batch. Books not cached are loaded whole. Cached
// books are not brought up to their debtor stream's version: the append
// at the version they hold fails when another process stored anything on
// the stream since, and the command is then executed again alone, on
// books refreshed from the stream (Execute's refresh), so a decision
// never rests on events it did not see.
func (g *group) refresh(ctx context.Context, b *cachedBooks, tenant string, stream es.StreamID) error {
	if b.l == nil {
		return g.c.refresh(ctx, b, tenant, stream)
	}
	evs, err := g.periodsSince(ctx, tenant, b.periods+1)
	if err == nil {
		err = load(b.l, evs)
	}
	if err != nil {
		b.l = nil
		return err
	}
	if n := len(evs); n > 0 {
		b.periods = evs[n-1].Version
	}
	return nil
}

// periodsSince returns the events of tenant's period stream from version
// from on, read at most once per batch and tenant (again only for books
// that hold an older version than the first read).
func (g *group) periodsSince(ctx context.Context, tenant string, from int64) ([]es.Event, error) {
	if p, ok := g.periods[tenant]; ok && from >= p.from {
		evs := p.evs
		for len(evs) > 0 && evs[0].Version < from {
			evs = evs[1:]
		}
		return evs, nil
	}
	evs, err := g.c.readFrom(ctx, PeriodsStream(tenant), from)
	if err != nil {
		return nil, err
	}
	g.periods[tenant] = periodEvents{from: from, evs: evs}
	return evs, nil
}

// periodEvents are a period stream's events from version from on.
type periodEvents struct {
	from int64
	evs  []es.Event
}

// flush stores the queued commands with one AppendBatch, sets their
// results, lets go of the books the batch holds (keeping them cached when
// they equal what is stored) and executes again, alone, each command whose
// append failed.
func (g *group) flush(ctx context.Context) {
	pending := g.pending
	g.pending = nil
	clear(g.routes)
	// A command executed alone after the flush may change a period
	// stream (ClosePeriod): read them again.
	clear(g.periods)
	var again []decided
	if len(pending) > 0 {
		groups := make([]es.AppendGroup, len(pending))
		routes := make([][]Route, len(pending))
		for k, d := range pending {
			groups[k] = es.AppendGroup{{Stream: d.stream, Expected: es.ExpectedVersion(d.expected), Events: d.events}}
			routes[k] = d.routes
		}
		res, err := g.c.appendRouted(ctx, groups, routes)
		for k, d := range pending {
			switch {
			case err != nil || res[k].Err != nil || res[k].Replayed:
				d.h.valid = false
				again = append(again, d)
			default:
				stored := res[k].Events[0]
				g.results[d.i] = resultOf(stored)
				if d.h.valid && stored[0].Version == d.expected+1 && stored[len(stored)-1].Version == d.expected+int64(len(d.events)) {
					d.h.b.version = stored[len(stored)-1].Version
				} else {
					d.h.valid = false
				}
			}
		}
	}
	g.release()
	for _, d := range again {
		spec, t, err := g.c.resolve(ctx, d.cmd.Msg)
		if err != nil {
			g.errs[d.i] = err
			continue
		}
		g.results[d.i], g.errs[d.i] = g.c.execute(ctx, spec, d.cmd.Msg, t, d.cmd.Meta)
	}
}

// release unlocks the books the batch holds, dropping those that do not
// equal what is stored (a decision of the batch failed, or was not stored
// as decided).
func (g *group) release() {
	for s, h := range g.held {
		if !h.valid || h.b.version != h.next {
			h.b.l = nil
		}
		h.b.mu.Unlock()
		delete(g.held, s)
	}
}

// appendRouted stores groups and their routes: in one transaction per
// round with CommanderOptions.Appender, else with AppendBatch and then
// SaveRoutes for the groups written.
func (c *Commander) appendRouted(ctx context.Context, groups []es.AppendGroup, routes [][]Route) ([]es.GroupResult, error) {
	if c.opt.Appender != nil {
		return c.opt.Appender.AppendBatchRouted(ctx, groups, routes)
	}
	res, err := c.events.AppendBatch(ctx, groups)
	if err != nil {
		return nil, err
	}
	var all []Route
	for k, r := range res {
		if r.Err == nil && !r.Replayed {
			all = append(all, routes[k]...)
		}
	}
	if err := c.dir.SaveRoutes(ctx, all); err != nil {
		return nil, errors.Join(errRoutesNotSaved, err)
	}
	return res, nil
}

// errRoutesNotSaved says the events of a batch were stored but their
// routes were not; each command is executed again, which finds its events
// stored (a replay) and saves its routes.
var errRoutesNotSaved = errors.New("routes of a stored batch not saved")
