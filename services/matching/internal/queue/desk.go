package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
)

// Streams is where payments are stored: the service's event store.
// AppendBatch stores each group atomically (the store's errors:
// es.ErrVersionConflict when a stream moved, es.ErrContentMismatch,
// storage failures); ReadStream reads a stream's events from a version.
type Streams interface {
	AppendBatch(ctx context.Context, groups []es.AppendGroup) ([]es.GroupResult, error)
	ReadStream(ctx context.Context, stream es.StreamID, from int64, limit int) ([]es.Event, error)
}

// Ledger tells what the ledger's events said about a booking: its journal
// entry ("" while the ledger has not booked it) and whether a return of it
// was booked. Errors are storage failures.
type Ledger interface {
	Booking(ctx context.Context, tenant, ledgerPaymentID string) (entryID string, returned bool, err error)
}

// Payers resolves ingestion's counterparty ids to payers (personal data,
// in memory only). An id it does not know is left out. Errors mean
// ingestion could not be asked (transient).
type Payers interface {
	Payers(ctx context.Context, tenant string, ids []string) (map[string]Payer, error)
}

// VATs returns the VAT lines of open items (for the credit notes of
// marketplace refunds). Errors are storage failures.
type VATs interface {
	VAT(ctx context.Context, tenant string, items []string) (map[string][]*ledgerv1.VatAmount, error)
}

// Loader builds what a tenant's desk starts from (Snapshot); the desk
// calls it again after a failed append left its engine ahead of the
// store. Errors are storage or ingestion failures.
type Loader interface {
	Load(ctx context.Context, tenant string) (Snapshot, error)
}

// Snapshot is what a tenant's desk is built from.
type Snapshot struct {
	Config engine.Config
	// Items are the open items as matching sees them: the ledger's open
	// amounts less what matching sent and the ledger has not booked yet
	// (Pending), and fully cleared items of the returns window too, so a
	// return can reopen them.
	Items   []engine.OpenItem
	Debtors []engine.Debtor
	// History are the confirmed payer facts (counterparty resolved).
	History []engine.Confirmation
	// Recent are the decisions of the returns window, oldest first, for
	// the engine to remember (Engine.Remember): their payer resolved and
	// their Payment.ID the ledger payment id.
	Recent []engine.Decision
	// Decided are the payment ids decided so far.
	Decided []string
	// Pending are the allocations sent that the ledger has not reported
	// back yet.
	Pending []Pending
	// Settlements are the complete settlement reports not paid out yet,
	// with the order items they name (see PutSettlement).
	Settlements []SettlementInput
}

// SettlementInput is a settlement report and the order items it names,
// by order id or document number.
type SettlementInput struct {
	Report Report
	Orders map[string]engine.OpenItem
}

// Pending is an allocation matching sent that the ledger has not reported
// back yet: Amount (positive clears, negative reopens) on Item under
// Document (the ledger payment id, or the credit note number, whose
// settlements the ledger's events name; for a reopening, the payment whose
// settlements are undone).
type Pending struct {
	Item     string
	Document string
	Amount   int64
	// Sent is when the allocation was stored. One the ledger has not
	// reported back within PendingTTL is taken to be refused (the
	// ledger's rejection store holds the command) and no longer counts.
	Sent time.Time
}

// PendingTTL is how long an allocation matching sent counts as pending at
// most: the ledger books a command within moments, so one it has not
// reported back by then it refused (see `o2c rejected`), or it was down
// for that long and its events, when they come, set the open amounts
// anyway.
const PendingTTL = time.Hour

// Arrival is a bank transaction to decide: the payment as it is stored,
// and its payer.
type Arrival struct {
	Tenant  string
	Payment *matchingv1.Payment
	Payer   Payer
	// TraceParent and TraceState are the W3C trace context of the message
	// the payment arrived in (es.TraceContext); the events and commands of
	// its decision carry them, so that its trace goes on to the ledger
	// although a batch of payments is decided and stored together.
	TraceParent, TraceState string
}

// Desk keeps a tenant's engine in memory and decides payments with it:
// those that arrive (Decide) and what people decide in the queue (Confirm,
// MatchManually, Split, Park, Unmatch). Each decision is stored as the
// payment's events together with the ledger commands that book it, in one
// atomic append; the engine and the pending allocations change only with
// what was stored. A tenant's desk is used by one goroutine at a time (a
// mutex per tenant); one process per tenant runs it (the engine is not
// shared between processes).
type Desk struct {
	Streams Streams
	Ledger  Ledger
	Payers  Payers
	VATs    VATs
	Loader  Loader
	// Refunds reads refund import's decisions about marketplace refunds
	// (linked and held refunds are not credited with a payout); nil means
	// none are known.
	Refunds RefundDecisions
	// Now is the clock of decisions; nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	books map[string]*book
}

