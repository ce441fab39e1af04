package anchors

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/o2c-platform/o2c/libs/eventstore"
)

// Memory is an in-memory anchor sink for tests. It stores the JSON
// encoding, as the other sinks do, so a read returns fresh copies.
type Memory struct {
	mu      sync.Mutex
	anchors map[string][][]byte
}

// NewMemory returns an empty in-memory sink.
func NewMemory() *Memory { return &Memory{anchors: map[string][][]byte{}} }

// AppendAnchor stores a after the last anchor of its service.
func (m *Memory) AppendAnchor(ctx context.Context, a *eventstore.Anchor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode anchor: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := checkNext(a, int64(len(m.anchors[a.Service]))); err != nil {
		return err
	}
	m.anchors[a.Service] = append(m.anchors[a.Service], data)
	return nil
}

// ReadAnchors calls fn with every anchor of service, oldest first.
func (m *Memory) ReadAnchors(ctx context.Context, service string, fn func(*eventstore.Anchor) error) error {
	m.mu.Lock()
	stored := m.anchors[service]
	m.mu.Unlock()
	for _, data := range stored {
		if err := ctx.Err(); err != nil {
			return err
		}
		var a eventstore.Anchor
		if err := json.Unmarshal(data, &a); err != nil {
			return err
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	return nil
}
