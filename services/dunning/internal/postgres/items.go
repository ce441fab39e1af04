package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

func dateOf(d *commonv1.Date) *time.Time {
	if d == nil || d.GetYear() == 0 {
		return nil
	}
	t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
	return &t
}

// kindComponents are the components of the ledger's item kinds before
// the item is classified: charges are costs or interest, the rest
// principal.
var kindComponents = map[string]string{"dunning_fee": "fee", "returned_debit_fee": "fee", "default_interest": "interest"}

// components maps the ledger's classification to the engine's words.
var components = map[ledgerv1.OpenItemComponent]string{
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_PRINCIPAL: "principal",
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS:     "fee",
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_INTEREST:  "interest",
	ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_CREDIT:    "credit",
}

// OpenItem records an item the ledger opened (OpenItemOpened, at ledger
// stream sequence seq; 0 for a replay). A known item is left as it is.
func (s *Store) OpenItem(ctx context.Context, ev *ledgerv1.OpenItemOpened, seq uint64) error {
	component := kindComponents[ev.GetKind()]
	if component == "" {
		component = "principal"
	}
	if ev.GetAmount().GetMinorUnits() < 0 {
		component = "credit"
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO items (tenant, item_id, debtor_id, kind, claim_id, component, document_number, currency, amount_minor, open_minor,
		                   document_date, due_date, seq)
		VALUES ($1, $2, $3, $4, $2, $5, $6, $7, $8::bigint, $8::bigint, $9, $10, $11)
		ON CONFLICT (tenant, item_id) DO NOTHING`,
		ev.GetTenant(), ev.GetOpenItemId(), ev.GetDebtorId(), ev.GetKind(), component, ev.GetDocumentNumber(),
		ev.GetAmount().GetCurrency(), ev.GetAmount().GetMinorUnits(), dateOf(ev.GetDocumentDate()), dateOf(ev.GetDueDate()), int64(seq))
	if err != nil {
		return fmt.Errorf("open item %s: %w", ev.GetOpenItemId(), err)
	}
	return nil
}

// ClassifyItem records an item's classification (OpenItemClassified: its
// claim, component, marketplace and whether it may be dunned).
func (s *Store) ClassifyItem(ctx context.Context, ev *ledgerv1.OpenItemClassified) error {
	component := components[ev.GetComponent()]
	if component == "" {
		component = "principal"
	}
	claim := ev.GetClaimOpenItemId()
	if claim == "" {
		claim = ev.GetOpenItemId()
	}
	_, err := s.pool.Exec(ctx, `UPDATE items SET claim_id = $3, component = $4, marketplace = $5, dunnable = $6
		WHERE tenant = $1 AND item_id = $2`,
		ev.GetTenant(), ev.GetOpenItemId(), claim, component, ev.GetMarketplace(), ev.GetDunnable())
	if err != nil {
		return fmt.Errorf("classify item %s: %w", ev.GetOpenItemId(), err)
	}
	return nil
}

// ClearItem records an OpenItemCleared (at ledger stream sequence seq):
// the item's new open amount and, for a payment that leaves part of it
// open, the day of the part payment (it restarts limitation, §212 BGB).
func (s *Store) ClearItem(ctx context.Context, ev *ledgerv1.OpenItemCleared, seq uint64) error {
	open := ev.GetOpenAmount().GetMinorUnits()
	var parts []time.Time
	for _, st := range ev.GetSettlements() {
		if st.GetKind() == ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT && open != 0 {
			if d := dateOf(st.GetDate()); d != nil {
				parts = append(parts, *d)
			}
		}
	}
	_, err := s.pool.Exec(ctx, `UPDATE items SET open_minor = $3::bigint, seq = GREATEST(seq, $4::bigint),
		part_payments = ARRAY(SELECT DISTINCT d FROM unnest(part_payments || $5::date[]) AS d ORDER BY d)
		WHERE tenant = $1 AND item_id = $2 AND ($4::bigint = 0 OR seq < $4::bigint)`,
		ev.GetTenant(), ev.GetOpenItemId(), open, int64(seq), parts)
	if err != nil {
		return fmt.Errorf("clear item %s: %w", ev.GetOpenItemId(), err)
	}
	return nil
}

// ReopenItem records an OpenItemReopened (a returned debit, a chargeback,
// a reversal) on day: the item's new open amount and the day it was
// reopened, which puts it back on the level it had.
func (s *Store) ReopenItem(ctx context.Context, ev *ledgerv1.OpenItemReopened, seq uint64, day time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE items SET open_minor = $3::bigint, seq = GREATEST(seq, $4::bigint), reopened_on = $5
		WHERE tenant = $1 AND item_id = $2 AND ($4::bigint = 0 OR seq < $4::bigint)`,
		ev.GetTenant(), ev.GetOpenItemId(), ev.GetOpenAmount().GetMinorUnits(), int64(seq), day)
	if err != nil {
		return fmt.Errorf("reopen item %s: %w", ev.GetOpenItemId(), err)
	}
	return nil
}

// debtorKind is the engine's word for a debtor kind; unspecified is a
// consumer, whom the law protects more.
func debtorKind(k shopv1.DebtorKind) string {
	if k == shopv1.DebtorKind_DEBTOR_KIND_BUSINESS {
		return "b2b"
	}
	return "b2c"
}

// Invoice records what ingestion's InvoiceIngested says for dunning: the
// §286 (3) BGB notice, the delivery date and the channel of the invoice,
// and the debtor's kind when the debtor is not known yet.
func (s *Store) Invoice(ctx context.Context, ev *ingestionv1.InvoiceIngested) error {
	// The channel names a procedure's group "channel:<name>": "shop" for
	// the own shop, the marketplace's id otherwise.
	channel := ""
	switch ev.GetChannel().GetKind() {
	case shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP:
		channel = "shop"
	case shopv1.ChannelKind_CHANNEL_KIND_MARKETPLACE:
		channel = ev.GetChannel().GetMarketplace()
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO invoices (tenant, invoice_number, consumer_default_notice, delivered_on, channel) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant, invoice_number) DO UPDATE SET consumer_default_notice = EXCLUDED.consumer_default_notice,
		delivered_on = EXCLUDED.delivered_on, channel = EXCLUDED.channel`,
		ev.GetTenant(), ev.GetInvoiceNumber(), ev.GetConsumerDefaultNotice(), dateOf(ev.GetDeliveredOn()), channel)
	if ev.GetDebtorId() != "" {
		b.Queue(`INSERT INTO debtors (tenant, debtor_id, kind, channel) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, debtor_id) DO NOTHING`,
			ev.GetTenant(), ev.GetDebtorId(), debtorKind(ev.GetDebtorKind()), channel)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("invoice %s: %w", ev.GetInvoiceNumber(), err)
	}
	return nil
}

// Customer records a debtor's facts from ingestion's CustomerIngested:
// kind, the shop's group and the preferred language (never the name or
// address).
func (s *Store) Customer(ctx context.Context, ev *ingestionv1.CustomerIngested) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO debtors (tenant, debtor_id, kind, grp, language) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant, debtor_id) DO UPDATE SET kind = EXCLUDED.kind, grp = EXCLUDED.grp, language = EXCLUDED.language`,
		ev.GetTenant(), ev.GetDebtorId(), debtorKind(ev.GetDebtorKind()), ev.GetCustomerGroup(), strings.ToLower(ev.GetPreferredLanguage()))
	if err != nil {
		return fmt.Errorf("customer %s: %w", ev.GetDebtorId(), err)
	}
	return nil
}
