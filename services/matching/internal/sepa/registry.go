package sepa

import "sync"

// Registry holds the end-to-end ids of the debits submitted and not yet
// settled, per tenant, for the engine (engine.Collections): a receipt with
// one of them clears the item it collects. It is filled from storage at
// start and by every run; safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]map[string]string
}

// Add records debits: their end-to-end ids now name their items.
func (r *Registry) Add(tenant string, ds []Debit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]map[string]string{}
	}
	t := r.m[tenant]
	if t == nil {
		t = map[string]string{}
		r.m[tenant] = t
	}
	for _, d := range ds {
		t[d.EndToEndID] = d.Item
	}
}

// Remove forgets the debits with the end-to-end ids e2es (rejected by the
// bank: no statement will show them).
func (r *Registry) Remove(tenant string, e2es []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range e2es {
		delete(r.m[tenant], e)
	}
}

// Tenant returns the tenant's view, which implements engine.Collections.
func (r *Registry) Tenant(tenant string) TenantDebits { return TenantDebits{r: r, tenant: tenant} }

// TenantDebits is one tenant's submitted debits.
type TenantDebits struct {
	r      *Registry
	tenant string
}

// Collected returns the item the debit with end-to-end id e2e collects.
func (t TenantDebits) Collected(e2e string) (string, bool) {
	t.r.mu.RLock()
	defer t.r.mu.RUnlock()
	item, ok := t.r.m[t.tenant][e2e]
	return item, ok
}
