package serve

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// ErrUnknownService is returned by [Health.SetServing] and
// [Health.SetNotServing] for a name that was not given to [NewHealth].
var ErrUnknownService = errors.New("service not registered with health")

// ErrDetailName is returned by [Health.SetDetail] for the empty name and
// for a name given to [NewHealth]: a detail must not hide a service.
var ErrDetailName = errors.New("health detail name is empty or a named service")

// Health is the serving status a process reports through the gRPC health
// service (grpc.health.v1.Health).
//
// Every service named in [NewHealth] starts NOT_SERVING and turns SERVING
// only when the owner says so, typically once its JetStream consumers are
// bound and its database is reachable. The overall status (the empty
// service name, which orchestrators probe) is SERVING exactly when every
// named service is SERVING; with no named services it follows
// SetServing("") and SetNotServing(""). [Health.Shutdown], which [GRPC]
// calls before it stops the server, turns everything NOT_SERVING for good.
//
// Details ([Health.SetDetail]) are further names whose status an operator
// can ask for but which count towards nothing: a part of the process that
// is degraded (a projection that stopped, say) while the named services
// keep serving.
//
// A Health is safe for concurrent use.
type Health struct {
	srv *health.Server

	mu       sync.Mutex
	serving  map[string]bool // by service name; "" is not in it
	overall  bool            // the overall status when serving is empty
	shutdown bool
}

// NewHealth returns a Health reporting on the named services, all
// NOT_SERVING. Names are fully qualified gRPC service names
// ("o2c.ledger.v1.LedgerService"), or any stable name a health client asks
// for; empty and repeated names are ignored.
func NewHealth(services ...string) *Health {
	h := &Health{srv: health.NewServer(), serving: make(map[string]bool, len(services))}
	for _, name := range services {
		if name == "" {
			continue
		}
		h.serving[name] = false
		h.srv.SetServingStatus(name, healthpb.HealthCheckResponse_NOT_SERVING)
	}
	h.srv.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	return h
}

// SetServing marks service SERVING; "" marks every named service (and so
// the overall status) SERVING. It returns an error wrapping
// [ErrUnknownService] for a name not given to [NewHealth]. After
// [Health.Shutdown] it does nothing.
func (h *Health) SetServing(service string) error {
	return h.set(service, true)
}

// SetNotServing marks service NOT_SERVING, and with it the overall status;
// "" marks every named service NOT_SERVING. It returns an error wrapping
// [ErrUnknownService] for a name not given to [NewHealth]. After
// [Health.Shutdown] it does nothing.
func (h *Health) SetNotServing(service string) error {
	return h.set(service, false)
}

// SetDetail reports the detail name as SERVING or NOT_SERVING. A detail is
// reported under its own name like a service, but it never changes the
// overall status or a named service's: it lets an operator see a degraded
// part of a process that keeps serving, without a load balancer taking
// the process out. It returns an error wrapping [ErrDetailName] for "" and
// for a name given to [NewHealth]. After [Health.Shutdown] it does
// nothing.
func (h *Health) SetDetail(name string, serving bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, named := h.serving[name]; named || name == "" {
		return fmt.Errorf("set health detail %q: %w", name, ErrDetailName)
	}
	if h.shutdown {
		return nil
	}
	h.srv.SetServingStatus(name, servingStatus(serving))
	return nil
}

// Shutdown marks every service and the overall status NOT_SERVING and
// ignores all later changes. Open Watch streams are sent NOT_SERVING.
func (h *Health) Shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.shutdown = true
	h.srv.Shutdown()
}

// set records the status of service and recomputes the overall status.
func (h *Health) set(service string, serving bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shutdown {
		return nil
	}
	if service == "" {
		for name := range h.serving {
			h.serving[name] = serving
			h.srv.SetServingStatus(name, servingStatus(serving))
		}
		h.overall = serving
	} else {
		if _, ok := h.serving[service]; !ok {
			return fmt.Errorf("set health of %q: %w", service, ErrUnknownService)
		}
		h.serving[service] = serving
		h.srv.SetServingStatus(service, servingStatus(serving))
	}
	h.srv.SetServingStatus("", servingStatus(h.allServing()))
	return nil
}

// allServing reports whether the overall status is SERVING. h.mu is held.
func (h *Health) allServing() bool {
	if len(h.serving) == 0 {
		return h.overall
	}
	for _, serving := range h.serving {
		if !serving {
			return false
		}
	}
	return true
}

// servingStatus maps a serving flag to the health protocol's status.
func servingStatus(serving bool) healthpb.HealthCheckResponse_ServingStatus {
	if serving {
		return healthpb.HealthCheckResponse_SERVING
	}
	return healthpb.HealthCheckResponse_NOT_SERVING
}
