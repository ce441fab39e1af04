package books

import (
	"context"
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/libs/eventstore/memstore"
)

// creditNoteFor is the credit note num of debtor, allocated to the item of
// invoice inv.
func creditNoteFor(num, debtor, inv string, net int64) *ledgerv1.IssueCreditNote {
	return &ledgerv1.IssueCreditNote{
		Tenant: tenant, IdempotencyKey: "credit-note:" + num, CreditNoteNumber: num, DebtorId: debtor,
		OpenItemId: invoiceItem(inv), Currency: "EUR", Vat: vat19(net), Gross: eur(gross19(net)), IssueDate: date(2026, 11, 10),
	}
}

// TestCreditNoteOfUnknownDebtorSaysWhereItsItemIs: a credit note naming a
// debtor the books do not know fails with ErrUnknownDebtor; when no debtor
// holds its invoice's item either, the error also wraps
// ErrUnknownOpenItem (the invoice is still to come, which a caller may
// wait for), and when another debtor holds it, it does not (the credit
// note names the wrong debtor). Execute and ExecuteBatch say the same.
func TestCreditNoteOfUnknownDebtorSaysWhereItsItemIs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, batched := range []bool{false, true} {
		w := newWorld(t)
		w.given(t, registerInvoice("INV-1", "C-1", 10000))
		for _, tc := range []struct {
			name        string
			cmd         *ledgerv1.IssueCreditNote
			itemUnknown bool
		}{
			{"invoice not booked", creditNoteFor("GS-1", "C-9", "INV-9", 100), true},
			{"invoice booked on another debtor", creditNoteFor("GS-2", "C-9", "INV-1", 100), false},
		} {
			var err error
			if batched {
				_, errs := w.cmds.ExecuteBatch(ctx, []Command{{Msg: tc.cmd, Meta: Meta{Actor: "service:ledger"}}})
				err = errs[0]
			} else {
				_, err = w.cmds.Execute(ctx, tc.cmd, Meta{Actor: "service:ledger"})
			}
			if !errors.Is(err, ErrUnknownDebtor) {
				t.Errorf("batched %v, %s: error %v, want ErrUnknownDebtor", batched, tc.name, err)
			}
			if got := errors.Is(err, ErrUnknownOpenItem); got != tc.itemUnknown {
				t.Errorf("batched %v, %s: error %v wraps ErrUnknownOpenItem: %v, want %v", batched, tc.name, err, got, tc.itemUnknown)
			}
		}
	}
}

// unreachable is a store that fails every append to stream for a passing
// reason (a lost connection) while down is set, as PostgreSQL fails the
// groups of a batch and their retries while it restarts.
type unreachable struct {
	*memstore.Store
	stream es.StreamID
	down   bool
}

var errConnectionLost = errors.New("connection lost")

func (s *unreachable) Append(ctx context.Context, st es.StreamID, v es.ExpectedVersion, evs []es.Event) ([]es.Event, error) {
	if s.down && st == s.stream {
		return nil, errConnectionLost
	}
	return s.Store.Append(ctx, st, v, evs)
}

func (s *unreachable) AppendBatch(ctx context.Context, groups []es.AppendGroup) ([]es.GroupResult, error) {
	res := make([]es.GroupResult, len(groups))
	var rest []es.AppendGroup
	var at []int
	for i, g := range groups {
		if s.down && slices.ContainsFunc(g, func(a es.StreamAppend) bool { return a.Stream == s.stream }) {
			res[i].Err = errConnectionLost
			continue
		}
		rest, at = append(rest, g), append(at, i)
	}
	stored, err := s.Store.AppendBatch(ctx, rest)
	if err != nil {
		return nil, err
	}
	for k, i := range at {
		res[i] = stored[k]
	}
	return res, nil
}

// TestCreditNoteAfterFailedInvoiceOfNewDebtorWaits: given a batch with a
// new debtor's invoice and then its credit note, when the invoice's
// appends fail for a passing reason (in the batch and alone), then the invoice fails with that
// error and the credit note, executed again alone on books without the
// debtor, fails as one whose item is not booked (which the consumer waits
// for), not only as one of an unknown debtor (which it would reject for
// good); executed again after the invoice, it is booked.
func TestCreditNoteAfterFailedInvoiceOfNewDebtorWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	cmds := []proto.Message{registerInvoice("INV-2", "C-2", 2000), creditNoteFor("GS-2", "C-2", "INV-2", 500)}
	batch := make([]Command, len(cmds))
	for i, c := range cmds {
		batch[i] = Command{Msg: c, Meta: Meta{Actor: "service:ledger"}}
	}
	store := &unreachable{Store: w.events, stream: DebtorStream(tenant, "C-2"), down: true}
	w.cmds = w.commander(store)
	_, errs := w.cmds.ExecuteBatch(ctx, batch)
	if !errors.Is(errs[0], errConnectionLost) {
		t.Fatalf("invoice: error %v, want the lost connection", errs[0])
	}
	if !errors.Is(errs[1], ErrUnknownOpenItem) {
		t.Fatalf("credit note: error %v, want one wrapping ErrUnknownOpenItem", errs[1])
	}
	store.down = false
	_, errs = w.cmds.ExecuteBatch(ctx, batch)
	for i, err := range errs {
		if err != nil {
			t.Errorf("again, command %d: %v", i, err)
		}
	}
	if it, ok := w.books(t, "C-2").Item(invoiceItem("INV-2")); !ok || it.Open() != gross19(2000)-gross19(500) {
		t.Errorf("item of INV-2 = %+v, %v; want %d open", it, ok, gross19(2000)-gross19(500))
	}
}
