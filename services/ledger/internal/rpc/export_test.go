package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	extf "github.com/o2c-platform/o2c/libs/formats/datev"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/datev"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// exportStore is an in-memory ExportStore: entries with their recorded
// times, and the months closed.
type exportStore struct {
	entries  []datev.Entry
	recorded []time.Time
	closed   map[datev.Period]time.Time
}

func (s *exportStore) PeriodState(_ context.Context, _ string, year int, month time.Month) (bool, time.Time, error) {
	at, ok := s.closed[datev.Period{Year: year, Month: month}]
	return ok, at, nil
}

func (s *exportStore) ExportEntries(_ context.Context, _ string, from, to, knownAt time.Time, yield func(datev.Entry) error) error {
	for i, e := range s.entries {
		if e.Date.Before(from) || e.Date.After(to) || s.recorded[i].After(knownAt) {
			continue
		}
		if err := yield(e); err != nil {
			return err
		}
	}
	return nil
}

// exportStream collects what ExportDATEV sends.
type exportStream struct {
	grpc.ServerStream
	got []*ledgerv1.ExportDATEVResponse
}

func (s *exportStream) Context() context.Context { return context.Background() }

func (s *exportStream) Send(m *ledgerv1.ExportDATEVResponse) error {
	s.got = append(s.got, m)
	return nil
}

// files joins the chunks per file, checking that each file's chunks come
// together and end with end_of_file.
func (s *exportStream) files(tb testing.TB) (names []string, data map[string][]byte) {
	tb.Helper()
	data = map[string][]byte{}
	for i, m := range s.got {
		if len(names) == 0 || names[len(names)-1] != m.GetFileName() {
			if len(names) > 0 && !s.got[i-1].GetEndOfFile() {
				tb.Errorf("%s ends without end_of_file", names[len(names)-1])
			}
			if _, seen := data[m.GetFileName()]; seen {
				tb.Errorf("%s comes twice", m.GetFileName())
			}
			names = append(names, m.GetFileName())
		}
		data[m.GetFileName()] = append(data[m.GetFileName()], m.GetData()...)
	}
	if len(s.got) > 0 && !s.got[len(s.got)-1].GetEndOfFile() {
		tb.Errorf("the last file ends without end_of_file")
	}
	return names, data
}

func newExportService(tb testing.TB, store *exportStore, now time.Time) *ExportService {
	tb.Helper()
	return &ExportService{
		Store:   store,
		Tenants: tenantstest.File(tb, "acme", "beta"),
		Config: func(tenant string) (datev.Config, error) {
			if tenant != "acme" {
				return datev.Config{}, datev.ErrNotConfigured
			}
			return datev.ConfigOf([]byte(`{"datev": {"consultant": 29098, "client": 55003}}`), "tenants.acme.reports", books.Chart{})
		},
		Now: func() time.Time { return now },
	}
}

// octoberStore holds n invoices of October 2026 recorded on 1 November,
// and one late invoice recorded on 10 November.
func octoberStore(n int) *exportStore {
	s := &exportStore{closed: map[datev.Period]time.Time{}}
	add := func(doc string, d int, amount int64, recorded time.Time) {
		s.entries = append(s.entries, datev.Entry{ID: doc, Date: time.Date(2026, 10, d, 0, 0, 0, 0, time.UTC), Document: doc, Lines: []datev.Line{
			{Account: fmt.Sprint(10000 + len(s.entries)%50), DebtorID: fmt.Sprintf("K-%d", len(s.entries)%50), Currency: "EUR", Minor: amount + amount*19/100},
			{Account: "8400", Currency: "EUR", Minor: -amount, TaxKey: "3"},
			{Account: "1776", Currency: "EUR", Minor: -amount * 19 / 100},
		}})
		s.recorded = append(s.recorded, recorded)
	}
	for i := range n {
		add(fmt.Sprintf("RE-%05d", i), 1+i%31, 100*int64(1+i%97), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	}
	add("RE-LATE", 31, 10000, time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC))
	return s
}

