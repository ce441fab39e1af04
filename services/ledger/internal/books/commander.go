package books

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
)

// Stream types of the ledger's event store.
const (
	// StreamTypeDebtor holds one debtor's ledger events (stream id: the
	// debtor id; a marketplace's debtor is MarketplaceDebtorID).
	StreamTypeDebtor = "debtor"
	// StreamTypePeriods holds a tenant's PeriodClosed and PeriodReopened
	// events (stream id: PeriodsStreamID).
	StreamTypePeriods = "periods"
	// PeriodsStreamID is the id of the one period stream of a tenant.
	PeriodsStreamID = "periods"
	// StreamTypeEntry holds one manual journal entry (PostJournalEntry):
	// one stream per entry, its id the entry id (JournalEntryID).
	StreamTypeEntry = "journal-entry"
	// StreamTypeBankTransaction holds one bank transaction
	// (RecordBankTransaction): one stream per transaction, its id the
	// transaction id, so the transactions of a busy bank account serialise
	// nothing and no command reads the account's history.
	StreamTypeBankTransaction = "bank-transaction"
	// StreamTypeBankStatements holds the statements of one bank account
	// (RecordStatementBalance; stream id: the IBAN), so the first
	// statement of an account is known.
	StreamTypeBankStatements = "bank-statements"
)

// DebtorStream returns the stream of a debtor of tenant.
func DebtorStream(tenant, debtorID string) es.StreamID {
	return es.StreamID{Tenant: tenant, Type: StreamTypeDebtor, ID: debtorID}
}

// BankTransactionStream returns the stream of a bank transaction of tenant.
func BankTransactionStream(tenant, transactionID string) es.StreamID {
	return es.StreamID{Tenant: tenant, Type: StreamTypeBankTransaction, ID: transactionID}
}

// BankStatementStream returns the statement stream of a bank account
// (IBAN, upper case without spaces) of tenant.
func BankStatementStream(tenant, iban string) es.StreamID {
	return es.StreamID{Tenant: tenant, Type: StreamTypeBankStatements, ID: NormalIBAN(iban)}
}

// PeriodsStream returns the period stream of tenant.
func PeriodsStream(tenant string) es.StreamID {
	return es.StreamID{Tenant: tenant, Type: StreamTypePeriods, ID: PeriodsStreamID}
}

// maxAttempts bounds how often a command is decided again after another
// command for the same stream was stored first.
const maxAttempts = 8

// ErrContended means a command lost the optimistic-concurrency race on its
// stream maxAttempts times in a row; retrying with the same idempotency key
// is safe.
var ErrContended = errors.New("too many concurrent commands for the same stream")

// ErrUnsupportedCommand means a message is not one of the ledger's commands.
var ErrUnsupportedCommand = errors.New("not a ledger command")

// EventStore is the event store the Commander loads streams from and
// appends to; *eventstore.Store and *memstore.Store satisfy it.
type EventStore interface {
	// ReadStream returns up to limit events (limit <= 0: all) of stream
	// with version >= from, by version; a stream without events has none.
	// Its errors are the context's or storage failures.
	ReadStream(ctx context.Context, stream es.StreamID, from int64, limit int) ([]es.Event, error)
	// Append stores events at the end of stream if the stream is at
	// version expected, atomically, and returns them as stored; when every
	// event id is stored with the same content it stores nothing and
	// returns the stored events. Its errors wrap a *es.ConflictError
	// (es.ErrVersionConflict: another append came first), a
	// *es.ContentMismatchError, es.ErrPartialDuplicate or
	// es.ErrInvalidEvent, the context's error, or are storage failures.
	Append(ctx context.Context, stream es.StreamID, expected es.ExpectedVersion, events []es.Event) ([]es.Event, error)
	// AppendBatch stores each group atomically across its streams and
	// decides each on its own, as Append decides one append: a group's
	// failure is its GroupResult.Err (with the errors of Append). The
	// returned error is for the whole call: the context's, or a storage
	// failure.
	AppendBatch(ctx context.Context, groups []es.AppendGroup) ([]es.GroupResult, error)
}

