package rpc

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/matching/internal/sepa"
)

// SepaStore is the storage of mandates, debits and files
// (postgres.Store). Its errors are sepa's sentinels (ErrUnknownMandate,
// ErrMandateConflict, ErrMandateRevoked, ErrStaleMandate, ErrUnknownFile)
// or storage failures.
type SepaStore interface {
	Mandates(ctx context.Context, tenant, debtor string) ([]sepa.Mandate, error)
	PutMandate(ctx context.Context, m sepa.Mandate, original string, expected int64, now time.Time) (sepa.Mandate, error)
	RevokeMandate(ctx context.Context, tenant, ref, note string, now time.Time) (sepa.Mandate, error)
	Debits(ctx context.Context, tenant, state, debtor string) ([]sepa.Debit, error)
	Files(ctx context.Context, tenant, messageType string, runDate time.Time) ([]sepa.File, error)
	File(ctx context.Context, tenant, name string) (sepa.File, error)
}

// SepaService implements matchingv1grpc.SepaServiceServer over the SEPA
// runner and store.
type SepaService struct {
	matchingv1grpc.UnimplementedSepaServiceServer
	Runner  *sepa.Runner
	Store   SepaStore
	Tenants Tenants
	// Now is the clock of mandates' checks and changes; nil means
	// time.Now.
	Now func() time.Time
}