func TestExportDATEVClosedPeriodSameBytes(t *testing.T) {
	t.Parallel()
	store := octoberStore(3000) // more than one chunk of 256 KiB
	closedAt := time.Date(2026, 11, 5, 8, 0, 0, 0, time.UTC)
	store.closed[datev.Period{Year: 2026, Month: time.October}] = closedAt
	req := &ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: 10}

	export := func(now time.Time) ([]string, map[string][]byte, *exportStream) {
		st := &exportStream{}
		if err := newExportService(t, store, now).ExportDATEV(req, st); err != nil {
			t.Fatal(err)
		}
		names, data := st.files(t)
		return names, data, st
	}
	names, first, st := export(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC))
	if diff := cmp.Diff([]string{"EXTF_Buchungsstapel_2026-10.csv", "EXTF_Debitoren_2026-10.csv"}, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(st.got) < 3 {
		t.Errorf("%d chunks; the Buchungsstapel of 3,000 invoices should take more than one", len(st.got))
	}
	for _, m := range st.got {
		if !m.GetPeriodClosed() || !m.GetKnownAt().AsTime().Equal(closedAt) || len(m.GetData()) > exportChunk {
			t.Fatalf("chunk %s: closed %v, known_at %s, %d bytes; want closed, known at the close, at most %d bytes",
				m.GetFileName(), m.GetPeriodClosed(), m.GetKnownAt().AsTime(), len(m.GetData()), exportChunk)
		}
	}
	// Exported again later: the same bytes, although "now" moved on.
	_, second, _ := export(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	for _, n := range names {
		if !bytes.Equal(first[n], second[n]) {
			t.Errorf("%s differs when a closed period is exported again", n)
		}
	}

	// The files read back: every invoice recorded by the close (the late
	// one was recorded after it), and the 50 debtors they name.
	r, err := extf.NewReader(bytes.NewReader(first[names[0]]))
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Description != "o2c 2026-10" || h.CreatedAt != "20261105080000000" {
		t.Errorf("header %+v", h)
	}
	lines := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines++
	}
	if lines != 3000 {
		t.Errorf("%d lines, want 3000", lines)
	}
	r, err = extf.NewReader(bytes.NewReader(first[names[1]]))
	if err != nil {
		t.Fatal(err)
	}
	debtors := 0
	for {
		_, err := r.NextDebtor()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		debtors++
	}
	if debtors != 50 {
		t.Errorf("%d debtors, want 50", debtors)
	}
}

func TestExportDATEVOpenPeriod(t *testing.T) {
	t.Parallel()
	store := octoberStore(10)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	count := func(req *ledgerv1.ExportDATEVRequest) (int, *ledgerv1.ExportDATEVResponse) {
		st := &exportStream{}
		if err := newExportService(t, store, now).ExportDATEV(req, st); err != nil {
			t.Fatal(err)
		}
		names, data := st.files(t)
		r, err := extf.NewReader(bytes.NewReader(data[names[0]]))
		if err != nil {
			t.Fatal(err)
		}
		if r.Header().Description != "o2c 2026-10 vorläufig" {
			t.Errorf("an open period's Bezeichnung is %q", r.Header().Description)
		}
		n := 0
		for {
			if _, err := r.Next(); err == io.EOF {
				return n, st.got[0]
			} else if err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	n, first := count(&ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: 10})
	if n != 11 || first.GetPeriodClosed() || !first.GetKnownAt().AsTime().Equal(now) {
		t.Errorf("now: %d lines, closed %v, known at %s; want 11, open, now", n, first.GetPeriodClosed(), first.GetKnownAt().AsTime())
	}
	// As known on 5 November: without the late invoice.
	n, first = count(&ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: 10, KnownAt: timestamppb.New(time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))})
	if n != 10 || first.GetPeriodClosed() {
		t.Errorf("known at 5 November: %d lines, closed %v; want 10, open", n, first.GetPeriodClosed())
	}
}

func TestExportDATEVRefuses(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		req  *ledgerv1.ExportDATEVRequest
		want error
	}{
		{"unknown tenant", &ledgerv1.ExportDATEVRequest{Tenant: "nobody", Year: 2026, Month: 10}, tenants.ErrUnknownTenant},
		{"month 0", &ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026}, datev.ErrInvalidPeriod},
		{"known_at in the future", &ledgerv1.ExportDATEVRequest{Tenant: "acme", Year: 2026, Month: 10, KnownAt: timestamppb.New(now.Add(time.Hour))}, postgres.ErrInvalidQuery},
		{"no DATEV settings", &ledgerv1.ExportDATEVRequest{Tenant: "beta", Year: 2026, Month: 10}, datev.ErrNotConfigured},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &exportStream{}
			err := newExportService(t, octoberStore(1), now).ExportDATEV(tc.req, st)
			if !errors.Is(err, tc.want) {
				t.Errorf("ExportDATEV = %v, want %v", err, tc.want)
			}
			if len(st.got) != 0 {
				t.Errorf("%d chunks sent before the refusal", len(st.got))
			}
		})
	}
}
