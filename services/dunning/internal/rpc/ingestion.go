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
// debtor's name and customer number for a notice, personal data dunning
// holds in memory only while it renders. Every failure to ask is
// transient (fault.Transient): the run fails for the debtor and a second
// run on the same date decides it. An ingestion that does not serve the
// profiles (UNIMPLEMENTED) answers a zero Profile.
//
// What is missing: ingestion's DebtorProfile carries no postal address
// and no e-mail address, so notices are rendered with the name alone
// until it does.
type Ingestion struct {
	Profiles ingestionv1grpc.DebtorProfileServiceClient
}

// Profile returns debtor's master data; an unknown or erased debtor is a
// zero Profile.
func (c Ingestion) Profile(ctx context.Context, tenant, debtor string) (run.Profile, error) {
	if c.Profiles == nil {
		return run.Profile{}, nil
	}
	res, err := c.Profiles.ListDebtorProfiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, DebtorIds: []string{debtor}})
	if status.Code(err) == codes.Unimplemented {
		return run.Profile{}, nil
	}
	if err != nil {
		return run.Profile{}, fault.Mark(fmt.Errorf("ask ingestion for debtor %s: %w", debtor, err), fault.Transient)
	}
	for _, p := range res.GetProfiles() {
		if p.GetDebtorId() == debtor && !p.GetErased() {
			return run.Profile{Name: p.GetName(), CustomerNumber: p.GetCustomerNumber()}, nil
		}
	}
	return run.Profile{}, nil
}
