package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/reportfile"
)

// statementRecipient returns the address block of debtor's statement
// letter: its name and billing address from ingestion's profile at addr.
// When ingestion knows no name (no profile, an erased debtor) or cannot
// be asked, it returns the debtor id and account instead, with why, for
// the user; the ledger holds no names or addresses.
func statementRecipient(cmd *cobra.Command, addr, tenant, debtor, account string) (lines []string, fallback string) {
	byID := []string{"Debitor " + debtor, "Konto " + account}
	svc := serviceAt("ingestion", addr)
	conn, err := dial(cmd, svc)
	if err != nil {
		return byID, err.Error()
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
	defer cancel()
	res, err := ingestionv1grpc.NewDebtorProfileServiceClient(conn).ListDebtorProfiles(ctx,
		&ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, DebtorIds: []string{debtor}})
	if err != nil {
		return byID, explain(svc, err).Error()
	}
	for _, p := range res.GetProfiles() {
		if p.GetDebtorId() != debtor {
			continue
		}
		if p.GetErased() {
			return byID, "its personal data was erased"
		}
		a := p.GetBillingAddress()
		if block := reportfile.AddressBlock(reportfile.Address{Name: p.GetName(), Lines: a.GetLines(),
			PostalCode: a.GetPostalCode(), City: a.GetCity(), Country: a.GetCountry()}, ""); block != nil {
			return block, ""
		}
	}
	return byID, fmt.Sprintf("ingestion knows no name of debtor %s", debtor)
}
