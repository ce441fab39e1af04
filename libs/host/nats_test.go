package host_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// TestNATSUser starts a host as its own user on a NATS server with users:
// it declares its stream, takes replies on its own inbox, and a publish
// its user may not make is logged naming the subject. With a wrong
// password New fails naming the user.
func TestNATSUser(t *testing.T) {
	t.Parallel()
	ns, pw := natsembed.TestWith(t, natsembed.Users{Services: []natsembed.Service{{Name: service}}, ManageStreams: true})
	dbURL := pgtest.NewDB(t, template)
	config := func(password string) host.Config {
		return host.Config{
			MigrateDatabaseURL: dbURL, NATSURL: ns.ClientURL(), NATSUser: service, NATSPassword: password,
			GRPCAddr: "127.0.0.1:0", ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Mode: auth.Dev},
		}
	}
	spec := host.Spec{Name: service, Migrations: migrations, HealthServices: []string{healthName}}
	ctx := context.Background()

	if h, err := host.New(ctx, spec, config("wrong"), telemetry.Providers{}, slog.New(slog.DiscardHandler), nil); err == nil {
		h.Close()
		t.Error("New connected with a wrong password")
	} else if !strings.Contains(err.Error(), "as user "+service) || !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		t.Errorf("error %q, want an authorization violation naming user %s", err, service)
	}

	log := &logRecorder{}
	h, err := host.New(ctx, spec, config(pw[service]), telemetry.Providers{}, slog.New(log), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.JetStream.Stream(ctx, bus.ServiceStream(service)); err != nil {
		t.Errorf("own stream: %v", err)
	}
	if inbox := h.NATS.NewInbox(); !strings.HasPrefix(inbox, natsembed.InboxPrefix(service)+".") {
		t.Errorf("inbox %s, want one under %s", inbox, natsembed.InboxPrefix(service))
	}
	const forbidden = "o2c.demo.ledger.journal-entry.posted"
	if err := h.NATS.Publish(forbidden, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the violation logged", func() bool {
		for _, attrs := range log.find("NATS server reported an error") {
			if strings.Contains(attrs["err"], `Permissions Violation for Publish to "`+forbidden+`"`) {
				return true
			}
		}
		return false
	})
}
