package books

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
)

// TestExecuteBatchEqualsOneAtATime: given a batch of invoices, payments,
// replays, a reused key, a period close and a payment the close rejects,
// for two debtors, when it is executed as one batch, then every command's
// result and error and every stream equal those of executing the commands
// one at a time, and the commands decided together were stored with few
// AppendBatch calls.
func TestExecuteBatchEqualsOneAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	batched, single := newWorld(t), newWorld(t)
	counting := &countingStore{Store: batched.events}
	batched.cmds = batched.commander(counting)
	changed := registerInvoice("INV-1", "C-1", 999)
	steps := []proto.Message{
		registerInvoice("INV-1", "C-1", 10000),
		registerInvoice("INV-2", "C-2", 2000),
		registerInvoice("INV-3", "C-1", 500),
		applyPayment("P-1", "C-1", 5000),
		writeOffCmd("W-1", "INV-3", 200),       // found by the route INV-3 records in this batch
		registerInvoice("INV-1", "C-1", 10000), // a replay of the first
		changed,                                // the first's key with other content
		applyPayment("P-2", "C-2", 1000),
		closeNovember(),
		applyPayment("P-3", "C-1", 100),      // dated in the closed November
		registerInvoice("INV-4", "C-2", 700), // dated in the closed November too
		applyPayment("P-1", "C-1", 5000),     // a replay of a payment of this batch
	}
	cmds := make([]Command, len(steps))
	for i, s := range steps {
		cmds[i] = Command{Msg: s, Meta: Meta{Actor: "user:cfo"}}
	}
	results, errs := batched.cmds.ExecuteBatch(ctx, cmds)
	for i, s := range steps {
		name := s.ProtoReflect().Descriptor().Name()
		want, wantErr := single.cmds.Execute(ctx, s, Meta{Actor: "user:cfo"})
		if fmt.Sprint(errs[i]) != fmt.Sprint(wantErr) {
			t.Errorf("step %d (%s): error %v, one at a time %v", i, name, errs[i], wantErr)
		}
		if diff := cmp.Diff(want, results[i]); diff != "" {
			t.Errorf("step %d (%s): result (-one at a time +batch):\n%s", i, name, diff)
		}
	}
	for _, s := range []es.StreamID{DebtorStream(tenant, "C-1"), DebtorStream(tenant, "C-2"), PeriodsStream(tenant)} {
		if diff := cmp.Diff(single.stream(t, s), batched.stream(t, s), protocmp.Transform()); diff != "" {
			t.Errorf("%s (-one at a time +batch):\n%s", s, diff)
		}
	}
	t.Logf("%d AppendBatch calls, %d Append calls", counting.batches, counting.appends)
	if counting.batches == 0 || counting.batches > 4 || counting.appends > 2 {
		t.Errorf("%d AppendBatch and %d Append calls; want the commands before and after the replay and the close stored together",
			counting.batches, counting.appends)
	}
	for _, d := range []string{"C-1", "C-2"} {
		routes := batched.dir.routes
		for _, it := range batched.books(t, d).Items() {
			if routes[routeKey{tenant, RouteItem, it.ID}] != d {
				t.Errorf("open item %s of %s has no route", it.ID, d)
			}
		}
	}
}

// writeOffCmd writes amount of invoice num's item off.
func writeOffCmd(id, num string, amount int64) *ledgerv1.WriteOff {
	return &ledgerv1.WriteOff{Tenant: tenant, IdempotencyKey: "write-off:" + id, WriteOffId: id, OpenItemId: invoiceItem(num),
		Amount: eur(amount), WriteOffDate: date(2026, 11, 19), Reason: "insolvent"}
}

// countingStore counts the calls that store events and runs before (when
// set) before each AppendBatch.
type countingStore struct {
	*memstore.Store
	batches, appends int
	before           func(n int)
}

func (s *countingStore) Append(ctx context.Context, st es.StreamID, v es.ExpectedVersion, evs []es.Event) ([]es.Event, error) {
	s.appends++
	return s.Store.Append(ctx, st, v, evs)
}

