// Package run is the dunning service's daily run and what it answers
// afterwards: per tenant and date it loads each debtor's open items,
// blocks and the state its last decision left, lets the engine decide
// (dunning.Decide), and stores the decision event with its inputs, the
// AssessCharge commands of its fees and interest, the notice and the
// release to collections in one append to the debtor's stream; then it
// puts the rendered notice in the outbox. It also sets and lifts blocks,
// answers a debtor's state on a date from the stored decisions (Status)
// and replays the stored inputs under another procedure (Simulate).
//
// Idempotency: there is one decision per tenant, debtor and date. A debtor
// already decided for the date is not decided again (its notice is put in
// the outbox again, which changes nothing when it is there), and every
// event of a decision has an id derived from tenant, debtor, date and
// position, so an append repeated after a crash stores nothing twice; the
// AssessCharge commands carry the engine's keys, so the ledger books each
// charge once.
//
// The package is pure of storage and transport: it reaches the event
// store through Journal (es types only), the read model through Store and
// ingestion through Profiles.
package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/services/dunning/internal/dunning"
	"github.com/o2c-platform/o2c/services/dunning/internal/notice"
)

// StreamType is the type of a debtor's stream of dunning events; its id
// is the debtor id.
const StreamType = "debtor"

// Actor is who the run's own events name: the service.
const Actor = "service:dunning"

// Item is an open item as the run loads it: the engine's item, its
// document number and the day a settlement of it was last undone.
type Item struct {
	dunning.Item
	Document   string
	ReopenedOn dunning.Date
}

// Debtor is what the read model holds about one debtor for a date.
type Debtor struct {
	Facts  dunning.Debtor
	Items  []Item
	Blocks []dunning.Block
	// Last is the debtor's latest decision before the date; nil for none.
	Last *dunningv1.DunningDecisionRecorded
	// Today is the decision already stored for the date; nil for none.
	Today *dunningv1.DunningDecisionRecorded
}

// Store is the read model the run reads. Its errors are storage errors
// (transient) unless a method says otherwise.
type Store interface {
	// Debtors returns up to limit debtors of tenant with ids after after,
	// in id order, that have open items or whose latest decision left a
	// procedure running, each with its open items, blocks not lifted and
	// its decisions before and on date.
	Debtors(ctx context.Context, tenant, after string, limit int, date dunning.Date) ([]Debtor, error)
	// CountDebtors returns how many debtors Debtors lists in all.
	CountDebtors(ctx context.Context, tenant string) (int, error)
	// Decisions returns the stored decisions of tenant (of debtor, or of
	// every debtor when it is empty) dated from from to to inclusive (a
	// zero from: since the first), by date and debtor.
	Decisions(ctx context.Context, tenant, debtor string, from, to dunning.Date) ([]*dunningv1.DunningDecisionRecorded, error)
	// Blocks returns tenant's blocks (of debtor, or of every debtor when
	// it is empty), lifted ones only when lifted is set.
	Blocks(ctx context.Context, tenant, debtor string, lifted bool) ([]*dunningv1.Block, error)
	// Block returns one block, or an error wrapping ErrBlockNotFound.
	Block(ctx context.Context, tenant, id string) (*dunningv1.Block, error)
	// Notices returns tenant's notices (of debtor, or of every debtor),
	// newest first, at most limit.
	Notices(ctx context.Context, tenant, debtor string, limit int) ([]*dunningv1.NoticeIssued, error)
	// Notice returns one notice, or an error wrapping ErrNoticeNotFound.
	Notice(ctx context.Context, tenant, id string) (*dunningv1.NoticeIssued, error)
}

// Journal appends to the event store (eventstore.Store.AppendBatch).
type Journal interface {
	AppendBatch(ctx context.Context, groups []es.AppendGroup) ([]es.GroupResult, error)
}

// Profile is what a notice needs of a debtor's master data: the name, the
// postal address (when ingestion has one) and the customer number the
// payment reference quotes.
type Profile struct {
	Name           string
	Address        []string
	Email          string
	CustomerNumber string
}

