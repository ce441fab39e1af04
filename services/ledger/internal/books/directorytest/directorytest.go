// Package directorytest is the contract suite of books.Directory: the
// PostgreSQL directory in package postgres and books.MemoryDirectory run
// the same tests through Run.
package directorytest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/services/ledger/internal/books"
)

// Run runs the contract suite; newDir returns an empty directory, cleaned
// up when t ends.
func Run(t *testing.T, newDir func(t testing.TB) books.Directory) {
	tests := []struct {
		name string
		fn   func(*testing.T, books.Directory)
	}{
		{"Routes", testRoutes},
		{"FirstRouteStays", testFirstRouteStays},
		{"DebtorAccounts", testDebtorAccounts},
		{"ConcurrentFirstSight", testConcurrentFirstSight},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newDir(t))
		})
	}
}

func route(tb testing.TB, d books.Directory, tenant string, kind books.RouteKind, ref string) string {
	tb.Helper()
	debtor, err := d.Route(context.Background(), tenant, kind, ref)
	if err != nil {
		tb.Fatalf("Route(%s, %s, %s): %v", tenant, kind, ref, err)
	}
	return debtor
}

func testRoutes(t *testing.T, d books.Directory) {
	ctx := context.Background()
	if err := d.SaveRoutes(ctx, nil); err != nil {
		t.Fatalf("SaveRoutes(nil) = %v", err)
	}
	if err := d.SaveRoutes(ctx, []books.Route{
		{Tenant: "acme", Kind: books.RouteItem, Ref: "item-1", DebtorID: "C-1"},
		{Tenant: "acme", Kind: books.RouteEntry, Ref: "entry-1", DebtorID: "C-2"},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tenant string
		kind   books.RouteKind
		ref    string
		want   string
	}{
		{"acme", books.RouteItem, "item-1", "C-1"},
		{"acme", books.RouteEntry, "entry-1", "C-2"},
		{"acme", books.RouteEntry, "item-1", ""},
		{"other", books.RouteItem, "item-1", ""},
		{"acme", books.RouteItem, "item-2", ""},
	}
	for _, tt := range tests {
		if got := route(t, d, tt.tenant, tt.kind, tt.ref); got != tt.want {
			t.Errorf("Route(%s, %s, %s) = %q, want %q", tt.tenant, tt.kind, tt.ref, got, tt.want)
		}
	}
}

func testFirstRouteStays(t *testing.T, d books.Directory) {
	ctx := context.Background()
	for _, debtor := range []string{"C-1", "C-2"} {
		if err := d.SaveRoutes(ctx, []books.Route{{Tenant: "acme", Kind: books.RouteItem, Ref: "item-1", DebtorID: debtor}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := route(t, d, "acme", books.RouteItem, "item-1"); got != "C-1" {
		t.Errorf("Route after saving the item's route twice = %q, want the first, C-1", got)
	}
}

func account(tb testing.TB, d books.Directory, tenant, debtor string, chart books.Chart) string {
	tb.Helper()
	a, err := d.DebtorAccount(context.Background(), tenant, debtor, chart)
	if err != nil {
		tb.Fatalf("DebtorAccount(%s, %s): %v", tenant, debtor, err)
	}
	return a
}

func testDebtorAccounts(t *testing.T, d books.Directory) {
	skr := books.Chart{}
	long := books.Chart{AccountLength: 6}
	got := []string{
		account(t, d, "acme", "C-1", skr),
		account(t, d, "acme", "C-2", skr),
		account(t, d, "acme", "C-1", skr),
		account(t, d, "other", "C-9", skr),
		account(t, d, "wide", "C-1", long),
		account(t, d, "wide", "C-2", long),
	}
	want := []string{"10000", "10001", "10000", "10000", "1000000", "1000001"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounts in order of first sight, per tenant and range (-want +got):\n%s", diff)
	}
	if _, err := d.DebtorAccount(context.Background(), "acme", "C-3", books.Chart{AccountLength: 12}); err == nil {
		t.Error("DebtorAccount with account length 12 succeeded, want an error")
	}
}

func testConcurrentFirstSight(t *testing.T, d books.Directory) {
	const n = 8
	same := make([]string, n)
	distinct := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { same[i] = account(t, d, "acme", "C-1", books.Chart{}) })
		wg.Go(func() { distinct[i] = account(t, d, "acme", fmt.Sprint("D-", i), books.Chart{}) })
	}
	wg.Wait()
	for _, a := range same {
		if a != same[0] {
			t.Fatalf("concurrent first sights of one debtor got %v, want one number", same)
		}
	}
	seen := map[string]bool{same[0]: true}
	for _, a := range distinct {
		if seen[a] {
			t.Fatalf("number %s given twice: C-1 has %s, others %v", a, same[0], distinct)
		}
		seen[a] = true
	}
}
