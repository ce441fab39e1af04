package rpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/internal/rpc"
)

// profiles is an in-memory Profiles answering the same profiles whatever
// is asked.
type profiles []postgres.Profile

func (p profiles) Profiles(context.Context, string, []string, string, int) ([]postgres.Profile, error) {
	return p, nil
}

// TestListDebtorProfilesCarriesAddressAndMandates: given a debtor with
// address, e-mail, language and a signed mandate and an erased one, the
// profile carries the address, e-mail, language and the mandate with its
// IBAN, signature date and sequence type; the erased one nothing personal.
func TestListDebtorProfilesCarriesAddressAndMandates(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	addr := &shopv1.Address{Lines: []string{"Heidestraße 17"}, PostalCode: "51147", City: "Köln", Country: "DE"}
	s := &rpc.DebtorProfileService{Tenants: tenants{}, Store: profiles{
		{DebtorID: "C-2", Kind: "DEBTOR_KIND_CONSUMER", Name: "Erika Mustermann", Email: "erika@example.org", Address: addr,
			Language: "de", IBAN: "DE89370400440532013000", MandateID: "M-2", SignedOn: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
			Sequence: "SEQUENCE_TYPE_RECURRING", UpdatedAt: at},
		{DebtorID: "C-3", Kind: "DEBTOR_KIND_BUSINESS", Erased: true, UpdatedAt: at},
	}}
	got, err := s.ListDebtorProfiles(context.Background(), &ingestionv1.ListDebtorProfilesRequest{Tenant: "acme", DebtorIds: []string{"C-2", "C-3"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &ingestionv1.ListDebtorProfilesResponse{Profiles: []*ingestionv1.DebtorProfile{
		{DebtorId: "C-2", Name: "Erika Mustermann", CustomerNumber: "C-2", UpdatedAt: timestamppb.New(at),
			Ibans: []string{"DE89370400440532013000"}, MandateIds: []string{"M-2"}, BillingAddress: addr,
			Email: "erika@example.org", PreferredLanguage: "de",
			Mandates: []*ingestionv1.Mandate{{MandateId: "M-2", Iban: "DE89370400440532013000",
				SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 5}, SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_RECURRING}}},
		{DebtorId: "C-3", Business: true, CustomerNumber: "C-3", Erased: true, UpdatedAt: timestamppb.New(at)},
	}}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
}
