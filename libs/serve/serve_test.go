package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	ledgerService  = "o2c.ledger.v1.LedgerService"
	dunningService = "o2c.dunning.v1.DunningService"
)

// running is a server started by GRPC in the background.
type running struct {
	addr   string
	cancel context.CancelFunc
	done   chan error // receives GRPC's result
}

// start serves a fresh gRPC server with h on 127.0.0.1 until the returned
// server is stopped (or the test ends).
func start(t testing.TB, h *Health, shutdownTimeout time.Duration) *running {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{addr: lis.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	srv := grpc.NewServer()
	go func() { r.done <- GRPC(ctx, lis, srv, h, shutdownTimeout) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// stop cancels the server's context and returns GRPC's result.
func (r *running) stop() error {
	r.cancel()
	err := <-r.done
	r.done <- err // for the cleanup
	return err
}

// dial connects a client to addr and closes it when the test ends.
func dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// statuses asks the health service for the status of each service ("" is
// the overall status); an unknown service reads as "NotFound".
func statuses(t testing.TB, client healthpb.HealthClient, services ...string) map[string]string {
	t.Helper()
	got := make(map[string]string, len(services))
	for _, s := range services {
		resp, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: s})
		if err != nil {
			got[s] = status.Code(err).String()
			continue
		}
		got[s] = resp.GetStatus().String()
	}
	return got
}

func TestHealthFollowsTheOwner(t *testing.T) {
	t.Parallel()
	h := NewHealth(ledgerService, dunningService)
	r := start(t, h, time.Second)
	client := healthpb.NewHealthClient(dial(t, r.addr))

	const serving, notServing = "SERVING", "NOT_SERVING"
	steps := []struct {
		name   string
		change func() error
		want   map[string]string
	}{
		{
			name:   "all start not serving",
			change: func() error { return nil },
			want:   map[string]string{"": notServing, ledgerService: notServing, dunningService: notServing},
		},
		{
			name:   "one serving is not enough overall",
			change: func() error { return h.SetServing(ledgerService) },
			want:   map[string]string{"": notServing, ledgerService: serving, dunningService: notServing},
		},
		{
			name:   "all serving",
			change: func() error { return h.SetServing(dunningService) },
			want:   map[string]string{"": serving, ledgerService: serving, dunningService: serving},
		},
		{
			name:   "one drops out",
			change: func() error { return h.SetNotServing(dunningService) },
			want:   map[string]string{"": notServing, ledgerService: serving, dunningService: notServing},
		},
		{
			name:   "empty name sets all",
			change: func() error { return h.SetServing("") },
			want:   map[string]string{"": serving, ledgerService: serving, dunningService: serving},
		},
		{
			name: "unknown service is rejected and changes nothing",
			change: func() error {
				if err := h.SetNotServing("o2c.nope.v1.Nope"); !errors.Is(err, ErrUnknownService) {
					return fmt.Errorf("SetNotServing of an unknown service = %v, want ErrUnknownService", err)
				}
				return nil
			},
			want: map[string]string{"": serving, ledgerService: serving, "o2c.nope.v1.Nope": codes.NotFound.String()},
		},
	}
	for _, step := range steps {
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got := statuses(t, client, slices.Collect(maps.Keys(step.want))...)
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: health (-want +got):\n%s", step.name, diff)
		}
	}

	if err := r.stop(); err != nil {
		t.Errorf("GRPC after cancel = %v, want nil", err)
	}
}

func TestHealthWithoutNamedServices(t *testing.T) {
	t.Parallel()
	h := NewHealth()
	r := start(t, h, time.Second)
	client := healthpb.NewHealthClient(dial(t, r.addr))

	if diff := cmp.Diff(map[string]string{"": "NOT_SERVING"}, statuses(t, client, "")); diff != "" {
		t.Errorf("before SetServing (-want +got):\n%s", diff)
	}
	if err := h.SetServing(""); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"": "SERVING"}, statuses(t, client, "")); diff != "" {
		t.Errorf("after SetServing (-want +got):\n%s", diff)
	}
}