// book is one tenant's state.
type book struct {
	mu      sync.Mutex
	loaded  bool
	cfg     engine.Config
	limits  Limits
	eng     *engine.Engine
	items   map[string]Item
	decided map[string]bool
	pending map[string][]Pending
	// profiled are the debtors whose master data the engine was given.
	profiled map[string]bool
	// legs are the engine's items that stand for a settlement report's
	// fees, refunds, reserve and other deductions.
	legs map[string]settlementLeg
	// refunds are refund import's decisions by adjustment id.
	refunds map[string]RefundDecision
}

func (d *Desk) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

// tenant returns tenant's book, locked and loaded.
func (d *Desk) tenant(ctx context.Context, tenant string) (*book, error) {
	d.mu.Lock()
	if d.books == nil {
		d.books = map[string]*book{}
	}
	b := d.books[tenant]
	if b == nil {
		b = &book{}
		d.books[tenant] = b
	}
	d.mu.Unlock()
	b.mu.Lock()
	if !b.loaded {
		s, err := d.Loader.Load(ctx, tenant)
		if err != nil {
			b.mu.Unlock()
			return nil, fmt.Errorf("load tenant %s: %w", tenant, err)
		}
		if err := d.loadRefunds(ctx, tenant, b); err != nil {
			b.mu.Unlock()
			return nil, fmt.Errorf("load tenant %s: %w", tenant, err)
		}
		if err := b.load(s); err != nil {
			b.mu.Unlock()
			return nil, fmt.Errorf("load tenant %s: %w", tenant, err)
		}
	}
	return b, nil
}

// Load builds tenant's book now (at start, so the first payment does not
// wait for it).
func (d *Desk) Load(ctx context.Context, tenant string) error {
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return err
	}
	b.mu.Unlock()
	return nil
}

// load builds the book from a snapshot.
func (b *book) load(s Snapshot) error {
	b.pending = map[string][]Pending{}
	for _, p := range s.Pending {
		b.pending[p.Item] = append(b.pending[p.Item], p)
	}
	// The engine holds the ledger's open amounts less what is pending; the
	// snapshot's items are the caller's, so they are changed on a copy.
	items := make([]engine.OpenItem, len(s.Items))
	for i, it := range s.Items {
		it.Open -= b.pendingOn(it.ID)
		it.Channel = Channel(s.Config, it.Channel)
		items[i] = it
	}
	eng, err := engine.New(s.Config, items, s.Debtors, s.History)
	if err != nil {
		return err
	}
	b.cfg, b.limits, b.eng = s.Config, LimitsOf(s.Config), eng
	b.items = make(map[string]Item, len(items))
	for _, it := range items {
		b.items[it.ID] = itemOf(it)
	}
	b.legs = map[string]settlementLeg{}
	for _, st := range s.Settlements {
		if err := b.putSettlement(st.Report, st.Orders); err != nil {
			return err
		}
	}
	for _, r := range s.Recent {
		eng.Remember(r)
	}
	b.profiled = make(map[string]bool, len(s.Debtors))
	for _, d := range s.Debtors {
		b.profiled[d.ID] = true
	}
	b.decided = make(map[string]bool, len(s.Decided))
	for _, id := range s.Decided {
		b.decided[id] = true
	}
	b.loaded = true
	return nil
}

// Channel is the engine's channel of an item the ledger says marketplace
// collects ("amazon.de"): the tenant's configured marketplace whose channel
// it is, or starts with followed by a dot ("amazon"); else marketplace as
// it is ("" for the merchant's own items).
func Channel(cfg engine.Config, marketplace string) string {
	for _, m := range cfg.Marketplaces {
		if strings.EqualFold(m.Channel, marketplace) || len(marketplace) > len(m.Channel) &&
			strings.EqualFold(marketplace[:len(m.Channel)], m.Channel) && marketplace[len(m.Channel)] == '.' {
			return m.Channel
		}
	}
	return marketplace
}

// reset makes the book load again on its next use: an append failed after
// the engine took the decision in.
func (b *book) reset() { b.loaded, b.eng = false, nil }

func itemOf(it engine.OpenItem) Item {
	i := Item{ID: it.ID, Debtor: it.Debtor, Currency: it.Amount.Currency, Open: it.Open}
	if it.CashDiscount != nil {
		i.DiscountBP = it.CashDiscount.PercentBP
	}
	return i
}

// Item implements Items: the item with what the engine holds open on it.
func (b *book) Item(id string) (Item, bool) {
	it, ok := b.items[id]
	if !ok {
		return Item{}, false
	}
	if open, ok := b.eng.Open(id); ok {
		it.Open = open
	}
	return it, true
}

