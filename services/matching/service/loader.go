package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/services/matching/internal/engine"
	"github.com/o2c-platform/o2c/services/matching/internal/postgres"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
	"github.com/o2c-platform/o2c/services/matching/internal/rpc"
)

// loader builds a tenant's snapshot (queue.Loader) from the read models,
// caught up first, and ingestion's master data.
type loader struct {
	store     *postgres.Store
	catchUp   func(ctx context.Context) error
	ingestion rpc.Ingestion
	configs   map[string]engine.Config
	window    time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// maxLearned bounds how often one confirmed payer fact is taught at start:
// beyond a few confirmations the engine is as sure as it gets.
const maxLearned = 5

// Load implements queue.Loader.
func (l *loader) Load(ctx context.Context, tenant string) (queue.Snapshot, error) {
	if err := l.catchUp(ctx); err != nil {
		return queue.Snapshot{}, err
	}
	now := l.now()
	// A bank transaction older than the stream keeps messages cannot be
	// delivered again; a day more covers clocks.
	snap, err := l.store.Snapshot(ctx, tenant, now.Add(-l.window), now.Add(-bus.DefaultMaxAge-24*time.Hour), now.Add(-queue.PendingTTL))
	if err != nil {
		return queue.Snapshot{}, err
	}
	cfg, ok := l.configs[tenant]
	if !ok {
		cfg = engine.DefaultConfig()
	}
	out := queue.Snapshot{Config: cfg, Items: snap.Items, Decided: snap.Decided, Pending: snap.Pending}
	unpaid, err := l.store.UnpaidSettlements(ctx, tenant)
	if err != nil {
		return queue.Snapshot{}, err
	}
	for _, id := range unpaid {
		r, err := l.store.Report(ctx, tenant, id)
		if err != nil {
			return queue.Snapshot{}, err
		}
		orders, err := l.store.OrderItems(ctx, tenant, queue.OrderIDs(r))
		if err != nil {
			return queue.Snapshot{}, err
		}
		out.Settlements = append(out.Settlements, queue.SettlementInput{Report: r, Orders: orders})
	}
	if out.Debtors, err = l.ingestion.AllDebtors(ctx, tenant); err != nil {
		return queue.Snapshot{}, err
	}
	var ids []string
	for _, f := range snap.Learned {
		ids = append(ids, f.Counterparty)
	}
	for _, r := range snap.Recent {
		if r.Counterparty != "" {
			ids = append(ids, r.Counterparty)
		}
	}
	payers, err := l.payers(ctx, tenant, ids)
	if err != nil {
		return queue.Snapshot{}, err
	}
	for _, f := range snap.Learned {
		p, ok := payers[f.Counterparty]
		if !ok || p.Erased || p.IBAN == "" && p.Name == "" {
			continue
		}
		for range min(f.Confirmations, maxLearned) {
			out.History = append(out.History, engine.Confirmation{Payment: queue.WithPayer(engine.Payment{}, p), Debtor: f.Debtor})
		}
	}
	for _, r := range snap.Recent {
		d := r.Decision
		d.Payment = queue.WithPayer(d.Payment, payers[r.Counterparty])
		out.Recent = append(out.Recent, d)
	}
	return out, nil
}

// payers resolves counterparty ids in chunks of 1000.
func (l *loader) payers(ctx context.Context, tenant string, ids []string) (map[string]queue.Payer, error) {
	out := map[string]queue.Payer{}
	seen := map[string]bool{}
	var uniq []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	for start := 0; start < len(uniq); start += 1000 {
		got, err := l.ingestion.Payers(ctx, tenant, uniq[start:min(start+1000, len(uniq))])
		if err != nil {
			return nil, fmt.Errorf("payers learned: %w", err)
		}
		for k, v := range got {
			out[k] = v
		}
	}
	return out, nil
}
