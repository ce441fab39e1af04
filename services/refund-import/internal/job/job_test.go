package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/eventstore/es"
	"github.com/o2c-platform/o2c/services/refund-import/internal/refund"
	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
)

// store is an in-memory Store: decisions by key, progress by account.
type store struct {
	mu        sync.Mutex
	decided   map[string]refund.Decided
	items     map[string]*refund.Item
	completed time.Time
	reports   time.Time
	fetched   map[string]bool
	// conflicts makes the next n saves of a refund fail as decided
	// meanwhile.
	conflicts int
	saves     int
}

func newStore() *store {
	return &store{decided: map[string]refund.Decided{}, items: map[string]*refund.Item{}, fetched: map[string]bool{}}
}

func (s *store) Situations(_ context.Context, _ string, rs []refund.Refund) ([]refund.Situation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]refund.Situation, len(rs))
	for i, r := range rs {
		if d, ok := s.decided[r.Key()]; ok {
			out[i].Prior = &d
		}
		out[i].Item = s.items[r.OrderID]
		for k, d := range s.decided {
			if k != r.Key() && d.OrderID == r.OrderID {
				out[i].Others = append(out[i].Others, d)
			}
		}
	}
	return out, nil
}

func (s *store) Waiting(_ context.Context, _, order string) ([]refund.Decided, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []refund.Decided
	for _, d := range s.decided {
		if d.OrderID == order && d.State == refund.Waiting {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *store) WaitingOrders(context.Context, string) ([]string, error) { return nil, nil }

func (s *store) Progress(context.Context, string, string) (time.Time, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.completed, s.reports, nil
}

func (s *store) Completed(_ context.Context, _, _ string, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completed = before
	return nil
}

func (s *store) ReportsFetched(_ context.Context, _, _ string, since time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reports = since
	return nil
}

func (s *store) Fetched(_ context.Context, _, _, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched[id], nil
}

func (s *store) Save(_ context.Context, groups [][]Write) ([]error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	errs := make([]error, len(groups))
	for i, g := range groups {
		s.saves++
		if s.conflicts > 0 {
			s.conflicts--
			errs[i] = fmt.Errorf("append: %w", es.ErrContentMismatch)
			continue
		}
		for _, w := range g {
			if d := w.Refund; d != nil {
				if p, ok := s.decided[d.Key()]; ok && p.Version != int64(w.Expected) {
					errs[i] = es.ErrVersionConflict
					break
				}
				c := *d
				c.Version = int64(w.Expected) + int64(len(w.Events))
				s.decided[d.Key()] = c
			}
			if f := w.Fetch; f != nil {
				s.fetched[f.GetReportId()] = true
			}
		}
	}
	return errs, nil
}

// client serves pages of refunds, failing from page failAt on (0: never).
type client struct {
	pages   [][]byte
	failAt  int
	reports []spapi.Report
	docs    map[string][]byte
}

var errGone = errors.New("connection refused")

func (c *client) FinancialEvents(_ context.Context, _ spapi.Window, page func([]byte) error) error {
	for i, p := range c.pages {
		if c.failAt > 0 && i+1 >= c.failAt {
			return errGone
		}
		if err := page(p); err != nil {
			return err
		}
	}
	c.pages = nil // a later window is empty
	return nil
}

func (c *client) SettlementReports(context.Context, time.Time) ([]spapi.Report, error) {
	return c.reports, nil
}

func (c *client) ReportDocument(_ context.Context, id string) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(c.docs[id])), nil
}

type ingestion struct {
	fail  bool
	calls int
}

func (g *ingestion) Import(context.Context, string, string, []byte) (Imported, error) {
	g.calls++
	if g.fail {
		return Imported{}, errors.New("ingestion unavailable")
	}
	return Imported{ImportID: "imp-1", Status: "IMPORTED"}, nil
}

func refundPage(order, adj string) []byte {
	return []byte(`{"payload":{"FinancialEvents":{"RefundEventList":[{"AmazonOrderId":"` + order + `","PostedDate":"2026-03-02T10:00:00Z",
		"ShipmentItemAdjustmentList":[{"SellerSKU":"SKU","OrderAdjustmentItemId":"` + adj + `",
		"ItemChargeAdjustmentList":[{"ChargeType":"Principal","ChargeAmount":{"CurrencyCode":"EUR","CurrencyAmount":-10.00}}]}]}]}}}`)
}

var account = refund.SellerAccount{ID: "eu", Region: "eu", Schedule: time.Hour, Overlap: 48 * time.Hour,
	Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}

