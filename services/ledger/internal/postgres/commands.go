package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// Stream types of the command write path.
const (
	// StreamTypeDebtor holds one debtor's ledger events (stream id: the
	// debtor id; a marketplace's debtor is books.MarketplaceDebtorID).
	StreamTypeDebtor = "debtor"
	// StreamTypePeriods holds a tenant's PeriodClosed and PeriodReopened
	// events (stream id: PeriodsStreamID).
	StreamTypePeriods = "periods"
	// PeriodsStreamID is the id of the one period stream of a tenant.
	PeriodsStreamID = "periods"
)

// maxAttempts bounds how often a command is decided again after another
// command for the same debtor was stored first.
const maxAttempts = 8

// ErrContended means a command lost the optimistic-concurrency race on its
// debtor's stream maxAttempts times in a row; retrying with the same
// idempotency key is safe.
var ErrContended = errors.New("too many concurrent commands for the same stream")

// ErrUnsupportedCommand means a message is not one of the ledger's commands.
var ErrUnsupportedCommand = errors.New("not a ledger command")

var eventNamespace = uuid.MustParse("0c7c1b8e-4e55-5b5e-9d8e-5a0f6c1d2e3f")

// Result is what one command booked. For a replay it holds the ids of the
// first booking.
type Result struct {
	EntryIDs    []string
	EventIDs    []string
	OpenItemIDs []string
	Replayed    bool
}

// CommandOptions configures a Commander.
type CommandOptions struct {
	// Config returns a tenant's ledger configuration (chart, period actors,
	// allocation order). Nil means books.Config{} for every tenant.
	Config func(tenant string) books.Config
	// Now is the clock of the recorded time. Nil means time.Now.
	Now func() time.Time
}

// Commander executes the domain commands of package books against the
// event store: it loads the one debtor stream a command touches plus the
// tenant's period stream, lets the books decide, and appends the events to
// the debtor stream with the version it read, deciding again (up to
// maxAttempts times) when another command for the debtor was stored first.
// Commands that name only an open item, entry or payment find their debtor
// through command_routes, which the Commander writes after every append and
// the projection rebuilds from the debtor streams. It is safe for
// concurrent use.
type Commander struct {
	events *eventstore.Store
	store  *Store
	opt    CommandOptions
}