// AddressLines returns a postal address as a letter's address block
// prints it: the street lines, then postal code and town, then the
// country (ISO 3166-1 alpha-2) when given. Empty parts are left out; nil
// when nothing is left.
func AddressLines(street []string, postalCode, town, country string) []string {
	var out []string
	for _, l := range street {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if l := strings.TrimSpace(strings.TrimSpace(postalCode) + " " + strings.TrimSpace(town)); l != "" {
		out = append(out, l)
	}
	if c := strings.TrimSpace(country); c != "" {
		out = append(out, c)
	}
	return out
}

// Profiles reads debtors' master data from ingestion, in memory only: the
// profiles of the debtors named (at most 1000) by debtor id; an unknown
// or erased debtor is left out. Errors mean ingestion could not be asked
// (transient).
type Profiles interface {
	Profiles(ctx context.Context, tenant string, debtors []string) (map[string]Profile, error)
}

// Tenant is a tenant's dunning configuration and what its notices say of
// the merchant.
type Tenant struct {
	Config dunning.Config
	// Raw is the tenant's dunning section as written (nil for the
	// defaults); it is stored with every decision.
	Raw []byte
	// Merchant is the sender of the notices (name and bank details).
	Merchant notice.Party
	// Language is the notices' language when the debtor has none: "de"
	// or "en".
	Language string
}

// Runner runs dunning. Its fields are set before first use.
type Runner struct {
	Store   Store
	Journal Journal
	// CatchUp brings the read model up to date with the event store (the
	// projection of decisions, notices and blocks).
	CatchUp  func(ctx context.Context) error
	Outbox   *notice.Outbox
	Profiles Profiles // nil: notices name the debtor by id
	Tenants  map[string]Tenant
	Rates    dunning.BaseRates
	// Now is the clock; Zone the time zone a "today" is taken in.
	Now  func() time.Time
	Zone *time.Location
	// PayByDays is the days a notice gives to pay; 0 means 14.
	PayByDays int
	// BatchSize is how many debtors are decided and stored together; 0
	// means 2,000 (a page's reads and its append cost PostgreSQL about
	// the same whether they carry 500 debtors or 2,000).
	BatchSize int
	// Workers is how many debtors of a batch are decided and rendered at
	// once; 0 means GOMAXPROCS. Profiles must be safe for that many
	// goroutines.
	Workers int
	Log     *slog.Logger
}

// Progress is how far a run got.
type Progress struct {
	Total, Done, Notices, Charges, Releases, Already int
	// Decisions are the decisions of the last batch that issue a notice,
	// charge or release something (in a dry run: that would).
	Decisions []*dunningv1.DunningDecisionRecorded
}

// Today returns the date in the runner's zone.
func (r *Runner) Today() dunning.Date {
	z := r.Zone
	if z == nil {
		z = time.UTC
	}
	return dunning.DateOf(r.Now().In(z))
}

func (r *Runner) tenant(id string) (Tenant, error) {
	t, ok := r.Tenants[id]
	if !ok {
		return Tenant{}, fmt.Errorf("%w: tenant %q has no dunning configuration", ErrInvalidRequest, id)
	}
	return t, nil
}

// eventID derives the id of a run's event from its natural key, so that
// an append repeated after a crash is recognised as a replay.
func eventID(parts ...string) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("o2c:dunning:"+strings.Join(parts, "\x00")))
}

// NoticeID is the number of the notice of debtor on date: one notice per
// debtor and day.
func NoticeID(debtor string, date dunning.Date) string {
	return fmt.Sprintf("M-%04d%02d%02d-%s", date.Year, int(date.Month), date.Day, debtor)
}

// decided is one debtor's decision ready to store.
type decided struct {
	debtor   string
	ev       *dunningv1.DunningDecisionRecorded
	group    es.AppendGroup
	rendered *notice.Rendered
	noticeID string
}

// Run decides every debtor of tenant on date. progress, when set, is
// called after every batch. A dry run stores and sends nothing. The error
// wraps ErrRunFailed when some debtors could not be decided or stored
// (the others are), with each debtor's error joined.
func (r *Runner) Run(ctx context.Context, tenant string, date dunning.Date, dry bool, progress func(Progress) error) (Progress, error) {
	t, err := r.tenant(tenant)
	if err != nil {
		return Progress{}, err
	}
	if date.IsZero() {
		date = r.Today()
	}
	if err := r.CatchUp(ctx); err != nil {
		return Progress{}, err
	}
	var p Progress
	if p.Total, err = r.Store.CountDebtors(ctx, tenant); err != nil {
		return p, err
	}
	size := r.BatchSize
	if size <= 0 {
		size = 2000
	}
	var failed []error
	// finish, when set, waits for the previous batch's notices to be in
	// the outbox, counts the batch and reports progress: the outbox waits
	// on the disk while the next batch is read, decided and rendered, and
	// a batch is reported done only once its notices are on disk.
	var finish func() error
	var putting chan struct{} // closed when the last batch's puts have returned
	defer func() {
		if putting != nil {
			<-putting // a run that fails leaves no put behind
		}
	}()
	// The next page is read while this one is decided: a page holds
	// other debtors than the one before, whose decisions do not change
	// it.
	next := r.page(ctx, tenant, "", size, date)
	defer func() {
		if next != nil {
			<-next // a run that fails leaves no read behind
		}
	}()
	for {
		pg := <-next
		next = nil
		ds, err := pg.ds, pg.err
		if err != nil {
			return p, err
		}
		if len(ds) == 0 {
			break
		}
		next = r.page(ctx, tenant, ds[len(ds)-1].Facts.ID, size, date)
		// Deciding and rendering take the CPU, putting notices in the
		// outbox waits on the disk (a sync per file): both run in
		// parallel, each result in its debtor's slot, so the order of
		// the batch and of its errors stays the debtors'.
		js := make([]judged, len(ds))
		errs := make([]error, len(ds))
		forEach(len(ds), r.workers(), func(i int) {
			if ds[i].Today == nil {
				js[i], errs[i] = r.judge(t, ds[i], date)
			}
		})
		// The names of the debtors who get a notice, asked for at once.
		var noticed []string
		for i := range ds {
			if errs[i] == nil && ds[i].Today == nil && js[i].dec.Notice != nil {
				noticed = append(noticed, ds[i].Facts.ID)
			}
		}
		var profs map[string]Profile
		if !dry && len(noticed) > 0 {
			if profs, err = r.profiles(ctx, tenant, noticed); err != nil {
				return p, err
			}
		}
		xs := make([]decided, len(ds))
		forEach(len(ds), r.workers(), func(i int) {
			d := ds[i]
			switch {
			case d.Today != nil:
				if !dry {
					errs[i] = r.reissue(ctx, tenant, t, d)
				}
			case errs[i] == nil:
				xs[i], errs[i] = r.decide(ctx, tenant, t, d, date, dry, js[i], profs[d.Facts.ID])
			}
		})
		if finish != nil {
			err := finish()
			finish = nil
			if err != nil {
				return p, err
			}
		}
		p.Decisions = nil
		var batch []decided
		for i, d := range ds {
			switch {
			case d.Today != nil:
				p.Already++
				p.Done++
				if errs[i] != nil {
					failed = append(failed, fmt.Errorf("debtor %s: %w", d.Facts.ID, errs[i]))
				}
			case errs[i] != nil:
				failed = append(failed, fmt.Errorf("debtor %s: %w", d.Facts.ID, errs[i]))
				p.Done++
			case xs[i].ev == nil:
				p.Done++ // nothing due and nothing done: nothing to store
			default:
				batch = append(batch, xs[i])
			}
		}
		if !dry && len(batch) > 0 {
			groups := make([]es.AppendGroup, len(batch))
			for i, x := range batch {
				groups[i] = x.group
			}
			res, err := r.Journal.AppendBatch(ctx, groups)
			if err != nil {
				return p, fmt.Errorf("store decisions of %s on %s: %w", tenant, date, err)
			}
			putErrs := make([]error, len(batch))
			put := make(chan struct{})
			putting = put
			go func() {
				defer close(put)
				forEach(len(batch), outboxWorkers, func(i int) {
					x := batch[i]
					if res[i].Err != nil || x.rendered == nil {
						return
					}
					if _, err := r.Outbox.Put(tenant, x.debtor, x.noticeID, *x.rendered); err != nil {
						putErrs[i] = fmt.Errorf("debtor %s: notice %s to the outbox: %w", x.debtor, x.noticeID, err)
					}
				})
			}()
			finish = func() error {
				<-put
				for i, x := range batch {
					if res[i].Err != nil {
						failed = append(failed, fmt.Errorf("debtor %s: store decision: %w", x.debtor, res[i].Err))
						batch[i].ev = nil
						continue
					}
					if putErrs[i] != nil {
						failed = append(failed, putErrs[i])
					}
				}
				return count(&p, batch, progress)
			}
			continue
		}
		if err := count(&p, batch, progress); err != nil {
			return p, err
		}
	}
	if finish != nil {
		err := finish()
		finish = nil
		if err != nil {
			return p, err
		}
	}
	if !dry {
		if err := r.CatchUp(ctx); err != nil {
			return p, err
		}
	}
	p.Decisions = nil
	if len(failed) > 0 {
		return p, fmt.Errorf("%w: %d of %d debtors of %s on %s: %w", ErrRunFailed, len(failed), p.Done, tenant, date, errors.Join(failed...))
	}
	return p, nil
}

