package host

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/serve"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// Metric names of the host's background tasks.
const (
	// RetryMetric counts the transient failures after which a background
	// task was retried, with attributes "service" and "task" (the
	// projection's name, the relay's checkpoint name, or "task <n>" for
	// the n-th task registered with Go).
	RetryMetric = "o2c.host.task.retries"
	// StuckMetric is 1 for a projection that stopped on an error it cannot
	// get past and 0 for one that runs, with attributes "service" and
	// "projection".
	StuckMetric = "o2c.host.projection.stuck"
)

// ProjectionsHealth is the gRPC health detail name under which the
// service's projections are reported: SERVING while every projection runs
// (or retries a transient failure), NOT_SERVING once one is stuck. It does
// not count towards the overall status (see serve.Health.SetDetail).
func ProjectionsHealth(service string) string { return "o2c." + service + ".projections" }

// Stuck describes a projection that stopped on an error it cannot get
// past. It stays stopped until the service restarts.
type Stuck struct {
	// Projection is the projection's name (its checkpoint name).
	Projection string
	// EventID, EventType, Stream, Version and Position name the event the
	// projection failed on. EventID is uuid.Nil when the error did not
	// name one (a batch that failed as a whole, a check after a commit).
	EventID   uuid.UUID
	EventType string
	Stream    eventstore.StreamID
	Version   int64
	Position  int64
	// Permanent reports whether the error is one database.IsPermanent
	// knows cannot succeed on the same data; otherwise it is a fault a
	// restart would only meet again (a bug, a missing table).
	Permanent bool
	// Error is the error's text.
	Error string
	// Since is when the projection stopped.
	Since time.Time
}

// Stuck returns the projections that have stopped, in the order they
// stopped.
func (h *Host) Stuck() []Stuck {
	return h.ready.stuckProjections()
}

// task is a background task Serve runs.
type task struct {
	name string
	run  func(ctx context.Context) error
	// projection: an error that is not transient stops only this task.
	projection bool
}

// probeTimeout bounds one check of the database while a task waits to be
// retried.
const probeTimeout = 5 * time.Second

// supervise runs t until ctx ends, retrying transient failures as the
// package comment describes. It returns nil when ctx ends, when t returns
// nil, and when a projection is stuck; it returns t's error when t is not
// a projection and failed with an error that is not transient.
func (h *Host) supervise(ctx context.Context, t task) error {
	var (
		delay        = h.Config.RetryMin
		failingSince time.Time // zero while t is healthy
		retries      int
	)
	recovered := func() {
		h.Log.Info("background task recovered", "task", t.name, "down", time.Since(failingSince).Round(time.Millisecond), "retries", retries)
		h.ready.setFailing(t.name, false)
		failingSince, retries, delay = time.Time{}, 0, h.Config.RetryMin
	}
	// The task's series exists from the start at 0, so that it is
	// exported before the first retry.
	h.retries.Add(ctx, 0, metric.WithAttributes(attribute.String("service", h.Spec.Name), attribute.String("task", t.name)))
	for {
		err := h.runOnce(ctx, t, !failingSince.IsZero(), delay, recovered)
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			if !failingSince.IsZero() {
				recovered()
			}
			return nil
		case !transient(err):
			if !failingSince.IsZero() {
				h.ready.setFailing(t.name, false)
			}
			if t.projection {
				h.projectionStuck(ctx, t.name, err)
				return nil
			}
			return fmt.Errorf("%s: %w", t.name, err)
		}
		retries++
		h.retries.Add(ctx, 1, metric.WithAttributes(attribute.String("service", h.Spec.Name), attribute.String("task", t.name)))
		if failingSince.IsZero() {
			failingSince = time.Now()
			h.Log.Warn("background task failing, retrying with back-off", "task", t.name, "error", err)
			h.ready.setFailing(t.name, true)
		}
		for {
			if !sleep(ctx, delay) {
				return nil
			}
			delay = min(2*delay, h.Config.RetryMax)
			if h.probe(ctx) {
				break
			}
		}
	}
}

// runOnce runs t once and returns its error. When failing, it calls
// recovered once t has run for stable without returning.
func (h *Host) runOnce(ctx context.Context, t task, failing bool, stable time.Duration, recovered func()) error {
	done := make(chan error, 1)
	go func() { done <- t.run(ctx) }()
	if !failing {
		return <-done
	}
	timer := time.NewTimer(stable)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		recovered()
		return <-done
	}
}

