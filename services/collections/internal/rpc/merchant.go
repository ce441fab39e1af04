package rpc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"

	"github.com/o2c-platform/o2c/services/collections/internal/collections"
)

// CollectionsService implements collectionsv1grpc.CollectionsServiceServer.
type CollectionsService struct {
	collectionsv1grpc.UnimplementedCollectionsServiceServer
	*Service
}

// ReleaseItems implements the RPC: a manual release, with the operator's
// reason, of the debtor's named (or every open) item.
func (s *CollectionsService) ReleaseItems(ctx context.Context, req *collectionsv1.ReleaseItemsRequest) (*collectionsv1.ReleaseItemsResponse, error) {
	p, err := s.caller(ctx, req.GetTenant())
	if err != nil {
		return nil, err
	}
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	switch {
	case req.GetDebtorId() == "":
		return nil, invalid("debtor_id", "missing")
	case strings.TrimSpace(req.GetReason()) == "":
		return nil, invalid("reason", "a manual release needs a reason")
	}
	date := collections.DateOf(req.GetDate())
	if date.IsZero() {
		date = today(s.now())
	}
	caseID := "M-" + req.GetDebtorId() + "-" + uuid.NewString()[:8]
	var h string
	if key := req.GetIdempotencyKey(); key != "" {
		if strings.TrimSpace(key) == "" {
			return nil, invalid("idempotency_key", "blank")
		}
		if h, err = hash(req, func(m proto.Message) { m.(*collectionsv1.ReleaseItemsRequest).IdempotencyKey = "" }); err != nil {
			return nil, err
		}
		caseID = ReleaseCaseID(key)
		// A retry answers the case its key opened before looking at the
		// items, which that case now holds.
		c, err := s.Store.Load(ctx, req.GetTenant(), caseID)
		if err != nil {
			return nil, err
		}
		if c.ID != "" {
			if err := sameRelease(c, key, h); err != nil {
				return nil, err
			}
			return &collectionsv1.ReleaseItemsResponse{Case: c.Proto()}, nil
		}
	}
	items, err := s.Store.Candidates(ctx, req.GetTenant(), req.GetDebtorId(), req.GetOpenItemIds())
	if err != nil {
		return nil, err
	}
	debtor, err := s.Store.Debtor(ctx, req.GetTenant(), req.GetDebtorId())
	if err != nil {
		return nil, err
	}
	r := collections.Release{
		Tenant: req.GetTenant(), CaseID: caseID, DebtorID: req.GetDebtorId(),
		Debtor: debtor, Items: items, Date: date, Source: "manual", Reason: req.GetReason(), Actor: p.RecordedActor(),
		Agency: req.GetAgency(), Named: len(req.GetOpenItemIds()) > 0, Key: req.GetIdempotencyKey(), Hash: h,
	}
	c, _, err := s.Store.Release(ctx, r, s.Configs[req.GetTenant()], s.now())
	if err != nil {
		return nil, err
	}
	if r.Key != "" {
		// Two attempts under one key that raced: the loser gets the
		// winner's case, if its content was the same.
		if err := sameRelease(c, r.Key, h); err != nil {
			return nil, err
		}
	}
	return &collectionsv1.ReleaseItemsResponse{Case: c.Proto()}, nil
}

// ReleaseCaseID is the case id of a manual release under an idempotency
// key: derived from the key alone (a tenant's case ids are its own), so
// every attempt under the key names the same case whatever its content.
func ReleaseCaseID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "M-" + hex.EncodeToString(sum[:8])
}

// sameRelease refuses a case opened under key by a release with other
// content (or by a release without key).
func sameRelease(c *collections.Case, key, h string) error {
	if c.ReleaseKey != key || c.ReleaseHash != h {
		return fmt.Errorf("%w: release key %q opened case %s with other content", collections.ErrIdempotencyConflict, key, c.ID)
	}
	return nil
}

