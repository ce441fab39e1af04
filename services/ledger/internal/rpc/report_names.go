package rpc

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

	"github.com/o2c-platform/o2c/libs/fault"
)

// ErasedName is the name a report shows for a debtor whose personal data
// was erased: the debtor stays known by its id, which carries none.
const ErasedName = "[erased]"

// reportLayout is the layout of the files issued now
// (IssueReportRequest.layout): 1, with the debtors' names.
const reportLayout = 1

// DebtorName is a debtor's name in ingestion's master data, or Erased
// (and no name) once its personal data was erased.
type DebtorName struct {
	Name   string
	Erased bool
}

// DebtorNames looks debtors' names up in ingestion's master data. The
// ledger keeps no names: the reports ask for them as they are computed.
// DebtorNames returns the names of the debtors asked for (at most 1000)
// by debtor id, leaving out those ingestion does not know; its errors are
// transient.
type DebtorNames interface {
	DebtorNames(ctx context.Context, tenant string, debtors []string) (map[string]DebtorName, error)
}

// IngestionNames is DebtorNames on ingestion's DebtorProfileService, asked
// as the ledger (the service role) for the tenant; the profiles are read
// and dropped, never stored or logged.
type IngestionNames struct {
	Client ingestionv1grpc.DebtorProfileServiceClient
}

// DebtorNames implements DebtorNames.
func (n IngestionNames) DebtorNames(ctx context.Context, tenant string, debtors []string) (map[string]DebtorName, error) {
	out := map[string]DebtorName{}
	if len(debtors) == 0 {
		return out, nil
	}
	res, err := n.Client.ListDebtorProfiles(ctx, &ingestionv1.ListDebtorProfilesRequest{Tenant: tenant, DebtorIds: debtors})
	if status.Code(err) == codes.Unimplemented {
		return out, nil
	}
	if err != nil {
		return nil, fault.Mark(fmt.Errorf("ask ingestion for %d debtors' names: %w", len(debtors), err), fault.Transient)
	}
	for _, p := range res.GetProfiles() {
		out[p.GetDebtorId()] = DebtorName{Name: p.GetName(), Erased: p.GetErased()}
	}
	return out, nil
}

// namer gives the names a report shows for the debtors asked for, by
// debtor id; a debtor left out shows an empty name. nil shows none.
type namer func(ctx context.Context, tenant string, debtors []string) (map[string]string, error)

// liveNames is the namer of a report computed now: ingestion's names, an
// erased debtor's ErasedName; nil without DebtorNames.
func (s *ReportService) liveNames() namer {
	if s.Names == nil {
		return nil
	}
	return func(ctx context.Context, tenant string, debtors []string) (map[string]string, error) {
		got, err := s.Names.DebtorNames(ctx, tenant, debtors)
		if err != nil {
			return nil, err
		}
		out := make(map[string]string, len(got))
		for id, n := range got {
			if n.Erased {
				out[id] = ErasedName
			} else if n.Name != "" {
				out[id] = n.Name
			}
		}
		return out, nil
	}
}

// recording wraps n so that every name it gives is kept in into.
func recording(n namer, into map[string]string) namer {
	if n == nil {
		return nil
	}
	return func(ctx context.Context, tenant string, debtors []string) (map[string]string, error) {
		got, err := n(ctx, tenant, debtors)
		for id, name := range got {
			into[id] = name
		}
		return got, err
	}
}

// issuedNames is the namer of a reproduction of issued report id: the
// names recorded with it. With pseudonymise, a debtor ingestion now
// reports as erased is named ErasedName instead; either way every debtor
// erased since that had a name is added to erased.
func (s *ReportService) issuedNames(id string, pseudonymise bool, erased map[string]bool) namer {
	return func(ctx context.Context, tenant string, debtors []string) (map[string]string, error) {
		out, err := s.Store.IssuedReportNames(ctx, tenant, id, debtors)
		if err != nil || s.Names == nil {
			return out, err
		}
		now, err := s.Names.DebtorNames(ctx, tenant, debtors)
		if err != nil {
			return nil, err
		}
		for d, name := range out {
			if !now[d].Erased || name == ErasedName {
				continue
			}
			erased[d] = true
			if pseudonymise {
				out[d] = ErasedName
			}
		}
		return out, nil
	}
}

// nameRows looks up the names of the debtors of one page of rows (at most
// a page's, so at most 1000 debtors) and sets them.
func nameRows[R any](ctx context.Context, n namer, tenant string, rows []R, debtor func(R) string, set func(R, string)) error {
	if n == nil || len(rows) == 0 {
		return nil
	}
	var ids []string
	seen := map[string]bool{}
	for _, r := range rows {
		if d := debtor(r); d != "" && !seen[d] {
			seen[d] = true
			ids = append(ids, d)
		}
	}
	names, err := n(ctx, tenant, ids)
	if err != nil {
		return err
	}
	for _, r := range rows {
		set(r, names[debtor(r)])
	}
	return nil
}
