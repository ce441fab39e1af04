package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// SaveCustomer records the customer data a shop published as of
// updatedAt, replacing what was known, unless the version held is later
// (a late retry of an older version changes nothing) or the debtor was
// erased (it stays erased). It reports whether it wrote. The IBAN and
// the mandate are kept here only, never in events.
func (s *Store) SaveCustomer(ctx context.Context, tenant string, c *shopv1.Customer, updatedAt time.Time) (bool, error) {
	var addr []byte
	if a := c.GetBillingAddress(); a != nil {
		var err error
		if addr, err = json.Marshal(a); err != nil {
			return false, fmt.Errorf("save customer %s: %w", c.GetCustomerNumber(), err)
		}
	}
	dd := c.GetDirectDebit()
	var signed *time.Time
	if d := dd.GetSignedOn(); d != nil {
		t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC)
		signed = &t
	}
	seq := ""
	if dd != nil {
		seq = dd.GetSequenceType().String()
	}
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO debtors (tenant, debtor_id, kind, name, vat_id, email, address, customer_group,
		                     preferred_language, iban, mandate_id, mandate_signed_on, sequence_type, source_updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (tenant, debtor_id) DO UPDATE
		SET kind = EXCLUDED.kind, name = EXCLUDED.name, vat_id = EXCLUDED.vat_id, email = EXCLUDED.email,
		    address = EXCLUDED.address, customer_group = EXCLUDED.customer_group,
		    preferred_language = EXCLUDED.preferred_language, iban = EXCLUDED.iban,
		    mandate_id = EXCLUDED.mandate_id, mandate_signed_on = EXCLUDED.mandate_signed_on,
		    sequence_type = EXCLUDED.sequence_type, source_updated_at = EXCLUDED.source_updated_at,
		    updated_at = now()
		WHERE debtors.erased_at IS NULL
		  AND (debtors.source_updated_at IS NULL OR debtors.source_updated_at <= EXCLUDED.source_updated_at)`,
		tenant, c.GetCustomerNumber(), c.GetKind().String(), c.GetName(), c.GetVatId(), c.GetEmail(), addr,
		c.GetCustomerGroup(), c.GetPreferredLanguage(), dd.GetIban(), dd.GetMandateId(), signed, seq, updatedAt)
	if err != nil {
		return false, fmt.Errorf("save customer %s: %w", c.GetCustomerNumber(), err)
	}
	return tag.RowsAffected() == 1, nil
}
