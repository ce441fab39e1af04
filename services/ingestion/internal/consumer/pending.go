package consumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// HeldTooLong is the reason code of a held message whose holding period
// ended.
const HeldTooLong = "held_too_long"

// eventType returns the event type (see EventTypes) whose message msg is.
func eventType(msg proto.Message) string {
	name := msg.ProtoReflect().Descriptor().FullName()
	for t, newMsg := range EventTypes {
		if newMsg().ProtoReflect().Descriptor().FullName() == name {
			return t
		}
	}
	return ""
}

// document is the natural key a hold of msg is kept under.
func document(msg proto.Message) string {
	switch m := msg.(type) {
	case *shopv1.InvoiceIssued:
		return m.GetInvoiceNumber()
	case *shopv1.InvoiceCancelled:
		return m.GetCancellationNumber()
	case *shopv1.CreditNoteIssued:
		return m.GetCreditNoteNumber()
	case *shopv1.ChargebackNotified:
		return m.GetProvider() + "/" + m.GetProviderReference()
	}
	return ""
}

// provides returns the fact an accepted (or duplicate) msg makes known.
func provides(msg proto.Message) (shop.Fact, bool) {
	switch m := msg.(type) {
	case *shopv1.InvoiceIssued:
		return shop.Fact{Kind: shop.AwaitInvoice, Key: m.GetInvoiceNumber()}, true
	case *shopv1.PaymentCaptured:
		return shop.Fact{Kind: shop.AwaitCapture, Key: m.GetProvider() + "/" + m.GetProviderReference()}, true
	case *shopv1.CustomerRegistered:
		return shop.Fact{Kind: shop.AwaitCustomer, Key: m.GetCustomer().GetCustomerNumber()}, true
	case *shopv1.CustomerUpdated:
		return shop.Fact{Kind: shop.AwaitCustomer, Key: m.GetCustomer().GetCustomerNumber()}, true
	}
	return shop.Fact{}, false
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Processor) holdingPeriod(tenant string) time.Duration {
	if p.HoldingPeriod != nil {
		if d := p.HoldingPeriod(tenant); d > 0 {
			return d
		}
	}
	return shop.DefaultHoldingPeriod
}

// hold keeps msg until fact is accepted; why is the error that says it is
// missing.
func (p *Processor) hold(ctx context.Context, tenant string, msg proto.Message, fact shop.Fact, why error) (Result, error) {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return Result{}, fmt.Errorf("hold: encode: %w", err)
	}
	h := shop.Hold{Tenant: tenant, EventType: eventType(msg), Document: document(msg), WaitsFor: fact,
		Reason: why.Error(), Message: data, HeldAt: p.now()}
	if err := p.Pending.Hold(ctx, h); err != nil {
		return Result{}, err
	}
	return Result{Outcome: Held, WaitsFor: fact, Reason: h.Reason}, nil
}

// release handles again the holds of tenant waiting for fact, which was
// just accepted (or is a duplicate: a redelivery after a failed release
// releases again). A hold accepted or a duplicate now is deleted; one
// that is rejected now goes to the rejection store and is deleted; one
// that waits for something else now stays, waiting for that. A storage
// failure is returned, leaving the hold for the redelivery or the sweep.
func (p *Processor) release(ctx context.Context, tenant string, fact shop.Fact) error {
	if p.Pending == nil {
		return nil
	}
	holds, err := p.Pending.Waiting(ctx, tenant, fact)
	if err != nil {
		return fmt.Errorf("release holds waiting for %s: %w", fact, err)
	}
	for _, h := range holds {
		if err := p.retry(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// retry takes a held message through Handle again (see release).
func (p *Processor) retry(ctx context.Context, h shop.Hold) error {
	newMsg, ok := EventTypes[h.EventType]
	if !ok {
		return p.rejectHold(ctx, h, "unknown_event_type", fmt.Errorf("%w %q of a held message", errHeldUnreadable, h.EventType))
	}
	msg := newMsg()
	if err := proto.Unmarshal(h.Message, msg); err != nil {
		return p.rejectHold(ctx, h, "decode", fmt.Errorf("%w: %v", errHeldUnreadable, err))
	}
	res, err := p.Handle(ctx, h.Tenant, msg)
	switch {
	case err == nil && res.Outcome == Held:
		return nil // Handle kept it, waiting for what it misses now
	case err == nil:
		return p.Pending.Release(ctx, h.Tenant, h.EventType, h.Document)
	case fault.DetailOf(err).Code != "":
		return p.rejectHold(ctx, h, fault.DetailOf(err).Code, err)
	default:
		return fmt.Errorf("release %s %s: %w", h.EventType, h.Document, err)
	}
}

// errHeldUnreadable says a held message cannot be read back.
var errHeldUnreadable = errors.New("held message unreadable")

// rejectHold records h in the rejection store under the consumer's name
// and its subject, so that a replay takes it through Process, and
// deletes it.
func (p *Processor) rejectHold(ctx context.Context, h shop.Hold, code string, err error) error {
	if p.Rejections == nil {
		return fmt.Errorf("reject held %s %s: no rejection store", h.EventType, h.Document)
	}
	if rerr := p.Rejections.Record(ctx, bus.Rejected{
		Consumer: p.Consumer,
		Msg:      bus.Msg{Subject: "shop." + h.Tenant + "." + h.EventType, Data: h.Message, Delivered: 1},
		Class:    fault.NotFound,
		Code:     code,
		Err:      fault.WithDetail(err, fault.Detail{Code: code, Document: h.Document}),
	}); rerr != nil {
		return fmt.Errorf("reject held %s %s: %w", h.EventType, h.Document, rerr)
	}
	return p.Pending.Release(ctx, h.Tenant, h.EventType, h.Document)
}

// Sweep takes every hold once: one older than its tenant's holding
// period goes to the rejection store with reason code held_too_long and a
// reason naming what it waited for since when; any other is handled
// again, which releases a message whose fact arrived while it was being
// held (the two raced). It returns the first storage failure.
func (p *Processor) Sweep(ctx context.Context) error {
	if p.Pending == nil {
		return nil
	}
	holds, err := p.Pending.Pending(ctx, "")
	if err != nil {
		return err
	}
	now := p.now()
	for _, h := range holds {
		period := p.holdingPeriod(h.Tenant)
		if h.Expired(now, period) {
			err = p.rejectHold(ctx, h, HeldTooLong, errors.New(h.ExpiredReason(period)))
		} else {
			err = p.retry(ctx, h)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// SweepEvery runs Sweep every interval until ctx ends; a failed sweep is
// retried at the next tick. It is a host task (host.Host.Go).
func (p *Processor) SweepEvery(ctx context.Context, interval time.Duration, failed func(error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := p.Sweep(ctx); err != nil && ctx.Err() == nil && failed != nil {
				failed(err)
			}
		}
	}
}

// HeldMessage is a held message as operators see it: the hold and when its
// holding period ends.
type HeldMessage struct {
	shop.Hold
	// Expires is HeldAt plus the tenant's holding period: the first sweep
	// after it rejects the message as held_too_long.
	Expires time.Time
}

// Held returns the messages held for tenant (every tenant's for ""),
// the longest held first. Without a Pending store nothing is held.
func (p *Processor) Held(ctx context.Context, tenant string) ([]HeldMessage, error) {
	if p.Pending == nil {
		return nil, nil
	}
	holds, err := p.Pending.Pending(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]HeldMessage, len(holds))
	for i, h := range holds {
		out[i] = HeldMessage{Hold: h, Expires: h.HeldAt.Add(p.holdingPeriod(h.Tenant))}
	}
	return out, nil
}
