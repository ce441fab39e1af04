// Package serve runs a gRPC server for an o2c service: it adds the gRPC
// health service and server reflection, serves until the context is
// cancelled, and then shuts down in a fixed order.
//
// Shutdown order, once ctx is cancelled:
//  1. Every health status goes NOT_SERVING (Watch streams are told), so
//     load balancers stop sending new work.
//  2. GracefulStop: no new connections or RPCs; running RPCs may finish.
//  3. If they have not finished within the shutdown timeout, Stop closes
//     every connection, which cancels the RPCs still running (their
//     contexts are cancelled; handlers must honour that to return).
//
// Typical use in a service's run(ctx, getenv):
//
//	h := serve.NewHealth(ledgerv1grpc.LedgerService_ServiceDesc.ServiceName)
//	srv := grpc.NewServer(telemetry.GRPCServerOption(p))
//	ledgerv1grpc.RegisterLedgerServiceServer(srv, api)
//	// ... after the JetStream consumers are bound:
//	_ = h.SetServing(ledgerv1grpc.LedgerService_ServiceDesc.ServiceName)
//	return serve.GRPC(ctx, lis, srv, h, 10*time.Second)
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

// ErrShutdownTimeout is returned (wrapped) by [GRPC] when RPCs were still
// running at the end of the shutdown timeout and were cut by Stop. The
// server is fully stopped all the same; whether that counts as a failure
// is the caller's choice.
var ErrShutdownTimeout = errors.New("graceful shutdown timed out, remaining RPCs were cut")

// GRPC registers the health service of h and server reflection (v1 and
// v1alpha) on srv, serves srv on lis until ctx is cancelled, and then shuts
// down as described in the package comment, waiting at most
// shutdownTimeout for running RPCs (zero or less: no grace, Stop at once).
//
// Register the service's own services on srv before calling GRPC, and call
// GRPC once per server: gRPC cannot register services on a server that has
// served. GRPC fails, without serving, if srv already has a health or
// reflection service. lis is closed when GRPC returns.
//
// It returns nil after a shutdown in which running RPCs finished in time,
// an error wrapping [ErrShutdownTimeout] when they were cut, and the serve
// error when serving failed before ctx was cancelled (in which case the
// server is stopped and h shut down as well).
func GRPC(ctx context.Context, lis net.Listener, srv *grpc.Server, h *Health, shutdownTimeout time.Duration) error {
	switch {
	case lis == nil:
		return errors.New("serve gRPC: nil listener")
	case srv == nil:
		return errors.New("serve gRPC: nil server")
	case h == nil:
		return errors.New("serve gRPC: nil health")
	}
	addr := lis.Addr().String()
	for _, name := range []string{
		healthpb.Health_ServiceDesc.ServiceName,
		reflectionv1.ServerReflection_ServiceDesc.ServiceName,
		reflectionv1alpha.ServerReflection_ServiceDesc.ServiceName,
	} {
		if _, ok := srv.GetServiceInfo()[name]; ok {
			return fmt.Errorf("serve gRPC on %s: %s is already registered; serve registers it", addr, name)
		}
	}
	healthpb.RegisterHealthServer(srv, h.srv)
	reflection.Register(srv)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	select {
	case err := <-served:
		h.Shutdown()
		srv.Stop()
		if err == nil {
			return nil // someone else stopped srv
		}
		return fmt.Errorf("serve gRPC on %s: %w", addr, err)
	case <-ctx.Done():
	}

	h.Shutdown()
	forced := stop(srv, shutdownTimeout)
	if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("serve gRPC on %s: %w", addr, err)
	}
	if forced {
		return fmt.Errorf("stop gRPC server on %s after %s: %w", addr, shutdownTimeout, ErrShutdownTimeout)
	}
	return nil
}

// HealthOnly serves the health service of h, and nothing else, on lis
// until ctx is cancelled, then stops at once; lis is closed when it
// returns. It is for probes that speak neither TLS nor credentials, such
// as the kubelet's native gRPC probes, beside a server that requires both
// ([GRPC]): health is public, every other service stays behind the main
// listener. It returns nil once ctx ends, else the serve error.
func HealthOnly(ctx context.Context, lis net.Listener, h *Health) error {
	switch {
	case lis == nil:
		return errors.New("serve health: nil listener")
	case h == nil:
		return errors.New("serve health: nil health")
	}
	addr := lis.Addr().String()
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, h.srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	select {
	case err := <-served:
		srv.Stop()
		if err == nil {
			return nil
		}
		return fmt.Errorf("serve health on %s: %w", addr, err)
	case <-ctx.Done():
	}
	srv.Stop()
	if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("serve health on %s: %w", addr, err)
	}
	return nil
}

// stop stops srv gracefully, cutting it off with Stop after timeout, and
// reports whether it had to. It returns once srv is fully stopped.
func stop(srv *grpc.Server, timeout time.Duration) (forced bool) {
	if timeout <= 0 {
		srv.Stop()
		return false
	}
	graceful := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(graceful)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-graceful:
		return false
	case <-timer.C:
		srv.Stop()
		<-graceful
		return true
	}
}
