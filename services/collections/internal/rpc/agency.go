package rpc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	"github.com/o2c-platform/o2c/proto/o2c/collections/v1/collectionsv1grpc"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/libs/storable"
	"github.com/o2c-platform/o2c/services/collections/internal/collections"
	"github.com/o2c-platform/o2c/services/collections/internal/postgres"
)

// AgencyService implements collectionsv1grpc.AgencyServiceServer.
type AgencyService struct {
	collectionsv1grpc.UnimplementedAgencyServiceServer
	*Service
}

// agency checks the tenant and returns the principal, which must name an
// agency.
func (s *AgencyService) agency(ctx context.Context, tenant string) (identity.Principal, error) {
	p, err := s.caller(ctx, tenant)
	if err != nil {
		return p, err
	}
	if p.Agency == "" {
		return p, ErrNotAnAgency
	}
	return p, nil
}

// own refuses a case that is not the agency's as unknown, exactly like a
// case that does not exist.
func own(c *collections.Case, p identity.Principal) error {
	if c == nil || c.ID == "" || c.Agency != p.Agency {
		return collections.ErrUnknownCase
	}
	return nil
}

// view returns the case as an agency sees it, with the debtor's master
// data when Profiles is set.
func (s *AgencyService) view(ctx context.Context, c *collections.Case) (*collectionsv1.Case, error) {
	out := c.Proto()
	if s.Profiles != nil {
		if err := s.Profiles.Fill(ctx, c.Tenant, out.GetDebtor()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// keyed is a write request of an agency.
type keyed interface {
	proto.Message
	GetTenant() string
	GetCaseId() string
	GetIdempotencyKey() string
}

// write runs an agency's write: checks tenant, agency, case id and key,
// hashes the request and lets decide decide on the case, which must be
// the agency's.
func (s *AgencyService) write(ctx context.Context, req keyed, decide func(*collections.Case, collections.Write) ([]proto.Message, error)) (*collections.Case, []proto.Message, error) {
	p, err := s.agency(ctx, req.GetTenant())
	if err != nil {
		return nil, nil, err
	}
	if err := storableArgs(req); err != nil {
		return nil, nil, err
	}
	if req.GetCaseId() == "" {
		return nil, nil, invalid("case_id", "missing")
	}
	if strings.TrimSpace(req.GetIdempotencyKey()) == "" {
		return nil, nil, invalid("idempotency_key", "missing")
	}
	h, err := hash(req, func(m proto.Message) {
		r := m.ProtoReflect()
		r.Clear(r.Descriptor().Fields().ByName(protoreflect.Name("idempotency_key")))
	})
	if err != nil {
		return nil, nil, err
	}
	w := collections.Write{Key: req.GetIdempotencyKey(), Hash: h, Actor: p.RecordedActor()}
	return s.Store.Decide(ctx, req.GetTenant(), req.GetCaseId(), w.Actor, s.now(), func(c *collections.Case) ([]proto.Message, error) {
		if err := own(c, p); err != nil {
			return nil, err
		}
		return decide(c, w)
	})
}

// ListCases implements the RPC.
func (s *AgencyService) ListCases(ctx context.Context, req *collectionsv1.AgencyServiceListCasesRequest) (*collectionsv1.AgencyServiceListCasesResponse, error) {
	p, err := s.agency(ctx, req.GetTenant())
	if err != nil {
		return nil, err
	}
	limit, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	cases, err := s.Store.ListCases(ctx, req.GetTenant(), p.Agency, statusNames(req.GetStatuses()), limit)
	if err != nil {
		return nil, err
	}
	if s.Profiles != nil {
		for _, c := range cases {
			if err := s.Profiles.Fill(ctx, req.GetTenant(), c.GetDebtor()); err != nil {
				return nil, err
			}
		}
	}
	return &collectionsv1.AgencyServiceListCasesResponse{Cases: cases}, nil
}

// GetCase implements the RPC.
func (s *AgencyService) GetCase(ctx context.Context, req *collectionsv1.AgencyServiceGetCaseRequest) (*collectionsv1.AgencyServiceGetCaseResponse, error) {
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	c, err := s.load(ctx, req.GetTenant(), req.GetCaseId())
	if err != nil {
		return nil, err
	}
	v, err := s.view(ctx, c)
	if err != nil {
		return nil, err
	}
	return &collectionsv1.AgencyServiceGetCaseResponse{Case: v}, nil
}

func (s *AgencyService) load(ctx context.Context, tenant, caseID string) (*collections.Case, error) {
	p, err := s.agency(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if caseID == "" {
		return nil, invalid("case_id", "missing")
	}
	c, err := s.Store.Load(ctx, tenant, caseID)
	if err != nil {
		return nil, err
	}
	if err := own(c, p); err != nil {
		return nil, err
	}
	return c, nil
}

// StreamCases implements the RPC: the agency's cases as they are, then
// each change as the projection records it. Its errors go through the
// service's fault chain here, as no interceptor maps a stream's.
func (s *AgencyService) StreamCases(req *collectionsv1.StreamCasesRequest, stream collectionsv1grpc.AgencyService_StreamCasesServer) error {
	err := s.streamCases(req, stream)
	if err == nil || s.Classify == nil {
		return err
	}
	return serve.Status(s.Classify, err)
}

func (s *AgencyService) streamCases(req *collectionsv1.StreamCasesRequest, stream collectionsv1grpc.AgencyService_StreamCasesServer) error {
	ctx := stream.Context()
	p, err := s.agency(ctx, req.GetTenant())
	if err != nil {
		return err
	}
	after := req.GetAfter()
	if after == 0 {
		last, err := s.Store.LastChange(ctx, req.GetTenant(), p.Agency)
		if err != nil {
			return err
		}
		cases, err := s.Store.ListCases(ctx, req.GetTenant(), p.Agency, nil, maxPage)
		if err != nil {
			return err
		}
		for _, c := range cases {
			if s.Profiles != nil {
				if err := s.Profiles.Fill(ctx, req.GetTenant(), c.GetDebtor()); err != nil {
					return err
				}
			}
			if err := stream.Send(&collectionsv1.StreamCasesResponse{Case: c, Change: "Snapshot", Position: last}); err != nil {
				return err
			}
		}
		after = last
	}
	poll := s.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		changes, err := s.Store.Changes(ctx, req.GetTenant(), p.Agency, after, 100)
		if err != nil {
			return err
		}
		for _, ch := range changes {
			c, err := s.Store.Load(ctx, req.GetTenant(), ch.CaseID)
			if err != nil {
				return err
			}
			v, err := s.view(ctx, c)
			if err != nil {
				return err
			}
			if err := stream.Send(&collectionsv1.StreamCasesResponse{Case: v, Change: ch.Change, Position: ch.Seq}); err != nil {
				return err
			}
			after = ch.Seq
		}
		if len(changes) == 100 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *AgencyService) answer(ctx context.Context, c *collections.Case) (*collectionsv1.Case, error) {
	return s.view(ctx, c)
}

// AcceptCase implements the RPC.
func (s *AgencyService) AcceptCase(ctx context.Context, req *collectionsv1.AcceptCaseRequest) (*collectionsv1.AcceptCaseResponse, error) {
	c, _, err := s.write(ctx, req, func(c *collections.Case, w collections.Write) ([]proto.Message, error) {
		return c.Accept(w, req.GetAgencyReference())
	})
	if err != nil {
		return nil, err
	}
	v, err := s.answer(ctx, c)
	return &collectionsv1.AcceptCaseResponse{Case: v}, err
}

// RejectCase implements the RPC.
func (s *AgencyService) RejectCase(ctx context.Context, req *collectionsv1.RejectCaseRequest) (*collectionsv1.RejectCaseResponse, error) {
	if req.GetReason() == collectionsv1.RejectReason_REJECT_REASON_UNSPECIFIED {
		return nil, invalid("reason", "missing")
	}
	c, _, err := s.write(ctx, req, func(c *collections.Case, w collections.Write) ([]proto.Message, error) {
		return c.Reject(w, req.GetReason(), req.GetText())
	})
	if err != nil {
		return nil, err
	}
	v, err := s.answer(ctx, c)
	return &collectionsv1.RejectCaseResponse{Case: v}, err
}

// ReportStatus implements the RPC.
func (s *AgencyService) ReportStatus(ctx context.Context, req *collectionsv1.ReportStatusRequest) (*collectionsv1.ReportStatusResponse, error) {
	if req.GetStatus() == collectionsv1.ProgressStatus_PROGRESS_STATUS_UNSPECIFIED {
		return nil, invalid("status", "missing")
	}
	date, err := dateOf("date", req.GetDate())
	if err != nil {
		return nil, err
	}
	if date.IsZero() {
		date = today(s.now())
	}
	c, _, err := s.write(ctx, req, func(c *collections.Case, w collections.Write) ([]proto.Message, error) {
		return c.ReportStatus(w, req.GetStatus(), date, req.GetNote())
	})
	if err != nil {
		return nil, err
	}
	v, err := s.answer(ctx, c)
	return &collectionsv1.ReportStatusResponse{Case: v}, err
}

// ReportPayment implements the RPC. A retry answers with the allocation
// the first call stored.
func (s *AgencyService) ReportPayment(ctx context.Context, req *collectionsv1.ReportPaymentRequest) (*collectionsv1.ReportPaymentResponse, error) {
	if req.GetCollected().GetMinorUnits() <= 0 {
		return nil, invalid("collected", "must be positive")
	}
	date, err := dateOf("collected_date", req.GetCollectedDate())
	if err != nil {
		return nil, err
	}
	if date.IsZero() {
		return nil, invalid("collected_date", "missing")
	}
	for field, m := range map[string]interface{ GetMinorUnits() int64 }{"collected": req.GetCollected(), "new_costs": req.GetNewCosts(),
		"new_interest": req.GetNewInterest(), "fees": req.GetFees(), "commission": req.GetCommission(), "input_vat": req.GetInputVat()} {
		if !money.InBounds(m.GetMinorUnits()) {
			return nil, invalid(field, "%d minor units, beyond the bounds of money (±%d)", m.GetMinorUnits(), money.MaxAbs)
		}
	}
	cur := req.GetCollected().GetCurrency()
	for field, m := range map[string]interface{ GetCurrency() string }{"new_costs": req.GetNewCosts(), "new_interest": req.GetNewInterest(),
		"fees": req.GetFees(), "commission": req.GetCommission(), "input_vat": req.GetInputVat()} {
		if c := m.GetCurrency(); c != "" && c != cur {
			return nil, invalid(field, "currency %q, collected is in %q", c, cur)
		}
	}
	pay := collections.Payment{Currency: cur, Collected: req.GetCollected().GetMinorUnits(), NewCosts: req.GetNewCosts().GetMinorUnits(),
		NewInterest: req.GetNewInterest().GetMinorUnits(), Fees: req.GetFees().GetMinorUnits(), Commission: req.GetCommission().GetMinorUnits(),
		InputVAT: req.GetInputVat().GetMinorUnits(), Date: date}
	c, msgs, err := s.write(ctx, req, func(c *collections.Case, w collections.Write) ([]proto.Message, error) {
		return c.ReportPayment(w, pay)
	})
	if err != nil {
		return nil, err
	}
	var reported *collectionsv1.PaymentReported
	for _, m := range msgs {
		if r, ok := m.(*collectionsv1.PaymentReported); ok {
			reported = r
		}
	}
	if reported == nil { // a retry: find what the first call stored
		reported, err = s.Store.Reported(ctx, req.GetTenant(), req.GetCaseId(), req.GetIdempotencyKey())
		if err != nil {
			return nil, err
		}
	}
	v, err := s.answer(ctx, c)
	if err != nil {
		return nil, err
	}
	out := &collectionsv1.ReportPaymentResponse{Case: v, Unallocated: reported.GetUnallocated()}
	for _, a := range reported.GetAllocations() {
		out.Allocations = append(out.Allocations, &collectionsv1.Allocated{OpenItemId: a.GetOpenItemId(), Component: a.GetComponent(), Amount: a.GetAmount()})
	}
	return out, nil
}

// AskQuestion implements the RPC.
func (s *AgencyService) AskQuestion(ctx context.Context, req *collectionsv1.AskQuestionRequest) (*collectionsv1.AskQuestionResponse, error) {
	if strings.TrimSpace(req.GetText()) == "" {
		return nil, invalid("text", "missing")
	}
	c, _, err := s.write(ctx, req, func(c *collections.Case, w collections.Write) ([]proto.Message, error) {
		return c.Ask(w, req.GetText())
	})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(c.Questions, func(q *collections.Question) bool { return q.ID == req.GetIdempotencyKey() })
	if i < 0 {
		return nil, collections.ErrUnknownQuestion
	}
	return &collectionsv1.AskQuestionResponse{Question: c.Questions[i].Proto()}, nil
}

// GetAnswers implements the RPC.
func (s *AgencyService) GetAnswers(ctx context.Context, req *collectionsv1.GetAnswersRequest) (*collectionsv1.GetAnswersResponse, error) {
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	c, err := s.load(ctx, req.GetTenant(), req.GetCaseId())
	if err != nil {
		return nil, err
	}
	out := &collectionsv1.GetAnswersResponse{}
	for _, q := range c.Questions {
		out.Questions = append(out.Questions, q.Proto())
	}
	return out, nil
}

// ConfirmRecall implements the RPC.
func (s *AgencyService) ConfirmRecall(ctx context.Context, req *collectionsv1.ConfirmRecallRequest) (*collectionsv1.ConfirmRecallResponse, error) {
	if req.GetRecallId() == "" {
		return nil, invalid("recall_id", "missing")
	}
	c, _, err := s.write(ctx, req, func(c *collections.Case, w collections.Write) ([]proto.Message, error) {
		return c.ConfirmRecall(w, req.GetRecallId())
	})
	if err != nil {
		return nil, err
	}
	v, err := s.answer(ctx, c)
	return &collectionsv1.ConfirmRecallResponse{Case: v}, err
}

// CloseCase implements the RPC.
func (s *AgencyService) CloseCase(ctx context.Context, req *collectionsv1.CloseCaseRequest) (*collectionsv1.CloseCaseResponse, error) {
	if req.GetCode() == collectionsv1.ClosingCode_CLOSING_CODE_UNSPECIFIED {
		return nil, invalid("code", "missing")
	}
	date, err := dateOf("date", req.GetDate())
	if err != nil {
		return nil, err
	}
	if date.IsZero() {
		date = today(s.now())
	}
	c, _, err := s.write(ctx, req, func(c *collections.Case, w collections.Write) ([]proto.Message, error) {
		return c.Close(w, req.GetCode(), date, req.GetNote())
	})
	if err != nil {
		return nil, err
	}
	v, err := s.answer(ctx, c)
	return &collectionsv1.CloseCaseResponse{Case: v}, err
}

// storableArgs refuses, as INVALID_ARGUMENT naming the field, a request
// holding text that cannot be stored or sent on (a NUL, invalid UTF-8, more
// than storable.MaxStringBytes bytes) or an enum value the schema lacks:
// an agency's write becomes an event, and an event the relay cannot
// publish (NATS refuses messages above its payload limit) stops the
// service.
func storableArgs(m proto.Message) error {
	err := storable.Check(m)
	var fe *storable.FieldError
	if errors.As(err, &fe) {
		return invalid(fe.Path, "%s", fe.Problem)
	}
	if err != nil {
		return invalid("request", "%v", err)
	}
	return nil
}

// dateOf is d as a time at midnight UTC, the zero time when d is unset,
// or an INVALID_ARGUMENT naming field when d is no date of the calendar
// (2026-02-30, month 13, year 0 or beyond 9999), which time.Date would
// otherwise quietly move to another day.
func dateOf(field string, d *commonv1.Date) (time.Time, error) {
	t := collections.DateOf(d)
	if t.IsZero() {
		if d.GetMonth() != 0 || d.GetDay() != 0 {
			return time.Time{}, invalid(field, "year %d is no year", d.GetYear())
		}
		return t, nil
	}
	if d.GetYear() < 1 || d.GetYear() > 9999 || t.Year() != int(d.GetYear()) || int32(t.Month()) != d.GetMonth() || int32(t.Day()) != d.GetDay() {
		return time.Time{}, invalid(field, "%04d-%02d-%02d is no date", d.GetYear(), d.GetMonth(), d.GetDay())
	}
	return t, nil
}

// maxPage is the most cases one list returns.
const maxPage = 1000

func pageSize(n int32) (int, error) {
	switch {
	case n == 0:
		return 100, nil
	case n < 0 || n > maxPage:
		return 0, invalid("page_size", "%d is not within 0..%d", n, maxPage)
	}
	return int(n), nil
}

func statusNames(ss []collectionsv1.CaseStatus) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, postgres.StatusName(s))
	}
	return out
}