// NewCommander returns a Commander storing into events and assigning debtor
// accounts with store.
func NewCommander(events *eventstore.Store, store *Store, opt CommandOptions) *Commander {
	if opt.Config == nil {
		opt.Config = func(string) books.Config { return books.Config{} }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Commander{events: events, store: store, opt: opt}
}

// Meta is who sends a command and why.
type Meta struct {
	// Actor is recorded on the events and checked for period commands.
	Actor string
	// CausationID and CorrelationID go into the envelopes of the events.
	CausationID, CorrelationID string
	// TraceParent and TraceState are the W3C trace context of the caller.
	TraceParent, TraceState string
}

// Execute decides and stores one command (a pointer to one of the command
// messages of commands.proto). Its errors wrap the typed errors of package
// books (ErrInvalidCommand, ErrPeriodClosed, ErrIdempotencyConflict, ...),
// ErrUnsupportedCommand, ErrContended, a context error, or are storage
// failures.
func (c *Commander) Execute(ctx context.Context, cmd proto.Message, m Meta) (Result, error) {
	r, err := c.route(ctx, cmd)
	if err != nil {
		return Result{}, err
	}
	if r.tenant == "" {
		return Result{}, fmt.Errorf("%s: %w", cmd.ProtoReflect().Descriptor().Name(), &books.InvalidCommandError{Field: "tenant", Reason: "missing"})
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		var res Result
		if x, ok := cmd.(*ledgerv1.MergeDebtor); ok {
			res, err = c.merge(ctx, x, m)
		} else {
			res, err = c.try(ctx, cmd, r, m)
		}
		var conflict *eventstore.ConflictError
		if errors.As(err, &conflict) {
			continue
		}
		return res, err
	}
	return Result{}, fmt.Errorf("%s on %s: %w", cmd.ProtoReflect().Descriptor().Name(), r.stream(), ErrContended)
}

// route says which stream a command belongs to.
type route struct {
	tenant, debtor string
	period         bool
	// assign is the debtor whose personal account is assigned on first
	// sight, when the command opens one.
	assign string
	// missing is the error when a routed command's reference is unknown.
	missing error
}

func (r route) stream() eventstore.StreamID {
	if r.period {
		return eventstore.StreamID{Tenant: r.tenant, Type: StreamTypePeriods, ID: PeriodsStreamID}
	}
	return eventstore.StreamID{Tenant: r.tenant, Type: StreamTypeDebtor, ID: r.debtor}
}

func (c *Commander) route(ctx context.Context, cmd proto.Message) (route, error) {
	switch x := cmd.(type) {
	case *ledgerv1.MergeDebtor:
		return route{tenant: x.GetTenant(), debtor: x.GetDebtorId()}, nil
	case *ledgerv1.RegisterInvoice:
		if mp := x.GetMarketplace(); mp != "" {
			// assign: the marketplace's debtor gets a personal account of
			// its own when the tenant's chart names none for it.
			id := books.MarketplaceDebtorID(mp, x.GetCurrency())
			return route{tenant: x.GetTenant(), debtor: id, assign: id}, nil
		}
		return route{tenant: x.GetTenant(), debtor: x.GetDebtorId(), assign: x.GetDebtorId()}, nil
	case *ledgerv1.RecordOpeningBalance:
		return route{tenant: x.GetTenant(), debtor: x.GetDebtorId(), assign: x.GetDebtorId()}, nil
	case *ledgerv1.AssessCharge:
		return route{tenant: x.GetTenant(), debtor: x.GetDebtorId(), assign: x.GetDebtorId()}, nil
	case *ledgerv1.IssueCreditNote:
		return route{tenant: x.GetTenant(), debtor: x.GetDebtorId()}, nil
	case *ledgerv1.ApplyPayment:
		return route{tenant: x.GetTenant(), debtor: x.GetDebtorId()}, nil
	case *ledgerv1.RecordAgencyCollection:
		return route{tenant: x.GetTenant(), debtor: x.GetDebtorId()}, nil
	case *ledgerv1.PayOutCreditBalance:
		return route{tenant: x.GetTenant(), debtor: x.GetDebtorId()}, nil
	case *ledgerv1.WriteOff:
		return c.routeBy(ctx, x.GetTenant(), routeItem, x.GetOpenItemId(), fmt.Errorf("open_item_id: %w %q", books.ErrUnknownOpenItem, x.GetOpenItemId()))
	case *ledgerv1.RecoverWrittenOff:
		return c.routeBy(ctx, x.GetTenant(), routeItem, x.GetOpenItemId(), fmt.Errorf("open_item_id: %w %q", books.ErrUnknownOpenItem, x.GetOpenItemId()))
	case *ledgerv1.ReverseEntry:
		return c.routeBy(ctx, x.GetTenant(), routeEntry, x.GetEntryId(), fmt.Errorf("%w %q", books.ErrUnknownEntry, x.GetEntryId()))
	case *ledgerv1.ReturnPayment:
		return c.routeBy(ctx, x.GetTenant(), routeEntry, books.PaymentEntryID(x.GetTenant(), x.GetPaymentId()),
			fmt.Errorf("payment %q: %w", x.GetPaymentId(), books.ErrUnknownEntry))
	case *ledgerv1.ClosePeriod:
		return route{tenant: x.GetTenant(), period: true}, nil
	case *ledgerv1.ReopenPeriod:
		return route{tenant: x.GetTenant(), period: true}, nil
	case nil:
		return route{}, fmt.Errorf("%w: no command", ErrUnsupportedCommand)
	}
	return route{}, fmt.Errorf("%w: %s", ErrUnsupportedCommand, cmd.ProtoReflect().Descriptor().FullName())
}

// Kinds of command_routes rows.
const (
	routeItem  = "item"
	routeEntry = "entry"
)

func (c *Commander) routeBy(ctx context.Context, tenant, kind, ref string, missing error) (route, error) {
	r := route{tenant: tenant, missing: missing}
	if tenant == "" || ref == "" {
		return r, nil
	}
	err := c.store.pool.QueryRow(ctx, `SELECT debtor_id FROM command_routes WHERE tenant = $1 AND kind = $2 AND ref = $3`,
		tenant, kind, ref).Scan(&r.debtor)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("find the debtor of %s %s: %w", kind, ref, err)
	}
	return r, nil
}