// withVAT is a book's Items with the VAT lines of some items added.
type withVAT struct {
	*book
	vat map[string][]*ledgerv1.VatAmount
}

func (w withVAT) Item(id string) (Item, bool) {
	it, ok := w.book.Item(id)
	it.VAT = w.vat[id]
	return it, ok
}

// items returns the Items a booking of p needs: with VAT lines for the
// items of its refunds.
func (d *Desk) itemsFor(ctx context.Context, tenant string, b *book, p Proposal) (Items, error) {
	if p.Settlement == nil || len(p.Settlement.Refunds) == 0 || d.VATs == nil {
		return b, nil
	}
	var ids []string
	for _, r := range p.Settlement.Refunds {
		ids = append(ids, r.Item)
	}
	vat, err := d.VATs.VAT(ctx, tenant, ids)
	if err != nil {
		return nil, err
	}
	return withVAT{book: b, vat: vat}, nil
}

// Config returns tenant's matching configuration.
func (d *Desk) Config(ctx context.Context, tenant string) (engine.Config, error) {
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return engine.Config{}, err
	}
	defer b.mu.Unlock()
	return b.cfg, nil
}

// event is a payload to store with its occurred-at time.
func (d *Desk) events(tenant, paymentID string, version int64, actor string, at time.Time, msgs ...proto.Message) []es.Event {
	out := make([]es.Event, len(msgs))
	for i, m := range msgs {
		out[i] = es.Event{Envelope: es.Envelope{EventID: EventID(tenant, paymentID, version, i), OccurredAt: at, Actor: actor,
			CorrelationID: paymentID}, Payload: m}
	}
	return out
}

// decision is a payment decided by the engine, ready to store.
type decision struct {
	msg      *matchingv1.PaymentDecided
	commands []proto.Message
	applied  *engine.Decision // what the engine took in (auto)
	pending  []Pending
}

// decide lets the engine decide payment pay (with payer) for the n-th
// booking, applies an automatic decision to the engine and returns what
// to store. auto false turns an automatic decision into a proposal (a
// payment a person just unmatched).
func (d *Desk) decide(ctx context.Context, tenant string, b *book, stored *matchingv1.Payment, payer Payer, n int, auto bool, at time.Time) (decision, error) {
	pay := WithPayer(PaymentOf(stored), payer)
	dec := b.eng.Match(pay)
	props := ProposalsOf(dec)
	for i := range props {
		props[i] = b.withRefunds(b.withSettlement(props[i]))
	}
	kind := dec.Kind
	explanation := dec.Explanation
	out := decision{}
	if kind == engine.Auto && !auto {
		kind, explanation = engine.Proposed, explanation+"; not automatic: a person unmatched it"
	}
	if kind == engine.Auto && len(props) > 0 {
		ledgerID := LedgerPaymentID(stored.GetPaymentId(), n)
		items, err := d.itemsFor(ctx, tenant, b, props[0])
		if err != nil {
			return decision{}, err
		}
		cmds, err := Booking(tenant, pay, props[0], ledgerID, items)
		if err == nil {
			applied := dec
			applied.Payment.ID = ledgerID
			if err = b.eng.Apply(applied); err == nil {
				out.commands, out.applied = cmds, &applied
				out.pending = PendingOf(props[0], ledgerID)
			}
		}
		if err != nil {
			kind, explanation = engine.Proposed, explanation+"; not booked: "+err.Error()
		}
	}
	if kind != engine.Auto {
		// Remember it, so that a return of it is recognised as one.
		_ = b.eng.Apply(engine.Decision{Payment: pay, Kind: engine.Proposed})
	}
	out.msg = &matchingv1.PaymentDecided{
		Tenant: tenant, Payment: stored, Kind: KindMsg(kind), Score: int32(dec.Score), Explanation: explanation,
		DecidedAt: timestamppb.New(at),
	}
	if kind == engine.Auto {
		out.msg.LedgerPaymentId = LedgerPaymentID(stored.GetPaymentId(), n)
		// Apply taught the engine what the decision's Learned says; store
		// it (as the counterparty id, never the IBAN or name) so that the
		// projection keeps it with people's confirmations, a restart
		// teaches it again and an unmatch takes it back.
		if out.applied != nil && out.applied.Learned != nil && out.applied.Learned.Debtor != "" &&
			out.applied.Learned.Debtor == props[0].Debtor && pay.Amount.Minor > 0 {
			out.msg.LearnedCounterpartyId = stored.GetCounterpartyId()
		}
	}
	cur := stored.GetAmount().GetCurrency()
	for _, p := range props {
		out.msg.Proposals = append(out.msg.Proposals, ProposalMsg(p, cur))
	}
	return out, nil
}

