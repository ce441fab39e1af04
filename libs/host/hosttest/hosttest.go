// Package hosttest holds what the tests of a service's run(ctx, getenv)
// share: a template database with the service's migrations, a free
// address, polling until something holds, and the message a service's
// relay would publish for an event. Every service's main_test.go uses it
// instead of its own copies.
package hosttest

import (
	"context"
	"io/fs"
	"net"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/proto"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/eventstore/relay"
	"github.com/o2c-platform/o2c/libs/pgtest"
)

// Template is the template database of a service's schema: the event
// store's and the service's migrations, built once per test process.
func Template(schema string, migrations fs.FS) pgtest.Template {
	return pgtest.Template{
		Name: database.TemplateName(schema, migrations),
		Migrate: func(ctx context.Context, url string) error {
			_, err := database.Migrate(ctx, url, schema, migrations)
			return err
		},
	}
}

// FreeAddr returns a loopback address no one listens on right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Eventually polls f every 20 ms until it returns true, and fails the
// test naming what it waited for after 30 seconds.
func Eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Relayed returns the message service's relay publishes for payload on
// o2c.<tenant>.<service>.<event>, as stored on a new stream of
// streamType.
func Relayed(t testing.TB, tenant, service, streamType string, payload proto.Message) *nats.Msg {
	t.Helper()
	ev := eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: time.Now()}, Payload: payload}
	prepared, err := eventstore.Prepare(eventstore.StreamID{Tenant: tenant, Type: streamType, ID: uuid.NewString()}, []eventstore.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	name := string(payload.ProtoReflect().Descriptor().FullName())
	return relay.Message(bus.ServiceSubject(tenant, service, bus.EventName(name)), prepared[0])
}
