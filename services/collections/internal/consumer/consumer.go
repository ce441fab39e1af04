// Package consumer is collections' JetStream handlers: dunning's
// ReleasedToCollections (a final-level release opens a case with an
// agency the tenant's rules choose) and its blocks, the ledger's item
// events (what is open, for manual releases; a payment that reaches the
// merchant directly on an item in collection is reported on the case's
// feed to the agency) and ingestion's CustomerIngested (the debtor's kind
// and group for the agency rules). Each handler checks the tenant (reason
// code unknown_tenant), decodes the relayed event (undecodable:
// bus.Permanent) and returns the domain's and the store's errors as they
// are: bus.Consume sorts them with the service's fault chain.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	collectionsv1 "github.com/o2c-platform/o2c/proto/o2c/collections/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/collections/internal/collections"
	"github.com/o2c-platform/o2c/services/collections/internal/postgres"
)

// DunningSubjects are the events of dunning collections reads.
func DunningSubjects() []string {
	return []string{"o2c.*.dunning." + bus.EventName("o2c.dunning.v1.ReleasedToCollections"), "o2c.*.dunning.block.set",
		"o2c.*.dunning.block.lifted", "o2c.*.dunning.notice.issued"}
}

// LedgerSubjects are the ledger's item events collections reads.
func LedgerSubjects() []string {
	return []string{"o2c.*.ledger.open-item.opened", "o2c.*.ledger.open-item.classified", "o2c.*.ledger.open-item.cleared",
		"o2c.*.ledger.open-item.reopened"}
}

// IngestionSubjects are the events of ingestion collections reads.
func IngestionSubjects() []string { return []string{"o2c.*.ingestion.customer.ingested"} }

// Tenants says which tenants exist (tenants.File): Check returns nil for a
// configured tenant and an error wrapping tenants.ErrUnknownTenant or
// tenants.ErrInvalidTenantID otherwise.
type Tenants interface {
	Check(tenant string) error
}

// Actor is who collections' own steps are recorded as.
const Actor = "service:collections"

func decode(ts Tenants, m bus.Msg) (eventstore.Event, error) {
	ev, err := relay.DecodeMsg(m.Header, m.Data, nil)
	if err != nil {
		return ev, bus.Permanent(fmt.Errorf("message on %s: %w", m.Subject, err))
	}
	tenant := ev.Stream.Tenant
	if t, ok := bus.TenantFromSubject(m.Subject); ok && t != tenant {
		return ev, bus.Permanent(fmt.Errorf("message on %s is of tenant %q", m.Subject, tenant))
	}
	if err := ts.Check(tenant); err != nil {
		code := "invalid"
		if errors.Is(err, tenants.ErrUnknownTenant) {
			code = "unknown_tenant"
		}
		return ev, fault.WithDetail(fmt.Errorf("message on %s: %w", m.Subject, err), fault.Detail{Code: code, Document: ev.EventID.String()})
	}
	if ev.Payload == nil {
		return ev, bus.Permanent(fmt.Errorf("message on %s: %s: %w", m.Subject, ev.Type, eventstore.ErrUndecodable))
	}
	return ev, nil
}

