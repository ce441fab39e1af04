package consumer

import (
	"context"
	"errors"
	"fmt"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// Invoices stores accepted invoices with their debtors' master data, many
// with one commit (package postgres implements it). StoreInvoices appends
// events[i] as the first event of streams[i] and, in the same transaction,
// records debtors[i] (nil: none) as Debtors.SaveDebtor does when it
// stores the event. Each result is decided on its own, as
// eventstore.Store.AppendBatch decides: Replayed for an invoice stored
// before with the same content (no debtor data recorded then), an Err
// wrapping eventstore.ErrContentMismatch for a changed one, any other Err
// a conflict or storage failure of that invoice. The returned error is a
// storage failure of the whole call.
type Invoices interface {
	StoreInvoices(ctx context.Context, streams []eventstore.StreamID, events []eventstore.Event, debtors []*shopv1.Debtor) ([]eventstore.GroupResult, error)
}

// ProcessBatch is Process for the messages of a batch (bus.BatchHandler),
// in their order: the invoices that carry their debtor data are stored
// together with one commit (Processor.Invoices), every other message is
// handled by Handle alone, after the invoices before it are stored, so
// each message sees what the ones before it stored, as one at a time.
// Each message's outcome is its own: one that is rejected or fails does
// not fail the others. Without Invoices each message goes through Process.
func (p *Processor) ProcessBatch(_ context.Context, batch []bus.Delivery) []error {
	errs := make([]error, len(batch))
	if p.Invoices == nil {
		for i, d := range batch {
			errs[i] = p.Process(d.Ctx, d.Msg)
		}
		return errs
	}
	var pending []batched
	for i, d := range batch {
		tenant, msg, err := p.decode(d.Msg)
		if err != nil {
			errs[i] = err
			continue
		}
		if inv, ok := msg.(*shopv1.InvoiceIssued); ok && !invoice.DebtorByReference(inv) {
			var opts []invoice.Option
			if p.Tax != nil {
				opts = append(opts, invoice.WithTaxTable(p.Tax(tenant)))
			}
			e, err := invoiceEvent(tenant, inv, inv, false, opts)
			if err != nil {
				errs[i] = err
				continue
			}
			pending = append(pending, batched{i: i, ctx: d.Ctx, tenant: tenant, msg: inv, e: e})
			continue
		}
		p.storeInvoices(pending, errs)
		pending = pending[:0]
		_, errs[i] = p.Handle(d.Ctx, tenant, msg)
	}
	p.storeInvoices(pending, errs)
	return errs
}

// batched is an invoice of a batch waiting to be stored: the index of its
// message, its context and tenant, the message and its event.
type batched struct {
	i      int
	ctx    context.Context
	tenant string
	msg    *shopv1.InvoiceIssued
	e      shop.Event
}

// storeInvoices stores the pending invoices with one StoreInvoices and
// sets each one's error in errs, as invoiceIssued and Handle would: a
// changed invoice is a conflict; a duplicate records its debtor data
// again; an accepted or duplicate invoice releases the messages held for
// it. An invoice that failed for any other reason, or all of them when
// the call failed, are handled again one at a time by Handle, which
// decides and classifies each as a single message.
func (p *Processor) storeInvoices(pending []batched, errs []error) {
	if len(pending) == 0 {
		return
	}
	streams := make([]eventstore.StreamID, len(pending))
	events := make([]eventstore.Event, len(pending))
	debtors := make([]*shopv1.Debtor, len(pending))
	for k, b := range pending {
		streams[k] = b.e.Stream
		events[k] = eventstore.Event{Envelope: envelope(b.ctx, b.e.Stream, b.e), Payload: b.e.Payload}
		debtors[k] = b.msg.GetDebtor()
	}
	ctx := context.WithoutCancel(pending[0].ctx)
	res, err := p.Invoices.StoreInvoices(ctx, streams, events, debtors)
	var stored []batched
	for k, b := range pending {
		switch {
		case err != nil:
			_, errs[b.i] = p.Handle(b.ctx, b.tenant, b.msg)
		case errors.Is(res[k].Err, eventstore.ErrContentMismatch):
			errs[b.i] = p.invoiceConflict(b.ctx, b.e, res[k].Err)
		case res[k].Err != nil:
			_, errs[b.i] = p.Handle(b.ctx, b.tenant, b.msg)
		case res[k].Replayed:
			// A delivery that stored the event may have failed before it
			// saved the debtor's data.
			if err := p.Debtors.SaveDebtor(b.ctx, b.tenant, b.msg.GetDebtor()); err != nil {
				errs[b.i] = fmt.Errorf("invoice %s: %w", b.e.Document, err)
				continue
			}
			stored = append(stored, b)
		default:
			stored = append(stored, b)
		}
	}
	p.releaseAll(ctx, stored, errs)
}

// WaitingAny is a Pending that finds the holds waiting for many facts with
// one look-up (package postgres implements it): tenant's holds waiting
// for any of facts, oldest first. Its errors are storage failures.
type WaitingAny interface {
	WaitingAny(ctx context.Context, tenant string, facts []shop.Fact) ([]shop.Hold, error)
}

// releaseAll releases the messages held for the stored invoices, as
// Handle does after each: with one look-up per tenant when Pending is a
// WaitingAny, and release for the invoices something waits for. A
// failure is the error of the invoices it concerns, which come again.
func (p *Processor) releaseAll(ctx context.Context, stored []batched, errs []error) {
	if p.Pending == nil || len(stored) == 0 {
		return
	}
	wa, ok := p.Pending.(WaitingAny)
	if !ok {
		for _, b := range stored {
			if fact, ok := provides(b.msg); ok {
				errs[b.i] = p.release(b.ctx, b.tenant, fact)
			}
		}
		return
	}
	byTenant := map[string][]batched{}
	for _, b := range stored {
		byTenant[b.tenant] = append(byTenant[b.tenant], b)
	}
	for tenant, bs := range byTenant {
		facts := make([]shop.Fact, 0, len(bs))
		for _, b := range bs {
			if fact, ok := provides(b.msg); ok {
				facts = append(facts, fact)
			}
		}
		holds, err := wa.WaitingAny(ctx, tenant, facts)
		if err != nil {
			for _, b := range bs {
				errs[b.i] = fmt.Errorf("release holds waiting for invoice %s: %w", b.e.Document, err)
			}
			continue
		}
		waited := map[shop.Fact]bool{}
		for _, h := range holds {
			waited[h.WaitsFor] = true
		}
		for _, b := range bs {
			if fact, ok := provides(b.msg); ok && waited[fact] {
				errs[b.i] = p.release(b.ctx, b.tenant, fact)
			}
		}
	}
}