// ListCases implements the RPC.
func (s *CollectionsService) ListCases(ctx context.Context, req *collectionsv1.ListCasesRequest) (*collectionsv1.ListCasesResponse, error) {
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	limit, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	cases, err := s.Store.ListCases(ctx, req.GetTenant(), req.GetAgency(), statusNames(req.GetStatuses()), limit)
	if err != nil {
		return nil, err
	}
	return &collectionsv1.ListCasesResponse{Cases: cases}, nil
}

func (s *CollectionsService) load(ctx context.Context, tenant, caseID string) (*collections.Case, error) {
	if _, err := s.caller(ctx, tenant); err != nil {
		return nil, err
	}
	if caseID == "" {
		return nil, invalid("case_id", "missing")
	}
	c, err := s.Store.Load(ctx, tenant, caseID)
	if err != nil {
		return nil, err
	}
	if c.ID == "" {
		return nil, collections.ErrUnknownCase
	}
	return c, nil
}

// GetCase implements the RPC.
func (s *CollectionsService) GetCase(ctx context.Context, req *collectionsv1.GetCaseRequest) (*collectionsv1.GetCaseResponse, error) {
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	c, err := s.load(ctx, req.GetTenant(), req.GetCaseId())
	if err != nil {
		return nil, err
	}
	return &collectionsv1.GetCaseResponse{Case: c.Proto()}, nil
}

// RecallCase implements the RPC.
func (s *CollectionsService) RecallCase(ctx context.Context, req *collectionsv1.RecallCaseRequest) (*collectionsv1.RecallCaseResponse, error) {
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	if _, err := s.load(ctx, req.GetTenant(), req.GetCaseId()); err != nil {
		return nil, err
	}
	p, _ := s.caller(ctx, req.GetTenant())
	var id string
	c, _, err := s.Store.Decide(ctx, req.GetTenant(), req.GetCaseId(), p.RecordedActor(), s.now(), func(c *collections.Case) ([]proto.Message, error) {
		evs, rid, err := c.RequestRecall(req.GetOpenItemIds(), req.GetReason(), p.RecordedActor())
		id = rid
		return evs, err
	})
	if err != nil {
		return nil, err
	}
	out := &collectionsv1.RecallCaseResponse{Case: c.Proto()}
	if i := slices.IndexFunc(out.GetCase().GetRecalls(), func(r *collectionsv1.Recall) bool { return r.GetRecallId() == id }); i >= 0 {
		out.Recall = out.GetCase().GetRecalls()[i]
	}
	return out, nil
}

// AnswerQuestion implements the RPC.
func (s *CollectionsService) AnswerQuestion(ctx context.Context, req *collectionsv1.AnswerQuestionRequest) (*collectionsv1.AnswerQuestionResponse, error) {
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	if _, err := s.load(ctx, req.GetTenant(), req.GetCaseId()); err != nil {
		return nil, err
	}
	if req.GetQuestionId() == "" {
		return nil, invalid("question_id", "missing")
	}
	p, _ := s.caller(ctx, req.GetTenant())
	c, _, err := s.Store.Decide(ctx, req.GetTenant(), req.GetCaseId(), p.RecordedActor(), s.now(), func(c *collections.Case) ([]proto.Message, error) {
		return c.Answer(req.GetQuestionId(), req.GetAnswer(), p.RecordedActor())
	})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(c.Questions, func(q *collections.Question) bool { return q.ID == req.GetQuestionId() })
	if i < 0 {
		return nil, collections.ErrUnknownQuestion
	}
	return &collectionsv1.AnswerQuestionResponse{Question: c.Questions[i].Proto()}, nil
}

// Report implements the RPC.
func (s *CollectionsService) Report(ctx context.Context, req *collectionsv1.ReportRequest) (*collectionsv1.ReportResponse, error) {
	if _, err := s.caller(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	asOf := collections.DateOf(req.GetAsOf())
	if asOf.IsZero() {
		asOf = today(s.now())
	}
	agencies, err := s.Store.Report(ctx, req.GetTenant(), asOf)
	if err != nil {
		return nil, err
	}
	return &collectionsv1.ReportResponse{AsOf: collections.DateProto(asOf), Agencies: agencies}, nil
}
