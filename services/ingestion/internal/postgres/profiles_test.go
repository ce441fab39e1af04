package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// TestProfiles: given three customers, one with a direct-debit mandate and
// one erased, the profiles come by id or page by page in debtor id order
// with address, e-mail, language and the mandate's signature date, and the
// erased one has no personal data left.
func TestProfiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, c := range []*shopv1.Customer{
		{CustomerNumber: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel GmbH"},
		{CustomerNumber: "C-2", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Erika Mustermann",
			Email: "erika@example.org", PreferredLanguage: "de",
			BillingAddress: &shopv1.Address{Lines: []string{"Heidestraße 17"}, PostalCode: "51147", City: "Köln", Country: "DE"},
			DirectDebit: &shopv1.DirectDebitMandate{Iban: "DE89370400440532013000", MandateId: "M-2",
				SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 5}, SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_RECURRING}},
		{CustomerNumber: "C-3", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Max Muster", Email: "max@example.org",
			PreferredLanguage: "en", BillingAddress: &shopv1.Address{Lines: []string{"Weg 1"}, PostalCode: "10115", City: "Berlin", Country: "DE"},
			DirectDebit: &shopv1.DirectDebitMandate{Iban: "DE02120300000000202051", MandateId: "M-3",
				SignedOn: &commonv1.Date{Year: 2025, Month: 3, Day: 1}, SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_FIRST}},
	} {
		if _, err := e.store.SaveCustomer(ctx, "acme", c, at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.EraseDebtor(ctx, "acme", "C-3", "user:olga", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := []postgres.Profile{
		{DebtorID: "C-1", Kind: "DEBTOR_KIND_BUSINESS", Name: "Beispiel GmbH"},
		{DebtorID: "C-2", Kind: "DEBTOR_KIND_CONSUMER", Name: "Erika Mustermann", Email: "erika@example.org",
			Address:  &shopv1.Address{Lines: []string{"Heidestraße 17"}, PostalCode: "51147", City: "Köln", Country: "DE"},
			Language: "de", IBAN: "DE89370400440532013000", MandateID: "M-2",
			SignedOn: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Sequence: "SEQUENCE_TYPE_RECURRING"},
		{DebtorID: "C-3", Kind: "DEBTOR_KIND_CONSUMER", Erased: true},
	}
	ignore := cmp.Options{cmpopts.IgnoreFields(postgres.Profile{}, "UpdatedAt"), protocmp.Transform()}
	first, err := e.store.Profiles(ctx, "acme", nil, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	rest, err := e.store.Profiles(ctx, "acme", nil, first[len(first)-1].DebtorID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, append(first, rest...), ignore); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	named, err := e.store.Profiles(ctx, "acme", []string{"C-2", "C-9"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1:2], named, ignore); diff != "" {
		t.Errorf("by id (-want +got):\n%s", diff)
	}
	if other, err := e.store.Profiles(ctx, "beta", nil, "", 10); err != nil || len(other) != 0 {
		t.Errorf("another tenant's profiles: %v, %v", other, err)
	}
}