// pendingOf returns the allocations a booking of p under ledgerID leaves
// pending until the ledger reports them.
func PendingOf(p Proposal, ledgerID string) []Pending {
	var out []Pending
	refunds := map[string]int64{}
	if p.Settlement != nil {
		for _, r := range p.Settlement.Refunds {
			if !r.Decision.State.Credited() {
				out = append(out, Pending{Item: r.Item, Document: "amazon-refund:" + r.AdjustmentID, Amount: r.Amount})
			}
			refunds[r.Item] += r.Amount
		}
	}
	for _, a := range p.Allocations {
		doc := ledgerID
		if a.Amount < 0 {
			doc = p.Reverses // a return reopens the settlements of the payment it undoes
		}
		if amt := a.Amount - refunds[a.Item]; amt != 0 {
			out = append(out, Pending{Item: a.Item, Document: doc, Amount: amt})
		}
	}
	return out
}

// addPending records allocations sent at.
func (b *book) addPending(ps []Pending, at time.Time) {
	for _, p := range ps {
		p.Sent = at
		b.pending[p.Item] = append(b.pending[p.Item], p)
	}
}

// Decide decides arriving payments in order, stores each decision (with
// the commands of an automatic one) and returns one error per arrival: nil
// when it was stored or had been decided before. Payments of one tenant
// are decided under that tenant's lock, in the order given, so a later one
// sees what an earlier one consumed. All appends of a call go to the store
// in one batch.
func (d *Desk) Decide(ctx context.Context, arrivals []Arrival) []error {
	errs := make([]error, len(arrivals))
	at := d.now()
	byTenant := map[string][]int{}
	var order []string
	for i, a := range arrivals {
		if _, ok := byTenant[a.Tenant]; !ok {
			order = append(order, a.Tenant)
		}
		byTenant[a.Tenant] = append(byTenant[a.Tenant], i)
	}
	for _, tenant := range order {
		idx := byTenant[tenant]
		b, err := d.tenant(ctx, tenant)
		if err != nil {
			for _, i := range idx {
				errs[i] = err
			}
			continue
		}
		d.decideTenant(ctx, tenant, b, arrivals, idx, errs, at)
		b.mu.Unlock()
	}
	return errs
}

func (d *Desk) decideTenant(ctx context.Context, tenant string, b *book, arrivals []Arrival, idx []int, errs []error, at time.Time) {
	var groups []es.AppendGroup
	var decs []decision
	var which []int
	seen := map[string]bool{}
	for _, i := range idx {
		a := arrivals[i]
		id := a.Payment.GetPaymentId()
		if b.decided[id] || seen[id] {
			continue // a redelivery: decided before
		}
		seen[id] = true
		dec, err := d.decide(ctx, tenant, b, a.Payment, a.Payer, 1, true, at)
		if err != nil {
			// Nothing of this call is stored: the engine took in what was
			// decided so far, so it is reloaded, and every payment comes
			// again.
			for _, j := range idx {
				errs[j] = fmt.Errorf("decide payment %s: %w", id, err)
			}
			b.reset()
			return
		}
		msgs := append([]proto.Message{dec.msg}, dec.commands...)
		evs := d.events(tenant, id, 0, EngineActor, at, msgs...)
		for k := range evs {
			evs[k].TraceParent, evs[k].TraceState = a.TraceParent, a.TraceState
		}
		groups = append(groups, es.AppendGroup{{Stream: Stream(tenant, id), Expected: es.NoStream, Events: evs}})
		decs = append(decs, dec)
		which = append(which, i)
	}
	if len(groups) == 0 {
		return
	}
	res, err := d.Streams.AppendBatch(ctx, groups)
	if err != nil {
		for _, i := range which {
			errs[i] = fmt.Errorf("store decisions: %w", err)
		}
		b.reset()
		return
	}
	for k, r := range res {
		i := which[k]
		id := arrivals[i].Payment.GetPaymentId()
		switch {
		case r.Err == nil:
			b.decided[id] = true
			b.addPending(decs[k].pending, at)
		case errors.Is(r.Err, es.ErrVersionConflict):
			// Decided before by someone this process did not hear of: the
			// stream is the truth, the engine is reloaded from it.
			b.decided[id] = true
			b.reset()
		default:
			errs[i] = fmt.Errorf("store decision on payment %s: %w", id, r.Err)
			b.reset()
		}
	}
}

