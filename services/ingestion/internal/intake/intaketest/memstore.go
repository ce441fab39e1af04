// Package intaketest holds an in-memory intake.Store and the contract
// suite that it and the PostgreSQL store both pass.
package intaketest

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
)

// MemStore is an intake.Store in memory. Its events are kept in append
// order; an event id appended again with the same payload is a replay,
// with another payload it is skipped and counted, as the event store does;
// both are reported in CommitResult.StoredBefore.
type MemStore struct {
	mu      sync.Mutex
	lock    sync.Mutex
	imports []intake.Record
	keys    map[string]string // tenant \x00 key -> transaction id
	txs     []tenantTx
	cps     map[string]intake.Counterparty // tenant \x00 id
	sets    map[string]bool
	events  []intake.Event
	ids     map[uuid.UUID]int

	// FailCommit, when set, is called before each Commit; an error it
	// returns fails the Commit before anything is stored, and
	// FailAfterEvents fails it after the events were appended but before
	// the rows were stored.
	FailCommit      func(*intake.Batch) error
	FailAfterEvents func(*intake.Batch) error
}

type tenantTx struct {
	tenant string
	intake.StoredTransaction
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		keys: make(map[string]string), cps: make(map[string]intake.Counterparty),
		sets: make(map[string]bool), ids: make(map[uuid.UUID]int),
	}
}

// Events returns the events appended so far, in order.
func (m *MemStore) Events() []intake.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// Lock implements intake.Store with one lock for every tenant.
func (m *MemStore) Lock(context.Context, string) (func(), error) {
	m.lock.Lock()
	return m.lock.Unlock, nil
}

// Imported implements intake.Store.
func (m *MemStore) Imported(_ context.Context, tenant, sha string) (intake.Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.imports {
		if r.Tenant == tenant && r.SHA256 == sha && r.Status == intake.Imported {
			return r, true, nil
		}
	}
	return intake.Record{}, false, nil
}

// SaveImport implements intake.Store.
func (m *MemStore) SaveImport(_ context.Context, r intake.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.Warnings = slices.Clone(r.Warnings)
	m.imports = append(m.imports, r)
	return nil
}

// Imports implements intake.Store.
func (m *MemStore) Imports(_ context.Context, tenant string, limit int, before *intake.ImportCursor) ([]intake.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []intake.Record
	for _, r := range m.imports {
		if r.Tenant == tenant {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return newer(out[i], out[j]) })
	if before != nil {
		at := intake.Record{ImportedAt: before.At, ID: before.ID}
		i := 0
		for i < len(out) && !newer(at, out[i]) {
			i++
		}
		out = out[i:]
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// newer orders records newest first, by time then id.
func newer(a, b intake.Record) bool {
	if !a.ImportedAt.Equal(b.ImportedAt) {
		return a.ImportedAt.After(b.ImportedAt)
	}
	return a.ID > b.ID
}

// Keys implements intake.Store.
func (m *MemStore) Keys(_ context.Context, tenant string, keys []string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string)
	for _, k := range keys {
		if id, ok := m.keys[tenant+"\x00"+k]; ok {
			out[k] = id
		}
	}
	return out, nil
}

// Occurrences implements intake.Store.
func (m *MemStore) Occurrences(_ context.Context, tenant, account string, fps []string) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := make(map[string]bool, len(fps))
	for _, fp := range fps {
		want[fp] = true
	}
	out := make(map[string]int)
	for _, t := range m.txs {
		if t.tenant == tenant && t.Account == account && t.Books && want[t.Fingerprint] {
			out[t.Fingerprint] = max(out[t.Fingerprint], t.Occurrence)
		}
	}
	return out, nil
}