func importer(st *store, cl *client, ing Ingestion) *Importer {
	return &Importer{Store: st, Configs: map[string]refund.Config{"acme": {SellerAccounts: []refund.SellerAccount{account}}},
		Clients:   func(context.Context, string, refund.SellerAccount) (Client, error) { return cl, nil },
		Ingestion: ing, Now: func() time.Time { return time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) }}
}

// TestWindowCompletesOnlyWhenAllItsPagesAreStored: given a window of
// three pages whose third never comes (the process died), when the run
// stops, then the first two pages' refunds are stored and the window is
// not complete, so the next run reads it again; when it does, the stored
// refunds are duplicates and the rest is booked.
func TestWindowCompletesOnlyWhenAllItsPagesAreStored(t *testing.T) {
	t.Parallel()
	st := newStore()
	for _, o := range []string{"O-1", "O-2", "O-3"} {
		st.items[o] = &refund.Item{ID: "I-" + o, OrderID: o, Debtor: "mp", Currency: "EUR", Amount: 11900}
	}
	pages := [][]byte{refundPage("O-1", "A-1"), refundPage("O-2", "A-2"), refundPage("O-3", "A-3")}
	cl := &client{pages: pages, failAt: 3}
	im := importer(st, cl, nil)
	c := im.Run(context.Background(), "acme", account, time.Time{}, nil)
	if !errors.Is(c.Err, errGone) || c.New != 2 || !st.completed.IsZero() {
		t.Fatalf("first run %+v, completed %s; want two refunds stored, the failure, no window complete", c, st.completed)
	}
	cl.pages, cl.failAt = pages, 0
	c = im.Run(context.Background(), "acme", account, time.Time{}, nil)
	if c.Err != nil || c.Duplicate != 2 || c.New != 1 || st.completed.IsZero() {
		t.Fatalf("second run %+v, completed %s; want the third refund decided and the window complete", c, st.completed)
	}
	if len(st.decided) != 3 {
		t.Errorf("%d refunds stored, want 3", len(st.decided))
	}
}

// TestDecidedAgainAfterAConflict: a refund whose save is refused because
// it was decided meanwhile is loaded and decided again.
func TestDecidedAgainAfterAConflict(t *testing.T) {
	t.Parallel()
	st := newStore()
	st.items["O-1"] = &refund.Item{ID: "I-1", OrderID: "O-1", Debtor: "mp", Currency: "EUR", Amount: 11900}
	st.conflicts = 1
	im := importer(st, &client{}, nil)
	r := refund.Refund{AdjustmentID: "A-1", OrderID: "O-1", SKU: "SKU", Kind: refund.KindRefund, Source: refund.SourceAPI,
		Currency: "EUR", Amount: 1000, Posted: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)}
	var c Counts
	if err := im.Decide(context.Background(), "acme", []refund.Refund{r}, &c); err != nil {
		t.Fatal(err)
	}
	if c.New != 1 || st.saves != 2 || st.decided[r.Key()].State != refund.Booked {
		t.Errorf("counts %+v after %d saves, stored %+v; want it booked on the second save", c, st.saves, st.decided[r.Key()])
	}
}

// TestSettlementReportRememberedOnlyOnceHandedOver: a report ingestion
// could not take is not remembered, and the next run lists the reports
// from the account's start again (not from where the refunds got to) and
// hands it over.
func TestSettlementReportRememberedOnlyOnceHandedOver(t *testing.T) {
	t.Parallel()
	st := newStore()
	created := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	cl := &client{reports: []spapi.Report{{ID: "R-1", DocumentID: "D-1", Created: created}}, docs: map[string][]byte{"D-1": []byte("not a report")}}
	ing := &ingestion{fail: true}
	im := importer(st, cl, ing)
	if c := im.Run(context.Background(), "acme", account, time.Time{}, nil); c.Err == nil || c.Settlements != 0 || st.fetched["R-1"] || !st.reports.IsZero() {
		t.Fatalf("run with ingestion down: %+v, fetched %v, reports since %s; want the failure and nothing remembered", c, st.fetched, st.reports)
	}
	ing.fail = false
	if c := im.Run(context.Background(), "acme", account, time.Time{}, nil); c.Err != nil || c.Settlements != 1 || !st.fetched["R-1"] || !st.reports.Equal(created) {
		t.Fatalf("run with ingestion up: %+v, fetched %v, reports since %s; want R-1 handed over and remembered", c, st.fetched, st.reports)
	}
	if c := im.Run(context.Background(), "acme", account, time.Time{}, nil); c.Settlements != 0 || ing.calls != 2 {
		t.Errorf("third run: %+v after %d calls of ingestion; want nothing handed over again", c, ing.calls)
	}
}