// load reads and folds a payment's stream, with what the ledger reported
// about its booking.
func (d *Desk) load(ctx context.Context, tenant, id string) (Entry, error) {
	evs, err := d.Streams.ReadStream(ctx, Stream(tenant, id), 1, 0)
	if err != nil {
		return Entry{}, fmt.Errorf("read payment %s: %w", id, err)
	}
	if len(evs) == 0 {
		return Entry{}, fmt.Errorf("%w %q of tenant %s", ErrUnknownPayment, id, tenant)
	}
	e, err := Fold(tenant, evs)
	if err != nil {
		return Entry{}, err
	}
	if e.LedgerPaymentID != "" && d.Ledger != nil {
		if e.EntryID, e.Returned, err = d.Ledger.Booking(ctx, tenant, e.LedgerPaymentID); err != nil {
			return Entry{}, err
		}
		if e.State != Matched {
			e.EntryID = ""
		}
	}
	return e, nil
}

// Get returns a payment as the queue knows it.
func (d *Desk) Get(ctx context.Context, tenant, id string) (Entry, error) {
	return d.load(ctx, tenant, id)
}

// payer resolves a payment's counterparty; without Payers, or for a
// payment without one, it is empty.
func (d *Desk) payer(ctx context.Context, tenant string, p *matchingv1.Payment) (Payer, error) {
	id := p.GetCounterpartyId()
	if id == "" || d.Payers == nil {
		return Payer{}, nil
	}
	m, err := d.Payers.Payers(ctx, tenant, []string{id})
	if err != nil {
		return Payer{}, fmt.Errorf("payer of payment %s: %w", p.GetPaymentId(), err)
	}
	return m[id], nil
}

// Payer returns the payer of a stored payment from ingestion.
func (d *Desk) Payer(ctx context.Context, tenant string, p *matchingv1.Payment) (Payer, error) {
	return d.payer(ctx, tenant, p)
}

// store appends one group for a decision on a loaded entry and maps a lost
// race to ErrChanged.
func (d *Desk) store(ctx context.Context, g es.AppendGroup) error {
	res, err := d.Streams.AppendBatch(ctx, []es.AppendGroup{g})
	if err != nil {
		return err
	}
	if err := res[0].Err; err != nil {
		if errors.Is(err, es.ErrVersionConflict) {
			return fmt.Errorf("%w: stored by someone else first (%v)", ErrChanged, err)
		}
		return err
	}
	return nil
}

// booked stores a person's match of entry e as proposal p, applies it to
// the engine and teaches the engine the payer.
func (d *Desk) booked(ctx context.Context, b *book, e Entry, p Proposal, resolution matchingv1.Resolution, index int, actor, note string, payer Payer) (Entry, error) {
	tenant, id := e.Tenant, e.Payment.ID
	ledgerID := LedgerPaymentID(id, e.Bookings+1)
	pay := WithPayer(e.Payment, payer)
	p = b.withRefunds(p)
	items, err := d.itemsFor(ctx, tenant, b, p)
	if err != nil {
		return Entry{}, err
	}
	cmds, err := Booking(tenant, pay, p, ledgerID, items)
	if err != nil {
		return Entry{}, err
	}
	applied := engine.Decision{Payment: pay, Kind: engine.Confirmed, Debtor: p.Debtor, Allocations: slices.Clone(p.Allocations),
		Difference: cloneDiff(p.Difference), Reverses: p.Reverses}
	applied.Payment.ID = ledgerID
	if p.Settlement != nil {
		applied.Allocations = append(applied.Allocations, p.Settlement.Items...)
	}
	at := d.now()
	ev := &matchingv1.PaymentMatched{
		Tenant: tenant, PaymentId: id, Resolution: resolution, ProposalIndex: int32(index),
		Match: ProposalMsg(p, e.Payment.Amount.Currency), Actor: actor, MatchedAt: timestamppb.New(at), LedgerPaymentId: ledgerID,
		Note: strings.TrimSpace(note), CounterpartyId: e.Stored.GetCounterpartyId(),
	}
	msgs := append([]proto.Message{ev}, cmds...)
	// Check against the engine before anything is stored: Apply changes
	// nothing when it fails, and the lock keeps the state until the append.
	if err := b.eng.Apply(applied); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrProposalStale, err)
	}
	if err := d.store(ctx, es.AppendGroup{{Stream: Stream(tenant, id), Expected: es.ExpectedVersion(e.Version),
		Events: d.events(tenant, id, e.Version, actor, at, msgs...)}}); err != nil {
		b.reset()
		return Entry{}, err
	}
	b.addPending(PendingOf(p, ledgerID), at)
	if p.Debtor != "" && !e.Return() {
		b.eng.Learn(pay, p.Debtor)
	}
	return d.load(ctx, tenant, id)
}