// LinkTargets implements intake.Store.
func (m *MemStore) LinkTargets(_ context.Context, tenant, account string, keys []intake.LinkKey) (map[intake.LinkKey]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[intake.LinkKey]string)
	for _, k := range keys {
		for _, t := range m.txs {
			if t.tenant != tenant || t.Account != account || !t.Books || t.TxIndex != 1 {
				continue
			}
			if matches(k, t.StoredTransaction, false) {
				out[k] = t.ID
				break
			}
		}
	}
	return out, nil
}

// WaitingNotices implements intake.Store.
func (m *MemStore) WaitingNotices(_ context.Context, tenant, account string, keys []intake.LinkKey) (map[intake.LinkKey][]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[intake.LinkKey][]string)
	for _, k := range keys {
		for _, t := range m.txs {
			if t.tenant != tenant || t.Account != account || !t.Notice || t.DetailOf != "" {
				continue
			}
			if matches(k, t.StoredTransaction, true) {
				out[k] = append(out[k], t.ID)
			}
		}
	}
	return out, nil
}

// matches reports whether key k matches row t: by bank reference when k
// has one, else by amount, booking date and entry reference (for a notice
// row only when it has no bank reference of its own).
func matches(k intake.LinkKey, t intake.StoredTransaction, notice bool) bool {
	if k.Ref != "" {
		return t.LinkRef == k.Ref
	}
	if notice && t.LinkRef != "" {
		return false
	}
	return t.EntryRef != "" && t.EntryAmount == k.Amount && t.BookingDate == k.BookingDate && t.EntryRef == k.EntryRef
}

// SettlementKnown implements intake.Store.
func (m *MemStore) SettlementKnown(_ context.Context, tenant, marketplace, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sets[tenant+"\x00"+marketplace+"\x00"+id], nil
}

// Commit implements intake.Store.
func (m *MemStore) Commit(_ context.Context, b *intake.Batch) (intake.CommitResult, error) {
	if m.FailCommit != nil {
		if err := m.FailCommit(b); err != nil {
			return intake.CommitResult{}, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var res intake.CommitResult
	for n, ev := range b.Events {
		if i, ok := m.ids[ev.ID]; ok {
			if !proto.Equal(m.events[i].Payload, ev.Payload) || m.events[i].Actor != ev.Actor {
				res.Skipped++
			}
			res.StoredBefore = append(res.StoredBefore, n)
			continue
		}
		m.ids[ev.ID] = len(m.events)
		m.events = append(m.events, ev)
	}
	if m.FailAfterEvents != nil {
		if err := m.FailAfterEvents(b); err != nil {
			return intake.CommitResult{}, err
		}
	}
	for _, t := range b.Transactions {
		dup := false
		for _, old := range m.txs {
			if old.tenant == b.Tenant && old.ID == t.ID {
				dup = true
			}
		}
		if !dup {
			m.txs = append(m.txs, tenantTx{tenant: b.Tenant, StoredTransaction: t})
		}
	}
	for _, k := range b.Keys {
		if _, ok := m.keys[b.Tenant+"\x00"+k.Key]; !ok {
			m.keys[b.Tenant+"\x00"+k.Key] = k.TransactionID
		}
	}
	for _, l := range b.Links {
		for i := range m.txs {
			if m.txs[i].tenant == b.Tenant && m.txs[i].ID == l.Notice && m.txs[i].DetailOf == "" {
				m.txs[i].DetailOf = l.DetailOf
			}
		}
	}
	for _, c := range b.Counterparties {
		if _, ok := m.cps[b.Tenant+"\x00"+c.ID]; !ok {
			m.cps[b.Tenant+"\x00"+c.ID] = c
		}
	}
	if s := b.Settlement; s != nil {
		m.sets[b.Tenant+"\x00"+s.Marketplace+"\x00"+s.ID] = true
	}
	return res, nil
}

// Counterparties implements intake.Store.
func (m *MemStore) Counterparties(_ context.Context, tenant string, ids []string) ([]intake.Counterparty, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []intake.Counterparty
	for _, id := range ids {
		if c, ok := m.cps[tenant+"\x00"+id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}
