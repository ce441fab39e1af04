package rpc

import (
	"context"
	"encoding/base64"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

// ProfilePolicy is who may call the DebtorProfileService, each only for
// its own tenants: the service role (matching recognises debtors' payments
// by them), operators and accountants. Not customer service or shops: they
// have the DebtorService's export for a person's record.
var ProfilePolicy = auth.Policy{
	ingestionv1grpc.DebtorProfileService_ListDebtorProfiles_FullMethodName: auth.Allow(identity.Service, identity.Operator, identity.Accountant),
}

// Profiles reads debtors' matching profiles (postgres.Store); its errors
// are storage failures.
type Profiles interface {
	Profiles(ctx context.Context, tenant string, ids []string, after string, limit int) ([]postgres.Profile, error)
}

// DebtorProfileService serves ingestionv1grpc.DebtorProfileService.
type DebtorProfileService struct {
	ingestionv1grpc.UnimplementedDebtorProfileServiceServer
	Store   Profiles
	Tenants Tenants
}

// ListDebtorProfiles returns the profiles named, or a page of all of them.
func (s *DebtorProfileService) ListDebtorProfiles(ctx context.Context, req *ingestionv1.ListDebtorProfilesRequest) (*ingestionv1.ListDebtorProfilesResponse, error) {
	if err := checkText(req); err != nil {
		return nil, err
	}
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	if n := len(req.GetDebtorIds()); n > 1000 {
		return nil, status.Errorf(codes.InvalidArgument, "debtor_ids: %d, at most 1000", n)
	}
	size := int(req.GetPageSize())
	switch {
	case size < 0 || size > 5000:
		return nil, status.Errorf(codes.InvalidArgument, "page_size: %d is not between 0 and 5000", size)
	case size == 0:
		size = 1000
	}
	after := ""
	if tok := req.GetPageToken(); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) == 0 {
			return nil, status.Error(codes.InvalidArgument, "page_token: not a token of this service")
		}
		after = string(b)
	}
	ps, err := s.Store.Profiles(ctx, req.GetTenant(), req.GetDebtorIds(), after, size)
	if err != nil {
		return nil, fmt.Errorf("list debtor profiles: %w", err)
	}
	out := &ingestionv1.ListDebtorProfilesResponse{}
	for _, p := range ps {
		m := &ingestionv1.DebtorProfile{
			DebtorId: p.DebtorID, Business: p.Kind == shopv1.DebtorKind_DEBTOR_KIND_BUSINESS.String(), Name: p.Name,
			CustomerNumber: p.DebtorID, Erased: p.Erased, UpdatedAt: timestamppb.New(p.UpdatedAt),
		}
		if !p.Erased {
			m.Email, m.PreferredLanguage, m.BillingAddress = p.Email, p.Language, p.Address
		}
		if p.IBAN != "" {
			m.Ibans = []string{p.IBAN}
		}
		if p.MandateID != "" {
			m.MandateIds = []string{p.MandateID}
			md := &ingestionv1.Mandate{MandateId: p.MandateID, Iban: p.IBAN,
				SequenceType: shopv1.SequenceType(shopv1.SequenceType_value[p.Sequence])}
			if !p.SignedOn.IsZero() {
				md.SignedOn = &commonv1.Date{Year: int32(p.SignedOn.Year()), Month: int32(p.SignedOn.Month()), Day: int32(p.SignedOn.Day())}
			}
			m.Mandates = []*ingestionv1.Mandate{md}
		}
		out.Profiles = append(out.Profiles, m)
	}
	if len(req.GetDebtorIds()) == 0 && len(ps) == size {
		out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(ps[len(ps)-1].DebtorID))
	}
	return out, nil
}
