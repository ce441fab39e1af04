package rpc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/ingestion/internal/credit"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// Streams is the event store as the CreditNoteService uses it
// (eventstore.Store): its errors are the store's.
type Streams interface {
	ReadStream(ctx context.Context, stream eventstore.StreamID, from int64, limit int) ([]eventstore.Event, error)
	AppendBatch(ctx context.Context, groups []eventstore.AppendGroup) ([]eventstore.GroupResult, error)
}

// CreditNoteList lists requested credit notes (postgres.CreditNotes); a
// bad page token is credit.ErrInvalid.
type CreditNoteList interface {
	List(ctx context.Context, tenant, debtor string, state ingestionv1.CreditNoteState, size int, token string) ([]*ingestionv1.CreditNote, string, error)
}

// DebtorData reads a debtor's master data for the credit note's address
// (postgres.Store); an unknown debtor is an error wrapping
// erasure.ErrUnknownDebtor, which leaves the address empty.
type DebtorData interface {
	Debtor(ctx context.Context, tenant, id string) (postgres.Debtor, error)
}

// CreditNoteService serves ingestionv1grpc.CreditNoteService (see package
// credit for the rules and how a credit note is stored).
type CreditNoteService struct {
	ingestionv1grpc.UnimplementedCreditNoteServiceServer
	Events  Streams
	List    CreditNoteList
	Debtors DebtorData
	Tenants Tenants
	// Configs are the tenants' credit note rules (credit.ParseConfig).
	Configs map[string]credit.Config
	// Names are the tenants' names, the credit note's sender.
	Names map[string]string
	Now   func() time.Time
}

// creditAttempts is how often a decision is read and appended again when
// another writer moved one of its streams meanwhile.
const creditAttempts = 8

// RequestCreditNote requests the credit note and issues it (or sends it
// to the shop) at once when no approval is needed. The same request id
// with the same request answers the stored request as it is now.
func (s *CreditNoteService) RequestCreditNote(ctx context.Context, req *ingestionv1.RequestCreditNoteRequest) (*ingestionv1.RequestCreditNoteResponse, error) {
	p, cfg, err := s.begin(ctx, req.GetTenant())
	if err != nil {
		return nil, err
	}
	in := credit.Input{
		Tenant: req.GetTenant(), RequestID: req.GetRequestId(), DebtorID: req.GetDebtorId(), InvoiceNumber: req.GetInvoiceNumber(),
		Full: req.GetFull(), Reason: req.GetReason(), Note: req.GetNote(),
	}
	for _, a := range req.GetAmounts() {
		in.Amounts = append(in.Amounts, credit.Amount{RateBP: a.GetRateBp(), Gross: a.GetGross().GetMinorUnits()})
	}
	for attempt := 1; ; attempt++ {
		st, err := s.state(ctx, req.GetTenant(), req.GetRequestId())
		if err != nil {
			return nil, err
		}
		if r := st.Requested; r != nil {
			if !credit.SameRequest(r, in, p.RecordedActor()) {
				return nil, fmt.Errorf("%w: %s", credit.ErrRequestChanged, in.RequestID)
			}
			return &ingestionv1.RequestCreditNoteResponse{CreditNote: st.View()}, nil
		}
		inv, invVersion, err := s.invoice(ctx, req.GetTenant(), req.GetInvoiceNumber())
		if err != nil {
			return nil, err
		}
		r, err := credit.Request(cfg, inv, in, p)
		if err != nil {
			return nil, err
		}
		now := s.now()
		st = credit.State{Requested: r, RequestedAt: now}
		reqEvents := []eventstore.Event{s.event(credit.EventID("requested", r.GetTenant(), r.GetRequestId()), now, p, r)}
		got, err := s.settle(ctx, cfg, st, eventstore.NoStream, reqEvents, inv, invVersion, p, now)
		if lostRace(err) && attempt < creditAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &ingestionv1.RequestCreditNoteResponse{CreditNote: got.View()}, nil
	}
}

// ApproveCreditNote approves a pending request and issues it (or sends it
// to the shop). Approving a request this caller approved before answers
// it as it is.
func (s *CreditNoteService) ApproveCreditNote(ctx context.Context, req *ingestionv1.ApproveCreditNoteRequest) (*ingestionv1.ApproveCreditNoteResponse, error) {
	p, cfg, err := s.begin(ctx, req.GetTenant())
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		st, err := s.state(ctx, req.GetTenant(), req.GetRequestId())
		if err != nil {
			return nil, err
		}
		if st.Requested == nil {
			return nil, fmt.Errorf("%w: %s", credit.ErrUnknownRequest, req.GetRequestId())
		}
		if st.Approved != nil && st.Approved.GetApprovedBy() == p.RecordedActor() {
			return &ingestionv1.ApproveCreditNoteResponse{CreditNote: st.View()}, nil
		}
		if err := credit.Approve(cfg, st, p); err != nil {
			return nil, err
		}
		inv, invVersion, err := s.invoice(ctx, req.GetTenant(), st.Requested.GetInvoiceNumber())
		if err != nil {
			return nil, err
		}
		now := s.now()
		approved := &ingestionv1.CreditNoteApproved{Tenant: req.GetTenant(), RequestId: req.GetRequestId(), ApprovedBy: p.RecordedActor()}
		version := st.Version
		st.Approved, st.DecidedAt = approved, now
		evs := []eventstore.Event{s.event(credit.EventID("approved", req.GetTenant(), req.GetRequestId()), now, p, approved)}
		got, err := s.settle(ctx, cfg, st, eventstore.ExpectedVersion(version), evs, inv, invVersion, p, now)
		if lostRace(err) && attempt < creditAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &ingestionv1.ApproveCreditNoteResponse{CreditNote: got.View()}, nil
	}
}