func TestShutdownIgnoresLaterChanges(t *testing.T) {
	t.Parallel()
	h := NewHealth(ledgerService)
	if err := h.SetServing(ledgerService); err != nil {
		t.Fatal(err)
	}
	h.Shutdown()
	if err := h.SetServing(ledgerService); err != nil {
		t.Fatalf("SetServing after Shutdown = %v, want nil (ignored)", err)
	}
	r := start(t, h, time.Second)
	client := healthpb.NewHealthClient(dial(t, r.addr))
	want := map[string]string{"": "NOT_SERVING", ledgerService: "NOT_SERVING"}
	if diff := cmp.Diff(want, statuses(t, client, "", ledgerService)); diff != "" {
		t.Errorf("health after Shutdown (-want +got):\n%s", diff)
	}
}

func TestReflectionListsServices(t *testing.T) {
	t.Parallel()
	r := start(t, NewHealth(), time.Second)
	conn := dial(t, r.addr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatalf("open reflection stream: %v", err)
	}
	err = stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
	})
	if err != nil {
		t.Fatalf("send list services: %v", err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatalf("receive list services: %v", err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("close reflection stream: %v", err)
	}
	var got []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		got = append(got, s.GetName())
	}
	slices.Sort(got)
	want := []string{
		"grpc.health.v1.Health",
		"grpc.reflection.v1.ServerReflection",
		"grpc.reflection.v1alpha.ServerReflection",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed services (-want +got):\n%s", diff)
	}
}

func TestCancelReturnsNil(t *testing.T) {
	t.Parallel()
	h := NewHealth(ledgerService)
	r := start(t, h, time.Minute)
	// An idle but connected client must not hold up a graceful stop.
	client := healthpb.NewHealthClient(dial(t, r.addr))
	if _, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := r.stop(); err != nil {
		t.Errorf("GRPC after cancel = %v, want nil", err)
	}
}

func TestCancelledBeforeServing(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := GRPC(ctx, lis, grpc.NewServer(), NewHealth(), time.Second); err != nil {
		t.Errorf("GRPC with a cancelled context = %v, want nil", err)
	}
}

// TestBlockedStreamIsCut holds a health Watch stream open across shutdown:
// the stream first hears NOT_SERVING, GracefulStop cannot finish while it
// is open, so Stop cuts it at the deadline and GRPC still returns.
func TestBlockedStreamIsCut(t *testing.T) {
	t.Parallel()
	h := NewHealth(ledgerService)
	if err := h.SetServing(ledgerService); err != nil {
		t.Fatal(err)
	}
	r := start(t, h, 50*time.Millisecond)
	client := healthpb.NewHealthClient(dial(t, r.addr))

	watch, err := client.Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	first, err := watch.Recv()
	if err != nil {
		t.Fatalf("first watch update: %v", err)
	}
	if got := first.GetStatus(); got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first watch update = %v, want SERVING", got)
	}

	err = r.stop()
	if !errors.Is(err, ErrShutdownTimeout) {
		t.Errorf("GRPC with a blocked stream = %v, want ErrShutdownTimeout", err)
	}

	var seen []string
	for {
		resp, err := watch.Recv()
		if err != nil {
			if code := status.Code(err); code != codes.Unavailable && code != codes.Canceled {
				t.Errorf("watch ended with %v, want Unavailable or Canceled", err)
			}
			break
		}
		seen = append(seen, resp.GetStatus().String())
	}
	if diff := cmp.Diff([]string{"NOT_SERVING"}, seen); diff != "" {
		t.Errorf("watch updates during shutdown (-want +got):\n%s", diff)
	}
}

func TestServeFailure(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lis.Close()
	h := NewHealth(ledgerService)
	err = GRPC(context.Background(), lis, grpc.NewServer(), h, time.Second)
	if err == nil {
		t.Fatal("GRPC on a closed listener = nil, want an error")
	}
	if errors.Is(err, ErrShutdownTimeout) {
		t.Errorf("GRPC on a closed listener = %v, want a serve error", err)
	}
}

