package shop

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/o2c-platform/o2c/libs/tenants"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
)

// The kinds of fact a held message can wait for.
const (
	// AwaitInvoice is an invoice, keyed by its number: a credit note or
	// cancellation that arrives before it waits for it.
	AwaitInvoice = "invoice"
	// AwaitCapture is a payment capture, keyed by provider/reference: a
	// chargeback that arrives before it waits for it.
	AwaitCapture = "capture"
	// AwaitCustomer is a customer's data, keyed by the customer number: an
	// invoice that names only debtor.customer_id waits for it.
	AwaitCustomer = "customer"
)

// DefaultHoldingPeriod is how long a message is held when the tenants
// file sets no holding period (tenants.DefaultHoldingPeriod, 14 days).
const DefaultHoldingPeriod = tenants.DefaultHoldingPeriod

// Fact is what a held message waits for: a document of Kind (AwaitInvoice,
// AwaitCapture, AwaitCustomer) with natural key Key.
type Fact struct {
	Kind, Key string
}

// String names the fact as messages do: "invoice RE-1".
func (f Fact) String() string { return f.Kind + " " + f.Key }

// WaitError says a message refers to a fact o2c does not know (yet). It
// wraps the sentinel that names what is missing (ErrUnknownInvoice,
// ErrUnknownCapture, ErrUnknownCustomer); the consumer holds the message
// until the fact is accepted instead of rejecting it.
type WaitError struct {
	Fact Fact
	Err  error
}

func (e *WaitError) Error() string { return e.Err.Error() }
func (e *WaitError) Unwrap() error { return e.Err }

// Awaits returns the fact err says is missing, if it does.
func Awaits(err error) (Fact, bool) {
	var w *WaitError
	if errors.As(err, &w) {
		return w.Fact, true
	}
	return Fact{}, false
}

// Hold is a message held until the fact it waits for is accepted.
type Hold struct {
	Tenant string
	// EventType is the part of the message's subject after shop.<tenant>.
	EventType string
	// Document is the message's natural key: a hold is kept once per
	// tenant, event type and document, with the time it was first held.
	Document string
	WaitsFor Fact
	// Reason says why it is held, for operators.
	Reason string
	// Message is the message's protobuf encoding.
	Message []byte
	HeldAt  time.Time
}

// Expired reports whether h has been held for longer than period at now.
func (h Hold) Expired(now time.Time, period time.Duration) bool {
	return now.Sub(h.HeldAt) > period
}

// ExpiredReason is the reason a rejection of a hold that expired gives: what
// it waited for, since when and for how long at most.
func (h Hold) ExpiredReason(period time.Duration) string {
	return fmt.Sprintf("%s %s: %v: waited for %s since %s, longer than the holding period of %s",
		h.EventType, h.Document, ErrHeldTooLong, h.WaitsFor, h.HeldAt.UTC().Format(time.RFC3339), period)
}

// CheckCapture returns a *WaitError wrapping ErrUnknownCapture unless the
// payloads of a payment stream hold its capture.
func CheckCapture(payloads []proto.Message, provider, captureReference, doc string) error {
	for _, p := range payloads {
		if _, ok := p.(*ingestionv1.PaymentCaptureIngested); ok {
			return nil
		}
	}
	ref := provider + "/" + captureReference
	return &WaitError{Fact: Fact{AwaitCapture, ref},
		Err: fmt.Errorf("%s: %w: capture %s not known (yet)", doc, ErrUnknownCapture, ref)}
}
