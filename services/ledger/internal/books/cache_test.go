package books

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// reloaded returns the books of debtor's stream as the Commander without a
// cache loads them: the period stream, then the debtor's stream.
func (w *world) reloaded(tb testing.TB, debtor string) *Ledger {
	tb.Helper()
	l := New(tenant, testConfig())
	if err := l.Apply(w.stream(tb, PeriodsStream(tenant))...); err != nil {
		tb.Fatal(err)
	}
	if err := l.Apply(w.stream(tb, DebtorStream(tenant, debtor))...); err != nil {
		tb.Fatal(err)
	}
	return l
}

// TestCachedBooksEqualReloadedBooks executes invoices, payments (one
// leaving a credit balance), a period close, a command the closed period
// rejects and a replay, and checks after each that the books the
// Commander keeps for the debtor equal the books loaded afresh from the
// stored events, and that the results are the uncached Commander's.
func TestCachedBooksEqualReloadedBooks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cached, plain := newWorld(t), newWorld(t)
	plain.cmds = NewCommander(plain.events, plain.dir, CommanderOptions{
		Config: func(string) Config { return testConfig() }, Now: func() time.Time { return recordedAt }, CachedDebtors: -1,
	})
	late := registerInvoice("INV-4", "C-1", 500)
	late.IssueDate = date(2026, 10, 30)
	closeOctober := &ledgerv1.ClosePeriod{Tenant: tenant, IdempotencyKey: "close:2026-10", Year: 2026, Month: 10, Reason: "month end"}
	steps := []proto.Message{
		registerInvoice("INV-1", "C-1", 10000),
		registerInvoice("INV-2", "C-1", 2000),
		applyPayment("P-1", "C-1", 5000),
		closeOctober,
		late,                                   // dated in the closed October: rejected
		registerInvoice("INV-1", "C-1", 10000), // a replay
		applyPayment("P-2", "C-1", 20000),      // more than is open: a credit balance
		registerInvoice("INV-3", "C-1", 300),   // offset against the credit balance
	}
	// Everything but the Ledger's memo of live items, which reading the
	// books prunes as it goes (liveItems): deciding leaves its traces
	// there, loading does not.
	memo := cmp.FilterPath(func(p cmp.Path) bool {
		f, ok := p.Last().(cmp.StructField)
		return ok && p.Index(-2).Type() == reflect.TypeOf(Ledger{}) && (f.Name() == "live" || f.Name() == "inLive")
	}, cmp.Ignore())
	everything := cmp.Options{protocmp.Transform(), cmp.Exporter(func(reflect.Type) bool { return true }), memo}
	for i, cmd := range steps {
		name := cmd.ProtoReflect().Descriptor().Name()
		got, gotErr := cached.cmds.Execute(ctx, cmd, Meta{Actor: "user:cfo"})
		want, wantErr := plain.cmds.Execute(ctx, cmd, Meta{Actor: "user:cfo"})
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("step %d (%s): error %v, without the cache %v", i, name, gotErr, wantErr)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("step %d (%s): result (-uncached +cached):\n%s", i, name, diff)
		}
		if diff := cmp.Diff(plain.stream(t, DebtorStream(tenant, "C-1")), cached.stream(t, DebtorStream(tenant, "C-1")), protocmp.Transform()); diff != "" {
			t.Fatalf("step %d (%s): stored events (-uncached +cached):\n%s", i, name, diff)
		}
		e, ok := cached.cmds.cache.byName[DebtorStream(tenant, "C-1")]
		if _, period := cmd.(*ledgerv1.ClosePeriod); period || !ok {
			continue // the debtor's books catch up with the close at its next command
		}
		b := e.Value.(*cachedBooks)
		if b.l == nil {
			t.Errorf("step %d (%s): the books were dropped", i, name)
			continue
		}
		if diff := cmp.Diff(cached.reloaded(t, "C-1"), b.l, everything); diff != "" {
			t.Errorf("step %d (%s): cached books (-reloaded +cached):\n%s", i, name, diff)
		}
	}
}

// TestCommanderReplicasShareADebtor runs two Commanders on one store, as
// two replicas of the ledger would, and alternates commands for one
// debtor between them: each must see what the other stored, the period
// close included (it reads the events since its cached versions), so the
// answers and the stream are those of a single Commander.
func TestCommanderReplicasShareADebtor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shared, single := newWorld(t), newWorld(t)
	other := shared.commander(shared.events)
	steps := []proto.Message{
		registerInvoice("INV-1", "C-1", 10000),
		registerInvoice("INV-2", "C-1", 2000),
		applyPayment("P-1", "C-1", 12000),
		closeNovember(),
		applyPayment("P-2", "C-1", 5000), // dated in the closed November: the other replica must know
	}
	for i, cmd := range steps {
		replica := shared.cmds
		if i%2 == 1 {
			replica = other
		}
		_, err := replica.Execute(ctx, cmd, Meta{Actor: "user:cfo"})
		_, want := single.cmds.Execute(ctx, cmd, Meta{Actor: "user:cfo"})
		if (err == nil) != (want == nil) || (err != nil && err.Error() != want.Error()) {
			t.Fatalf("replica %d, step %d: %v; a single commander: %v", i%2, i, err, want)
		}
	}
	if diff := cmp.Diff(single.stream(t, DebtorStream(tenant, "C-1")), shared.stream(t, DebtorStream(tenant, "C-1")), protocmp.Transform()); diff != "" {
		t.Errorf("stored events (-single +replicas):\n%s", diff)
	}
}

// TestBooksCacheEvictsTheLeastRecentlyUsed fills a cache of two and
// checks that the debtor used longest ago goes.
func TestBooksCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := newBooksCache(2)
	for _, d := range []string{"C-1", "C-2", "C-1", "C-3"} {
		c.acquire(DebtorStream(tenant, d)).mu.Unlock()
	}
	var got []string
	for e := c.lru.Front(); e != nil; e = e.Next() {
		got = append(got, e.Value.(*cachedBooks).stream.ID)
	}
	if diff := cmp.Diff([]string{"C-3", "C-1"}, got); diff != "" {
		t.Errorf("cached debtors, most recent first (-want +got):\n%s", diff)
	}
	if _, ok := c.byName[DebtorStream(tenant, "C-2")]; ok || len(c.byName) != 2 {
		t.Errorf("index holds %d debtors, C-2 among them: %v", len(c.byName), ok)
	}
}
