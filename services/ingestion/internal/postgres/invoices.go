package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// Invoices stores accepted invoices together with their debtors' master
// data: the events of a batch and the debtors of those written in one
// transaction (eventstore.Store.AppendBatchWith), one commit for all.
type Invoices struct {
	events *eventstore.Store
}

// NewInvoices returns Invoices appending to events, whose pool is
// connected with search_path = Schema.
func NewInvoices(events *eventstore.Store) *Invoices { return &Invoices{events: events} }

// upsertDebtors is SaveDebtor for many debtors at once; each appears once.
const upsertDebtors = `
	INSERT INTO debtors (tenant, debtor_id, kind, name, vat_id, email, address)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
	ON CONFLICT (tenant, debtor_id) DO UPDATE
	SET kind = EXCLUDED.kind, name = EXCLUDED.name, vat_id = EXCLUDED.vat_id,
	    email = EXCLUDED.email, address = EXCLUDED.address, updated_at = now()
	WHERE debtors.erased_at IS NULL`

// StoreInvoices appends each invoice's event (events[i]) as the first of
// its stream (streams[i], eventstore.NoStream) and records the debtor data
// the invoice carries (debtors[i]; nil when it named only its customer)
// when it stores the event, as
// SaveDebtor does (an erased debtor stays erased; of one debtor named
// twice the later write's data is kept), in the transaction of those
// events. Each result is decided on its own, as AppendBatch decides:
// a replay (the invoice stored before with the same content) has
// Replayed set and records no debtor data, a changed invoice fails with
// eventstore.ErrContentMismatch. The error is for the call as a whole.
func (s *Invoices) StoreInvoices(ctx context.Context, streams []eventstore.StreamID, events []eventstore.Event, debtors []*shopv1.Debtor) ([]eventstore.GroupResult, error) {
	groups := make([]eventstore.AppendGroup, len(streams))
	addrs := make([]*string, len(streams))
	for i, st := range streams {
		groups[i] = eventstore.AppendGroup{{Stream: st, Expected: eventstore.NoStream, Events: []eventstore.Event{events[i]}}}
		if a := debtors[i].GetBillingAddress(); a != nil {
			data, err := json.Marshal(a)
			if err != nil {
				return nil, fmt.Errorf("save debtor %s: %w", debtors[i].GetCustomerId(), err)
			}
			addr := string(data)
			addrs[i] = &addr
		}
	}
	res, err := s.events.AppendBatchWith(ctx, groups, func(written []int, b *pgx.Batch) {
		last := map[[2]string]int{}
		var order []int
		for _, i := range written {
			d := debtors[i]
			if d == nil {
				continue
			}
			k := [2]string{streams[i].Tenant, d.GetCustomerId()}
			if j, ok := last[k]; ok {
				order[j] = i
				continue
			}
			last[k] = len(order)
			order = append(order, i)
		}
		if len(order) == 0 {
			return
		}
		n := len(order)
		tenants, ids, kinds, names := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		vats, emails, addresses := make([]string, n), make([]string, n), make([]*string, n)
		for j, i := range order {
			d := debtors[i]
			tenants[j], ids[j], kinds[j], names[j] = streams[i].Tenant, d.GetCustomerId(), d.GetKind().String(), d.GetName()
			vats[j], emails[j], addresses[j] = d.GetVatId(), d.GetEmail(), addrs[i]
		}
		b.Queue(upsertDebtors, tenants, ids, kinds, names, vats, emails, addresses)
	})
	if err != nil {
		return nil, fmt.Errorf("store %d invoices: %w", len(streams), err)
	}
	return res, nil
}
