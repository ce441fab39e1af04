package rpc

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
)

// profilePage is the most debtors one DebtorProfiles call asks for.
const profilePage = 1000

// DebtorProfiles looks debtors' master data up in ingestion. The ledger
// keeps none: the DATEV export asks for it as it writes the master data
// file. DebtorProfiles returns the profiles of the debtors asked for (at
// most 1000) by debtor id, an erased debtor's with Erased and nothing
// else, leaving out those ingestion does not know; its errors are
// transient.
type DebtorProfiles interface {
	DebtorProfiles(ctx context.Context, tenant string, debtors []string) (map[string]datev.Profile, error)
}

// MasterDataStore keeps the master data a closed period's DATEV export
// wrote, so that exporting it again gives the same bytes (see
// postgres.Store.RecordMasterData). Its errors are storage failures.
type MasterDataStore interface {
	RecordedMasterData(ctx context.Context, tenant string, year int, month time.Month, closedAt time.Time) (map[string]datev.Profile, error)
	RecordMasterData(ctx context.Context, tenant string, year int, month time.Month, closedAt time.Time, debtors []datev.Debtor) error
	ForgetMasterData(ctx context.Context, tenant string, debtors []string) error
}

// IngestionProfiles is DebtorProfiles on ingestion's DebtorProfileService,
// asked as the ledger (the service role) for the tenant.
type IngestionProfiles struct {
	Client ingestionv1grpc.DebtorProfileServiceClient
}

// DebtorProfiles implements DebtorProfiles.
func (n IngestionProfiles) DebtorProfiles(ctx context.Context, tenant string, debtors []string) (map[string]datev.Profile, error) {
	out := map[string]datev.Profile{}
	if len(debtors) == 0 {
		return out, nil
	}
	res, err := n.Client.ListDebtorProfiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, DebtorIds: debtors})
	if status.Code(err) == codes.Unimplemented {
		return out, nil
	}
	if err != nil {
		return nil, fault.Mark(fmt.Errorf("ask ingestion for %d debtors' master data: %w", len(debtors), err), fault.Transient)
	}
	for _, p := range res.GetProfiles() {
		out[p.GetDebtorId()] = ProfileOf(p)
	}
	return out, nil
}

// ProfileOf is the master data of ingestion's profile p; an erased one's
// is Erased and nothing else.
func ProfileOf(p *ingestionv1.DebtorProfile) datev.Profile {
	if p.GetErased() {
		return datev.Profile{Erased: true}
	}
	a := p.GetBillingAddress()
	return datev.Profile{Business: p.GetBusiness(), Name: p.GetName(), Street: a.GetLines(), PostalCode: a.GetPostalCode(),
		City: a.GetCity(), Country: a.GetCountry(), Email: p.GetEmail(), Language: p.GetPreferredLanguage()}
}

// masterData gives each of debtors the profile the export's master data
// file shows: for an open period ingestion's profile now; for a closed
// one the profile recorded at its first export as closed then, recording
// ingestion's now for a debtor not recorded yet, and pseudonymised for a
// debtor ingestion now reports erased (recorded so as well); whatever the
// period, the recorded profiles of a debtor reported erased are
// pseudonymised in every period (ForgetMasterData). Without
// Profiles the debtors keep no profile (named by id); without MasterData
// a closed period's profiles are ingestion's now and not recorded.
func (s *ExportService) masterData(ctx context.Context, tenant string, p datev.Period, closed bool, closedAt time.Time, debtors []datev.Debtor) ([]datev.Debtor, error) {
	if s.Profiles == nil || len(debtors) == 0 {
		return debtors, nil
	}
	record := closed && s.MasterData != nil
	var recorded map[string]datev.Profile
	if record {
		var err error
		if recorded, err = s.MasterData.RecordedMasterData(ctx, tenant, p.Year, p.Month, closedAt); err != nil {
			return nil, err
		}
	}
	now := map[string]datev.Profile{}
	for i := 0; i < len(debtors); i += profilePage {
		var ids []string
		for _, d := range debtors[i:min(i+profilePage, len(debtors))] {
			if d.DebtorID != "" {
				ids = append(ids, d.DebtorID)
			}
		}
		got, err := s.Profiles.DebtorProfiles(ctx, tenant, ids)
		if err != nil {
			return nil, err
		}
		for id, prof := range got {
			now[id] = prof
		}
	}
	out := make([]datev.Debtor, len(debtors))
	var changed []datev.Debtor
	var erased []string
	for i, d := range debtors {
		live, known := now[d.DebtorID]
		if live.Erased {
			erased = append(erased, d.DebtorID)
		}
		rec, wasRecorded := recorded[d.Account]
		switch {
		case wasRecorded && (!live.Erased || rec.Erased):
			d.Profile = &rec
		case known:
			d.Profile = &live
			changed = append(changed, d)
		}
		out[i] = d
	}
	if record && len(changed) > 0 {
		if err := s.MasterData.RecordMasterData(ctx, tenant, p.Year, p.Month, closedAt, changed); err != nil {
			return nil, err
		}
	}
	if s.MasterData != nil && len(erased) > 0 {
		// Any export that sees a debtor erased (an open period's too)
		// removes the personal data the ledger recorded of it.
		if err := s.MasterData.ForgetMasterData(ctx, tenant, erased); err != nil {
			return nil, err
		}
	}
	return out, nil
}