func TestRejectsBadArguments(t *testing.T) {
	t.Parallel()
	withHealth := grpc.NewServer()
	healthpb.RegisterHealthServer(withHealth, NewHealth().srv)

	tests := []struct {
		name   string
		lis    bool
		srv    *grpc.Server
		health *Health
	}{
		{name: "nil listener", lis: false, srv: grpc.NewServer(), health: NewHealth()},
		{name: "nil server", lis: true, srv: nil, health: NewHealth()},
		{name: "nil health", lis: true, srv: grpc.NewServer(), health: nil},
		{name: "health already registered", lis: true, srv: withHealth, health: NewHealth()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var lis net.Listener
			if tt.lis {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				lis = l
			}
			if err := GRPC(context.Background(), lis, tt.srv, tt.health, time.Second); err == nil {
				t.Error("GRPC = nil, want an error")
			}
		})
	}
}

func TestHealthDetailsCountTowardsNothing(t *testing.T) {
	t.Parallel()
	const detail = "o2c.ledger.projections"
	h := NewHealth(ledgerService)
	r := start(t, h, time.Second)
	client := healthpb.NewHealthClient(dial(t, r.addr))

	if err := h.SetServing(""); err != nil {
		t.Fatal(err)
	}
	if err := h.SetDetail(detail, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"": "SERVING", ledgerService: "SERVING", detail: "NOT_SERVING"}
	if diff := cmp.Diff(want, statuses(t, client, "", ledgerService, detail)); diff != "" {
		t.Errorf("detail NOT_SERVING (-want +got):\n%s", diff)
	}
	// Setting every service leaves the detail alone.
	if err := h.SetNotServing(""); err != nil {
		t.Fatal(err)
	}
	if err := h.SetDetail(detail, true); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"": "NOT_SERVING", ledgerService: "NOT_SERVING", detail: "SERVING"}
	if diff := cmp.Diff(want, statuses(t, client, "", ledgerService, detail)); diff != "" {
		t.Errorf("services NOT_SERVING, detail SERVING (-want +got):\n%s", diff)
	}
	for _, name := range []string{"", ledgerService} {
		if err := h.SetDetail(name, false); !errors.Is(err, ErrDetailName) {
			t.Errorf("SetDetail(%q) = %v, want ErrDetailName", name, err)
		}
	}
	if err := r.stop(); err != nil {
		t.Errorf("GRPC after cancel = %v, want nil", err)
	}
	if err := h.SetDetail(detail, true); err != nil {
		t.Errorf("SetDetail after Shutdown = %v, want nil (ignored)", err)
	}
}

// TestHealthOnlyServesHealthAlone serves a Health on a second, plain-text
// listener, as a kubelet probe reaches it: it reports the same statuses as
// the main server, follows changes, offers no other service (reflection
// included), and returns nil once cancelled.
func TestHealthOnlyServesHealthAlone(t *testing.T) {
	t.Parallel()
	h := NewHealth(ledgerService)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- HealthOnly(ctx, lis, h) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	conn := dial(t, lis.Addr().String())
	client := healthpb.NewHealthClient(conn)

	want := map[string]string{"": "NOT_SERVING", ledgerService: "NOT_SERVING", dunningService: "NotFound"}
	if diff := cmp.Diff(want, statuses(t, client, "", ledgerService, dunningService)); diff != "" {
		t.Errorf("before SetServing (-want +got):\n%s", diff)
	}
	if err := h.SetServing(ledgerService); err != nil {
		t.Fatal(err)
	}
	want = map[string]string{"": "SERVING", ledgerService: "SERVING"}
	if diff := cmp.Diff(want, statuses(t, client, "", ledgerService)); diff != "" {
		t.Errorf("after SetServing (-want +got):\n%s", diff)
	}
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err == nil {
		// When the server has ended the stream already, Send says io.EOF
		// and the status comes with Recv (grpc.ClientStream.SendMsg), so
		// Recv is asked whatever Send says.
		if err = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err == nil || errors.Is(err, io.EOF) {
			_, err = stream.Recv()
		}
	}
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("reflection on the health listener: %v, want Unimplemented", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("HealthOnly after cancel = %v, want nil", err)
	}
	done <- nil // for the cleanup
}

func TestHealthOnlyRejectsBadArguments(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	if err := HealthOnly(context.Background(), nil, NewHealth()); err == nil {
		t.Error("HealthOnly with a nil listener: nil error")
	}
	if err := HealthOnly(context.Background(), lis, nil); err == nil {
		t.Error("HealthOnly with a nil health: nil error")
	}
}
