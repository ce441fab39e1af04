package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// TestSearchDebtors finds debtors by customer number, invoice number,
// IBAN (spaces and case ignored) and any part of the name; an erased
// debtor only by its numbers and without a name; each debtor once, by its
// most precise match; wildcards match literally.
func TestSearchDebtors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	consumer := shopv1.DebtorKind_DEBTOR_KIND_CONSUMER
	for _, d := range []*shopv1.Debtor{
		{CustomerId: "K-1001", Kind: consumer, Name: "Erika Mustermann"},
		{CustomerId: "K-1002", Kind: consumer, Name: "Max Mustermann"},
		{CustomerId: "K-2001", Kind: consumer, Name: "Jan Schmidt"},
		{CustomerId: "K-9", Kind: consumer, Name: "Gone Person"},
	} {
		if err := e.store.SaveDebtor(ctx, "acme", d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.SaveCustomer(ctx, "acme", &shopv1.Customer{CustomerNumber: "K-2001", Kind: consumer, Name: "Jan Schmidt",
		DirectDebit: &shopv1.DirectDebitMandate{Iban: "DE89370400440532013000", MandateId: "M-1", SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 5},
			SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_FIRST}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	issued := time.Date(2026, 7, 20, 0, 0, 0, 0, time.UTC)
	e.ingest(t, "RE-2026-0901", "K-2001", issued)
	e.ingest(t, "RE-2026-0902", "K-1002", issued)
	e.ingest(t, "RE-2026-0999", "K-9", issued)
	if _, err := e.store.EraseDebtor(ctx, "acme", "K-9", "user:op", time.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  []postgres.DebtorMatch
	}{
		{"K-100", []postgres.DebtorMatch{
			{DebtorID: "K-1001", Name: "Erika Mustermann", Kind: "DEBTOR_KIND_CONSUMER", MatchedBy: "customer_number"},
			{DebtorID: "K-1002", Name: "Max Mustermann", Kind: "DEBTOR_KIND_CONSUMER", MatchedBy: "customer_number"},
		}},
		{"re-2026-0901", []postgres.DebtorMatch{
			{DebtorID: "K-2001", Name: "Jan Schmidt", Kind: "DEBTOR_KIND_CONSUMER", MatchedBy: "invoice_number", InvoiceNumber: "RE-2026-0901"},
		}},
		{"de89 3704 0044 0532 0130 00", []postgres.DebtorMatch{
			{DebtorID: "K-2001", Name: "Jan Schmidt", Kind: "DEBTOR_KIND_CONSUMER", MatchedBy: "iban"},
		}},
		{"mustermann", []postgres.DebtorMatch{
			{DebtorID: "K-1001", Name: "Erika Mustermann", Kind: "DEBTOR_KIND_CONSUMER", MatchedBy: "name"},
			{DebtorID: "K-1002", Name: "Max Mustermann", Kind: "DEBTOR_KIND_CONSUMER", MatchedBy: "name"},
		}},
		{"Gone", nil},
		{"RE-2026-099", []postgres.DebtorMatch{
			{DebtorID: "K-9", Kind: "DEBTOR_KIND_CONSUMER", MatchedBy: "invoice_number", InvoiceNumber: "RE-2026-0999", Erased: true},
		}},
		{"K-%", nil},
	}
	for _, tt := range tests {
		got, err := e.store.SearchDebtors(ctx, "acme", tt.query, 10)
		if err != nil {
			t.Fatalf("%q: %v", tt.query, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" && !(len(tt.want) == 0 && len(got) == 0) {
			t.Errorf("SearchDebtors(%q) (-want +got):\n%s", tt.query, diff)
		}
	}
	if got, err := e.store.SearchDebtors(ctx, "other", "K-1", 10); err != nil || len(got) != 0 {
		t.Errorf("another tenant's search: %v, %v; want nothing", got, err)
	}
}

// TestInvoiceDocuments lists a debtor's accepted invoices, newest first,
// with the shop's document link where it sent one.
func TestInvoiceDocuments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	for _, inv := range []*ingestionv1.InvoiceIngested{
		{Tenant: "acme", InvoiceNumber: "RE-1", DebtorId: "K-1", Currency: "EUR", IssueDate: &commonv1.Date{Year: 2026, Month: 7, Day: 1},
			DocumentUrl: "https://shop.example/RE-1.pdf"},
		{Tenant: "acme", InvoiceNumber: "RE-2", DebtorId: "K-2", Currency: "EUR", IssueDate: &commonv1.Date{Year: 2026, Month: 7, Day: 2}},
		{Tenant: "acme", InvoiceNumber: "RE-3", DebtorId: "K-1", Currency: "EUR", IssueDate: &commonv1.Date{Year: 2026, Month: 7, Day: 3}},
	} {
		if _, err := e.events.Append(ctx, eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: inv.GetInvoiceNumber()}, eventstore.AnyVersion,
			[]eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now(), Actor: "shop:acme"}, Payload: inv}}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.store.InvoiceDocuments(ctx, "acme", "K-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []postgres.InvoiceDocument{
		{Number: "RE-3", IssueDate: &commonv1.Date{Year: 2026, Month: 7, Day: 3}},
		{Number: "RE-1", IssueDate: &commonv1.Date{Year: 2026, Month: 7, Day: 1}, DocumentURL: "https://shop.example/RE-1.pdf"},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("InvoiceDocuments (-want +got):\n%s", diff)
	}
}
