package rpc

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
)

// Ingestion is collections' client of ingestion's DebtorProfileService:
// the debtor's name, kind, billing address and e-mail for an agency,
// personal data collections holds in memory only while it answers. A
// failure to ask is transient (fault.Transient: UNAVAILABLE); an
// ingestion that does not serve the profiles (UNIMPLEMENTED) and an
// erased debtor leave them empty.
type Ingestion struct {
	Client ingestionv1grpc.DebtorProfileServiceClient
}

// Fill adds the debtor's name, kind, e-mail and billing address (first
// of d's addresses, its street lines joined by ", ") to d; d's country
// becomes the billing address's when d has none.
func (c Ingestion) Fill(ctx context.Context, tenant string, d *collectionsv1.Debtor) error {
	if c.Client == nil || d == nil || d.GetDebtorId() == "" {
		return nil
	}
	res, err := c.Client.ListDebtorProfiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, DebtorIds: []string{d.GetDebtorId()}})
	if status.Code(err) == codes.Unimplemented {
		return nil
	}
	if err != nil {
		return fault.Mark(fmt.Errorf("ask ingestion for debtor %s's profile: %w", d.GetDebtorId(), err), fault.Transient)
	}
	for _, p := range res.GetProfiles() {
		if p.GetDebtorId() != d.GetDebtorId() || p.GetErased() {
			continue
		}
		d.Name = p.GetName()
		if p.GetBusiness() {
			d.Kind = "b2b"
		}
		d.Email = p.GetEmail()
		if a := p.GetBillingAddress(); a != nil {
			d.Addresses = append([]*collectionsv1.Address{{Street: strings.Join(a.GetLines(), ", "), PostalCode: a.GetPostalCode(),
				City: a.GetCity(), Country: a.GetCountry()}}, d.GetAddresses()...)
			if d.GetCountry() == "" {
				d.Country = a.GetCountry()
			}
		}
	}
	return nil
}