// Dunning opens a case for every final-level release and follows the
// blocks.
type Dunning struct {
	Tenants Tenants
	Store   *postgres.Store
	// Configs are the tenants' collections sections.
	Configs map[string]collections.Config
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DunningCaseID is the case a dunning release opens: one per tenant,
// debtor and release date, so a release delivered twice opens one case.
func DunningCaseID(debtorID string, date time.Time) string {
	return "D-" + debtorID + "-" + date.Format("20060102")
}

// Handle applies one of dunning's events.
func (h *Dunning) Handle(ctx context.Context, m bus.Msg) error {
	ev, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	switch p := ev.Payload.(type) {
	case *dunningv1.ReleasedToCollections:
		return h.release(ctx, ev, p)
	case *dunningv1.BlockSet:
		return h.Store.Block(ctx, p)
	case *dunningv1.BlockLifted:
		return h.Store.LiftBlock(ctx, p)
	case *dunningv1.NoticeIssued:
		return h.Store.Notice(ctx, p)
	}
	return nil
}

func (h *Dunning) release(ctx context.Context, ev eventstore.Event, p *dunningv1.ReleasedToCollections) error {
	date := collections.DateOf(p.GetDate())
	if date.IsZero() {
		return bus.Permanent(fmt.Errorf("release of debtor %s without date", p.GetDebtorId()))
	}
	debtor, err := h.Store.Debtor(ctx, ev.Stream.Tenant, p.GetDebtorId())
	if err != nil {
		return err
	}
	caseID := DunningCaseID(p.GetDebtorId(), date)
	r := collections.Release{
		Tenant: ev.Stream.Tenant, CaseID: caseID, DebtorID: p.GetDebtorId(), Debtor: debtor, Date: date, Source: "dunning",
		Reason: fmt.Sprintf("final dunning level (procedure %s v%d)", p.GetProcedureId(), p.GetProcedureVersion()), Actor: "dunning",
	}
	notices, err := h.Store.Notices(ctx, ev.Stream.Tenant, p.GetNoticeIds())
	if err != nil {
		return err
	}
	for i, n := range p.GetNoticeIds() {
		r.History = append(r.History, step(n, i, notices[n]))
	}
	var ids []string
	for _, it := range p.GetItems() {
		ids = append(ids, it.GetOpenItemId())
	}
	facts, err := h.Store.Facts(ctx, ev.Stream.Tenant, ids)
	if err != nil {
		return err
	}
	// The items' VAT rates and dates come from the ledger's events, which
	// another consumer follows: a release that overtook them waits for
	// them (redelivered with back-off; a rejection the operator can replay
	// if they never come).
	for _, id := range ids {
		if _, ok := facts[id]; !ok {
			return fault.Mark(fmt.Errorf("release of debtor %s: the ledger's item %s not seen yet", p.GetDebtorId(), id), fault.Transient)
		}
	}
	for _, it := range p.GetItems() {
		component := it.GetComponent()
		if component == "" {
			component = collections.Principal
		}
		r.Items = append(r.Items, collections.Candidate{Currency: it.GetOpen().GetCurrency(), Item: collections.Item{
			ID: it.GetOpenItemId(), Claim: it.GetClaimOpenItemId(), Document: it.GetDocumentNumber(), Component: component,
			Open: it.GetOpen().GetMinorUnits(), DueDate: collections.DateOf(it.GetDueDate()),
			TaxRateBP: facts[it.GetOpenItemId()].TaxRateBP, DocumentDate: facts[it.GetOpenItemId()].DocumentDate,
		}})
	}
	// Items in an open case or collected in full by one stay out, read
	// from the cases themselves (the ledger's open amounts lag behind
	// them). A redelivered release finds its own case and decides nothing
	// (Store.Release), so what its case holds does not count here.
	if err := h.Store.Holdings(ctx, ev.Stream.Tenant, r.Items); err != nil {
		return err
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	_, _, err = h.Store.Release(ctx, r, h.Configs[ev.Stream.Tenant], now())
	if errors.Is(err, collections.ErrNotEligible) || errors.Is(err, collections.ErrNoAgency) {
		return fault.WithDetail(err, fault.Detail{Code: "not_released", Document: caseID})
	}
	return err
}

// step is the dunning history entry of the i-th (from 0, oldest first)
// notice of a release: its date and level as dunning's NoticeIssued said;
// without it, the date its id carries (dunning's ids are
// "M-YYYYMMDD-<debtor>") and the level its place in the release's list.
func step(id string, i int, known *collectionsv1.DunningStep) *collectionsv1.DunningStep {
	if known != nil {
		return known
	}
	s := &collectionsv1.DunningStep{NoticeId: id, Level: int32(i + 1)}
	if len(id) >= 10 && strings.HasPrefix(id, "M-") {
		if d, err := time.Parse("20060102", id[2:10]); err == nil {
			s.Date = collections.DateProto(d)
		}
	}
	return s
}

// Ledger follows the ledger's items and reports direct payments on items
// in collection.
type Ledger struct {
	Tenants Tenants
	Store   *postgres.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handle applies one of the ledger's item events.
func (h *Ledger) Handle(ctx context.Context, m bus.Msg) error {
	ev, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	switch p := ev.Payload.(type) {
	case *ledgerv1.OpenItemOpened:
		if err := h.Store.OpenItem(ctx, p, m.Sequence); err != nil {
			return err
		}
		// Since 7 December 2026 the ledger classifies the item in the
		// event that opens it; older streams carry a separate
		// OpenItemClassified after it. Both are recorded alike.
		if c := p.GetClassification(); c != nil {
			return h.Store.ClassifyItem(ctx, c)
		}
		return nil
	case *ledgerv1.OpenItemClassified:
		return h.Store.ClassifyItem(ctx, p)
	case *ledgerv1.OpenItemCleared:
		if err := h.Store.SetOpen(ctx, p.GetTenant(), p.GetOpenItemId(), p.GetOpenAmount().GetMinorUnits(), m.Sequence); err != nil {
			return err
		}
		return h.direct(ctx, p)
	case *ledgerv1.OpenItemReopened:
		return h.Store.SetOpen(ctx, p.GetTenant(), p.GetOpenItemId(), p.GetOpenAmount().GetMinorUnits(), m.Sequence)
	}
	return nil
}

// direct reports the payments among a clearing's settlements on an item
// in collection: money that reached the merchant directly, not through
// the agency (whose own collections are SETTLEMENT_KIND_AGENCY_COLLECTION).
func (h *Ledger) direct(ctx context.Context, p *ledgerv1.OpenItemCleared) error {
	caseID, err := h.Store.ActiveCase(ctx, p.GetTenant(), p.GetOpenItemId())
	if err != nil || caseID == "" {
		return err
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	for _, st := range p.GetSettlements() {
		if st.GetKind() != ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT {
			continue
		}
		_, _, err := h.Store.Decide(ctx, p.GetTenant(), caseID, Actor, now(), func(c *collections.Case) ([]proto.Message, error) {
			return c.DirectPayment(p.GetOpenItemId(), st.GetAmount().GetMinorUnits(), collections.DateOf(st.GetDate()), st.GetSettlementId()), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Ingestion follows ingestion's customers.
type Ingestion struct {
	Tenants Tenants
	Store   *postgres.Store
}

// Handle applies one of ingestion's events.
func (h *Ingestion) Handle(ctx context.Context, m bus.Msg) error {
	ev, err := decode(h.Tenants, m)
	if err != nil {
		return err
	}
	if p, ok := ev.Payload.(*ingestionv1.CustomerIngested); ok {
		return h.Store.Customer(ctx, p)
	}
	return nil
}