// Confirm books proposal index of a pending payment for actor.
func (d *Desk) Confirm(ctx context.Context, tenant, id string, index int, note string, expected int64, actor string) (Entry, error) {
	e, payer, b, err := d.pendingEntry(ctx, tenant, id, expected)
	if err != nil {
		return Entry{}, err
	}
	defer b.mu.Unlock()
	p, err := Confirm(e, index, b)
	if err != nil {
		return Entry{}, err
	}
	return d.booked(ctx, b, e, p, matchingv1.Resolution_RESOLUTION_CONFIRMED, index, actor, note, payer)
}

// pendingEntry loads a payment with its payer and returns it with its
// tenant's book locked, after checking the version the caller saw.
func (d *Desk) pendingEntry(ctx context.Context, tenant, id string, expected int64) (Entry, Payer, *book, error) {
	e, err := d.load(ctx, tenant, id)
	if err != nil {
		return Entry{}, Payer{}, nil, err
	}
	payer, err := d.payer(ctx, tenant, e.Stored)
	if err != nil {
		return Entry{}, Payer{}, nil, err
	}
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return Entry{}, Payer{}, nil, err
	}
	// Read again under the lock: a colleague may have been quicker.
	if e, err = d.load(ctx, tenant, id); err != nil {
		b.mu.Unlock()
		return Entry{}, Payer{}, nil, err
	}
	if err := e.CheckVersion(expected); err != nil {
		b.mu.Unlock()
		return Entry{}, Payer{}, nil, err
	}
	return e, payer, b, nil
}

// MatchManually books a person's match of a pending receipt, or of a
// pending return as the return of payment reverses.
func (d *Desk) MatchManually(ctx context.Context, tenant, id string, m Manual, reverses, note string, expected int64, actor string) (Entry, error) {
	e, payer, b, err := d.pendingEntry(ctx, tenant, id, expected)
	if err != nil {
		return Entry{}, err
	}
	defer b.mu.Unlock()
	var p Proposal
	if reverses != "" {
		orig, err := d.load(ctx, tenant, reverses)
		if err != nil {
			return Entry{}, err
		}
		if p, err = CheckManualReturn(e, orig, b.limits); err != nil {
			return Entry{}, err
		}
	} else if p, err = CheckManual(e, m, b, b.limits); err != nil {
		return Entry{}, err
	}
	return d.booked(ctx, b, e, p, matchingv1.Resolution_RESOLUTION_MANUAL, 0, actor, note, payer)
}

// Park parks a pending payment with note.
func (d *Desk) Park(ctx context.Context, tenant, id, note string, expected int64, actor string) (Entry, error) {
	e, _, b, err := d.pendingEntry(ctx, tenant, id, expected)
	if err != nil {
		return Entry{}, err
	}
	defer b.mu.Unlock()
	if err := CheckPark(e, note); err != nil {
		return Entry{}, err
	}
	at := d.now()
	ev := &matchingv1.PaymentParked{Tenant: tenant, PaymentId: id, Note: strings.TrimSpace(note), Actor: actor, ParkedAt: timestamppb.New(at)}
	if err := d.store(ctx, es.AppendGroup{{Stream: Stream(tenant, id), Expected: es.ExpectedVersion(e.Version),
		Events: d.events(tenant, id, e.Version, actor, at, ev)}}); err != nil {
		return Entry{}, err
	}
	return d.load(ctx, tenant, id)
}

// Split splits a pending payment into parts of the given amounts; the
// engine decides each part at once (and books it when it is sure). It
// returns the payment and its parts.
func (d *Desk) Split(ctx context.Context, tenant, id string, amounts []int64, note string, expected int64, actor string) (Entry, []Entry, error) {
	e, payer, b, err := d.pendingEntry(ctx, tenant, id, expected)
	if err != nil {
		return Entry{}, nil, err
	}
	defer b.mu.Unlock()
	parts, err := CheckSplit(e, amounts)
	if err != nil {
		return Entry{}, nil, err
	}
	at := d.now()
	cur := e.Payment.Amount.Currency
	ev := &matchingv1.PaymentSplit{Tenant: tenant, PaymentId: id, Actor: actor, SplitAt: timestamppb.New(at), Note: strings.TrimSpace(note)}
	g := es.AppendGroup{{Stream: Stream(tenant, id), Expected: es.ExpectedVersion(e.Version)}}
	var pending []Pending
	for _, part := range parts {
		ev.Parts = append(ev.Parts, &matchingv1.SplitPart{PaymentId: part.PaymentID, Amount: moneyMsg(part.Amount, cur)})
		stored := proto.CloneOf(e.Stored)
		stored.PaymentId, stored.ParentPaymentId, stored.Amount = part.PaymentID, id, moneyMsg(part.Amount, cur)
		dec, err := d.decide(ctx, tenant, b, stored, payer, 1, true, at)
		if err != nil {
			b.reset()
			return Entry{}, nil, err
		}
		msgs := append([]proto.Message{dec.msg}, dec.commands...)
		g = append(g, es.StreamAppend{Stream: Stream(tenant, part.PaymentID), Expected: es.NoStream,
			Events: d.events(tenant, part.PaymentID, 0, actor, at, msgs...)})
		pending = append(pending, dec.pending...)
	}
	g[0].Events = d.events(tenant, id, e.Version, actor, at, ev)
	if err := d.store(ctx, g); err != nil {
		b.reset()
		return Entry{}, nil, err
	}
	b.addPending(pending, at)
	for _, part := range parts {
		b.decided[part.PaymentID] = true
	}
	parent, err := d.load(ctx, tenant, id)
	if err != nil {
		return Entry{}, nil, err
	}
	var out []Entry
	for _, part := range parts {
		pe, err := d.load(ctx, tenant, part.PaymentID)
		if err != nil {
			return Entry{}, nil, err
		}
		out = append(out, pe)
	}
	return parent, out, nil
}

