package spapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/o2c-platform/o2c/services/refund-import/internal/spapi"
	"github.com/o2c-platform/o2c/services/refund-import/spapifake"
)

// clock is a manual clock shared by a client and a fake server: Sleep
// advances it instead of waiting, and records what was asked.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newClock() *clock { return &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.sleeps = append(c.sleeps, d)
		c.t = c.t.Add(d)
	}
	return ctx.Err()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// audit collects the exchanges a client hands to Config.Audit.
type audit struct {
	mu   sync.Mutex
	list []spapi.Exchange
}

func (a *audit) Record(_ context.Context, e spapi.Exchange) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.list = append(a.list, e)
	return nil
}

func (a *audit) Exchanges() []spapi.Exchange {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]spapi.Exchange(nil), a.list...)
}

// fixture is a fake server started over real HTTP and a client of it, both
// on one manual clock.
type fixture struct {
	srv    *spapifake.Server
	url    string
	clock  *clock
	audit  *audit
	client *spapi.Client
}

// setup starts a fake server with opt (its clock replaced) and a client
// with cfg completed to talk to it; cfg's Limits stay as given (nil:
// Amazon's).
func setup(tb testing.TB, opt spapifake.Options, cfg spapi.Config) *fixture {
	tb.Helper()
	f := &fixture{clock: newClock(), audit: &audit{}}
	opt.Now = f.clock.Now
	f.srv = spapifake.New(opt)
	url, stop := f.srv.Start()
	tb.Cleanup(stop)
	f.url = url
	cfg.Endpoint, cfg.TokenURL = url, url+"/auth/o2/token"
	if cfg.Credentials == (spapi.Credentials{}) {
		cfg.Credentials = f.srv.Credentials()
	}
	cfg.Now, cfg.Sleep = f.clock.Now, f.clock.Sleep
	if cfg.Audit == nil {
		cfg.Audit = f.audit.Record
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	c, err := spapi.New(cfg)
	if err != nil {
		tb.Fatalf("spapi.New: %v", err)
	}
	f.client = c
	return f
}