// try decides a command once and appends its events with the version read.
func (c *Commander) try(ctx context.Context, cmd proto.Message, r route, m Meta) (Result, error) {
	now := c.opt.Now().UTC().Truncate(time.Microsecond)
	l := books.New(r.tenant, c.opt.Config(r.tenant))
	periods, err := c.read(ctx, eventstore.StreamID{Tenant: r.tenant, Type: StreamTypePeriods, ID: PeriodsStreamID})
	if err != nil {
		return Result{}, err
	}
	var own []eventstore.Event
	if r.period {
		own = periods
	} else if r.debtor != "" {
		if own, err = c.read(ctx, r.stream()); err != nil {
			return Result{}, err
		}
	}
	load := [][]eventstore.Event{periods, own}
	if r.period {
		load = load[:1]
	}
	for _, evs := range load {
		for _, ev := range evs {
			if err := l.Apply(ev.Payload); err != nil {
				return Result{}, fmt.Errorf("load %s: %w", ev.Stream, err)
			}
		}
	}
	if r.debtor == "" && !r.period && r.missing != nil {
		return Result{}, fmt.Errorf("%s: %w", cmd.ProtoReflect().Descriptor().Name(), r.missing)
	}
	account := ""
	if r.assign != "" {
		if _, known := l.DebtorAccountOf(r.assign); !known {
			if account, err = c.store.DebtorAccount(ctx, r.tenant, r.assign, c.opt.Config(r.tenant).Chart); err != nil {
				return Result{}, err
			}
		}
	}
	o := books.Origin{Actor: m.Actor, Now: now}
	var out []proto.Message
	switch x := cmd.(type) {
	case *ledgerv1.RegisterInvoice:
		out, err = l.RegisterInvoice(x, account, o)
	case *ledgerv1.RecordOpeningBalance:
		out, err = l.RecordOpeningBalance(x, account, o)
	case *ledgerv1.AssessCharge:
		out, err = l.AssessCharge(x, account, o)
	case *ledgerv1.IssueCreditNote:
		out, err = l.IssueCreditNote(x, o)
	case *ledgerv1.ApplyPayment:
		out, err = l.ApplyPayment(x, o)
	case *ledgerv1.RecordAgencyCollection:
		out, err = l.RecordAgencyCollection(x, o)
	case *ledgerv1.PayOutCreditBalance:
		out, err = l.PayOutCreditBalance(x, o)
	case *ledgerv1.WriteOff:
		out, err = l.WriteOff(x, o)
	case *ledgerv1.RecoverWrittenOff:
		out, err = l.RecoverWrittenOff(x, o)
	case *ledgerv1.ReverseEntry:
		out, err = l.ReverseEntry(x, o)
	case *ledgerv1.ReturnPayment:
		out, err = l.ReturnPayment(x, o)
	case *ledgerv1.ClosePeriod:
		out, err = l.ClosePeriod(x, o)
	case *ledgerv1.ReopenPeriod:
		out, err = l.ReopenPeriod(x, o)
	}
	if err != nil {
		return Result{}, err
	}
	key := idempotencyKey(cmd)
	if len(out) == 0 {
		return replayed(own, key), nil
	}
	stream := r.stream()
	evs := make([]eventstore.Event, len(out))
	for i, p := range out {
		evs[i] = eventstore.Event{
			Envelope: eventstore.Envelope{
				EventID:       uuid.NewSHA1(eventNamespace, []byte(r.tenant+"\x00"+key+"\x00"+strconv.Itoa(i))),
				OccurredAt:    now,
				CausationID:   m.CausationID,
				CorrelationID: m.CorrelationID,
				Actor:         m.Actor,
				TraceParent:   m.TraceParent,
				TraceState:    m.TraceState,
			},
			Payload: p,
		}
	}
	// own holds every event of the stream, so its length is the version.
	stored, err := c.events.Append(ctx, stream, eventstore.ExpectedVersion(len(own)), evs)
	if err != nil {
		return Result{}, fmt.Errorf("store %s on %s: %w", cmd.ProtoReflect().Descriptor().Name(), stream, err)
	}
	if !r.period {
		if err := saveRoutes(ctx, c.store.pool, stored); err != nil {
			return Result{}, err
		}
	}
	return resultOf(stored), nil
}