// RouteKind says what a Route points at.
type RouteKind string

// Kinds of routes.
const (
	// RouteItem is an open item id.
	RouteItem RouteKind = "item"
	// RouteEntry is a journal entry id.
	RouteEntry RouteKind = "entry"
)

// Route records which debtor's stream holds an open item or journal entry,
// so that a command naming only the item or entry finds its stream.
type Route struct {
	Tenant   string
	Kind     RouteKind
	Ref      string
	DebtorID string
}

// RoutesOf returns the routes of the entries and open items that events
// of debtor streams record; events of other streams have none.
func RoutesOf(evs []es.Event) []Route {
	var out []Route
	for _, ev := range evs {
		if ev.Stream.Type != StreamTypeDebtor {
			continue
		}
		switch p := ev.Payload.(type) {
		case *ledgerv1.JournalEntryPosted:
			out = append(out, Route{Tenant: ev.Stream.Tenant, Kind: RouteEntry, Ref: p.GetEntryId(), DebtorID: ev.Stream.ID})
		case *ledgerv1.OpenItemOpened:
			out = append(out, Route{Tenant: ev.Stream.Tenant, Kind: RouteItem, Ref: p.GetOpenItemId(), DebtorID: ev.Stream.ID})
		}
	}
	return out
}

// Directory is what the Commander needs besides the event store: where
// entries and open items live, and the debtor account numbers.
type Directory interface {
	// Route returns the debtor whose stream holds ref, "" when no route
	// is recorded. Its errors are the context's or storage failures.
	Route(ctx context.Context, tenant string, kind RouteKind, ref string) (string, error)
	// SaveRoutes records routes; a route recorded before is kept. Its
	// errors are the context's or storage failures.
	SaveRoutes(ctx context.Context, routes []Route) error
	// DebtorAccount returns the personal account of the debtor, assigning
	// the next free number of the tenant's debtor range (DebtorRange of
	// the chart's account length) on first sight; the same debtor always
	// gets the same number. It fails when the range is full, or with the
	// context's error or a storage failure.
	DebtorAccount(ctx context.Context, tenant, debtorID string, chart Chart) (string, error)
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

// Result is what one command booked. For a replay it holds the ids of the
// first booking.
type Result struct {
	EntryIDs    []string
	EventIDs    []string
	OpenItemIDs []string
	Replayed    bool
}

// CommanderOptions configures a Commander.
type CommanderOptions struct {
	// Config returns a tenant's ledger configuration (chart, period actors,
	// allocation order). Nil means Config{} for every tenant.
	Config func(tenant string) Config
	// Now is the clock of the recorded time. Nil means time.Now.
	Now func() time.Time
	// Postings tells RecordStatementBalance whether a bank account has
	// lines before a statement's opening date (its opening balance rule).
	// Nil refuses RecordStatementBalance commands that carry an opening
	// balance.
	Postings Postings
	// CachedDebtors is how many debtors' books the Commander keeps in
	// memory between commands (zero means DefaultCachedDebtors, negative
	// none). A command on a cached debtor reads only the events stored
	// since the last one, on the debtor's stream and the period stream,
	// instead of both streams whole; the books of a debtor with a long
	// history take some kilobytes per invoice.
	CachedDebtors int
	// Appender, when set, stores the commands of a batch (ExecuteBatch)
	// with their routes in one transaction; nil stores the events with
	// the EventStore's AppendBatch and the routes after them.
	Appender RoutedAppender
}

// Postings knows the lines of a tenant's G/L accounts across all of its
// streams, which no single stream does.
type Postings interface {
	// FirstPosting returns the earliest effective date of a line on
	// account in currency among the entries stored before it was called,
	// and false when there is none. Its errors are the context's or
	// storage failures.
	FirstPosting(ctx context.Context, tenant, account, currency string) (Date, bool, error)
}

// Commander is the ledger's command service: it executes the commands of
// the command table (see NewCommand) by loading the one stream a command
// touches (a debtor's, or the tenant's period stream) plus the tenant's
// period stream, letting the Ledger decide, and appending the events with
// the version it read. A debtor's books stay cached between commands
// (CommanderOptions.CachedDebtors): a command then reads only what was
// stored on the two streams since, by this process or any other, and the
// commands of one process for one debtor take turns. When another command for the stream was stored
// first, it decides again, up to maxAttempts times. Commands that name
// only an open item, entry or payment find their debtor through the
// Directory's routes, which the Commander records after every append.
// A period close takes effect for commands decided after it is stored. It
// is safe for concurrent use.
type Commander struct {
	events EventStore
	dir    Directory
	opt    CommanderOptions
	cache  *booksCache // nil: every command loads its streams whole
}

// NewCommander returns a Commander storing into events and routing and
// assigning debtor accounts with dir.
func NewCommander(events EventStore, dir Directory, opt CommanderOptions) *Commander {
	if opt.Config == nil {
		opt.Config = func(string) Config { return Config{} }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	c := &Commander{events: events, dir: dir, opt: opt}
	switch {
	case opt.CachedDebtors == 0:
		c.cache = newBooksCache(DefaultCachedDebtors)
	case opt.CachedDebtors > 0:
		c.cache = newBooksCache(opt.CachedDebtors)
	}
	return c
}

// Execute decides and stores one command (a pointer to one of the command
// messages of commands.proto; see NewCommand). Its errors wrap the typed
// errors of this package (ErrInvalidCommand, ErrPeriodClosed,
// ErrIdempotencyConflict, ...), ErrUnsupportedCommand, ErrContended, a
// context error, or are storage failures. A command replayed under its
// idempotency key stores nothing and returns the first booking's ids with
// Replayed set.
func (c *Commander) Execute(ctx context.Context, cmd proto.Message, m Meta) (Result, error) {
	spec, t, err := c.resolve(ctx, cmd)
	if err != nil {
		return Result{}, err
	}
	res, err := c.execute(ctx, spec, cmd, t, m)
	return res, c.unknownDebtorItem(ctx, cmd, err)
}

// unknownDebtorItem refines err, an ErrUnknownDebtor of a command that
// names an open item (a credit note allocated to its invoice's item), by
// where that item is. A debtor the books do not know holds no item; when
// no debtor holds it either (no route), the item is not booked at all, so
// the error also wraps ErrUnknownOpenItem: a caller that waits for an
// item still to come (the ledger's consumer of ingested credit notes,
// whose invoice may be behind them or have failed to append for a passing
// reason) waits for this one too. When another debtor holds the item, the
// command names the wrong debtor and err is returned as it is. Any other
// err is returned as it is.
func (c *Commander) unknownDebtorItem(ctx context.Context, cmd proto.Message, err error) error {
	x, ok := cmd.(interface {
		GetTenant() string
		GetOpenItemId() string
	})
	if !ok || x.GetOpenItemId() == "" || !errors.Is(err, ErrUnknownDebtor) || errors.Is(err, ErrUnknownOpenItem) {
		return err
	}
	holder, rerr := c.dir.Route(ctx, x.GetTenant(), RouteItem, x.GetOpenItemId())
	switch {
	case rerr != nil:
		// Whether the item is booked is not known: not a verdict on the
		// command, so not an error of the books either.
		return fmt.Errorf("%v; find the debtor of open item %s: %w", err, x.GetOpenItemId(), rerr)
	case holder != "":
		return err
	}
	return fmt.Errorf("%w; %w %s: no debtor holds it", err, ErrUnknownOpenItem, x.GetOpenItemId())
}

// resolve finds cmd's row of the command table and its target, the
// debtor looked up by route when the command names only an item or entry.
func (c *Commander) resolve(ctx context.Context, cmd proto.Message) (command, target, error) {
	spec, t, err := c.targetOf(cmd)
	if err != nil {
		return command{}, target{}, err
	}
	if t.kind != "" && t.ref != "" {
		if t.debtor, err = c.dir.Route(ctx, t.tenant, t.kind, t.ref); err != nil {
			return command{}, target{}, fmt.Errorf("find the debtor of %s %s: %w", t.kind, t.ref, err)
		}
	}
	return spec, t, nil
}

// targetOf finds cmd's row of the command table and its target, without
// the debtor of a command that names only an item or entry.
func (c *Commander) targetOf(cmd proto.Message) (command, target, error) {
	spec, ok := lookup(cmd)
	if !ok {
		if cmd == nil {
			return command{}, target{}, fmt.Errorf("%w: no command", ErrUnsupportedCommand)
		}
		return command{}, target{}, fmt.Errorf("%w: %s", ErrUnsupportedCommand, cmd.ProtoReflect().Descriptor().FullName())
	}
	// Before anything reaches PostgreSQL, even the route lookup: text it
	// cannot store fails there with an error that is no answer to the
	// caller.
	if err := CheckStorable(cmd); err != nil {
		return command{}, target{}, err
	}
	t, err := spec.target(cmd)
	if err != nil {
		return command{}, target{}, err
	}
	name := cmd.ProtoReflect().Descriptor().Name()
	if t.tenant == "" {
		return command{}, target{}, fmt.Errorf("%s: %w", name, &InvalidCommandError{Field: "tenant", Reason: "missing"})
	}
	return spec, t, nil
}

// execute decides and stores cmd on t, deciding again after a lost race.
func (c *Commander) execute(ctx context.Context, spec command, cmd proto.Message, t target, m Meta) (Result, error) {
	name := cmd.ProtoReflect().Descriptor().Name()
	for range maxAttempts {
		res, err := spec.execute(ctx, c, cmd, t, m)
		if errors.Is(err, es.ErrVersionConflict) {
			continue
		}
		return res, err
	}
	return Result{}, fmt.Errorf("%s on %s: %w", name, t.stream(), ErrContended)
}

// target is where a command is decided.
type target struct {
	tenant string
	// debtor is the debtor whose stream the command is decided on; periods
	// means the tenant's period stream instead.
	debtor  string
	periods bool
	// assign is the debtor whose personal account is assigned on first
	// sight, when the command opens one.
	assign string
	// kind and ref, when set, name what the debtor is looked up by;
	// missing is the error when no debtor holds it.
	kind    RouteKind
	ref     string
	missing error
	// into is the surviving debtor of MergeDebtor.
	into string
	// own, when set, is the stream the command is decided on when it is
	// neither a debtor's nor the period stream (bank transactions and
	// statements).
	own es.StreamID
}

func (t target) stream() es.StreamID {
	if t.own.Type != "" {
		return t.own
	}
	if t.periods {
		return PeriodsStream(t.tenant)
	}
	return DebtorStream(t.tenant, t.debtor)
}

// decideFunc decides a command on books loaded for it; account is the
// personal account assigned to target.assign when the books do not know
// that debtor yet.
type decideFunc func(l *Ledger, cmd proto.Message, account string, o Origin) ([]proto.Message, error)

// decideChecked runs decide for cmd, which targetOf has run CheckStorable
// on, without the command method checking it again: the check walks every
// field of the command and ran twice per command (1.5 % of the o2c
// process's CPU in the shop benchmark, both together). Only targetOf's
// callers use it.
func decideChecked(decide decideFunc, l *Ledger, cmd proto.Message, account string, o Origin) ([]proto.Message, error) {
	l.checked = cmd
	defer func() { l.checked = nil }()
	return decide(l, cmd, account, o)
}

// once decides a command on one stream and appends its events with the
// version read.
func (c *Commander) once(ctx context.Context, cmd proto.Message, t target, m Meta, decide decideFunc) (Result, error) {
	now := c.opt.Now().UTC().Truncate(time.Microsecond)
	cfg := c.opt.Config(t.tenant)
	name := cmd.ProtoReflect().Descriptor().Name()
	if t.debtor == "" && !t.periods && t.missing != nil {
		return Result{}, fmt.Errorf("%s: %w", name, t.missing)
	}
	if c.cache != nil && t.debtor != "" && !t.periods && t.own.Type == "" {
		return c.onceCached(ctx, cmd, t, m, decide)
	}
	periods, err := c.read(ctx, PeriodsStream(t.tenant))
	if err != nil {
		return Result{}, err
	}
	l := New(t.tenant, cfg)
	if err := load(l, periods); err != nil {
		return Result{}, err
	}
	own := periods
	if !t.periods {
		own = nil
		if t.debtor != "" || t.own.Type != "" {
			if own, err = c.read(ctx, t.stream()); err != nil {
				return Result{}, err
			}
		}
		if err := load(l, own); err != nil {
			return Result{}, err
		}
	}
	account := ""
	if t.assign != "" {
		if _, known := l.PersonalAccount(t.assign); !known {
			if account, err = c.dir.DebtorAccount(ctx, t.tenant, t.assign, cfg.Chart); err != nil {
				return Result{}, err
			}
		}
	}
	out, err := decideChecked(decide, l, cmd, account, Origin{Actor: m.Actor, Now: now})
	if err != nil {
		return Result{}, err
	}
	key := idempotencyKey(cmd)
	if len(out) == 0 {
		return replayed(own, key), nil
	}
	if !t.periods {
		facts, err := l.StatusFacts(out, now)
		if err != nil {
			return Result{}, fmt.Errorf("%s: status: %w", name, err)
		}
		out = append(out, facts...)
	}
	stream := t.stream()
	// own holds every event of the stream, so its length is the version.
	stored, err := c.events.Append(ctx, stream, es.ExpectedVersion(len(own)), envelopes(t.tenant, key, "", out, now, m))
	if err != nil {
		return Result{}, fmt.Errorf("store %s on %s: %w", name, stream, err)
	}
	if !t.periods {
		if err := c.dir.SaveRoutes(ctx, RoutesOf(stored)); err != nil {
			return Result{}, fmt.Errorf("store %s on %s: %w", name, stream, err)
		}
	}
	return resultOf(stored), nil
}

// merge executes MergeDebtor, the one command that touches two debtors: it
// reads both debtors' streams, decides the duplicate's side (items cleared,
// balance out through the merge clearing account) and the survivor's side
// (items opened again, balance in), and stores both in one atomic group
// with the versions it read, so a concurrent command on either debtor makes
// it decide again.
func (c *Commander) merge(ctx context.Context, x *ledgerv1.MergeDebtor, t target, m Meta) (Result, error) {
	now := c.opt.Now().UTC().Truncate(time.Microsecond)
	cfg := c.opt.Config(t.tenant)
	periods, err := c.read(ctx, PeriodsStream(t.tenant))
	if err != nil {
		return Result{}, err
	}
	side := func(debtor string) (*Ledger, []es.Event, error) {
		own, err := c.read(ctx, DebtorStream(t.tenant, debtor))
		if err != nil {
			return nil, nil, err
		}
		l := New(t.tenant, cfg)
		if err := load(l, periods); err != nil {
			return nil, nil, err
		}
		if err := load(l, own); err != nil {
			return nil, nil, err
		}
		return l, own, nil
	}
	dupL, dupEvs, err := side(t.debtor)
	if err != nil {
		return Result{}, err
	}
	intoL, intoEvs, err := side(t.into)
	if err != nil {
		return Result{}, err
	}
	o := Origin{Actor: m.Actor, Now: now}
	out, merged, err := dupL.MergeOut(x, o)
	if err != nil {
		return Result{}, err
	}
	key := x.GetIdempotencyKey()
	if len(out) == 0 {
		return replayed(dupEvs, key), nil
	}
	account := ""
	if _, known := intoL.PersonalAccount(t.into); !known {
		if account, err = c.dir.DebtorAccount(ctx, t.tenant, t.into, cfg.Chart); err != nil {
			return Result{}, err
		}
	}
	in, err := intoL.MergeIn(x, merged, account, o)
	if err != nil {
		return Result{}, err
	}
	outFacts, err := dupL.StatusFacts(out, now)
	if err != nil {
		return Result{}, fmt.Errorf("MergeDebtor: status: %w", err)
	}
	inFacts, err := intoL.StatusFacts(in, now)
	if err != nil {
		return Result{}, fmt.Errorf("MergeDebtor: status: %w", err)
	}
	out, in = append(out, outFacts...), append(in, inFacts...)
	res, err := c.events.AppendBatch(ctx, []es.AppendGroup{{
		{Stream: DebtorStream(t.tenant, t.debtor), Expected: es.ExpectedVersion(len(dupEvs)), Events: envelopes(t.tenant, key, "out", out, now, m)},
		{Stream: DebtorStream(t.tenant, t.into), Expected: es.ExpectedVersion(len(intoEvs)), Events: envelopes(t.tenant, key, "in", in, now, m)},
	}})
	if err != nil {
		return Result{}, fmt.Errorf("store MergeDebtor: %w", err)
	}
	if res[0].Err != nil {
		return Result{}, fmt.Errorf("store MergeDebtor of %s into %s: %w", t.debtor, t.into, res[0].Err)
	}
	stored := append(append([]es.Event{}, res[0].Events[0]...), res[0].Events[1]...)
	if err := c.dir.SaveRoutes(ctx, RoutesOf(stored)); err != nil {
		return Result{}, fmt.Errorf("store MergeDebtor: %w", err)
	}
	return resultOf(stored), nil
}

// history returns what Postings knows of the bank account a statement
// with an opening balance names; the books need it only then. An IBAN the
// chart does not know is left to the books, which refuse it naming the
// IBAN.
func (c *Commander) history(ctx context.Context, x *ledgerv1.RecordStatementBalance) (AccountHistory, error) {
	if x.GetOpeningBalance() == nil {
		return AccountHistory{}, nil
	}
	account, err := c.opt.Config(x.GetTenant()).Chart.Bank(x.GetIban())
	if err != nil {
		return AccountHistory{}, nil
	}
	if c.opt.Postings == nil {
		return AccountHistory{}, fmt.Errorf("RecordStatementBalance %s: the ledger was started without the postings its opening balance rule needs", x.GetIdempotencyKey())
	}
	cur := x.GetClosingBalance().GetCurrency()
	first, ok, err := c.opt.Postings.FirstPosting(ctx, x.GetTenant(), account, cur)
	if err != nil {
		return AccountHistory{}, fmt.Errorf("RecordStatementBalance %s: earlier lines on bank account %s: %w", x.GetIdempotencyKey(), account, err)
	}
	return AccountHistory{Posted: ok, First: first}, nil
}

// readPage is how many events one ReadStream call asks for.
const readPage = 10000

// read returns every event of stream.
func (c *Commander) read(ctx context.Context, s es.StreamID) ([]es.Event, error) {
	return c.readFrom(ctx, s, 1)
}

// readFrom returns the events of stream from version from on.
func (c *Commander) readFrom(ctx context.Context, s es.StreamID, from int64) ([]es.Event, error) {
	var all []es.Event
	for {
		evs, err := c.events.ReadStream(ctx, s, from+int64(len(all)), readPage)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", s, err)
		}
		all = append(all, evs...)
		if len(evs) < readPage {
			return all, nil
		}
	}
}

// load applies stored events to l.
func load(l *Ledger, evs []es.Event) error {
	for _, ev := range evs {
		if err := l.Apply(ev.Payload); err != nil {
			return fmt.Errorf("load %s: %w", ev.Stream, err)
		}
	}
	return nil
}

// eventNamespace derives the ids of a command's events from the tenant,
// the idempotency key and the event's place among them.
var eventNamespace = uuid.MustParse("0c7c1b8e-4e55-5b5e-9d8e-5a0f6c1d2e3f")

// envelopes wraps the events a command decided. side tells apart the two
// streams of a command that appends to two ("" for one).
func envelopes(tenant, key, side string, msgs []proto.Message, now time.Time, m Meta) []es.Event {
	prefix := tenant + "\x00" + key + "\x00"
	if side != "" {
		prefix += side + "\x00"
	}
	evs := make([]es.Event, len(msgs))
	for i, p := range msgs {
		evs[i] = es.Event{
			Envelope: es.Envelope{
				EventID:       uuid.NewSHA1(eventNamespace, []byte(prefix+strconv.Itoa(i))),
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
	return evs
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
func replayed(evs []es.Event, key string) Result {
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

func resultOf(evs []es.Event) Result {
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
