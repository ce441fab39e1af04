package telemetry

import (
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"google.golang.org/grpc"
)

// GRPCServerOption returns the server option that installs the otelgrpc
// stats handler bound to p: a server span per RPC (child of the caller's
// trace context, read from the gRPC metadata through p.Propagator) and the
// rpc.server.* metrics on p.Meter. opts are applied after the providers, so
// they can add filters or attributes.
func GRPCServerOption(p Providers, opts ...otelgrpc.Option) grpc.ServerOption {
	return grpc.StatsHandler(otelgrpc.NewServerHandler(grpcOptions(p, opts)...))
}

// GRPCDialOption returns the dial option that installs the otelgrpc stats
// handler bound to p: a client span per RPC whose context is sent to the
// server in the gRPC metadata through p.Propagator, and the rpc.client.*
// metrics on p.Meter. opts are applied after the providers.
func GRPCDialOption(p Providers, opts ...otelgrpc.Option) grpc.DialOption {
	return grpc.WithStatsHandler(otelgrpc.NewClientHandler(grpcOptions(p, opts)...))
}

// WithoutHealthChecks is an otelgrpc option for [GRPCServerOption] that
// leaves out the calls of the gRPC health service (grpc.health.v1.Health),
// which load balancers and orchestrators make every few seconds.
func WithoutHealthChecks() otelgrpc.Option {
	return otelgrpc.WithFilter(filters.Not(filters.HealthCheck()))
}

// grpcOptions binds otelgrpc to the providers of p, then applies opts.
func grpcOptions(p Providers, opts []otelgrpc.Option) []otelgrpc.Option {
	p = p.withDefaults()
	all := []otelgrpc.Option{
		otelgrpc.WithTracerProvider(p.Tracer),
		otelgrpc.WithMeterProvider(p.Meter),
		otelgrpc.WithPropagators(p.Propagator),
	}
	return append(all, opts...)
}
