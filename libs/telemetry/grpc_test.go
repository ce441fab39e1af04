package telemetry

import (
	"context"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// callHealth serves the gRPC health service instrumented with serverOpts
// on 127.0.0.1, makes one Check through a client instrumented with p under
// a parent span, and stops the server (which waits for the server span to
// end). It returns the parent span.
func callHealth(t testing.TB, p Providers, serverOpts ...otelgrpc.Option) trace.Span {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(GRPCServerOption(p, serverOpts...))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()), GRPCDialOption(p))
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := p.Tracer.Tracer("test").Start(context.Background(), "ask health")
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	parent.End()
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := conn.Close(); err != nil {
		t.Errorf("close client: %v", err)
	}
	srv.GracefulStop()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
	return parent
}

func TestGRPCSpansShareTrace(t *testing.T) {
	t.Parallel()
	p, sr := recording(t)
	parent := callHealth(t, p)

	var client, server sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		switch s.SpanKind() {
		case trace.SpanKindClient:
			client = s
		case trace.SpanKindServer:
			server = s
		}
	}
	if client == nil || server == nil {
		t.Fatalf("want a client and a server span, got %d spans", len(sr.Ended()))
	}
	keys := []string{"rpc.method", "rpc.system.name"}
	want := []spanInfo{
		{Name: "grpc.health.v1.Health/Check", Kind: trace.SpanKindClient, Status: "Unset",
			Attrs: map[string]string{"rpc.method": "grpc.health.v1.Health/Check", "rpc.system.name": "grpc"}},
		{Name: "grpc.health.v1.Health/Check", Kind: trace.SpanKindServer, Status: "Unset",
			Attrs: map[string]string{"rpc.method": "grpc.health.v1.Health/Check", "rpc.system.name": "grpc"}},
	}
	if diff := cmp.Diff(want, []spanInfo{info(client, keys...), info(server, keys...)}); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	traceID := parent.SpanContext().TraceID()
	if client.SpanContext().TraceID() != traceID || server.SpanContext().TraceID() != traceID {
		t.Errorf("traces: parent %v, client %v, server %v; want one", traceID, client.SpanContext().TraceID(), server.SpanContext().TraceID())
	}
	if server.Parent().SpanID() != client.SpanContext().SpanID() || !server.Parent().IsRemote() {
		t.Error("server span is not a remote child of the client span")
	}
}

func TestGRPCWithoutHealthChecks(t *testing.T) {
	t.Parallel()
	p, sr := recording(t)
	callHealth(t, p, WithoutHealthChecks())
	for _, s := range sr.Ended() {
		if s.SpanKind() == trace.SpanKindServer {
			t.Errorf("server span %q recorded for a health check", s.Name())
		}
	}
	if n := len(sr.Ended()); n != 2 {
		t.Errorf("%d spans, want 2 (parent and client)", n)
	}
}
