// Package job runs refund import: per tenant and seller account, on its
// schedule (refunds.seller_accounts[].schedule, default four hours) and on
// request (RefundService.RunImport), it reads the Finances API's events
// posted since where the last run got to (less the overlap, for events
// Amazon posts late) in windows the API accepts, decides every refund and
// stores each decision with the ledger command it sends in one append to
// the event store (the relay sends the command), and then fetches the
// settlement reports created since the last fetched one, hands each to
// ingestion and decides the refunds it shows.
//
// # Crash safety
//
// A refund's decision, its ledger command and its row are stored in one
// transaction (postgres.Store.Save), and its event ids derive from the
// refund's key and stream version. A window counts as done only once all
// its pages are decided and stored (postgres.Store.Completed), so a run
// that stops anywhere in between (a crash after fetching and before
// booking, an SP-API failure) starts the next time from that window again:
// what was stored then is a duplicate and books nothing, what was not is
// decided now. A settlement report is remembered only after ingestion
// answered for it, and ingestion dedups files by content.
//
// # Concurrency
//
// Runs of one seller account never overlap (a run waits for the one in
// progress). Decisions on one refund are serialised by its stream's
// version: a refund decided meanwhile by the consumer (a waiting refund
// whose order arrived) is loaded again and decided anew.
package job

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	refundv1 "github.com/o2c-platform/o2c/proto/o2c/refund/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/services/refund-import/internal/refund"
	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
)

// Actor is the actor of everything the import stores.
const Actor = "refund-import"

// Client is what a run asks of the SP-API (spapi.Client). Its errors are
// spapi's (ErrThrottled, ErrUnauthorized, ErrUpstream …).
type Client interface {
	FinancialEvents(ctx context.Context, w spapi.Window, page func(body []byte) error) error
	SettlementReports(ctx context.Context, createdSince time.Time) ([]spapi.Report, error)
	ReportDocument(ctx context.Context, documentID string) (io.ReadCloser, error)
}

// Clients returns the SP-API client of a tenant's seller account (built
// once and kept, so its access token is reused across runs).
type Clients func(ctx context.Context, tenant string, a refund.SellerAccount) (Client, error)

// Imported is ingestion's answer to a settlement report handed over.
type Imported struct {
	ImportID, Status, Error, SHA256 string
}

// Ingestion takes settlement reports (ingestion's ImportService.Import).
// Its errors mean ingestion could not be asked or failed; a rejected file
// is an answer, not an error.
type Ingestion interface {
	Import(ctx context.Context, tenant, fileName string, data []byte) (Imported, error)
}

// Counts is the progress of a run for one seller account.
type Counts struct {
	SellerAccount                                                string
	Pages, Events                                                int
	New, Duplicate, Linked, Held, Waiting, Reversed, Settlements int
	Done                                                         bool
	Err                                                          error
}

func (c *Counts) count(s refund.State) {
	switch s {
	case refund.Booked:
		c.New++
	case refund.Duplicate:
		c.Duplicate++
	case refund.Linked:
		c.Linked++
	case refund.Held:
		c.Held++
	case refund.Waiting:
		c.Waiting++
	case refund.Reversed:
		c.Reversed++
	}
}

// Proto is the RunImport message of the counts.
func (c Counts) Proto() *refundv1.RunImportResponse {
	m := &refundv1.RunImportResponse{SellerAccount: c.SellerAccount, Pages: int32(c.Pages), Events: int32(c.Events),
		RefundsNew: int32(c.New), RefundsDuplicate: int32(c.Duplicate), Linked: int32(c.Linked), Held: int32(c.Held),
		Waiting: int32(c.Waiting), Reversed: int32(c.Reversed), SettlementReports: int32(c.Settlements), Done: c.Done}
	if c.Err != nil {
		m.Error = c.Err.Error()
	}
	return m
}

// The stream types of refund import's events.
const (
	// RefundStream is a refund's stream (id: refund.Refund.Key).
	RefundStream = "refund"
	// FetchStream is a fetched settlement report's stream (id:
	// "<seller account>/<report id>").
	FetchStream = "settlement-report"
)

