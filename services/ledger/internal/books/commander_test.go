package books

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
)

// world is a command service on the in-memory event store.
type world struct {
	events *memstore.Store
	dir    *MemoryDirectory
	cmds   *Commander
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	w := &world{events: memstore.New(func() time.Time { return recordedAt }), dir: NewMemoryDirectory()}
	w.cmds = w.commander(w.events)
	return w
}

// commander returns a Commander of w's directory on events.
func (w *world) commander(events EventStore) *Commander {
	return NewCommander(events, w.dir, CommanderOptions{
		Config: func(string) Config { return testConfig() },
		Now:    func() time.Time { return recordedAt },
	})
}

// given executes commands that must succeed.
func (w *world) given(tb testing.TB, cmds ...proto.Message) {
	tb.Helper()
	for i, c := range cmds {
		if _, err := w.cmds.Execute(context.Background(), c, Meta{Actor: "user:cfo"}); err != nil {
			tb.Fatalf("given %d (%s): %v", i, c.ProtoReflect().Descriptor().Name(), err)
		}
	}
}

// stream returns the payloads stored on s.
func (w *world) stream(tb testing.TB, s es.StreamID) []proto.Message {
	tb.Helper()
	evs, err := w.events.ReadStream(context.Background(), s, 1, 0)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]proto.Message, len(evs))
	for i, ev := range evs {
		out[i] = ev.Payload
	}
	return out
}

// books returns the books of tenant built from the periods and the
// streams of debtors, checked against their invariants.
func (w *world) books(tb testing.TB, debtors ...string) *Ledger {
	tb.Helper()
	l := New(tenant, testConfig())
	for _, s := range append([]es.StreamID{PeriodsStream(tenant)}, streamsOf(debtors)...) {
		if err := l.Apply(w.stream(tb, s)...); err != nil {
			tb.Fatalf("apply %s: %v", s, err)
		}
	}
	if err := l.Check(); err != nil {
		tb.Fatal(err)
	}
	return l
}

func streamsOf(debtors []string) []es.StreamID {
	out := make([]es.StreamID, len(debtors))
	for i, d := range debtors {
		out[i] = DebtorStream(tenant, d)
	}
	return out
}

func names(msgs []proto.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.ProtoReflect().Descriptor().Name())
	}
	return out
}

func registerInvoice(num, debtor string, net int64) *ledgerv1.RegisterInvoice {
	return &ledgerv1.RegisterInvoice{
		Tenant: tenant, IdempotencyKey: "invoice:" + num, InvoiceNumber: num, DebtorId: debtor, Currency: "EUR",
		Vat: vat19(net), Gross: eur(gross19(net)), IssueDate: date(2026, 11, 2), DueDate: date(2026, 11, 16), PaymentReference: num,
	}
}

func applyPayment(id, debtor string, amount int64) *ledgerv1.ApplyPayment {
	return &ledgerv1.ApplyPayment{
		Tenant: tenant, IdempotencyKey: "payment:" + id, PaymentId: id, DebtorId: debtor, Amount: eur(amount),
		ValueDate: date(2026, 11, 18), Iban: iban,
	}
}

func closeNovember() *ledgerv1.ClosePeriod {
	return &ledgerv1.ClosePeriod{Tenant: tenant, IdempotencyKey: "close:2026-11", Year: 2026, Month: 11, Reason: "month end"}
}

// invoiceItem returns the id of the open item invoice num opens.
func invoiceItem(num string) string {
	return (&batch{l: &Ledger{tenant: tenant}}).derive("invoice", num, "open-item")
}