// RejectCreditNote rejects a pending request.
func (s *CreditNoteService) RejectCreditNote(ctx context.Context, req *ingestionv1.RejectCreditNoteRequest) (*ingestionv1.RejectCreditNoteResponse, error) {
	p, _, err := s.begin(ctx, req.GetTenant())
	if err != nil {
		return nil, err
	}
	st, err := s.state(ctx, req.GetTenant(), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	if st.Requested == nil {
		return nil, fmt.Errorf("%w: %s", credit.ErrUnknownRequest, req.GetRequestId())
	}
	if st.Rejected != nil && st.Rejected.GetRejectedBy() == p.RecordedActor() {
		return &ingestionv1.RejectCreditNoteResponse{CreditNote: st.View()}, nil
	}
	if err := credit.Reject(st, p, req.GetReason()); err != nil {
		return nil, err
	}
	now := s.now()
	rejected := &ingestionv1.CreditNoteRejected{Tenant: req.GetTenant(), RequestId: req.GetRequestId(), RejectedBy: p.RecordedActor(), Reason: req.GetReason()}
	stream := eventstore.StreamID{Tenant: req.GetTenant(), Type: credit.RequestStream, ID: req.GetRequestId()}
	res, err := s.Events.AppendBatch(ctx, []eventstore.AppendGroup{{{Stream: stream, Expected: eventstore.ExpectedVersion(st.Version),
		Events: []eventstore.Event{s.event(credit.EventID("rejected", req.GetTenant(), req.GetRequestId()), now, p, rejected)}}}})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		return nil, fmt.Errorf("reject credit note %s: %w", req.GetRequestId(), err)
	}
	st.Rejected, st.DecidedAt = rejected, now
	return &ingestionv1.RejectCreditNoteResponse{CreditNote: st.View()}, nil
}