// Unmatch reverses the booking of a matched receipt (a ReverseEntry of its
// journal entry) and puts it back in the queue with fresh proposals.
func (d *Desk) Unmatch(ctx context.Context, tenant, id, reason string, expected int64, actor string) (Entry, error) {
	e, err := d.load(ctx, tenant, id)
	if err != nil {
		return Entry{}, err
	}
	payer, err := d.payer(ctx, tenant, e.Stored)
	if err != nil {
		return Entry{}, err
	}
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return Entry{}, err
	}
	defer b.mu.Unlock()
	if e, err = d.load(ctx, tenant, id); err != nil {
		return Entry{}, err
	}
	if err := e.CheckVersion(expected); err != nil {
		return Entry{}, err
	}
	if err := CheckUnmatch(e, reason); err != nil {
		return Entry{}, err
	}
	at := d.now()
	ledgerID := e.LedgerPaymentID
	ev := &matchingv1.PaymentUnmatched{Tenant: tenant, PaymentId: id, LedgerPaymentId: ledgerID, EntryId: e.EntryID,
		Reason: strings.TrimSpace(reason), Actor: actor, UnmatchedAt: timestamppb.New(at)}
	rev := &ledgerv1.ReverseEntry{Tenant: tenant, IdempotencyKey: "matching:unmatch:" + ledgerID, EntryId: e.EntryID,
		Reason: "unmatched: " + strings.TrimSpace(reason)}
	// Reopen in the engine what the booking cleared, then decide afresh.
	var total int64
	undo := engine.Decision{Kind: engine.Confirmed, Debtor: e.Match.Debtor, Reverses: ledgerID}
	var pending []Pending
	for _, a := range e.Match.Allocations {
		undo.Allocations = append(undo.Allocations, engine.Allocation{Item: a.Item, Amount: -a.Amount})
		total -= a.Amount
		pending = append(pending, Pending{Item: a.Item, Document: ledgerID, Amount: -a.Amount})
	}
	undo.Payment = engine.Payment{ID: "unmatch:" + ledgerID, Amount: e.Payment.Amount}
	undo.Payment.Amount.Minor = total
	if len(undo.Allocations) > 0 {
		if err := b.eng.Apply(undo); err != nil {
			return Entry{}, fmt.Errorf("%w: reopen in the engine: %v", ErrProposalStale, err)
		}
	}
	// A person's match taught the engine the payer (booked), and so did
	// an automatic decision that stored what it learned (decide): take
	// back exactly that lesson before deciding afresh, so that neither
	// this payment's new proposals nor the payer's next payment rest on a
	// match that no longer stands. A failure below resets the engine.
	if e.Match.Debtor != "" && (e.Resolution != "" || e.Learned != "") && !e.Return() {
		b.eng.Forget(WithPayer(e.Payment, payer), e.Match.Debtor)
	}
	dec, err := d.decide(ctx, tenant, b, e.Stored, payer, e.Bookings+1, false, at)
	if err != nil {
		b.reset()
		return Entry{}, err
	}
	msgs := []proto.Message{ev, rev, dec.msg}
	if err := d.store(ctx, es.AppendGroup{{Stream: Stream(tenant, id), Expected: es.ExpectedVersion(e.Version),
		Events: d.events(tenant, id, e.Version, actor, at, msgs...)}}); err != nil {
		b.reset()
		return Entry{}, err
	}
	b.addPending(pending, at)
	return d.load(ctx, tenant, id)
}

// ItemMeta is what the ledger's events say of an open item beyond its
// open amount.
type ItemMeta = engine.OpenItem