func TestCommanderGivenWhenThen(t *testing.T) {
	t.Parallel()
	// Every booking that changes an invoice or a customer's balance also
	// appends the status facts it makes true (status.go).
	facts := []string{"InvoiceStatusChanged", "CustomerStatusChanged"}
	registered := []string{"CommandAccepted", "JournalEntryPosted", "OpenItemOpened", facts[0], facts[1]}
	tests := []struct {
		name  string
		given []proto.Message
		when  proto.Message
		// then lists, per stream id, the names of the events the command
		// appends there.
		then map[string][]string
		err  error
		// check looks at the books of C-1 and C-2 afterwards.
		check func(t *testing.T, l *Ledger)
	}{
		{
			name: "register invoice opens the debtor's account and item",
			when: registerInvoice("INV-1", "C-1", 10000),
			then: map[string][]string{"C-1": registered},
			check: func(t *testing.T, l *Ledger) {
				if a, ok := l.DebtorAccountOf("C-1"); !ok || a != "10000" {
					t.Errorf("account of C-1 = %q, %v; want the directory's 10000", a, ok)
				}
				if it, ok := l.Item(invoiceItem("INV-1")); !ok || it.Open() != gross19(10000) {
					t.Errorf("item of INV-1 = %+v, %v; want %d open", it, ok, gross19(10000))
				}
			},
		},
		{
			name:  "apply payment clears the invoice",
			given: []proto.Message{registerInvoice("INV-1", "C-1", 10000)},
			when:  applyPayment("P-1", "C-1", gross19(10000)),
			then:  map[string][]string{"C-1": append([]string{"CommandAccepted", "JournalEntryPosted", "OpenItemCleared"}, facts...)},
			check: func(t *testing.T, l *Ledger) {
				if it, _ := l.Item(invoiceItem("INV-1")); it.Open() != 0 {
					t.Errorf("INV-1 has %d open, want 0", it.Open())
				}
			},
		},
		{
			name:  "payment of an unknown debtor",
			when:  applyPayment("P-1", "C-9", 100),
			err:   ErrUnknownDebtor,
			check: func(*testing.T, *Ledger) {},
		},
		{
			name:  "write-off finds the debtor by its open item",
			given: []proto.Message{registerInvoice("INV-1", "C-1", 10000)},
			when: &ledgerv1.WriteOff{Tenant: tenant, IdempotencyKey: "write-off:W-1", WriteOffId: "W-1", OpenItemId: invoiceItem("INV-1"),
				Amount: eur(gross19(10000)), WriteOffDate: date(2026, 11, 19), Reason: "insolvent"},
			then: map[string][]string{"C-1": append([]string{"CommandAccepted", "JournalEntryPosted", "OpenItemCleared"}, facts...)},
		},
		{
			name: "write-off of an item nobody holds",
			when: &ledgerv1.WriteOff{Tenant: tenant, IdempotencyKey: "write-off:W-1", WriteOffId: "W-1", OpenItemId: "nothing",
				Amount: eur(1), WriteOffDate: date(2026, 11, 19)},
			err: ErrUnknownOpenItem,
		},
		{
			name: "close period",
			when: closeNovember(),
			then: map[string][]string{PeriodsStreamID: {"CommandAccepted", "PeriodClosed"}},
		},
		{
			name:  "invoice dated in a closed period",
			given: []proto.Message{closeNovember()},
			when:  registerInvoice("INV-1", "C-1", 10000),
			err:   ErrPeriodClosed,
		},
		{
			name:  "same key, other content",
			given: []proto.Message{registerInvoice("INV-1", "C-1", 10000)},
			when:  registerInvoice("INV-1", "C-1", 20000),
			err:   ErrIdempotencyConflict,
		},
		{
			name:  "merge moves the open item to the survivor",
			given: []proto.Message{registerInvoice("INV-1", "C-1", 10000), registerInvoice("INV-2", "C-2", 5000)},
			when: &ledgerv1.MergeDebtor{Tenant: tenant, IdempotencyKey: "merge:C-1", DebtorId: "C-1", IntoDebtorId: "C-2",
				MergeDate: date(2026, 11, 19), Reason: "duplicate"},
			then: map[string][]string{
				// The duplicate publishes no invoice fact for what moved
				// (the survivor does), only its customer status.
				"C-1": {"CommandAccepted", "OpenItemCleared", "JournalEntryPosted", "DebtorMerged", "CustomerStatusChanged"},
				"C-2": append([]string{"CommandAccepted", "JournalEntryPosted", "OpenItemOpened", "DebtorMerged"}, facts...),
			},
			check: func(t *testing.T, l *Ledger) {
				open := map[string]int64{}
				for _, it := range l.Items() {
					open[it.DebtorID] += it.Open()
				}
				if diff := cmp.Diff(map[string]int64{"C-1": 0, "C-2": gross19(10000) + gross19(5000)}, open); diff != "" {
					t.Errorf("open per debtor (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "not a command",
			when: &ledgerv1.JournalEntryPosted{Tenant: tenant},
			err:  ErrUnsupportedCommand,
		},
		{
			name: "no tenant",
			when: &ledgerv1.ApplyPayment{IdempotencyKey: "payment:P-1", PaymentId: "P-1", DebtorId: "C-1"},
			err:  ErrInvalidCommand,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			w.given(t, tt.given...)
			streams := []es.StreamID{PeriodsStream(tenant), DebtorStream(tenant, "C-1"), DebtorStream(tenant, "C-2")}
			before := map[string]int{}
			for _, s := range streams {
				before[s.ID] = len(w.stream(t, s))
			}
			_, err := w.cmds.Execute(context.Background(), tt.when, Meta{Actor: "user:cfo"})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Execute = %v, want %v", err, tt.err)
				}
			} else if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			got := map[string][]string{}
			for _, s := range streams {
				if evs := w.stream(t, s)[before[s.ID]:]; len(evs) > 0 {
					got[s.ID] = names(evs)
				}
			}
			if diff := cmp.Diff(tt.then, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("appended events (-want +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, w.books(t, "C-1", "C-2"))
			}
		})
	}
}

func TestCommanderReplaysTheSameKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	first, err := w.cmds.Execute(ctx, registerInvoice("INV-1", "C-1", 10000), Meta{Actor: "service:test"})
	if err != nil {
		t.Fatal(err)
	}
	stored := len(w.stream(t, DebtorStream(tenant, "C-1")))
	again, err := w.cmds.Execute(ctx, registerInvoice("INV-1", "C-1", 10000), Meta{Actor: "service:other"})
	if err != nil {
		t.Fatal(err)
	}
	want := first
	want.Replayed = true
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("replay (-want +got):\n%s", diff)
	}
	if n := len(w.stream(t, DebtorStream(tenant, "C-1"))); n != stored {
		t.Errorf("the replay stored %d events, want none", n-stored)
	}
	if len(first.EntryIDs) != 1 || len(first.OpenItemIDs) != 1 || first.OpenItemIDs[0] != invoiceItem("INV-1") {
		t.Errorf("first booking = %+v; want one entry and the invoice's item", first)
	}
}