var namespace = uuid.MustParse("5b0e4c1e-8a0f-4c55-9a57-1f6f0e3c9a21")

// EventID derives the id of the i-th event appended to stream at version
// (the version before the append), so an append repeated after a crash
// yields the same ids and is recognised.
func EventID(stream es.StreamID, version int64, i int) uuid.UUID {
	return uuid.NewSHA1(namespace, fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d\x00%d", stream.Tenant, stream.Type, stream.ID, version, i))
}

// events wraps messages as the events of one append to stream at version.
// Their actor is the import's (Actor) unless a reviewer's is given.
func events(stream es.StreamID, version int64, at time.Time, actor string, msgs ...proto.Message) []es.Event {
	if actor == "" {
		actor = Actor
	}
	out := make([]es.Event, len(msgs))
	for i, m := range msgs {
		out[i] = es.Event{Envelope: es.Envelope{EventID: EventID(stream, version, i), OccurredAt: at, Actor: actor, CorrelationID: stream.ID},
			Payload: m}
	}
	return out
}

// Write is one stream's part of an atomic save, with the row it records:
// a refund's decision (Refund, made At) or a fetched settlement report
// (Fetch).
type Write struct {
	Stream   es.StreamID
	Expected es.ExpectedVersion
	Events   []es.Event
	Refund   *refund.Decided
	At       time.Time
	Fetch    *refundv1.SettlementReportFetched
}

// Store is the import's storage (postgres.Store). Errors other than
// Save's per-group ones mean storage failed.
type Store interface {
	// Situations is what is known when each refund is decided, as stored.
	Situations(ctx context.Context, tenant string, rs []refund.Refund) ([]refund.Situation, error)
	// Waiting are the waiting refunds of an order.
	Waiting(ctx context.Context, tenant, orderID string) ([]refund.Decided, error)
	// WaitingOrders are the orders of a tenant with waiting refunds.
	WaitingOrders(ctx context.Context, tenant string) ([]string, error)
	// Progress is how far a seller account's import got.
	Progress(ctx context.Context, tenant, account string) (completed, reportsSince time.Time, err error)
	// Completed records a window imported completely.
	Completed(ctx context.Context, tenant, account string, before time.Time) error
	// ReportsFetched records the settlement reports fetched up to since.
	ReportsFetched(ctx context.Context, tenant, account string, since time.Time) error
	// Fetched reports whether a settlement report was fetched.
	Fetched(ctx context.Context, tenant, account, reportID string) (bool, error)
	// Save stores each group atomically; one error per group, wrapping
	// es.ErrVersionConflict when a stream moved on, or es.ErrContentMismatch
	// when another decision was stored at the same version.
	Save(ctx context.Context, groups [][]Write) ([]error, error)
}

// Importer runs imports and decides refunds.
type Importer struct {
	Store Store
	// Configs are the tenants' refunds sections.
	Configs map[string]refund.Config
	Clients Clients
	// Ingestion, when set, receives the settlement reports fetched; nil
	// fetches none.
	Ingestion Ingestion
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now()
	}
	return time.Now()
}

func (im *Importer) lock(tenant, account string) *sync.Mutex {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.locks == nil {
		im.locks = map[string]*sync.Mutex{}
	}
	k := tenant + "\x00" + account
	if im.locks[k] == nil {
		im.locks[k] = &sync.Mutex{}
	}
	return im.locks[k]
}

// Accounts returns the seller accounts a run for tenant covers: the one
// named, or all. Errors: refund.ErrNotConfigured, ErrUnknownSellerAccount.
func (im *Importer) Accounts(tenant, account string) ([]refund.SellerAccount, error) {
	c, ok := im.Configs[tenant]
	if !ok || len(c.SellerAccounts) == 0 {
		return nil, fmt.Errorf("tenant %s: %w", tenant, refund.ErrNotConfigured)
	}
	if account == "" {
		return c.SellerAccounts, nil
	}
	a, ok := c.Account(account)
	if !ok {
		return nil, fmt.Errorf("%w %q of tenant %s", refund.ErrUnknownSellerAccount, account, tenant)
	}
	return []refund.SellerAccount{a}, nil
}

