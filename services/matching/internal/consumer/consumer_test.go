package consumer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/matching/internal/queue"
)

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// TestArrival: of ingestion's bank transactions, matching decides the
// booked receipts and returns; pending ones, notifications that do not
// book and other debits it leaves alone.
func TestArrival(t *testing.T) {
	t.Parallel()
	receipt := ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT
	for _, tc := range []struct {
		name   string
		status string
		books  bool
		class  ingestionv1.BankTransactionClassification
		want   bool
	}{
		{"a booked receipt", "BOOK", true, receipt, true},
		{"an MT940 receipt (no status)", "", true, receipt, true},
		{"a return", "BOOK", true, ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RETURN, true},
		{"a pending receipt", "PDNG", false, receipt, false},
		{"a notification's detail", "BOOK", false, receipt, false},
		{"a classified debit", "BOOK", true, ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED, false},
		{"an unclassified debit", "BOOK", true, ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED, false},
	} {
		tx := &ingestionv1.BankTransactionReceived{Tenant: "acme", TransactionId: "TX-1", Amount: eur(100), Status: tc.status,
			Books: tc.books, Classification: tc.class, Remittance: "RE-1", CounterpartyId: "CP-1", EndToEndId: "E2E"}
		p, ok := Arrival(tx)
		if ok != tc.want {
			t.Errorf("%s: decided %v, want %v", tc.name, ok, tc.want)
			continue
		}
		if ok {
			want := &matchingv1.Payment{PaymentId: "TX-1", TransactionId: "TX-1", Amount: eur(100), Remittance: "RE-1",
				CounterpartyId: "CP-1", EndToEndId: "E2E"}
			if diff := cmp.Diff(want, p, protocmp.Transform()); diff != "" {
				t.Errorf("%s: payment (-want +got):\n%s", tc.name, diff)
			}
		}
	}
}

// recorder is a Decider that records its batches and answers from a
// table.
type recorder struct {
	mu      sync.Mutex
	batches [][]queue.Arrival
	fail    map[string]error
	gate    chan struct{} // when set, the first batch waits for it
}

func (r *recorder) Decide(_ context.Context, as []queue.Arrival) []error {
	if r.gate != nil {
		<-r.gate
		r.gate = nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, as)
	errs := make([]error, len(as))
	for i, a := range as {
		errs[i] = r.fail[a.Payment.GetPaymentId()]
	}
	return errs
}

// payers counts its calls.
type payers struct {
	mu    sync.Mutex
	calls [][]string
}

func (p *payers) Payers(_ context.Context, tenant string, ids []string) (map[string]queue.Payer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, append([]string(nil), ids...))
	out := map[string]queue.Payer{}
	for _, id := range ids {
		out[id] = queue.Payer{Name: "Payer " + id, IBAN: "IBAN-" + id}
	}
	return out, nil
}

// TestBatcherGathersConcurrentPayments: given the batcher busy with a
// first batch, when more handlers hand in payments meanwhile, then they go
// to the decider together, with their payers resolved by one call (a
// counterparty named twice asked once, a cached one not again), and each
// handler gets its own payment's outcome.
func TestBatcherGathersConcurrentPayments(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	dec := &recorder{gate: gate, fail: map[string]error{"TX-3": errors.New("store down")}}
	ps := &payers{}
	b := &Batcher{Desk: dec, Payers: ps, Cache: &PayerCache{TTL: time.Hour}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Run(ctx) }()
	arrive := func(id, cp string) queue.Arrival {
		return queue.Arrival{Tenant: "acme", Payment: &matchingv1.Payment{PaymentId: id, CounterpartyId: cp, Amount: eur(1)}}
	}
	first := make(chan error, 1)
	go func() { first <- b.Decide(ctx, arrive("TX-0", "CP-0")) }()
	// Wait until the first batch is with the decider.
	for {
		b.init()
		ps.mu.Lock()
		n := len(ps.calls)
		ps.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	results := make(chan [2]any, 3)
	var wg sync.WaitGroup
	for _, a := range []queue.Arrival{arrive("TX-1", "CP-1"), arrive("TX-2", "CP-1"), arrive("TX-3", "CP-0")} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- [2]any{a.Payment.GetPaymentId(), b.Decide(ctx, a)}
		}()
	}
	// The three wait in the queue while the first batch is held.
	for len(b.in) < 3 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	if err := <-first; err != nil {
		t.Fatalf("first: %v", err)
	}
	wg.Wait()
	close(results)
	for r := range results {
		id, err := r[0].(string), r[1]
		if (id == "TX-3") != (err != nil) {
			t.Errorf("%s: %v", id, err)
		}
	}
	if len(dec.batches) != 2 || len(dec.batches[1]) != 3 {
		t.Fatalf("batches %v, want the first alone and the three together", dec.batches)
	}
	if diff := cmp.Diff([][]string{{"CP-0"}, {"CP-1"}}, ps.calls); diff != "" {
		t.Errorf("payer calls (-want +got):\n%s", diff)
	}
	for _, a := range dec.batches[1] {
		if a.Payer.IBAN != "IBAN-"+a.Payment.GetCounterpartyId() {
			t.Errorf("%s decided with payer %+v", a.Payment.GetPaymentId(), a.Payer)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if err := b.Decide(context.Background(), arrive("TX-9", "")); !errors.Is(err, ErrStopped) {
		t.Errorf("after Run stopped: %v, want %v", err, ErrStopped)
	}
}

// TestBankHandlerChecksTheMessage: a message of a tenant the tenants file
// does not list is rejected as unknown_tenant, one that does not decode is
// permanent, a debit is done without a decision, a receipt is decided.
func TestBankHandlerChecksTheMessage(t *testing.T) {
	t.Parallel()
	dec := &recorder{}
	b := &Batcher{Desk: dec}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.Run(ctx) }()
	h := &Bank{Tenants: tenantstest.File(t, "acme"), Batcher: b}
	msg := func(tenant string, tx proto.Message) bus.Msg {
		t.Helper()
		ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: tx}
		prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: "bank-file", ID: "F-1"}, []eventstore.Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		m := relay.Message("o2c."+tenant+".ingestion.bank-transaction.received", prepared[0])
		return bus.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}
	}
	receipt := &ingestionv1.BankTransactionReceived{Tenant: "acme", TransactionId: "TX-1", Amount: eur(100), Books: true,
		Classification: ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_RECEIPT}
	foreign := proto.CloneOf(receipt)
	foreign.Tenant = "nosuch"
	if err := h.Handle(ctx, msg("nosuch", foreign)); fault.DetailOf(err).Code != "unknown_tenant" {
		t.Errorf("unknown tenant: %v (detail %+v)", err, fault.DetailOf(err))
	}
	bad := msg("acme", receipt)
	bad.Data = append([]byte{0xff}, bad.Data...)
	if err := h.Handle(ctx, bad); !bus.IsPermanent(err) {
		t.Errorf("altered message: %v, want permanent", err)
	}
	debit := proto.CloneOf(receipt)
	debit.Classification = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_UNCLASSIFIED
	if err := h.Handle(ctx, msg("acme", debit)); err != nil {
		t.Errorf("debit: %v", err)
	}
	if err := h.Handle(ctx, msg("acme", receipt)); err != nil {
		t.Errorf("receipt: %v", err)
	}
	if len(dec.batches) != 1 || dec.batches[0][0].Payment.GetPaymentId() != "TX-1" {
		t.Errorf("decided %v, want TX-1 alone", dec.batches)
	}
}
