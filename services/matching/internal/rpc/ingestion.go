package rpc

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
	"github.com/o2c-platform/o2c/services/matching/internal/sepa"
)

// Ingestion is matching's client of ingestion: the payers of bank
// transactions (ImportService.GetCounterparties) and the debtors' master
// data (DebtorProfileService.ListDebtorProfiles), both personal data that
// matching holds in memory only. A nil client answers nothing: payments
// are then matched without payer and debtors without master data. Every
// failure to ask is transient (fault.Transient): a message that needed it
// comes again, and a misconfigured credential is fixed without losing
// anything; an ingestion that does not serve the profiles yet
// (UNIMPLEMENTED) answers nothing.
type Ingestion struct {
	Imports  ingestionv1grpc.ImportServiceClient
	Profiles ingestionv1grpc.DebtorProfileServiceClient
}

func ask(what string, err error) error {
	return fault.Mark(fmt.Errorf("ask ingestion for %s: %w", what, err), fault.Transient)
}

// Payers resolves counterparty ids (at most 1000).
func (c Ingestion) Payers(ctx context.Context, tenant string, ids []string) (map[string]queue.Payer, error) {
	out := map[string]queue.Payer{}
	if c.Imports == nil || len(ids) == 0 {
		return out, nil
	}
	res, err := c.Imports.GetCounterparties(ctx, &ingestionv1.GetCounterpartiesRequest{Tenant: tenant, Ids: ids})
	if status.Code(err) == codes.Unimplemented {
		return out, nil
	}
	if err != nil {
		return nil, ask("payers", err)
	}
	for _, cp := range res.GetCounterparties() {
		out[cp.GetId()] = queue.Payer{Name: cp.GetName(), IBAN: cp.GetIban(), Erased: cp.GetErased()}
	}
	return out, nil
}

// Debtors returns the master data of the debtors named (any number).
func (c Ingestion) Debtors(ctx context.Context, tenant string, ids []string) ([]engine.Debtor, error) {
	var out []engine.Debtor
	for start := 0; start < len(ids); start += 1000 {
		page, _, err := c.profiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, DebtorIds: ids[start:min(start+1000, len(ids))]})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}

// AllDebtors returns the master data of every debtor of tenant.
func (c Ingestion) AllDebtors(ctx context.Context, tenant string) ([]engine.Debtor, error) {
	var out []engine.Debtor
	token := ""
	for {
		page, next, err := c.profiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, PageSize: 5000, PageToken: token})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			return out, nil
		}
		token = next
	}
}

func (c Ingestion) profiles(ctx context.Context, req *ingestionv1.ListDebtorProfilesRequest) ([]engine.Debtor, string, error) {
	if c.Profiles == nil {
		return nil, "", nil
	}
	res, err := c.Profiles.ListDebtorProfiles(ctx, req)
	if status.Code(err) == codes.Unimplemented {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", ask("debtor profiles", err)
	}
	var out []engine.Debtor
	for _, p := range res.GetProfiles() {
		out = append(out, engine.Debtor{
			ID: p.GetDebtorId(), Name: p.GetName(), IBANs: p.GetIbans(), MandateIDs: p.GetMandateIds(),
			CustomerNumber: p.GetCustomerNumber(), Business: p.GetBusiness(), Erased: p.GetErased(),
		})
	}
	return out, res.GetNextPageToken(), nil
}

// ShopDebtors returns what the master data of the debtors named (at most
// 1000) says for their direct debits: name, billing address and mandates,
// each with its IBAN, signature date and whether it is one-off. A debtor
// ingestion does not know is left out; an erased one is there with Erased
// set and nothing else. An ingestion that lists only references and IBANs
// gives the mandates paired by position (sepa.PairByPosition), without
// signature dates.
func (c Ingestion) ShopDebtors(ctx context.Context, tenant string, ids []string) (map[string]sepa.ShopDebtor, error) {
	out := map[string]sepa.ShopDebtor{}
	if c.Profiles == nil || len(ids) == 0 {
		return out, nil
	}
	res, err := c.Profiles.ListDebtorProfiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, DebtorIds: ids})
	if status.Code(err) == codes.Unimplemented {
		return out, nil
	}
	if err != nil {
		return nil, ask("debtor profiles", err)
	}
	for _, p := range res.GetProfiles() {
		if p.GetErased() {
			out[p.GetDebtorId()] = sepa.ShopDebtor{Erased: true}
			continue
		}
		a := p.GetBillingAddress()
		d := sepa.ShopDebtor{Name: p.GetName(), Country: a.GetCountry(), PostCode: a.GetPostalCode(), Town: a.GetCity(),
			Street: strings.Join(a.GetLines(), ", ")}
		for _, m := range p.GetMandates() {
			sm := sepa.ShopMandate{Reference: m.GetMandateId(), IBAN: m.GetIban(),
				OneOff: m.GetSequenceType() == shopv1.SequenceType_SEQUENCE_TYPE_ONE_OFF}
			if on := m.GetSignedOn(); on.GetYear() != 0 {
				sm.SignedOn = time.Date(int(on.GetYear()), time.Month(on.GetMonth()), int(on.GetDay()), 0, 0, 0, 0, time.UTC)
			}
			d.Mandates = append(d.Mandates, sm)
		}
		if len(p.GetMandates()) == 0 {
			d.Mandates = sepa.PairByPosition(p.GetMandateIds(), p.GetIbans())
		}
		out[p.GetDebtorId()] = d
	}
	return out, nil
}