// RunTenant imports the seller accounts of tenant (one, or all when
// account is empty) one after the other; progress gets the counts after
// every page and, with Done set, at each account's end. A failing account
// does not stop the others; the error is the first account's error.
func (im *Importer) RunTenant(ctx context.Context, tenant, account string, since time.Time, progress func(Counts)) error {
	if !since.IsZero() && since.After(im.now()) {
		return fmt.Errorf("%w: %s", refund.ErrInvalidSince, since.Format(time.RFC3339))
	}
	as, err := im.Accounts(tenant, account)
	if err != nil {
		return err
	}
	var first error
	for _, a := range as {
		c := im.Run(ctx, tenant, a, since, progress)
		if c.Err != nil && first == nil {
			first = c.Err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return first
}

// Run imports one seller account: the Finances API's events from where
// the last run got to (or since), then the settlement reports. It returns
// the final counts (Err set when it stopped early).
func (im *Importer) Run(ctx context.Context, tenant string, a refund.SellerAccount, since time.Time, progress func(Counts)) Counts {
	l := im.lock(tenant, a.ID)
	l.Lock()
	defer l.Unlock()
	c := Counts{SellerAccount: a.ID}
	report := func() {
		if progress != nil {
			progress(c)
		}
	}
	c.Err = im.run(ctx, tenant, a, since, &c, report)
	c.Done = true
	report()
	if c.Err != nil && im.Log != nil {
		im.Log.Warn("refund import stopped; the next run starts again from the last complete window", "tenant", tenant,
			"seller_account", a.ID, "err", c.Err)
	}
	return c
}

func (im *Importer) run(ctx context.Context, tenant string, a refund.SellerAccount, since time.Time, c *Counts, report func()) error {
	cl, err := im.Clients(ctx, tenant, a)
	if err != nil {
		return fmt.Errorf("seller account %s: %w", a.ID, err)
	}
	completed, reportsSince, err := im.Store.Progress(ctx, tenant, a.ID)
	if err != nil {
		return err
	}
	// Refunds left waiting by a run that raced with their order's arrival
	// are decided again first.
	orders, err := im.Store.WaitingOrders(ctx, tenant)
	if err != nil {
		return err
	}
	for _, o := range orders {
		if err := im.Redecide(ctx, tenant, o); err != nil {
			return err
		}
	}
	from := a.From(completed, since)
	for _, w := range spapi.Windows(from, im.now()) {
		err := cl.FinancialEvents(ctx, w, func(body []byte) error {
			p, err := refund.FromEvents(body, a.ID)
			if err != nil {
				return err
			}
			c.Pages++
			c.Events += p.Events
			if err := im.Decide(ctx, tenant, p.Refunds, c); err != nil {
				return err
			}
			report()
			return nil
		})
		if err != nil {
			return fmt.Errorf("seller account %s: financial events %s: %w", a.ID, w, err)
		}
		if err := im.Store.Completed(ctx, tenant, a.ID, w.PostedBefore); err != nil {
			return err
		}
	}
	if im.Ingestion == nil {
		return nil
	}
	// Reports are listed from the overlap before the newest one handed
	// over (those seen before are known by id), from the account's start
	// when none was, or from since when given.
	list := a.Start
	if !reportsSince.IsZero() && reportsSince.Add(-a.Overlap).After(a.Start) {
		list = reportsSince.Add(-a.Overlap)
	}
	if !since.IsZero() {
		list = since
	}
	return im.settlements(ctx, tenant, a, cl, list, reportsSince, c, report)
}

// settlements fetches the settlement reports created since, hands each
// new one to ingestion, records it and decides its refunds; then it moves
// the mark of the newest report handed over (mark) forward.
func (im *Importer) settlements(ctx context.Context, tenant string, a refund.SellerAccount, cl Client, since, mark time.Time, c *Counts, report func()) error {
	rs, err := cl.SettlementReports(ctx, since)
	if err != nil {
		return fmt.Errorf("seller account %s: settlement reports: %w", a.ID, err)
	}
	newest := mark
	for _, r := range rs {
		if r.Created.After(newest) {
			newest = r.Created
		}
		done, err := im.Store.Fetched(ctx, tenant, a.ID, r.ID)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		data, err := download(ctx, cl, r.DocumentID)
		if err != nil {
			return fmt.Errorf("seller account %s: settlement report %s: %w", a.ID, r.ID, err)
		}
		ans, err := im.Ingestion.Import(ctx, tenant, fmt.Sprintf("amazon-settlement-%s-%s.txt", a.ID, r.ID), data)
		if err != nil {
			return fmt.Errorf("seller account %s: settlement report %s to ingestion: %w", a.ID, r.ID, err)
		}
		// The report's refunds are decided before it is remembered: a
		// crash in between fetches it again (ingestion answers
		// DUPLICATE_FILE) and finds its refunds decided.
		if refunds, err := refund.FromSettlement(bytes.NewReader(data), a.ID); err != nil {
			if im.Log != nil {
				im.Log.Warn("settlement report's refunds not read; ingestion had the file", "tenant", tenant, "report", r.ID, "err", err)
			}
		} else if err := im.Decide(ctx, tenant, refunds, c); err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ev := &refundv1.SettlementReportFetched{Tenant: tenant, SellerAccount: a.ID, ReportId: r.ID, DocumentId: r.DocumentID,
			Created: timestamppb.New(r.Created), ImportId: ans.ImportID, Status: ans.Status, Error: ans.Error,
			FileSha256: hex.EncodeToString(sum[:]), FetchedAt: timestamppb.New(im.now())}
		if !r.DataStart.IsZero() {
			ev.DataStart = timestamppb.New(r.DataStart)
		}
		if !r.DataEnd.IsZero() {
			ev.DataEnd = timestamppb.New(r.DataEnd)
		}
		stream := es.StreamID{Tenant: tenant, Type: FetchStream, ID: a.ID + "/" + r.ID}
		w := Write{Stream: stream, Expected: es.NoStream, Events: events(stream, 0, im.now(), "", ev), Fetch: ev}
		errs, err := im.Store.Save(ctx, [][]Write{{w}})
		if err != nil {
			return err
		}
		if errs[0] != nil && !errors.Is(errs[0], es.ErrVersionConflict) {
			return fmt.Errorf("settlement report %s: %w", r.ID, errs[0])
		}
		c.Settlements++
		report()
	}
	if newest.After(mark) {
		return im.Store.ReportsFetched(ctx, tenant, a.ID, newest)
	}
	return nil
}

// maxReport bounds a settlement report's size (Amazon's are tens of MB at
// most).
const maxReport = 512 << 20

func download(ctx context.Context, cl Client, documentID string) ([]byte, error) {
	rc, err := cl.ReportDocument(ctx, documentID)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxReport+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxReport {
		return nil, fmt.Errorf("report document %s is larger than %d bytes", documentID, maxReport)
	}
	return data, nil
}

// maxAttempts bounds how often a refund is decided again after its stream
// moved on meanwhile.
const maxAttempts = 5

// Decide decides refunds of tenant in order and stores what is to be
// stored, in batches of at most batchSize refunds, each batch in one
// transaction. Within a batch every refund sees what was decided before
// it (a second refund of the same order counts the first as credited; the
// same refund seen twice is a duplicate). c, when set, counts.
func (im *Importer) Decide(ctx context.Context, tenant string, rs []refund.Refund, c *Counts) error {
	if c == nil {
		c = &Counts{}
	}
	pending := rs
	for attempt := 1; len(pending) > 0; attempt++ {
		if attempt > maxAttempts {
			return fmt.Errorf("refund %s: decided elsewhere %d times in a row", pending[0].Key(), maxAttempts)
		}
		var retry []refund.Refund
		for len(pending) > 0 {
			n := min(len(pending), batchSize)
			again, err := im.decideBatch(ctx, tenant, pending[:n], c)
			if err != nil {
				return err
			}
			pending = pending[n:]
			retry = append(retry, again...)
		}
		pending = retry
	}
	return nil
}

// batchSize bounds the refunds decided and stored together.
const batchSize = 500

// overlay is what a batch decided so far, by key and by order.
type overlay struct {
	byKey   map[string]refund.Decided
	byOrder map[string][]string
}

// situation is s with the batch's decisions laid over it.
func (o *overlay) situation(r refund.Refund, s refund.Situation) refund.Situation {
	if d, ok := o.byKey[r.Key()]; ok {
		s.Prior = &d
	}
	keys := o.byOrder[r.OrderID]
	if len(keys) == 0 {
		return s
	}
	var others []refund.Decided
	for _, d := range s.Others {
		if _, ok := o.byKey[d.Key()]; !ok {
			others = append(others, d)
		}
	}
	for _, k := range keys {
		if k != r.Key() {
			others = append(others, o.byKey[k])
		}
	}
	s.Others = others
	return s
}

func (o *overlay) put(d refund.Decided) {
	k := d.Key()
	if _, ok := o.byKey[k]; !ok {
		o.byOrder[d.OrderID] = append(o.byOrder[d.OrderID], k)
	}
	o.byKey[k] = d
}

// decideBatch decides refunds and stores them in one transaction; it
// returns those to decide again (their streams moved on meanwhile).
func (im *Importer) decideBatch(ctx context.Context, tenant string, rs []refund.Refund, c *Counts) ([]refund.Refund, error) {
	at := im.now()
	sits, err := im.Store.Situations(ctx, tenant, rs)
	if err != nil {
		return nil, err
	}
	ov := &overlay{byKey: map[string]refund.Decided{}, byOrder: map[string][]string{}}
	var groups [][]Write
	var which []refund.Refund
	var states []refund.State
	for i, r := range rs {
		g, state, after, err := im.writes(tenant, r, ov.situation(r, sits[i]), at)
		if err != nil {
			return nil, err
		}
		if len(g) == 0 {
			c.count(state)
			continue
		}
		for _, d := range after {
			ov.put(d)
		}
		groups = append(groups, g)
		which = append(which, r)
		states = append(states, state)
	}
	if len(groups) == 0 {
		return nil, nil
	}
	errs, err := im.Store.Save(ctx, groups)
	if err != nil {
		return nil, err
	}
	var retry []refund.Refund
	for i, e := range errs {
		switch {
		case e == nil:
			c.count(states[i])
		case errors.Is(e, es.ErrVersionConflict), errors.Is(e, es.ErrContentMismatch):
			// Decided meanwhile (the events of a version have ids of their
			// own, so another decision on the same version is a mismatch).
			retry = append(retry, which[i])
		default:
			return nil, fmt.Errorf("store refund %s: %w", which[i].Key(), e)
		}
	}
	return retry, nil
}

// writes is what deciding r in situation s stores (nothing for a
// duplicate or an unchanged waiting refund), the state decided, and the
// decisions as they stand after it (at their new stream versions).
func (im *Importer) writes(tenant string, r refund.Refund, s refund.Situation, at time.Time) ([]Write, refund.State, []refund.Decided, error) {
	d, err := refund.Decide(tenant, r, s)
	if err != nil {
		return nil, 0, nil, err
	}
	if !d.Store {
		return nil, d.State, nil, nil
	}
	dec := d.Apply(r, s.Prior)
	w := write(tenant, dec, at, d.Command)
	dec.Version += int64(len(w.Events))
	g, after := []Write{w}, []refund.Decided{dec}
	if d.State == refund.Reversed && d.Command != nil {
		// The refund taken back is reversed in the same append.
		for _, o := range s.Others {
			if o.AdjustmentID == d.ReversedAdjustmentID && o.Kind != refund.KindReversal && o.OrderID == r.OrderID && o.Item() == r.Item() {
				t := refund.AfterReversal(o, r).Apply(o.Refund, &o)
				tw := write(tenant, t, at, nil)
				t.Version += int64(len(tw.Events))
				g, after = append(g, tw), append(after, t)
				break
			}
		}
	}
	return g, d.State, after, nil
}

// write is the append of decision d on its refund's stream: its
// RefundDecided and the command it sends, by the import, or by the
// reviewer of a decision made on review (d.ReviewedBy).
func write(tenant string, d refund.Decided, at time.Time, cmd proto.Message) Write {
	stream := es.StreamID{Tenant: tenant, Type: RefundStream, ID: d.Key()}
	msgs := []proto.Message{&refundv1.RefundDecided{Tenant: tenant, Refund: d.Proto(at)}}
	if cmd != nil {
		msgs = append(msgs, cmd)
	}
	return Write{Stream: stream, Expected: es.ExpectedVersion(d.Version), Events: events(stream, d.Version, at, d.ReviewedBy, msgs...), Refund: &d, At: at}
}

// Review decides held refund r of tenant on a reviewer's word
// (refund.Review) and stores the decision with the credit note it books,
// by the reviewer (actor). It returns the refund as decided. A refund
// decided meanwhile is loaded again and reviewed anew, so a second review
// of the same refund finds it no longer held. Errors: refund.ErrNotHeld,
// ErrNotBookable, ErrInvalidReview, or storage's.
func (im *Importer) Review(ctx context.Context, tenant string, r refund.Refund, a refund.Action, actor, reason string) (refund.Decided, error) {
	for range maxAttempts {
		sits, err := im.Store.Situations(ctx, tenant, []refund.Refund{r})
		if err != nil {
			return refund.Decided{}, err
		}
		s := sits[0]
		d, err := refund.Review(tenant, s, a, actor, reason)
		if err != nil {
			return refund.Decided{}, err
		}
		at := im.now()
		dec := d.Apply(s.Prior.Refund, s.Prior)
		w := write(tenant, dec, at, d.Command)
		errs, err := im.Store.Save(ctx, [][]Write{{w}})
		if err != nil {
			return refund.Decided{}, err
		}
		switch e := errs[0]; {
		case e == nil:
			dec.Version += int64(len(w.Events))
			return dec, nil
		case errors.Is(e, es.ErrVersionConflict), errors.Is(e, es.ErrContentMismatch):
			continue // decided meanwhile: load it again
		default:
			return refund.Decided{}, fmt.Errorf("store review of refund %s: %w", r.Key(), e)
		}
	}
	return refund.Decided{}, fmt.Errorf("review of refund %s: decided elsewhere %d times in a row", r.Key(), maxAttempts)
}

// Redecide decides the waiting refunds of an order again (its item
// arrived, or a credit note a waiting reversal needs was booked).
func (im *Importer) Redecide(ctx context.Context, tenant, orderID string) error {
	ws, err := im.Store.Waiting(ctx, tenant, orderID)
	if err != nil || len(ws) == 0 {
		return err
	}
	rs := make([]refund.Refund, len(ws))
	for i, w := range ws {
		rs[i] = w.Refund
	}
	return im.Decide(ctx, tenant, rs, nil)
}

// Schedule runs every seller account of every tenant on its schedule
// until ctx ends: the first run at once, then every Schedule.
func (im *Importer) Schedule(ctx context.Context) error {
	var wg sync.WaitGroup
	for tenant, c := range im.Configs {
		for _, a := range c.SellerAccounts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := time.NewTicker(a.Schedule)
				defer t.Stop()
				for {
					im.Run(ctx, tenant, a, time.Time{}, nil)
					select {
					case <-ctx.Done():
						return
					case <-t.C:
					}
				}
			}()
		}
	}
	wg.Wait()
	return nil
}
