package consumer

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/internal/invoice"
)

// store records appends and debtors saved.
type store struct {
	appended, saved int
}

func (s *store) Append(_ context.Context, _ eventstore.StreamID, _ eventstore.ExpectedVersion, evs []eventstore.Event) ([]eventstore.Event, error) {
	s.appended += len(evs)
	return evs, nil
}

func (s *store) ReadStream(context.Context, eventstore.StreamID, int64, int) ([]eventstore.Event, error) {
	return nil, nil
}

func (s *store) SaveDebtor(context.Context, string, *shopv1.Debtor) error {
	s.saved++
	return nil
}

func (s *store) SaveCustomer(context.Context, string, *shopv1.Customer, time.Time) (bool, error) {
	s.saved++
	return true, nil
}

func (s *store) KnownCustomer(context.Context, string, string) (*shopv1.Debtor, bool, error) {
	return nil, false, nil
}

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// jsonInvoice returns a valid invoice of tenant as JSON.
func jsonInvoice(tb testing.TB, tenant string) []byte {
	tb.Helper()
	inv := &shopv1.InvoiceIssued{
		Tenant: tenant, InvoiceNumber: "RE-1", OrderId: "WEB-1",
		Channel:   &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:    &shopv1.Debtor{CustomerId: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel GmbH"},
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2},
		Currency: "EUR",
		Lines:    []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(10000), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(10000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(10000), Vat: eur(1900)}},
			Gross: eur(11900)},
	}
	data, err := protojson.Marshal(inv)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestProcessRejectsUnknownTenantsAndSubjects sends a valid invoice on
// subjects that name a tenant the tenants file does not list, or an event
// type no handler reads: each is rejected (a permanent class, so the
// consumer records it) with its reason code and stores nothing, while the
// configured tenant's invoice is stored.
func TestProcessRejectsUnknownTenantsAndSubjects(t *testing.T) {
	t.Parallel()
	classify := fault.Chain(invoice.Errors.Classify, tenants.Errors.Classify)
	tests := []struct {
		subject, tenant string
		code            string // empty: accepted
		class           fault.Class
		reason          string
	}{
		{"shop.demo.invoice.issued", "demo", "", fault.Unknown, ""},
		{"shop.acme.invoice.issued", "acme", "unknown_tenant", fault.NotFound,
			"message on shop.acme.invoice.issued: tenant acme does not exist (not in the tenants file)"},
		{"shop.demo.invoice.paid", "demo", "unknown_event_type", fault.Invalid,
			`no such event type "invoice.paid" on shop.demo.invoice.paid: ingestion reads shop.<tenant>.{credit_note.issued,customer.registered,customer.updated,invoice.cancelled,invoice.issued,order.placed,payment.captured,payment.charged_back}`},
		{"shop.demo.eu.invoice.issued", "demo", "unknown_event_type", fault.Invalid,
			`no such event type "eu.invoice.issued" on shop.demo.eu.invoice.issued: ingestion reads shop.<tenant>.{credit_note.issued,customer.registered,customer.updated,invoice.cancelled,invoice.issued,order.placed,payment.captured,payment.charged_back}`},
		{"shop.acme.invoice.paid", "acme", "unknown_tenant", fault.NotFound,
			"message on shop.acme.invoice.paid: tenant acme does not exist (not in the tenants file)"},
		{"shop.Demo.invoice.issued", "demo", "invalid", fault.Invalid,
			`subject names no tenant: subject "shop.Demo.invoice.issued": the tenant is not a tenant id (lowercase letters, digits, dashes)`},
	}
	for _, tt := range tests {
		t.Run(tt.subject, func(t *testing.T) {
			t.Parallel()
			s := &store{}
			f := tenantstest.File(t, "demo")
			p := &Processor{Events: s, Debtors: s, Tenants: f, Tax: f.Tax}
			err := p.Process(context.Background(), bus.Msg{Subject: tt.subject,
				Header: nats.Header{"Content-Type": {"application/json"}}, Data: jsonInvoice(t, tt.tenant)})
			if tt.code == "" {
				if err != nil || s.appended != 1 || s.saved != 1 {
					t.Fatalf("Process = %v, %d appended, %d debtors saved; want the invoice stored", err, s.appended, s.saved)
				}
				return
			}
			if s.appended != 0 || s.saved != 0 {
				t.Errorf("%d appended, %d debtors saved; want nothing stored", s.appended, s.saved)
			}
			if c := classify(err); c != tt.class || !c.Permanent() {
				t.Errorf("class %v, want %v (permanent: rejected and recorded)", c, tt.class)
			}
			if got := fault.DetailOf(err).Code; got != tt.code {
				t.Errorf("reason code %q, want %q", got, tt.code)
			}
			if err.Error() != tt.reason {
				t.Errorf("reason %q, want %q", err, tt.reason)
			}
		})
	}
}