// ListCreditNotes pages through the read model.
func (s *CreditNoteService) ListCreditNotes(ctx context.Context, req *ingestionv1.ListCreditNotesRequest) (*ingestionv1.ListCreditNotesResponse, error) {
	if err := checkText(req); err != nil {
		return nil, err
	}
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	if req.GetPageSize() < 0 || req.GetPageSize() > 200 {
		return nil, fmt.Errorf("%w: page_size %d: want 0 to 200", credit.ErrInvalid, req.GetPageSize())
	}
	list, next, err := s.List.List(ctx, req.GetTenant(), req.GetDebtorId(), req.GetState(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &ingestionv1.ListCreditNotesResponse{CreditNotes: list, NextPageToken: next}, nil
}

// GetCreditNoteDocument renders an issued credit note's PDF from its
// request's stream and the debtor's current address.
func (s *CreditNoteService) GetCreditNoteDocument(ctx context.Context, req *ingestionv1.GetCreditNoteDocumentRequest) (*ingestionv1.GetCreditNoteDocumentResponse, error) {
	if err := s.Tenants.Check(req.GetTenant()); err != nil {
		return nil, err
	}
	st, err := s.state(ctx, req.GetTenant(), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	if st.Requested == nil {
		return nil, fmt.Errorf("%w: %s", credit.ErrUnknownRequest, req.GetRequestId())
	}
	sender := []string{s.Names[req.GetTenant()]}
	if sender[0] == "" {
		sender[0] = req.GetTenant()
	}
	recipient := []string{st.Requested.GetDebtorId()}
	if d, err := s.Debtors.Debtor(ctx, req.GetTenant(), st.Requested.GetDebtorId()); err == nil && d.ErasedAt.IsZero() {
		recipient = []string{d.Name}
		var a shopv1.Address
		if len(d.Address) > 0 && protojson.Unmarshal(d.Address, &a) == nil {
			recipient = append(recipient, a.GetLines()...)
			recipient = append(recipient, a.GetPostalCode()+" "+a.GetCity())
		}
	}
	name, pdf, err := credit.Document(st, sender, recipient)
	if err != nil {
		return nil, err
	}
	return &ingestionv1.GetCreditNoteDocumentResponse{FileName: name, Pdf: pdf}, nil
}

// settle appends the request stream's new events reqEvents (at expected)
// and, when the request is ready, what issuing it (or sending it to the
// shop) stores, in one atomic group. It returns the request's state as
// stored.
func (s *CreditNoteService) settle(ctx context.Context, cfg credit.Config, st credit.State, expected eventstore.ExpectedVersion,
	reqEvents []eventstore.Event, inv shop.InvoiceState, invVersion int64, p identity.Principal, now time.Time) (credit.State, error) {
	r := st.Requested
	reqStream := eventstore.StreamID{Tenant: r.GetTenant(), Type: credit.RequestStream, ID: r.GetRequestId()}
	var group eventstore.AppendGroup
	switch {
	case !credit.Ready(st):
	case cfg.IssuedBy == credit.ByShop:
		reqEvents = append(reqEvents, s.event(credit.EventID("to-shop", r.GetTenant(), r.GetRequestId()), now, p, credit.ToShop(r, now)))
	default:
		rangeStream := eventstore.StreamID{Tenant: r.GetTenant(), Type: credit.RangeStream, ID: cfg.Range.Prefix}
		drawn, err := s.Events.ReadStream(ctx, rangeStream, 1, 0)
		if err != nil {
			return credit.State{}, fmt.Errorf("read %s: %w", rangeStream, err)
		}
		is, err := credit.Issue(cfg, r, inv, int64(len(drawn)), now)
		if err != nil {
			return credit.State{}, err
		}
		reqEvents = append(reqEvents,
			s.event(credit.EventID("numbered", r.GetTenant(), r.GetRequestId()), now, p, is.Numbered),
			s.event(credit.EventID("announced", r.GetTenant(), r.GetRequestId()), now, p, is.Announced))
		invStream := eventstore.StreamID{Tenant: r.GetTenant(), Type: shop.InvoiceStream, ID: r.GetInvoiceNumber()}
		group = append(group,
			eventstore.StreamAppend{Stream: rangeStream, Expected: eventstore.ExpectedVersion(len(drawn)),
				Events: []eventstore.Event{s.event(credit.EventID("drawn", r.GetTenant(), r.GetRequestId()), now, p, proto.Clone(is.Numbered))}},
			eventstore.StreamAppend{Stream: invStream, Expected: eventstore.ExpectedVersion(invVersion),
				Events: []eventstore.Event{s.event(shop.EventID("credit_note", r.GetTenant(), is.Numbered.GetCreditNoteNumber()), now, p, is.Ingested)}})
		st.Numbered, st.DecidedAt = is.Numbered, now
	}
	group = append(eventstore.AppendGroup{{Stream: reqStream, Expected: expected, Events: reqEvents}}, group...)
	res, err := s.Events.AppendBatch(ctx, []eventstore.AppendGroup{group})
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		return credit.State{}, fmt.Errorf("store credit note request %s: %w", r.GetRequestId(), err)
	}
	return st, nil
}

// lostRace reports whether another writer moved one of the streams
// between the read and the append (or stored the same request first).
func lostRace(err error) bool {
	return errors.Is(err, eventstore.ErrVersionConflict) || errors.Is(err, eventstore.ErrContentMismatch)
}

func (s *CreditNoteService) begin(ctx context.Context, tenant string) (identity.Principal, credit.Config, error) {
	if err := s.Tenants.Check(tenant); err != nil {
		return identity.Principal{}, credit.Config{}, err
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return identity.Principal{}, credit.Config{}, err
	}
	return p, s.Configs[tenant], nil
}

func (s *CreditNoteService) state(ctx context.Context, tenant, id string) (credit.State, error) {
	if err := credit.CheckKey("request_id", id, 64); err != nil {
		return credit.State{}, fmt.Errorf("%w: %v", credit.ErrInvalid, err)
	}
	stream := eventstore.StreamID{Tenant: tenant, Type: credit.RequestStream, ID: id}
	evs, err := s.Events.ReadStream(ctx, stream, 1, 0)
	if err != nil {
		return credit.State{}, fmt.Errorf("read %s: %w", stream, err)
	}
	return credit.Fold(evs), nil
}

func (s *CreditNoteService) invoice(ctx context.Context, tenant, number string) (shop.InvoiceState, int64, error) {
	if err := credit.CheckKey("invoice_number", number, 36); err != nil {
		return shop.InvoiceState{}, 0, fmt.Errorf("%w: %v", credit.ErrInvalid, err)
	}
	stream := eventstore.StreamID{Tenant: tenant, Type: shop.InvoiceStream, ID: number}
	evs, err := s.Events.ReadStream(ctx, stream, 1, 0)
	if err != nil {
		return shop.InvoiceState{}, 0, fmt.Errorf("read %s: %w", stream, err)
	}
	ps := make([]proto.Message, len(evs))
	for i, e := range evs {
		ps[i] = e.Payload
	}
	return shop.Fold(ps, ""), int64(len(evs)), nil
}

func (s *CreditNoteService) event(id [16]byte, now time.Time, p identity.Principal, m proto.Message) eventstore.Event {
	return eventstore.Event{Envelope: eventstore.Envelope{EventID: id, OccurredAt: now, Actor: p.RecordedActor(),
		CorrelationID: uuid.UUID(id).String()}, Payload: m}
}

func (s *CreditNoteService) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return s.Now().UTC().Truncate(time.Microsecond)
}