// page is a page of debtors read ahead.
type page struct {
	ds  []Debtor
	err error
}

// page reads the page of debtors after after in the background.
func (r *Runner) page(ctx context.Context, tenant, after string, size int, date dunning.Date) chan page {
	ch := make(chan page, 1)
	go func() {
		ds, err := r.Store.Debtors(ctx, tenant, after, size, date)
		ch <- page{ds, err}
	}()
	return ch
}

// count adds a batch's stored decisions to p and reports progress.
func count(p *Progress, batch []decided, progress func(Progress) error) error {
	for _, x := range batch {
		p.Done++
		if x.ev == nil {
			continue
		}
		if x.ev.GetNotice() != nil {
			p.Notices++
		}
		p.Charges += len(x.ev.GetCharges())
		if len(x.ev.GetReleased()) > 0 {
			p.Releases++
		}
		if x.ev.GetNotice() != nil || len(x.ev.GetCharges()) > 0 || len(x.ev.GetReleased()) > 0 {
			p.Decisions = append(p.Decisions, x.ev)
		}
	}
	if progress != nil {
		return progress(*p)
	}
	return nil
}

// outboxWorkers is how many notices are put in the outbox at once: each
// file is synced to disk, and syncs in parallel share the disk's flushes.
const outboxWorkers = 128

