package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// merge executes MergeDebtor, the one command that touches two debtors: it
// reads both debtors' streams, decides the duplicate's side (items cleared,
// balance out through the merge clearing account) and the survivor's side
// (items opened again, balance in), and stores both in one atomic
// eventstore group with the versions it read, so a concurrent command on
// either debtor makes it decide again (Execute retries on the conflict).
func (c *Commander) merge(ctx context.Context, x *ledgerv1.MergeDebtor, m Meta) (Result, error) {
	tenant := x.GetTenant()
	now := c.opt.Now().UTC().Truncate(time.Microsecond)
	cfg := c.opt.Config(tenant)
	periods, err := c.read(ctx, eventstore.StreamID{Tenant: tenant, Type: StreamTypePeriods, ID: PeriodsStreamID})
	if err != nil {
		return Result{}, err
	}
	load := func(debtor string) (*books.Ledger, []eventstore.Event, eventstore.StreamID, error) {
		s := eventstore.StreamID{Tenant: tenant, Type: StreamTypeDebtor, ID: debtor}
		own, err := c.read(ctx, s)
		if err != nil {
			return nil, nil, s, err
		}
		l := books.New(tenant, cfg)
		for _, evs := range [][]eventstore.Event{periods, own} {
			for _, ev := range evs {
				if err := l.Apply(ev.Payload); err != nil {
					return nil, nil, s, fmt.Errorf("load %s: %w", ev.Stream, err)
				}
			}
		}
		return l, own, s, nil
	}
	dupL, dupEvs, dupStream, err := load(x.GetDebtorId())
	if err != nil {
		return Result{}, err
	}
	intoL, intoEvs, intoStream, err := load(x.GetIntoDebtorId())
	if err != nil {
		return Result{}, err
	}
	o := books.Origin{Actor: m.Actor, Now: now}
	out, merged, err := dupL.MergeOut(x, o)
	if err != nil {
		return Result{}, err
	}
	key := x.GetIdempotencyKey()
	if len(out) == 0 {
		return replayed(dupEvs, key), nil
	}
	account := ""
	if _, known := intoL.DebtorAccountOf(x.GetIntoDebtorId()); !known {
		if account, err = c.store.DebtorAccount(ctx, tenant, x.GetIntoDebtorId(), cfg.Chart); err != nil {
			return Result{}, err
		}
	}
	in, err := intoL.MergeIn(x, merged, account, o)
	if err != nil {
		return Result{}, err
	}
	events := func(side string, msgs []proto.Message) []eventstore.Event {
		evs := make([]eventstore.Event, len(msgs))
		for i, p := range msgs {
			evs[i] = eventstore.Event{
				Envelope: eventstore.Envelope{
					EventID:    uuid.NewSHA1(eventNamespace, []byte(tenant+"\x00"+key+"\x00"+side+"\x00"+strconv.Itoa(i))),
					OccurredAt: now, CausationID: m.CausationID, CorrelationID: m.CorrelationID, Actor: m.Actor,
					TraceParent: m.TraceParent, TraceState: m.TraceState,
				},
				Payload: p,
			}
		}
		return evs
	}
	res, err := c.events.AppendBatch(ctx, []eventstore.AppendGroup{{
		{Stream: dupStream, Expected: eventstore.ExpectedVersion(len(dupEvs)), Events: events("out", out)},
		{Stream: intoStream, Expected: eventstore.ExpectedVersion(len(intoEvs)), Events: events("in", in)},
	}})
	if err != nil {
		return Result{}, fmt.Errorf("store MergeDebtor: %w", err)
	}
	if res[0].Err != nil {
		return Result{}, fmt.Errorf("store MergeDebtor of %s into %s: %w", x.GetDebtorId(), x.GetIntoDebtorId(), res[0].Err)
	}
	stored := append(append([]eventstore.Event{}, res[0].Events[0]...), res[0].Events[1]...)
	if err := saveRoutes(ctx, c.store.pool, stored); err != nil {
		return Result{}, err
	}
	return resultOf(stored), nil
}
