package rpc

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/testing/protocmp"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// profileClient is an in-memory DebtorProfileServiceClient answering the
// profiles it holds that were asked for.
type profileClient []*ingestionv1.DebtorProfile

func (c profileClient) ListDebtorProfiles(_ context.Context, req *ingestionv1.ListDebtorProfilesRequest,
	_ ...grpc.CallOption) (*ingestionv1.ListDebtorProfilesResponse, error) {
	out := &ingestionv1.ListDebtorProfilesResponse{}
	for _, p := range c {
		for _, id := range req.GetDebtorIds() {
			if p.GetDebtorId() == id {
				out.Profiles = append(out.Profiles, p)
			}
		}
	}
	return out, nil
}

// TestFillGivesTheAgencyAddressAndEmail: the case's debtor an agency sees
// carries the name, kind, billing address and e-mail of ingestion's
// profile; an erased debtor's stays without personal data.
func TestFillGivesTheAgencyAddressAndEmail(t *testing.T) {
	t.Parallel()
	c := Ingestion{Client: profileClient{
		{DebtorId: "D-1", Business: true, Name: "Beispiel GmbH", Email: "buchhaltung@beispiel.example",
			BillingAddress: &shopv1.Address{Lines: []string{"Hinterhaus", "Heidestraße 17"}, PostalCode: "51147", City: "Köln", Country: "DE"}},
		{DebtorId: "D-2", Erased: true},
	}}
	tests := []struct {
		name string
		in   *collectionsv1.Debtor
		want *collectionsv1.Debtor
	}{
		{name: "address and e-mail", in: &collectionsv1.Debtor{DebtorId: "D-1", Kind: "b2c"},
			want: &collectionsv1.Debtor{DebtorId: "D-1", Kind: "b2b", Name: "Beispiel GmbH", Email: "buchhaltung@beispiel.example",
				Country: "DE", Addresses: []*collectionsv1.Address{{Street: "Hinterhaus, Heidestraße 17", PostalCode: "51147", City: "Köln", Country: "DE"}}}},
		{name: "country of the case kept", in: &collectionsv1.Debtor{DebtorId: "D-1", Kind: "b2b", Country: "AT"},
			want: &collectionsv1.Debtor{DebtorId: "D-1", Kind: "b2b", Name: "Beispiel GmbH", Email: "buchhaltung@beispiel.example",
				Country: "AT", Addresses: []*collectionsv1.Address{{Street: "Hinterhaus, Heidestraße 17", PostalCode: "51147", City: "Köln", Country: "DE"}}}},
		{name: "erased", in: &collectionsv1.Debtor{DebtorId: "D-2", Kind: "b2c"}, want: &collectionsv1.Debtor{DebtorId: "D-2", Kind: "b2c"}},
		{name: "unknown", in: &collectionsv1.Debtor{DebtorId: "D-9", Kind: "b2c"}, want: &collectionsv1.Debtor{DebtorId: "D-9", Kind: "b2c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := c.Fill(context.Background(), "acme", tt.in); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.in, protocmp.Transform()); diff != "" {
				t.Errorf("debtor (-want +got):\n%s", diff)
			}
		})
	}
}
