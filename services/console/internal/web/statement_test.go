package web

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// fakeProfiles answers ListDebtorProfiles from its list, or with err.
type fakeProfiles struct {
	ingestionv1grpc.DebtorProfileServiceClient
	profiles []*ingestionv1.DebtorProfile
	err      error
}

func (f fakeProfiles) ListDebtorProfiles(context.Context, *ingestionv1.ListDebtorProfilesRequest, ...grpc.CallOption) (*ingestionv1.ListDebtorProfilesResponse, error) {
	return &ingestionv1.ListDebtorProfilesResponse{Profiles: f.profiles}, f.err
}

// fakeSearch answers SearchDebtors from its list.
type fakeSearch struct {
	ingestionv1grpc.DebtorServiceClient
	debtors []*ingestionv1.DebtorMatch
}

func (f fakeSearch) SearchDebtors(context.Context, *ingestionv1.SearchDebtorsRequest, ...grpc.CallOption) (*ingestionv1.SearchDebtorsResponse, error) {
	return &ingestionv1.SearchDebtorsResponse{Debtors: f.debtors}, nil
}

// TestStatementRecipient checks the statement letter's address block: the
// profile's name and billing address for a user who may read profiles,
// the search's name for one who may not, nothing (the caller then writes
// the debtor id) for an erased or unknown debtor.
func TestStatementRecipient(t *testing.T) {
	t.Parallel()
	profile := &ingestionv1.DebtorProfile{DebtorId: "K-1", Name: "Jürgen Weiß",
		BillingAddress: &shopv1.Address{Lines: []string{"Hauptstraße 5"}, PostalCode: "10115", City: "Berlin", Country: "DE"}}
	search := fakeSearch{debtors: []*ingestionv1.DebtorMatch{{DebtorId: "K-1", Name: "Jürgen Weiß"}}}
	denied := status.Error(codes.PermissionDenied, "customer service may not read profiles")
	tests := []struct {
		name     string
		profiles fakeProfiles
		debtor   string
		want     []string
	}{
		{"profile", fakeProfiles{profiles: []*ingestionv1.DebtorProfile{profile}}, "K-1", []string{"Jürgen Weiß", "Hauptstraße 5", "10115 Berlin"}},
		{"no right to profiles", fakeProfiles{err: denied}, "K-1", []string{"Jürgen Weiß"}},
		{"erased", fakeProfiles{profiles: []*ingestionv1.DebtorProfile{{DebtorId: "K-1", Erased: true}}}, "K-1", nil},
		{"unknown", fakeProfiles{err: denied}, "K-9", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &Server{profiles: tt.profiles, debtors: search}
			got := s.statementRecipient(&Request{Ctx: context.Background(), Tenant: "demo"}, tt.debtor)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("recipient (-want +got):\n%s", diff)
			}
		})
	}
}