func (r *Runner) workers() int {
	if r.Workers > 0 {
		return r.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// forEach calls f(0) to f(n-1) on at most workers goroutines and returns
// when all have returned.
func forEach(n, workers int, f func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// Input returns the engine's input for d on date: the state the last
// decision left, the items open now (an item a settlement of which was
// undone, a returned debit, marked Reopened, so that it goes back to the
// level it had) and the blocks that hold. The engine finds the items
// settled since itself.
func Input(d Debtor, date dunning.Date) (dunning.Input, map[string]string, error) {
	st, err := stateOf(d.Last.GetStateAfter())
	if err != nil {
		return dunning.Input{}, nil, err
	}
	in := dunning.Input{Debtor: d.Facts, Blocks: d.Blocks, Date: date, State: st}
	docs := map[string]string{}
	for _, it := range d.Items {
		x := it.Item
		x.Reopened = !it.ReopenedOn.IsZero()
		in.Items = append(in.Items, x)
		docs[x.ID] = it.Document
	}
	return in, docs, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// profiles returns the profiles of debtors; without Profiles none.
func (r *Runner) profiles(ctx context.Context, tenant string, debtors []string) (map[string]Profile, error) {
	if r.Profiles == nil {
		return nil, nil
	}
	out, err := r.Profiles.Profiles(ctx, tenant, debtors)
	if err != nil {
		return nil, fmt.Errorf("debtors' master data: %w", err)
	}
	return out, nil
}

// judged is the engine's decision for one debtor with its input.
type judged struct {
	in   dunning.Input
	docs map[string]string
	dec  dunning.Decision
}

// judge lets the engine decide for d on date.
func (r *Runner) judge(t Tenant, d Debtor, date dunning.Date) (judged, error) {
	in, docs, err := Input(d, date)
	if err != nil {
		return judged{}, err
	}
	if in.Debtor.Language == "" {
		in.Debtor.Language = t.Language
	}
	dec, err := dunning.Decide(t.Config, r.Rates, in)
	if err != nil {
		return judged{}, err
	}
	return judged{in: in, docs: docs, dec: dec}, nil
}

// decide builds the events of the engine's decision j for d and renders
// its notice for the debtor of profile prof.
func (r *Runner) decide(ctx context.Context, tenant string, t Tenant, d Debtor, date dunning.Date, dry bool, j judged, prof Profile) (decided, error) {
	in, docs, dec := j.in, j.docs, j.dec
	x := decided{debtor: d.Facts.ID}
	if !worthStoring(in, dec) {
		return x, nil
	}
	after := in.State.Apply(dec)
	cur := t.Config.Currency
	var n *dunningv1.Notice
	if dec.Notice != nil {
		x.noticeID = NoticeID(d.Facts.ID, date)
		n = r.noticeProto(x.noticeID, in, docs, dec, t)
		if !dry {
			rendered, err := r.render(t, in, docs, n, date, prof)
			if err != nil {
				return decided{}, err
			}
			x.rendered = &rendered
		}
	}
	ev, err := decisionEvent(tenant, t.Raw, in, docs, dec, n, in.State, after)
	if err != nil {
		return decided{}, err
	}
	x.ev = ev
	if dry {
		return x, nil
	}
	key := func(kind string, i int) uuid.UUID {
		return eventID(tenant, d.Facts.ID, date.String(), kind, fmt.Sprint(i))
	}
	occurred := date.Time()
	events := []es.Event{{Envelope: es.Envelope{EventID: key("decision", 0), OccurredAt: occurred, Actor: Actor}, Payload: ev}}
	add := func(kind string, i int, m proto.Message) {
		events = append(events, es.Event{Envelope: es.Envelope{EventID: key(kind, i), OccurredAt: occurred, Actor: Actor,
			CausationID: events[0].EventID.String(), CorrelationID: events[0].EventID.String()}, Payload: m})
	}
	payBy := date.AddDays(r.payByDays())
	for i, c := range dec.Charges {
		// The ledger books each charge under a document number of its own:
		// the notice's, numbered.
		doc := fmt.Sprintf("%s-%d", firstNonEmpty(x.noticeID, NoticeID(d.Facts.ID, date)), i+1)
		add("charge", i, &ledgerv1.AssessCharge{Tenant: tenant, IdempotencyKey: "dunning:" + c.Key, DocumentNumber: doc,
			DebtorId: d.Facts.ID, ClaimOpenItemId: c.Claim, Kind: chargeKind(c.Kind), Amount: money(c.Amount, cur),
			AssessedDate: DateProto(date), DueDate: DateProto(payBy)})
	}
	for i, id := range dec.LiftedBlocks {
		reason := "source-resolved"
		for _, b := range in.Blocks {
			if b.ID == id && !b.Expires.IsZero() && !b.Expires.After(date) {
				reason = "expired"
			}
		}
		add("lifted", i, &dunningv1.BlockLifted{Tenant: tenant, DebtorId: d.Facts.ID, BlockId: id, Date: DateProto(date), Reason: reason, Actor: Actor})
	}
	if n != nil {
		var files []string
		for _, ext := range []string{"pdf", "txt", "html", "json"} {
			files = append(files, tenant+"/"+d.Facts.ID+"/"+x.noticeID+"."+ext)
		}
		add("notice", 0, &dunningv1.NoticeIssued{Tenant: tenant, DebtorId: d.Facts.ID, Date: DateProto(date), Notice: n, Files: files})
	}
	if len(dec.Released) > 0 {
		add("released", 0, released(tenant, in, docs, dec, r.Store, ctx, date))
	}
	x.group = es.AppendGroup{{Stream: es.StreamID{Tenant: tenant, Type: StreamType, ID: d.Facts.ID}, Expected: es.AnyVersion, Events: events}}
	return x, nil
}

// worthStoring reports whether a decision is stored: when it does
// something (a notice, a charge, a release, a lifted block, a default, a
// settlement, the end) or the debtor has an item past its due date or a
// block, so that Simulate can replay every day on which another
// procedure might have acted. A debtor with nothing overdue and nothing
// done leaves no event: a day of a healthy debtor is not history worth
// keeping, and a second run decides it again, to the same nothing.
func worthStoring(in dunning.Input, d dunning.Decision) bool {
	if d.Notice != nil || len(d.Charges) > 0 || len(d.Released) > 0 || len(d.LiftedBlocks) > 0 || len(d.Defaults) > 0 ||
		len(d.Settled) > 0 || d.Ended || len(in.Blocks) > 0 {
		return true
	}
	for _, it := range in.Items {
		if !it.DueDate.IsZero() && it.DueDate.Before(in.Date) {
			return true
		}
	}
	return false
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (r *Runner) payByDays() int {
	if r.PayByDays > 0 {
		return r.PayByDays
	}
	return 14
}

// chargeKind maps the engine's charge kinds to the ledger's: fees and the
// §288 (5) lump sum are costs, interest is interest (§367 BGB orders
// them so).
func chargeKind(kind string) ledgerv1.ChargeKind {
	if kind == "interest" {
		return ledgerv1.ChargeKind_CHARGE_KIND_DEFAULT_INTEREST
	}
	return ledgerv1.ChargeKind_CHARGE_KIND_DUNNING_FEE
}

// released builds the event the collections service consumes: the items
// released with their open amounts and the notices the debtor was sent.
func released(tenant string, in dunning.Input, docs map[string]string, dec dunning.Decision, s Store, ctx context.Context,
	date dunning.Date) *dunningv1.ReleasedToCollections {
	ev := &dunningv1.ReleasedToCollections{Tenant: tenant, DebtorId: in.Debtor.ID, Date: DateProto(date), ProcedureId: dec.Procedure,
		ProcedureVersion: int32(dec.Version)}
	byID := map[string]dunning.Item{}
	for _, it := range in.Items {
		byID[it.ID] = it
	}
	for _, id := range dec.Released {
		it := byID[id]
		ev.Items = append(ev.Items, &dunningv1.ReleasedItem{OpenItemId: id, ClaimOpenItemId: it.Claim, DocumentNumber: docs[id],
			Component: it.Component, Open: money(it.Open, it.Currency), DueDate: DateProto(it.DueDate)})
	}
	// The notices sent before, oldest first; the decision's own, if any,
	// last. A read error leaves them out rather than holding the release.
	if ns, err := s.Notices(ctx, tenant, in.Debtor.ID, 1000); err == nil {
		for i := len(ns) - 1; i >= 0; i-- {
			ev.NoticeIds = append(ev.NoticeIds, ns[i].GetNotice().GetNoticeId())
		}
	}
	if dec.Notice != nil {
		ev.NoticeIds = append(ev.NoticeIds, NoticeID(in.Debtor.ID, date))
	}
	return ev
}

// noticeProto is the notice of a decision as its events carry it.
func (r *Runner) noticeProto(id string, in dunning.Input, docs map[string]string, dec dunning.Decision, t Tenant) *dunningv1.Notice {
	nt := dec.Notice
	cur := firstNonEmpty(nt.Currency, t.Config.Currency)
	n := &dunningv1.Notice{NoticeId: id, Level: int32(nt.Level), Template: nt.Template, Total: money(nt.Total, cur),
		Language: firstNonEmpty(in.Debtor.Language, t.Language, "de"), PayBy: DateProto(in.Date.AddDays(r.payByDays()))}
	var documents []string
	for _, it := range nt.Items {
		n.Items = append(n.Items, &dunningv1.NoticeItem{OpenItemId: it.Item, DocumentNumber: docs[it.Item], Open: money(it.Open, cur),
			DaysOverdue: int32(it.DaysOverdue), Level: int32(it.Level), Default: defaultProto(it.Default)})
		documents = append(documents, docs[it.Item])
	}
	for _, f := range nt.Fees {
		n.Fees = append(n.Fees, chargeProto(f, cur))
	}
	for _, part := range nt.Interest {
		n.Interest = append(n.Interest, &dunningv1.InterestPart{ClaimOpenItemId: part.Item, From: DateProto(part.From), To: DateProto(part.To),
			Days: int32(part.Days), RateBp: int32(part.RateBP), Principal: money(part.Principal, cur), Amount: money(part.Amount, cur)})
	}
	n.PaymentReference = notice.Reference(in.Debtor.ID, documents)
	return n
}

// render renders a notice with the debtor's name and address from
// ingestion, prof (never stored by dunning); a zero Profile names the
// debtor by id.
func (r *Runner) render(t Tenant, in dunning.Input, docs map[string]string, n *dunningv1.Notice, date dunning.Date,
	got Profile) (notice.Rendered, error) {
	prof := Profile{Name: in.Debtor.ID, CustomerNumber: in.Debtor.ID, Address: got.Address, Email: got.Email}
	if got.Name != "" {
		prof.Name = got.Name
	}
	if got.CustomerNumber != "" {
		prof.CustomerNumber = got.CustomerNumber
	}
	var documents []string
	for _, it := range n.GetItems() {
		documents = append(documents, it.GetDocumentNumber())
	}
	n.PaymentReference = notice.Reference(prof.CustomerNumber, documents)
	cur := n.GetTotal().GetCurrency()
	l := notice.Letter{Language: n.GetLanguage(), Merchant: t.Merchant,
		Debtor: notice.Party{Name: prof.Name, Address: prof.Address, Email: prof.Email}, Number: n.GetNoticeId(),
		Date: date.Time(), PayBy: DateOf(n.GetPayBy()).Time(), Level: int(n.GetLevel()), Template: letterTemplate(n.GetTemplate(), int(n.GetLevel())),
		DayCount: firstNonEmpty(t.Config.DayCount, "act/365"), Currency: cur, Total: n.GetTotal().GetMinorUnits(),
		PaymentReference: n.GetPaymentReference()}
	items := map[string]dunning.Item{}
	for _, it := range in.Items {
		items[it.ID] = it
	}
	interest := map[string]int64{}
	for _, part := range n.GetInterest() {
		interest[part.GetClaimOpenItemId()] += part.GetAmount().GetMinorUnits()
		l.Interest = append(l.Interest, notice.InterestLine{Document: docs[part.GetClaimOpenItemId()], From: DateOf(part.GetFrom()).Time(),
			To: DateOf(part.GetTo()).Time(), Days: int(part.GetDays()), RateBP: int(part.GetRateBp()),
			Principal: part.GetPrincipal().GetMinorUnits(), Amount: part.GetAmount().GetMinorUnits()})
	}
	for _, it := range n.GetItems() {
		src := items[it.GetOpenItemId()]
		l.Lines = append(l.Lines, notice.Line{Document: it.GetDocumentNumber(), DocumentDate: src.DocumentDate.Time(), DueDate: src.DueDate.Time(),
			DaysOverdue: int(it.GetDaysOverdue()), Open: it.GetOpen().GetMinorUnits(), Interest: interest[it.GetOpenItemId()],
			Level: int(it.GetLevel())})
	}
	for _, f := range n.GetFees() {
		l.Fees = append(l.Fees, notice.FeeLine{Label: feeLabel(f.GetKind(), l.Language), Amount: f.GetAmount().GetMinorUnits()})
	}
	rendered, err := notice.Render(l)
	if err != nil {
		return notice.Rendered{}, fmt.Errorf("render notice %s: %w", n.GetNoticeId(), err)
	}
	return rendered, nil
}

// templates maps the template names of the engine's default procedures
// to the notice texts of the same purpose.
var templates = map[string]string{"reminder-1": "reminder", "reminder-2": "dunning-1", "reminder-3": "dunning-2", "collections": "final"}

// letterTemplate returns the notice text for a level's template: the
// template itself when the notices know it, the text of the same purpose
// for the engine's default names, else one by level (1: a reminder, 2
// and 3: dunning letters, beyond: the final notice).
func letterTemplate(t string, level int) string {
	if notice.KnownTemplate(t) {
		return t
	}
	if m, ok := templates[t]; ok {
		return m
	}
	switch {
	case level <= 0:
		return "friendly"
	case level == 1:
		return "reminder"
	case level == 2:
		return "dunning-1"
	case level == 3:
		return "dunning-2"
	}
	return "final"
}

func feeLabel(kind, lang string) string {
	de := map[string]string{"fee": "Mahngebühr", "lump-sum": "Verzugspauschale (§ 288 Abs. 5 BGB)", "interest": "Verzugszinsen"}
	en := map[string]string{"fee": "Dunning fee", "lump-sum": "Late payment lump sum (§ 288 (5) BGB)", "interest": "Default interest"}
	m := de
	if lang == "en" {
		m = en
	}
	if s, ok := m[kind]; ok {
		return s
	}
	return kind
}

// reissue puts the notice of a decision already stored in the outbox
// again when it is missing there (the run stopped between storing and
// putting): the outbox changes nothing when the notice is there.
func (r *Runner) reissue(ctx context.Context, tenant string, t Tenant, d Debtor) error {
	n := d.Today.GetNotice()
	if n == nil {
		return nil
	}
	if _, err := r.Outbox.Get(tenant, d.Facts.ID, n.GetNoticeId()); err == nil {
		return nil
	} else if !errors.Is(err, notice.ErrNoticeNotFound) {
		return err
	}
	in, err := InputOf(d.Today)
	if err != nil {
		return err
	}
	docs := map[string]string{}
	for _, it := range d.Today.GetItems() {
		docs[it.GetOpenItemId()] = it.GetDocumentNumber()
	}
	profs, err := r.profiles(ctx, tenant, []string{d.Facts.ID})
	if err != nil {
		return err
	}
	rendered, err := r.render(t, in, docs, proto.Clone(n).(*dunningv1.Notice), in.Date, profs[d.Facts.ID])
	if err != nil {
		return err
	}
	_, err = r.Outbox.Put(tenant, d.Facts.ID, n.GetNoticeId(), rendered)
	return err
}

// Reasons are the reasons a block may have.
var Reasons = []string{"dispute", "promise-to-pay", "marketplace-claim", "insolvency", "customer-service", "deceased"}

// SetBlock sets a block on debtor (on item when it is not empty) as actor
// and returns it once the read model lists it.
func (r *Runner) SetBlock(ctx context.Context, tenant, actor string, b dunning.Block) (*dunningv1.Block, error) {
	if _, err := r.tenant(tenant); err != nil {
		return nil, err
	}
	if strings.TrimSpace(b.Debtor) == "" {
		return nil, fmt.Errorf("%w: debtor_id: required", ErrInvalidRequest)
	}
	if !slices.Contains(Reasons, b.Reason) {
		return nil, fmt.Errorf("%w: reason: %q is none of %s", ErrInvalidRequest, b.Reason, strings.Join(Reasons, ", "))
	}
	today := r.Today()
	if !b.Expires.IsZero() && b.Expires.Before(today) {
		return nil, fmt.Errorf("%w: expires: %s is before today (%s)", ErrInvalidRequest, b.Expires, today)
	}
	b.ID, b.SetBy, b.Set, b.Lifted = uuid.NewString(), actor, today, false
	pb := BlockProto(b)
	if err := r.append(ctx, tenant, b.Debtor, actor, &dunningv1.BlockSet{Tenant: tenant, Block: pb}); err != nil {
		return nil, err
	}
	return pb, nil
}

// LiftBlock lifts a block of debtor as actor.
func (r *Runner) LiftBlock(ctx context.Context, tenant, debtor, id, actor string) (*dunningv1.Block, error) {
	if _, err := r.tenant(tenant); err != nil {
		return nil, err
	}
	b, err := r.Store.Block(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if debtor != "" && b.GetDebtorId() != debtor {
		return nil, fmt.Errorf("%w: block %s is not one of debtor %s's", ErrBlockNotFound, id, debtor)
	}
	if b.GetLifted() {
		return nil, fmt.Errorf("%w: block %s on %s", ErrBlockLifted, id, DateOf(b.GetLiftedOn()))
	}
	today := r.Today()
	if err := r.append(ctx, tenant, b.GetDebtorId(), actor, &dunningv1.BlockLifted{Tenant: tenant, DebtorId: b.GetDebtorId(), BlockId: id,
		Date: DateProto(today), Reason: "manual", Actor: actor}); err != nil {
		return nil, err
	}
	b = proto.Clone(b).(*dunningv1.Block)
	b.Lifted, b.LiftedOn = true, DateProto(today)
	return b, nil
}

func (r *Runner) append(ctx context.Context, tenant, debtor, actor string, m proto.Message) error {
	ev := es.Event{Envelope: es.Envelope{EventID: uuid.New(), OccurredAt: r.Now(), Actor: actor}, Payload: m}
	res, err := r.Journal.AppendBatch(ctx, []es.AppendGroup{{{Stream: es.StreamID{Tenant: tenant, Type: StreamType, ID: debtor},
		Expected: es.AnyVersion, Events: []es.Event{ev}}}})
	if err != nil {
		return err
	}
	if res[0].Err != nil {
		return res[0].Err
	}
	return r.CatchUp(ctx)
}

// Status returns debtor's state on asOf (today when zero) from the stored
// decisions, with the decisions that led there and the blocks that held.
func (r *Runner) Status(ctx context.Context, tenant, debtor string, asOf dunning.Date) (*dunningv1.StatusResponse, error) {
	if _, err := r.tenant(tenant); err != nil {
		return nil, err
	}
	if strings.TrimSpace(debtor) == "" {
		return nil, fmt.Errorf("%w: debtor_id: required", ErrInvalidRequest)
	}
	if asOf.IsZero() {
		asOf = r.Today()
	}
	ds, err := r.Store.Decisions(ctx, tenant, debtor, dunning.Date{}, asOf)
	if err != nil {
		return nil, err
	}
	out := &dunningv1.StatusResponse{DebtorId: debtor, AsOf: DateProto(asOf), Decisions: ds}
	if len(ds) > 0 {
		last := ds[len(ds)-1]
		out.LastDecision = last
		st, err := stateOf(last.GetStateAfter())
		if err != nil {
			return nil, err
		}
		out.LastNotice = DateProto(st.LastNotice)
		seen := map[string]bool{}
		for _, it := range last.GetItems() {
			seen[it.GetOpenItemId()] = true
			is := &dunningv1.ItemStatus{OpenItemId: it.GetOpenItemId(), DocumentNumber: it.GetDocumentNumber(),
				Level: int32(st.Levels[it.GetOpenItemId()]), Open: it.GetOpen(), Released: st.Released[it.GetOpenItemId()]}
			if f, ok := st.DefaultSince[it.GetOpenItemId()]; ok {
				is.Default = defaultProto(&f)
			}
			out.Items = append(out.Items, is)
		}
		for _, id := range sortedKeys(st.Levels) {
			if !seen[id] {
				out.Items = append(out.Items, &dunningv1.ItemStatus{OpenItemId: id, Level: int32(st.Levels[id]), Released: st.Released[id]})
			}
		}
	}
	bs, err := r.Store.Blocks(ctx, tenant, debtor, true)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		set, exp, lifted := DateOf(b.GetSetDate()), DateOf(b.GetExpires()), DateOf(b.GetLiftedOn())
		if set.After(asOf) || (!exp.IsZero() && exp.Before(asOf)) || (b.GetLifted() && !lifted.After(asOf)) {
			continue
		}
		out.Blocks = append(out.Blocks, b)
	}
	return out, nil
}

// Simulate replays the stored decisions of tenant from from to to under
// the dunning section raw and returns where the replay decides
// otherwise.
func (r *Runner) Simulate(ctx context.Context, tenant string, raw []byte, from, to dunning.Date) (*dunningv1.SimulateResponse, error) {
	t, err := r.tenant(tenant)
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, fmt.Errorf("%w: to: %s is before from (%s)", ErrInvalidRequest, to, from)
	}
	cfg, err := dunning.ParseConfig(raw, "procedure", t.Config.Currency)
	if err != nil {
		return nil, err
	}
	stored, err := r.Store.Decisions(ctx, tenant, "", from, to)
	if err != nil {
		return nil, err
	}
	type key struct {
		debtor string
		date   dunning.Date
	}
	was := map[key]*dunningv1.DunningDecisionRecorded{}
	var days []dunning.Day
	docs := map[string]string{}
	for _, ev := range stored {
		in, err := InputOf(ev)
		if err != nil {
			return nil, fmt.Errorf("decision of %s on %s: %w", ev.GetDebtorId(), DateOf(ev.GetDate()), err)
		}
		for _, it := range ev.GetItems() {
			docs[it.GetOpenItemId()] = it.GetDocumentNumber()
		}
		was[key{in.Debtor.ID, in.Date}] = ev
		if len(days) == 0 || days[len(days)-1].Date != in.Date {
			days = append(days, dunning.Day{Date: in.Date})
		}
		days[len(days)-1].Inputs = append(days[len(days)-1].Inputs, in)
	}
	would, err := dunning.Simulate(cfg, r.Rates, days)
	if err != nil {
		return nil, err
	}
	cur := t.Config.Currency
	out := &dunningv1.SimulateResponse{Decisions: int32(len(stored)), ChargedWas: money(0, cur), ChargedWould: money(0, cur)}
	for _, ev := range stored {
		if ev.GetNotice() != nil {
			out.NoticesWas++
		}
		if len(ev.GetReleased()) > 0 {
			out.ReleasesWas++
		}
		for _, c := range ev.GetCharges() {
			out.ChargedWas.MinorUnits += c.GetAmount().GetMinorUnits()
		}
	}
	inputs := map[key]dunning.Input{}
	for _, d := range days {
		for _, in := range d.Inputs {
			inputs[key{in.Debtor.ID, in.Date}] = in
		}
	}
	byKey := map[key]dunning.Decision{}
	for _, d := range would {
		if d.Notice != nil {
			out.NoticesWould++
		}
		if len(d.Released) > 0 {
			out.ReleasesWould++
		}
		for _, c := range d.Charges {
			out.ChargedWould.MinorUnits += c.Amount
		}
		byKey[key{d.Debtor, d.Date}] = d
	}
	// Every replayed decision has a stored one (the replay's inputs are
	// the stored decisions'); a replay that does nothing is a zero
	// Decision.
	for _, w := range stored {
		k := key{w.GetDebtorId(), DateOf(w.GetDate())}
		d, ok := byKey[k]
		if !ok {
			d = dunning.Decision{Debtor: k.debtor, Date: k.date}
		}
		what := differences(w, d, cur)
		if len(what) == 0 {
			continue
		}
		diff := &dunningv1.Difference{DebtorId: k.debtor, Date: DateProto(k.date), What: what, Was: w}
		if ok {
			in := inputs[k]
			var n *dunningv1.Notice
			if d.Notice != nil {
				n = r.noticeProto(NoticeID(d.Debtor, d.Date), in, docs, d, t)
			}
			if diff.Would, err = decisionEvent(tenant, raw, in, docs, d, n, in.State, in.State.Apply(d)); err != nil {
				return nil, err
			}
		}
		out.Differences = append(out.Differences, diff)
	}
	return out, nil
}

// differences says in words where decision d differs from the stored
// decision w: notice and level, fees and interest, releases.
func differences(w *dunningv1.DunningDecisionRecorded, d dunning.Decision, cur string) []string {
	var what []string
	wl, dl := int32(0), int32(0)
	if w.GetNotice() != nil {
		wl = w.GetNotice().GetLevel()
	}
	if d.Notice != nil {
		dl = int32(d.Notice.Level)
	}
	if wl != dl {
		what = append(what, fmt.Sprintf("notice: level %d, would be level %d (0: none)", wl, dl))
	}
	var ws, ds int64
	for _, c := range w.GetCharges() {
		ws += c.GetAmount().GetMinorUnits()
	}
	for _, c := range d.Charges {
		ds += c.Amount
	}
	if ws != ds {
		what = append(what, fmt.Sprintf("charges: %d, would be %d (%s minor units)", ws, ds, cur))
	}
	wr, dr := slices.Clone(w.GetReleased()), slices.Clone(d.Released)
	slices.Sort(wr)
	slices.Sort(dr)
	if !slices.Equal(wr, dr) {
		what = append(what, fmt.Sprintf("released: [%s], would be [%s]", strings.Join(wr, " "), strings.Join(dr, " ")))
	}
	return what
}

// Procedures lists tenant's procedures and settings.
func (r *Runner) Procedures(tenant string) (*dunningv1.ListProceduresResponse, error) {
	t, err := r.tenant(tenant)
	if err != nil {
		return nil, err
	}
	out := &dunningv1.ListProceduresResponse{DayCount: t.Config.DayCount, WarnTimeBarredWithin: int32(t.Config.WarnTimeBarredWithin),
		DisputeBlocksDebtor: t.Config.DisputeBlocksDebtor}
	for _, p := range t.Config.Procedures {
		out.Procedures = append(out.Procedures, ProcedureProto(p, t.Config.Currency))
	}
	return out, nil
}

// GetNotice returns a notice with its files from the outbox.
func (r *Runner) GetNotice(ctx context.Context, tenant, id string) (*dunningv1.GetNoticeResponse, error) {
	if _, err := r.tenant(tenant); err != nil {
		return nil, err
	}
	n, err := r.Store.Notice(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	got, err := r.Outbox.Get(tenant, n.GetDebtorId(), id)
	if errors.Is(err, notice.ErrNoticeNotFound) {
		return nil, fmt.Errorf("%w: notice %s is no longer in the outbox", ErrNoticeNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return &dunningv1.GetNoticeResponse{Notice: n, Subject: got.Subject, Text: got.Text, Html: got.HTML, Pdf: got.PDF}, nil
}

// Due reports whether the scheduled run of a day is due at now: at or
// after the time of day at (hours and minutes since midnight) in zone,
// and the last scheduled run was on an earlier day.
func Due(now time.Time, zone *time.Location, at time.Duration, last dunning.Date) (dunning.Date, bool) {
	local := now.In(zone)
	day := dunning.DateOf(local)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	if local.Before(midnight.Add(at)) || !last.Before(day) {
		return day, false
	}
	return day, true
}

// Schedule runs every tenant's run once a day at the time at in the
// runner's zone until ctx ends, checking every poll. A failed run is
// logged and tried again at the next poll.
func (r *Runner) Schedule(ctx context.Context, tenants []string, at, poll time.Duration) error {
	zone := r.Zone
	if zone == nil {
		zone = time.UTC
	}
	last := map[string]dunning.Date{}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		for _, t := range tenants {
			day, due := Due(r.Now(), zone, at, last[t])
			if !due {
				continue
			}
			p, err := r.Run(ctx, t, day, false, nil)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				r.Log.Warn("scheduled dunning run failed; tried again", "tenant", t, "date", day.String(), "err", err)
				continue
			}
			last[t] = day
			r.Log.Info("dunning run", "tenant", t, "date", day.String(), "debtors", p.Done, "notices", p.Notices, "charges", p.Charges,
				"releases", p.Releases, "already", p.Already)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