// probe reports whether the task's dependencies answer: NATS is connected
// and the pool can ping the database.
func (h *Host) probe(ctx context.Context) bool {
	if h.NATS != nil && !h.NATS.IsConnected() {
		return false
	}
	if h.Pool == nil {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return h.Pool.Ping(ctx) == nil
}

// sleep waits for d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// natsTransient are the NATS and JetStream errors of a connection that is
// down or a server that did not answer in time.
var natsTransient = []error{
	nats.ErrTimeout, nats.ErrNoResponders, nats.ErrDisconnected, nats.ErrConnectionReconnecting,
	nats.ErrStaleConnection, nats.ErrReconnectBufExceeded,
	jetstream.ErrAsyncPublishTimeout, jetstream.ErrTooManyStalledMsgs, jetstream.ErrNoStreamResponse,
}

// transient reports whether a background task's error is worth waiting
// out: database.IsTransient, NATS unreachable or not answering, or a full
// stream refusing the relay's publish (bus.IsStreamFull) until its
// consumers catch up.
func transient(err error) bool {
	if database.IsTransient(err) || bus.IsStreamFull(err) {
		return true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	for _, target := range natsTransient {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// projectionStuck records projection name as stuck on err and reports it: one log
// line, the metric and the health detail.
func (h *Host) projectionStuck(ctx context.Context, name string, err error) {
	s := Stuck{Projection: name, Permanent: database.IsPermanent(err), Error: err.Error(), Since: time.Now().UTC()}
	var evErr *eventstore.EventError
	if errors.As(err, &evErr) {
		ev := evErr.Event
		s.EventID, s.EventType, s.Stream, s.Version, s.Position = ev.EventID, ev.Type, ev.Stream, ev.Version, ev.Position
	}
	h.ready.addStuck(s)
	h.stuck.Add(ctx, 1, h.projectionAttrs(name))
	h.Log.Error("projection stopped: it cannot apply an event; the service keeps serving without it",
		"projection", name, "event_id", s.EventID, "event_type", s.EventType, "stream", s.Stream.String(),
		"version", s.Version, "position", s.Position, "permanent", s.Permanent, "error", err)
}

// projectionAttrs are the metric attributes of projection name.
func (h *Host) projectionAttrs(name string) metric.AddOption {
	return metric.WithAttributes(attribute.String("service", h.Spec.Name), attribute.String("projection", name))
}

// newMetrics creates the instruments of RetryMetric and StuckMetric.
func newMetrics(p telemetry.Providers) (metric.Int64Counter, metric.Int64UpDownCounter, error) {
	m := telemetry.NewMeter(p, "github.com/o2c-platform/o2c/libs/host")
	retries, err := m.Counter(RetryMetric, "Transient failures after which a background task was retried.", "1")
	if err != nil {
		return nil, nil, err
	}
	stuck, err := m.UpDownCounter(StuckMetric, "1 while a projection is stopped on an error it cannot get past.", "1")
	if err != nil {
		return nil, nil, err
	}
	return retries, stuck, nil
}

// readiness turns the state of the background tasks into health: every
// status NOT_SERVING while a task is failing, the projections detail
// NOT_SERVING once a projection is stuck. Nothing is reported before
// start, which Serve calls.
type readiness struct {
	health *serve.Health
	detail string

	mu      sync.Mutex
	started bool
	failing map[string]bool // by task name
	stuck   []Stuck
}

func newReadiness(h *serve.Health, detail string) *readiness {
	return &readiness{health: h, detail: detail, failing: map[string]bool{}}
}

// start reports the current state and every change from now on.
func (r *readiness) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = true
	_ = r.health.SetDetail(LivenessHealth, true)
	r.report()
}

// setFailing records whether task name is failing.
func (r *readiness) setFailing(name string, failing bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if failing {
		r.failing[name] = true
	} else {
		delete(r.failing, name)
	}
	r.report()
}

// addStuck records a stuck projection.
func (r *readiness) addStuck(s Stuck) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stuck = append(r.stuck, s)
	r.report()
}

func (r *readiness) stuckProjections() []Stuck {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.stuck)
}

// report sets the health statuses; r.mu is held. The errors are ignored
// because they cannot occur: "" is always known, and the detail name is
// not a gRPC service name.
func (r *readiness) report() {
	if !r.started {
		return
	}
	if len(r.failing) == 0 {
		_ = r.health.SetServing("")
	} else {
		_ = r.health.SetNotServing("")
	}
	_ = r.health.SetDetail(r.detail, len(r.stuck) == 0)
}

// DependencyCheckInterval is how often a serving host checks that NATS is
// connected and PostgreSQL answers a ping; the overall health status is
// NOT_SERVING while either is not (see LivenessHealth).
const DependencyCheckInterval = 2 * time.Second

// dependenciesTask is the name under which a lost dependency counts as a
// failing task in the readiness.
const dependenciesTask = "dependencies (NATS, PostgreSQL)"

// watchDependencies checks the dependencies every DependencyCheckInterval
// until ctx ends, reporting them as a failing task while one is lost, so
// that readiness does not wait for a task to run into the outage (the
// relay of an idle service publishes nothing and would not notice NATS is
// gone). It logs one line when they are lost and one when they are back.
func (h *Host) watchDependencies(ctx context.Context) {
	lost := false
	t := time.NewTicker(DependencyCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok := h.probe(ctx)
		if ctx.Err() != nil {
			return
		}
		if ok == !lost {
			continue
		}
		lost = !ok
		if lost {
			h.Log.Warn("a dependency is unreachable; not ready until it is back", "nats_connected", h.NATS == nil || h.NATS.IsConnected())
		} else {
			h.Log.Info("dependencies reachable again; ready")
		}
		h.ready.setFailing(dependenciesTask, lost)
	}
}
