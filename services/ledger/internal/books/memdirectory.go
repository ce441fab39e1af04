package books

import (
	"context"
	"fmt"
	"sync"
)

// MemoryDirectory is a Directory in memory, for tests and in-process runs:
// it passes the same contract suite (package directorytest) as the
// PostgreSQL one. The zero value is not usable; call NewMemoryDirectory.
// It is safe for concurrent use.
type MemoryDirectory struct {
	mu       sync.Mutex
	routes   map[routeKey]string
	accounts map[[2]string]string
	// seen counts the debtors numbered per tenant and account length
	// (that is, per debtor range).
	seen map[rangeKey]int64
}

type rangeKey struct {
	tenant string
	length int
}

type routeKey struct {
	tenant string
	kind   RouteKind
	ref    string
}

// NewMemoryDirectory returns an empty MemoryDirectory.
func NewMemoryDirectory() *MemoryDirectory {
	return &MemoryDirectory{routes: map[routeKey]string{}, accounts: map[[2]string]string{}, seen: map[rangeKey]int64{}}
}

// Route implements Directory.
func (d *MemoryDirectory) Route(ctx context.Context, tenant string, kind RouteKind, ref string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.routes[routeKey{tenant, kind, ref}], nil
}

// SaveRoutes implements Directory.
func (d *MemoryDirectory) SaveRoutes(ctx context.Context, routes []Route) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range routes {
		k := routeKey{r.Tenant, r.Kind, r.Ref}
		if _, ok := d.routes[k]; !ok {
			d.routes[k] = r.DebtorID
		}
	}
	return nil
}

// DebtorAccount implements Directory: debtors are numbered in order of
// first sight within the chart's debtor range.
func (d *MemoryDirectory) DebtorAccount(ctx context.Context, tenant, debtorID string, chart Chart) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.accounts[[2]string{tenant, debtorID}]; ok {
		return a, nil
	}
	k := rangeKey{tenant, chart.AccountLength}
	a, err := chart.DebtorAccountNumber(d.seen[k])
	if err != nil {
		return "", fmt.Errorf("debtor account %s: %w", debtorID, err)
	}
	d.seen[k]++
	d.accounts[[2]string{tenant, debtorID}] = a
	return a, nil
}
