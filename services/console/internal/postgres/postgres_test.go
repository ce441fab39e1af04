package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/console/internal/postgres"
	"github.com/o2c-platform/o2c/services/console/internal/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName(postgres.Schema, postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

// TestSessions stores, reads, replaces and deletes a session as the
// console's app role; an expired one is gone.
func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner := pgtest.NewDB(t, template)
	appURL, err := database.AppURL(owner, eventstore.AppRole(postgres.Schema))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := database.Connect(ctx, appURL, postgres.Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := postgres.NewSessions(pool)
	now := time.Now().Truncate(time.Microsecond)
	sess := &web.Session{ID: "id-1", CSRF: "csrf-1", Token: "jwt", Tenant: "acme", Expires: now.Add(time.Hour),
		Principal: identity.Principal{Actor: "user:cs", Tenants: []string{"acme"}, Roles: []identity.Role{identity.CustomerService}, Via: "jwt"}}
	if err := s.Put(ctx, sess); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "id-1", now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sess, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	sess.Locale = "en"
	if err := s.Put(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "id-1", now); err != nil || got.Locale != "en" {
		t.Errorf("after replacing: %v, %v; want locale en", got, err)
	}
	if _, err := s.Get(ctx, "id-1", now.Add(2*time.Hour)); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("an expired session: %v, want ErrNoSession", err)
	}
	if _, err := s.Get(ctx, "id-1", now); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("an expired session is still there: %v", err)
	}
	if err := s.Put(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "id-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "id-1", now); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("a deleted session: %v, want ErrNoSession", err)
	}
	if _, err := s.Get(ctx, "unknown", now); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("an unknown session: %v, want ErrNoSession", err)
	}
}