func (s *countingStore) AppendBatch(ctx context.Context, groups []es.AppendGroup) ([]es.GroupResult, error) {
	s.batches++
	if s.before != nil {
		s.before(s.batches)
	}
	return s.Store.AppendBatch(ctx, groups)
}

// TestExecuteBatchDecidesAgainWhenOvertaken: when another command on a
// debtor is stored between the batch's decisions and its append, the
// debtor's commands of the batch are decided again alone (the payment
// finds the invoice paid and becomes a credit balance), while the other
// debtor's command is stored with the batch.
func TestExecuteBatchDecidesAgainWhenOvertaken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	gross := gross19(10000)
	w.given(t, registerInvoice("INV-1", "C-1", 10000))
	counting := &countingStore{Store: w.events}
	counting.before = func(n int) {
		if n == 1 {
			if _, err := w.cmds.Execute(ctx, applyPayment("P-1", "C-1", gross), Meta{Actor: "service:other"}); err != nil {
				t.Errorf("concurrent payment: %v", err)
			}
		}
	}
	results, errs := w.commander(counting).ExecuteBatch(ctx, []Command{
		{Msg: applyPayment("P-2", "C-1", gross), Meta: Meta{Actor: "service:test"}},
		{Msg: registerInvoice("INV-2", "C-2", 100), Meta: Meta{Actor: "service:test"}},
	})
	for i, err := range errs {
		if err != nil || results[i].Replayed {
			t.Errorf("command %d: %+v, %v; want a new booking", i, results[i], err)
		}
	}
	open := map[string]int64{}
	for _, it := range w.books(t, "C-1").Items() {
		open[it.Kind] += it.Open()
	}
	if diff := cmp.Diff(map[string]int64{KindInvoice: 0, KindCreditBalance: -gross}, open); diff != "" {
		t.Errorf("C-1 open per kind (-want +got):\n%s", diff)
	}
	if got := names(w.stream(t, DebtorStream(tenant, "C-2"))); len(got) == 0 || counting.appends != 1 {
		t.Errorf("C-2 holds %v after %d single appends; want INV-2 stored with the batch and only P-2 appended alone", got, counting.appends)
	}
}

// TestExecuteBatchSeesWhatAnotherReplicaStored: given books of C-1 cached
// by one replica and a payment and an invoice stored for C-1 by another,
// when the first replica executes a batch with the same invoice and a
// second payment of the whole invoice, then the invoice is a replay and
// the payment pays INV-2 (INV-1 was paid) and leaves the rest as a credit
// balance, as one at a time on fresh books.
func TestExecuteBatchSeesWhatAnotherReplicaStored(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	other := w.commander(w.events)
	gross := gross19(10000)
	w.given(t, registerInvoice("INV-1", "C-1", 10000)) // cached by w.cmds
	for _, c := range []proto.Message{applyPayment("P-1", "C-1", gross), registerInvoice("INV-2", "C-1", 100)} {
		if _, err := other.Execute(ctx, c, Meta{Actor: "service:other"}); err != nil {
			t.Fatal(err)
		}
	}
	results, errs := w.cmds.ExecuteBatch(ctx, []Command{
		{Msg: registerInvoice("INV-2", "C-1", 100), Meta: Meta{Actor: "service:test"}},
		{Msg: applyPayment("P-2", "C-1", gross), Meta: Meta{Actor: "service:test"}},
	})
	if errs[0] != nil || !results[0].Replayed {
		t.Errorf("INV-2 again: %+v, %v; want a replay", results[0], errs[0])
	}
	if errs[1] != nil || results[1].Replayed {
		t.Errorf("P-2: %+v, %v; want a new booking", results[1], errs[1])
	}
	open := map[string]int64{}
	for _, it := range w.books(t, "C-1").Items() {
		open[it.Kind] += it.Open()
	}
	if diff := cmp.Diff(map[string]int64{KindInvoice: 0, KindCreditBalance: gross19(100) - gross}, open); diff != "" {
		t.Errorf("C-1 open per kind (-want +got):\n%s", diff)
	}
}