func (c *Commander) read(ctx context.Context, s eventstore.StreamID) ([]eventstore.Event, error) {
	var all []eventstore.Event
	for {
		evs, err := c.events.ReadStream(ctx, s, int64(len(all))+1, 10000)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s, err)
		}
		all = append(all, evs...)
		if len(evs) < 10000 {
			return all, nil
		}
	}
}

func idempotencyKey(cmd proto.Message) string {
	k, ok := cmd.(interface{ GetIdempotencyKey() string })
	if !ok {
		return ""
	}
	return k.GetIdempotencyKey()
}

// replayed returns the result of the command stored under key: the events
// from its CommandAccepted up to the next one (a command's events are
// appended together).
func replayed(evs []eventstore.Event, key string) Result {
	for i, ev := range evs {
		acc, ok := ev.Payload.(*ledgerv1.CommandAccepted)
		if !ok || acc.GetIdempotencyKey() != key {
			continue
		}
		j := i + 1
		for j < len(evs) {
			if _, next := evs[j].Payload.(*ledgerv1.CommandAccepted); next {
				break
			}
			j++
		}
		r := resultOf(evs[i:j])
		r.Replayed = true
		return r
	}
	return Result{Replayed: true}
}

func resultOf(evs []eventstore.Event) Result {
	var r Result
	for _, ev := range evs {
		r.EventIDs = append(r.EventIDs, ev.EventID.String())
		switch p := ev.Payload.(type) {
		case *ledgerv1.JournalEntryPosted:
			r.EntryIDs = append(r.EntryIDs, p.GetEntryId())
		case *ledgerv1.OpenItemOpened:
			r.OpenItemIDs = append(r.OpenItemIDs, p.GetOpenItemId())
		}
	}
	return r
}

// execer runs a statement; a pool and a transaction are both one.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// saveRoutes records which debtor stream holds the entries and open items
// of evs (events of other streams are skipped).
func saveRoutes(ctx context.Context, db execer, evs []eventstore.Event) error {
	var tenants, kinds, refs, debtors []string
	add := func(ev eventstore.Event, kind, ref string) {
		tenants, kinds, refs, debtors = append(tenants, ev.Stream.Tenant), append(kinds, kind), append(refs, ref), append(debtors, ev.Stream.ID)
	}
	for _, ev := range evs {
		if ev.Stream.Type != StreamTypeDebtor {
			continue
		}
		switch p := ev.Payload.(type) {
		case *ledgerv1.JournalEntryPosted:
			add(ev, routeEntry, p.GetEntryId())
		case *ledgerv1.OpenItemOpened:
			add(ev, routeItem, p.GetOpenItemId())
		}
	}
	if len(tenants) == 0 {
		return nil
	}
	_, err := db.Exec(ctx, `INSERT INTO command_routes (tenant, kind, ref, debtor_id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
		tenants, kinds, refs, debtors)
	if err != nil {
		return fmt.Errorf("record the debtors of %d entries and items: %w", len(tenants), err)
	}
	return nil
}
