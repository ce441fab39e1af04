package rpc

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/services/dunning/internal/run"
)

// Ingestion is dunning's client of ingestion's DebtorProfileService: the
// debtor's name, postal address, e-mail and customer number for a notice,
// personal data dunning holds in memory only while it renders: one call
// per batch of a run.
// Every failure to ask is transient (fault.Transient): the run stops
// before storing the batch, and a second run on the same date decides
// what is left. An ingestion that does not serve the profiles
// (UNIMPLEMENTED) answers none: the notices name the debtors by id.
type Ingestion struct {
	Client ingestionv1grpc.DebtorProfileServiceClient
}

// Profiles returns the master data of the debtors named (at most 1000,
// a run's batch) by debtor id; an unknown or erased debtor is left out.
func (c Ingestion) Profiles(ctx context.Context, tenant string, debtors []string) (map[string]run.Profile, error) {
	out := map[string]run.Profile{}
	if c.Client == nil || len(debtors) == 0 {
		return out, nil
	}
	res, err := c.Client.ListDebtorProfiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, DebtorIds: debtors})
	if status.Code(err) == codes.Unimplemented {
		return out, nil
	}
	if err != nil {
		return nil, fault.Mark(fmt.Errorf("ask ingestion for %d debtors' profiles: %w", len(debtors), err), fault.Transient)
	}
	for _, p := range res.GetProfiles() {
		if !p.GetErased() {
			a := p.GetBillingAddress()
			out[p.GetDebtorId()] = run.Profile{Name: p.GetName(), CustomerNumber: p.GetCustomerNumber(), Email: p.GetEmail(),
				Address: run.AddressLines(a.GetLines(), a.GetPostalCode(), a.GetCity(), a.GetCountry())}
		}
	}
	return out, nil
}