func (s *SepaService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// tenant checks the tenant and that the caller may act for it, and
// returns the caller's actor.
func (s *SepaService) tenant(ctx context.Context, tenant string) (string, error) {
	if strings.TrimSpace(tenant) == "" {
		return "", invalid("tenant", "missing")
	}
	if err := s.Tenants.Check(tenant); err != nil {
		return "", err
	}
	p, err := identity.Require(ctx)
	if err != nil {
		return "", err
	}
	if err := p.CheckTenant(tenant); err != nil {
		return "", err
	}
	return p.Actor, nil
}

func dateOf(d *commonv1.Date) time.Time {
	if d == nil || d.GetYear() == 0 {
		return time.Time{}
	}
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
}

func protoDate(t time.Time) *commonv1.Date {
	if t.IsZero() {
		return nil
	}
	return &commonv1.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

func euros(minor int64) *commonv1.Money { return &commonv1.Money{MinorUnits: minor, Currency: "EUR"} }

func runDate(d *commonv1.Date) (time.Time, error) {
	t := dateOf(d)
	if t.IsZero() {
		return t, invalid("date", "missing")
	}
	if t.Month() != time.Month(d.GetMonth()) || t.Day() != int(d.GetDay()) {
		return t, invalid("date", "%04d-%02d-%02d is no calendar date", d.GetYear(), d.GetMonth(), d.GetDay())
	}
	return t, nil
}

func (s *SepaService) mandateOut(m sepa.Mandate) *matchingv1.Mandate {
	out := &matchingv1.Mandate{Tenant: m.Tenant, Reference: m.Reference, DebtorId: m.Debtor, Name: m.Name, Iban: m.IBAN, Bic: m.BIC,
		SignedOn: protoDate(m.SignedOn), Scheme: m.Scheme, OneOff: m.OneOff, CreditorAccount: m.Account, Source: m.Source,
		NextSequence: m.Sequence(), LastCollected: protoDate(m.LastCollected), Expires: protoDate(m.Expires()),
		UnusableReason: m.Unusable, NotUsable: m.Usable(s.now()), Country: m.Country, PostCode: m.PostCode, Town: m.Town,
		Street: m.Street, Version: m.Version}
	if a := m.Amendment; a != nil {
		out.Amendment = &matchingv1.MandateAmendment{OriginalReference: a.OriginalReference, NewAccount: a.NewAccount}
	}
	if !m.Revoked.IsZero() {
		out.RevokedAt = timestamppb.New(m.Revoked)
	}
	return out
}

func debitOut(d sepa.Debit) *matchingv1.Debit {
	return &matchingv1.Debit{OpenItemId: d.Item, DebtorId: d.Debtor, DocumentNumber: d.Document, EndToEndId: d.EndToEndID,
		Mandate: d.Mandate, Amount: euros(d.Amount), Sequence: d.Sequence, Scheme: d.Scheme,
		CollectionDate: protoDate(d.Collection), PreNotified: protoDate(d.PreNotified), State: d.State, File: d.File,
		Reason: d.Reason, Attempt: int32(d.Attempt), BankStatus: d.BankStatus}
}

func debitsOut(ds []sepa.Debit) []*matchingv1.Debit {
	out := make([]*matchingv1.Debit, 0, len(ds))
	for _, d := range ds {
		out = append(out, debitOut(d))
	}
	return out
}

func fileOut(f sepa.File) *matchingv1.SepaFile {
	return &matchingv1.SepaFile{Name: f.Name, Path: f.Path, MessageType: f.MessageType, MessageId: f.MessageID, Account: f.Account,
		Scheme: f.Scheme, Date: protoDate(f.Date), Count: int32(f.Count), Total: euros(f.Total), RunDate: protoDate(f.RunDate),
		CreatedAt: timestamppb.New(f.Created), EndToEndIds: f.EndToEndIDs}
}

// ListMandates implements the RPC.
func (s *SepaService) ListMandates(ctx context.Context, req *matchingv1.ListMandatesRequest) (*matchingv1.ListMandatesResponse, error) {
	if _, err := s.tenant(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	ms, err := s.Store.Mandates(ctx, req.GetTenant(), req.GetDebtorId())
	if err != nil {
		return nil, err
	}
	out := &matchingv1.ListMandatesResponse{}
	for _, m := range ms {
		out.Mandates = append(out.Mandates, s.mandateOut(m))
	}
	return out, nil
}

// PutMandate implements the RPC: the mandate is checked (reference, IBAN,
// BIC, scheme, signature date) and stored as the operator's; an
// amendment of a mandate already collected from travels with its next
// collection.
func (s *SepaService) PutMandate(ctx context.Context, req *matchingv1.PutMandateRequest) (*matchingv1.PutMandateResponse, error) {
	in := req.GetMandate()
	actor, err := s.tenant(ctx, in.GetTenant())
	if err != nil {
		return nil, err
	}
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	m := sepa.Mandate{Tenant: in.GetTenant(), Reference: in.GetReference(), Debtor: in.GetDebtorId(), Name: in.GetName(),
		IBAN: in.GetIban(), BIC: in.GetBic(), SignedOn: dateOf(in.GetSignedOn()), Scheme: in.GetScheme(), OneOff: in.GetOneOff(),
		Account: in.GetCreditorAccount(), Source: sepa.SourceOperator, Country: strings.ToUpper(in.GetCountry()),
		PostCode: in.GetPostCode(), Town: in.GetTown(), Street: in.GetStreet(), Note: strings.TrimSpace(actor + ": " + req.GetNote())}
	if m.SignedOn.IsZero() {
		return nil, invalid("mandate.signed_on", "missing")
	}
	if m, err = m.Check(s.now()); err != nil {
		return nil, err
	}
	if m.Account != "" {
		if _, err := s.Runner.Config(m.Tenant).Account(m.Account); err != nil {
			return nil, err
		}
	}
	saved, err := s.Store.PutMandate(ctx, m, strings.TrimSpace(req.GetOriginalReference()), req.GetExpectedVersion(), s.now())
	if err != nil {
		return nil, err
	}
	return &matchingv1.PutMandateResponse{Mandate: s.mandateOut(saved)}, nil
}

// RevokeMandate implements the RPC.
func (s *SepaService) RevokeMandate(ctx context.Context, req *matchingv1.RevokeMandateRequest) (*matchingv1.RevokeMandateResponse, error) {
	actor, err := s.tenant(ctx, req.GetTenant())
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetReference()) == "" {
		return nil, invalid("reference", "missing")
	}
	if err := storableArgs(req); err != nil {
		return nil, err
	}
	m, err := s.Store.RevokeMandate(ctx, req.GetTenant(), req.GetReference(), strings.TrimSpace(actor+": "+req.GetNote()), s.now())
	if err != nil {
		return nil, err
	}
	return &matchingv1.RevokeMandateResponse{Mandate: s.mandateOut(m)}, nil
}

// Collect implements the RPC.
func (s *SepaService) Collect(ctx context.Context, req *matchingv1.CollectRequest) (*matchingv1.CollectResponse, error) {
	if _, err := s.tenant(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	day, err := runDate(req.GetDate())
	if err != nil {
		return nil, err
	}
	res, err := s.Runner.Collect(ctx, req.GetTenant(), day, req.GetDryRun())
	if err != nil {
		return nil, err
	}
	out := &matchingv1.CollectResponse{Submitted: debitsOut(res.Plan.Submit), PreNotified: debitsOut(res.Plan.PreNotify),
		Cancelled: debitsOut(res.Plan.Cancel), Held: debitsOut(res.Held), PreNotifications: res.PreNotifications}
	for _, f := range res.Files {
		out.Files = append(out.Files, fileOut(f))
	}
	for _, sk := range res.Plan.Skipped {
		out.Skipped = append(out.Skipped, &matchingv1.Skipped{OpenItemId: sk.Item, DebtorId: sk.Debtor, Reason: sk.Reason})
	}
	return out, nil
}

// ListCollections implements the RPC.
func (s *SepaService) ListCollections(ctx context.Context, req *matchingv1.ListCollectionsRequest) (*matchingv1.ListCollectionsResponse, error) {
	if _, err := s.tenant(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	ds, err := s.Store.Debits(ctx, req.GetTenant(), req.GetState(), req.GetDebtorId())
	if err != nil {
		return nil, err
	}
	fs, err := s.Store.Files(ctx, req.GetTenant(), "", time.Time{})
	if err != nil {
		return nil, err
	}
	out := &matchingv1.ListCollectionsResponse{Debits: debitsOut(ds)}
	for _, f := range fs {
		out.Files = append(out.Files, fileOut(f))
	}
	return out, nil
}

// Payouts implements the RPC.
func (s *SepaService) Payouts(ctx context.Context, req *matchingv1.PayoutsRequest) (*matchingv1.PayoutsResponse, error) {
	if _, err := s.tenant(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	day, err := runDate(req.GetDate())
	if err != nil {
		return nil, err
	}
	res, err := s.Runner.Payouts(ctx, req.GetTenant(), day, req.GetDryRun())
	if err != nil {
		return nil, err
	}
	out := &matchingv1.PayoutsResponse{}
	for _, d := range res.Due {
		pd := &matchingv1.PayoutDue{DebtorId: d.Debtor, Amount: euros(d.Amount), Released: d.Released, Why: d.Why, EndToEndId: d.EndToEndID}
		for _, c := range d.Credits {
			pd.OpenItemIds = append(pd.OpenItemIds, c.Item)
		}
		out.Due = append(out.Due, pd)
	}
	if res.File != nil {
		out.File = fileOut(*res.File)
	}
	return out, nil
}

// GetFile implements the RPC.
func (s *SepaService) GetFile(ctx context.Context, req *matchingv1.GetFileRequest) (*matchingv1.GetFileResponse, error) {
	if _, err := s.tenant(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.GetName()) == "" {
		return nil, invalid("name", "missing")
	}
	f, err := s.Store.File(ctx, req.GetTenant(), req.GetName())
	if err != nil {
		return nil, err
	}
	return &matchingv1.GetFileResponse{File: fileOut(f), Content: f.Content}, nil
}

// ImportStatusReport implements the RPC: the report is read and applied
// by the runner (sepa.Runner.ImportStatusReport); a report that cannot be
// read is refused INVALID_ARGUMENT with the line and element.
func (s *SepaService) ImportStatusReport(ctx context.Context, req *matchingv1.ImportStatusReportRequest) (*matchingv1.ImportStatusReportResponse, error) {
	if _, err := s.tenant(ctx, req.GetTenant()); err != nil {
		return nil, err
	}
	if len(req.GetContent()) == 0 {
		return nil, invalid("content", "missing")
	}
	name := strings.TrimSpace(req.GetName())
	if name == "" {
		name = "status report"
	}
	if len(name) > 255 {
		return nil, invalid("name", "longer than 255 bytes")
	}
	res, err := s.Runner.ImportStatusReport(ctx, req.GetTenant(), name, req.GetContent())
	if err != nil {
		return nil, err
	}
	out := &matchingv1.ImportStatusReportResponse{MessageId: res.MessageID, OriginalMessageId: res.OriginalMessageID,
		OriginalMessageType: res.OriginalMessageType, File: res.File, GroupStatus: res.GroupStatus, Duplicate: res.Duplicate}
	for _, a := range res.Applied {
		out.Applied = append(out.Applied, &matchingv1.StatusApplied{EndToEndId: a.EndToEndID, PaymentInfoId: a.PaymentInfoID,
			Status: a.Status, Reason: a.Reason, Info: a.Info, Kind: a.Kind, OpenItemIds: a.Items, DebtorId: a.Debtor,
			Amount: euros(a.Amount), Mandate: a.Mandate, MandateUnusable: a.Unusable, Outcome: a.Outcome, Note: a.Note})
	}
	return out, nil
}