// racingStore runs race before every Append to a debtor stream, as another
// command stored between the load and the append would.
type racingStore struct {
	*memstore.Store
	race    func(n int)
	appends int
}

func (r *racingStore) Append(ctx context.Context, s es.StreamID, v es.ExpectedVersion, evs []es.Event) ([]es.Event, error) {
	if s.Type == StreamTypeDebtor {
		r.appends++
		r.race(r.appends)
	}
	return r.Store.Append(ctx, s, v, evs)
}

// TestCommanderDecidesAgainAfterAConcurrentAppend lets another payment of
// the same invoice land between the load and the append of a payment
// without allocations: deciding again, the payment finds the invoice paid
// and becomes a credit balance instead of paying it twice.
func TestCommanderDecidesAgainAfterAConcurrentAppend(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	gross := gross19(10000)
	w.given(t, registerInvoice("INV-1", "C-1", 10000))
	racing := &racingStore{Store: w.events}
	racing.race = func(n int) {
		if n == 1 {
			if _, err := w.cmds.Execute(ctx, applyPayment("P-1", "C-1", gross), Meta{Actor: "service:other"}); err != nil {
				t.Errorf("concurrent payment: %v", err)
			}
		}
	}
	res, err := w.commander(racing).Execute(ctx, applyPayment("P-2", "C-1", gross), Meta{Actor: "service:test"})
	if err != nil || res.Replayed {
		t.Fatalf("Execute = %+v, %v; want a new booking", res, err)
	}
	if racing.appends != 2 {
		t.Errorf("%d appends, want 2 (one lost to the concurrent payment, one decided again)", racing.appends)
	}
	l := w.books(t, "C-1")
	open := map[string]int64{}
	for _, it := range l.Items() {
		open[it.Kind] += it.Open()
	}
	if diff := cmp.Diff(map[string]int64{KindInvoice: 0, KindCreditBalance: -gross}, open); diff != "" {
		t.Errorf("open per kind (-want +got):\n%s", diff)
	}
}

func TestCommanderGivesUpWhenAlwaysOvertaken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.given(t, registerInvoice("INV-1", "C-1", 10000))
	racing := &racingStore{Store: w.events}
	racing.race = func(n int) {
		if _, err := w.cmds.Execute(ctx, registerInvoice(fmt.Sprint("RACE-", n), "C-1", 100), Meta{Actor: "service:other"}); err != nil {
			t.Errorf("concurrent invoice %d: %v", n, err)
		}
	}
	_, err := w.commander(racing).Execute(ctx, applyPayment("P-1", "C-1", 100), Meta{Actor: "service:test"})
	if !errors.Is(err, ErrContended) {
		t.Errorf("Execute = %v, want ErrContended", err)
	}
	if racing.appends != maxAttempts {
		t.Errorf("%d appends, want %d", racing.appends, maxAttempts)
	}
}

// TestCommandTable checks that every command of commands.proto (every
// message with an idempotency key) has a row, and that a row's new message
// is the command it names.
func TestCommandTable(t *testing.T) {
	t.Parallel()
	fd := (*ledgerv1.ApplyPayment)(nil).ProtoReflect().Descriptor().ParentFile()
	var want []string
	for i := range fd.Messages().Len() {
		if md := fd.Messages().Get(i); md.Fields().ByName("idempotency_key") != nil {
			want = append(want, string(md.FullName()))
		}
	}
	if diff := cmp.Diff(want, CommandNames(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("commands of %s without a row (-) or rows of no command (+):\n%s", fd.Path(), diff)
	}
	for _, n := range CommandNames() {
		m, ok := NewCommand(n)
		if !ok || string(m.ProtoReflect().Descriptor().FullName()) != n {
			t.Errorf("NewCommand(%q) = %v, %v", n, m, ok)
		}
	}
	if _, ok := NewCommand("o2c.ledger.v1.JournalEntryPosted"); ok {
		t.Error("NewCommand accepts an event")
	}
}
