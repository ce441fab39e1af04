package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/matching/internal/sepa"
)

// PayoutStreamType is the type of the event streams that hold the ledger
// commands of one payout transfer (id: its end-to-end id). The payments
// projection skips them; the relay publishes the commands.
const PayoutStreamType = "sepa-payout"

// payoutNamespace makes the event ids of payout commands deterministic.
var payoutNamespace = uuid.MustParse("8f4b7f0e-5a0c-4b7e-9c66-2f1d3c4b5a60")

// payoutLedger books payouts the statements showed: one
// PayOutCreditBalance per credit item, stored in the transfer's own
// stream (which must not exist yet: a second booking of the transfer
// finds it and sends nothing) and relayed to the ledger as matching's
// commands (Routes). The ledger accepts them only from a sender its
// books.Senders names for PayOutCreditBalance.
type payoutLedger struct {
	events *eventstore.Store
	now    func() time.Time
}

// BookPayouts implements sepa.Ledger.
func (l payoutLedger) BookPayouts(ctx context.Context, tenant string, bs []sepa.PayoutBooking) error {
	per := map[string][]sepa.PayoutBooking{}
	var order []string
	for _, b := range bs {
		if _, ok := per[b.EndToEndID]; !ok {
			order = append(order, b.EndToEndID)
		}
		per[b.EndToEndID] = append(per[b.EndToEndID], b)
	}
	for _, e2e := range order {
		var evs []eventstore.Event
		for i, b := range per[e2e] {
			key := fmt.Sprintf("matching:payout:%s:%s", e2e, b.Item)
			cmd := &ledgerv1.PayOutCreditBalance{Tenant: tenant, IdempotencyKey: key, PayoutId: fmt.Sprintf("%s-%d", e2e, i+1),
				DebtorId: b.Debtor, OpenItemId: b.Item, Amount: &commonv1.Money{MinorUnits: b.Amount, Currency: "EUR"},
				PayoutDate: &commonv1.Date{Year: int32(b.Date.Year()), Month: int32(b.Date.Month()), Day: int32(b.Date.Day())},
				// The statement's debit is on unidentified payments already
				// (the ledger's RecordBankTransaction): the payout clears it
				// from there, not from the bank a second time.
				ClearingAccount: "unidentified-payments"}
			evs = append(evs, eventstore.Event{Envelope: eventstore.Envelope{
				EventID: uuid.NewSHA1(payoutNamespace, []byte(tenant+"\x00"+key)), OccurredAt: l.now(), Actor: "matching",
				CorrelationID: e2e}, Payload: cmd})
		}
		_, err := l.events.Append(ctx, eventstore.StreamID{Tenant: tenant, Type: PayoutStreamType, ID: e2e}, eventstore.NoStream, evs)
		if err != nil && !errors.Is(err, eventstore.ErrVersionConflict) {
			return fmt.Errorf("payout %s: %w", e2e, err)
		}
	}
	return nil
}

// syncSepa takes in the statements for SEPA every interval, so collections
// booked and returned and payouts debited are known (and payouts booked)
// before the next run.
func syncSepa(ctx context.Context, interval time.Duration, ts []string, r *sepa.Runner, log *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		for _, tenant := range ts {
			if len(r.Config(tenant).CreditorAccounts) == 0 {
				continue
			}
			if err := r.Sync(ctx, tenant); err != nil && ctx.Err() == nil {
				log.Warn("taking in the statements for SEPA failed; tried again at the next interval", "tenant", tenant, "err", err)
			}
		}
	}
}

// sepaDue returns the day a scheduled collection run is due for at now:
// today in zone once the time of day at has come, unless last (the day of
// the last scheduled run) is today already.
func sepaDue(now time.Time, zone *time.Location, at time.Duration, last time.Time) (time.Time, bool) {
	local := now.In(zone)
	y, m, d := local.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	midnight := time.Date(y, m, d, 0, 0, 0, 0, zone)
	if local.Sub(midnight) < at || !last.Before(today) {
		return today, false
	}
	return today, true
}

// scheduleSepa runs every tenant's collection once a day at the time of
// day at in zone (checked every poll), and its payouts after it on the
// days of the week the tenant's payouts.run_weekdays name. A run after a
// restart on the same day is harmless: a rerun gives the day's files back
// and submits or pays out nothing twice.
func scheduleSepa(ctx context.Context, poll, at time.Duration, zone *time.Location, ts []string, r *sepa.Runner,
	now func() time.Time, log *slog.Logger) error {
	t := time.NewTicker(poll)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		day, due := sepaDue(now(), zone, at, last)
		if !due {
			continue
		}
		last = day
		for _, tenant := range ts {
			if len(r.Config(tenant).CreditorAccounts) == 0 {
				continue
			}
			res, err := r.Collect(ctx, tenant, day, false)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("scheduled SEPA collection failed; run it with o2c sepa collect", "tenant", tenant,
						"date", day.Format(time.DateOnly), "err", err)
				}
				continue
			}
			log.Info("scheduled SEPA collection", "tenant", tenant, "date", day.Format(time.DateOnly), "files", len(res.Files),
				"submitted", len(res.Plan.Submit), "pre_notified", len(res.Plan.PreNotify), "held", len(res.Held))
			if !r.Config(tenant).Payouts.RunsOn(day.Weekday()) {
				continue
			}
			pr, err := r.Payouts(ctx, tenant, day, false)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("scheduled SEPA payouts failed; run them with o2c sepa payouts", "tenant", tenant,
						"date", day.Format(time.DateOnly), "err", err)
				}
				continue
			}
			released := 0
			for _, d := range pr.Due {
				if d.Released {
					released++
				}
			}
			file := ""
			if pr.File != nil {
				file = pr.File.Name
			}
			log.Info("scheduled SEPA payouts", "tenant", tenant, "date", day.Format(time.DateOnly), "due", len(pr.Due), "released", released,
				"file", file)
		}
	}
}