// PutItem adds an open item the ledger opened, or replaces what the engine
// knows of it (its classification changed: marketplace, kind) keeping what
// the engine holds open. A new item's open amount is the ledger's less
// what is pending on it.
func (d *Desk) PutItem(ctx context.Context, tenant string, it engine.OpenItem) error {
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return err
	}
	defer b.mu.Unlock()
	it.Channel = Channel(b.cfg, it.Channel)
	if open, ok := b.eng.Open(it.ID); ok {
		it.Open = open
		b.eng.RemoveItem(it.ID)
	} else {
		it.Open -= b.pendingOn(it.ID)
	}
	if err := b.eng.AddItem(it); err != nil {
		return err
	}
	b.items[it.ID] = itemOf(it)
	return nil
}

func (b *book) pendingOn(item string) int64 {
	var n int64
	for _, p := range b.pending[item] {
		n += p.Amount
	}
	return n
}

// ItemChanged takes in what the ledger reports open on an item after a
// clearing or reopening: the pending allocations whose documents it names
// are booked, and the engine holds the ledger's amount less what is still
// pending. settled are the documents of the settlements it made (for a
// clearing), undone those of the settlements it undid (for a reopening).
func (d *Desk) ItemChanged(ctx context.Context, tenant, item string, ledgerOpen int64, settled, undone []string) error {
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return err
	}
	defer b.mu.Unlock()
	ps := b.pending[item]
	kept := ps[:0]
	stale := d.now().Add(-PendingTTL)
	for _, p := range ps {
		if (p.Amount > 0 && slices.Contains(settled, p.Document)) || (p.Amount < 0 && slices.Contains(undone, p.Document)) ||
			p.Sent.Before(stale) {
			continue
		}
		kept = append(kept, p)
	}
	if len(kept) == 0 {
		delete(b.pending, item)
	} else {
		b.pending[item] = kept
	}
	target := ledgerOpen - b.pendingOn(item)
	if open, ok := b.eng.Open(item); !ok || open == target {
		return nil
	}
	if err := b.eng.SetOpen(item, target); err != nil {
		return fmt.Errorf("item %s: ledger %d open, %d pending: %w", item, ledgerOpen, b.pendingOn(item), err)
	}
	return nil
}

// PutDebtor adds or replaces a debtor's master data in the engine (memory
// only).
func (d *Desk) PutDebtor(ctx context.Context, tenant string, db engine.Debtor) error {
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return err
	}
	defer b.mu.Unlock()
	if err := b.eng.AddDebtor(db); err != nil {
		return err
	}
	b.profiled[db.ID] = true
	return nil
}

// Profiled reports whether the engine was given debtor's master data (at
// start, or by PutDebtor since).
func (d *Desk) Profiled(ctx context.Context, tenant, debtor string) (bool, error) {
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return false, err
	}
	defer b.mu.Unlock()
	return b.profiled[debtor], nil
}

// Redecide lets the engine decide an open payment again, after something
// it may pay arrived since (a marketplace's settlement report after its
// payout). When the engine now books it, or proposes something else, a
// new PaymentDecided (with the commands of a booking) is stored; when
// nothing changed, nothing is. A parked payment is left to its clerk.
func (d *Desk) Redecide(ctx context.Context, tenant, id string) error {
	e, err := d.load(ctx, tenant, id)
	if err != nil {
		return err
	}
	if e.State != Open {
		return nil
	}
	payer, err := d.payer(ctx, tenant, e.Stored)
	if err != nil {
		return err
	}
	b, err := d.tenant(ctx, tenant)
	if err != nil {
		return err
	}
	defer b.mu.Unlock()
	if e, err = d.load(ctx, tenant, id); err != nil || e.State != Open {
		return err
	}
	at := d.now()
	dec, err := d.decide(ctx, tenant, b, e.Stored, payer, e.Bookings+1, true, at)
	if err != nil {
		b.reset()
		return err
	}
	if dec.applied == nil && sameProposals(e.Proposals, dec.msg.GetProposals(), e.Payment.Amount.Currency) {
		return nil
	}
	msgs := append([]proto.Message{dec.msg}, dec.commands...)
	if err := d.store(ctx, es.AppendGroup{{Stream: Stream(tenant, id), Expected: es.ExpectedVersion(e.Version),
		Events: d.events(tenant, id, e.Version, EngineActor, at, msgs...)}}); err != nil {
		b.reset()
		return err
	}
	b.addPending(dec.pending, at)
	return nil
}

// sameProposals reports whether stored proposals are those of old.
func sameProposals(old []Proposal, stored []*matchingv1.Proposal, cur string) bool {
	if len(old) != len(stored) {
		return false
	}
	for i, p := range old {
		if !proto.Equal(ProposalMsg(p, cur), stored[i]) {
			return false
		}
	}
	return true
}
