// Package browsertest drives the console in a real headless Chromium
// (chromedp) against the whole system started in one process (the demo's
// System with its console and development login). The system is started
// once per test binary (Shared) and stopped by Main; each test opens its
// own browser context (cookies of its own), signs in as one of the demo
// users, and writes a screenshot of each page it visits into its output
// folder (Page.Shot).
//
// Chromium: Debian's chromium package (`.ci/run` installs it when it is
// missing), found as chromium, chromium-browser or google-chrome on PATH
// or at $CHROMIUM; run as root it gets --no-sandbox. Without it the tests
// skip, and fail under CI=true.
//
// Screenshots go to $O2C_TEST_OUTPUT/<test>/ when that is set, else to
// the test's artifact directory (t.ArtifactDir: kept under -outputdir
// with `go test -artifacts`, a temporary folder otherwise).
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
)

// OutputEnv names the folder screenshots go to (one subfolder per test).
const OutputEnv = "O2C_TEST_OUTPUT"

// Env is the running system and the browser.
type Env struct {
	// Sys is the whole system; Sys.ConsoleURL the console.
	Sys *demo.System
	// browser is the Chromium every test opens its contexts in.
	browser context.Context
	stop    func()
}

var shared struct {
	once sync.Once
	env  *Env
	err  error
	skip string
}

// Shared returns the system and browser of this test binary, starting
// them on first use: the demo's system on a fresh database with the
// console scenario (demo.ConsoleScenario) and the refunds to review
// (demo.RefundReviewScenario), and Chromium. It skips the
// test without Chromium (fails with CI set) and under -short.
func Shared(t *testing.T) *Env {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: starts every service, PostgreSQL, NATS and Chromium")
	}
	shared.once.Do(func() {
		path, err := chromium()
		if err != nil {
			shared.skip = err.Error()
			return
		}
		shared.env, shared.err = start(path)
	})
	if shared.skip != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set and %s: .ci/run installs Debian's chromium", shared.skip)
		}
		t.Skip(shared.skip)
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.env
}

// Main runs the tests and stops the shared system: call it from the
// package's TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if shared.env != nil {
		shared.env.stop()
	}
	return code
}

// chromium finds the browser.
func chromium() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install chromium)")
}

// start starts the system, the scenario and the browser.
func start(chromiumPath string) (*Env, error) {
	ctx := context.Background()
	logs := &syncBuffer{}
	// A throwaway PostgreSQL cluster of its own: the system outlives
	// every single test, so no test's database (pgtest.NewDB) can hold it.
	sys, err := demo.Start(ctx, demo.Options{Log: logs})
	if err != nil {
		return nil, fmt.Errorf("start the system: %w\n%s", err, logs.String())
	}
	stopDB := func() {}
	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := demo.ConsoleScenario(sctx, sys); err != nil {
		_ = sys.Stop()
		stopDB()
		return nil, fmt.Errorf("console scenario: %w\n%s", err, logs.String())
	}
	if err := demo.RefundReviewScenario(sctx, sys); err != nil {
		_ = sys.Stop()
		stopDB()
		return nil, fmt.Errorf("refund review scenario: %w\n%s", err, logs.String())
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath), chromedp.WindowSize(1280, 1000))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(browser); err != nil {
		cancelBrowser()
		cancelAlloc()
		_ = sys.Stop()
		stopDB()
		return nil, fmt.Errorf("start chromium %s: %w", chromiumPath, err)
	}
	return &Env{Sys: sys, browser: browser, stop: func() {
		cancelBrowser()
		cancelAlloc()
		_ = sys.Stop()
		stopDB()
	}}, nil
}

// Page is one browser context (its own cookies) of a test.
type Page struct {
	t   *testing.T
	ctx context.Context
	env *Env
	dir string
	n   int
}

// Open opens a fresh browser context for t; it is closed when t ends.
func (e *Env) Open(t *testing.T) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancel() })
	dir := t.ArtifactDir()
	if out := os.Getenv(OutputEnv); out != "" {
		dir = filepath.Join(out, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &Page{t: t, ctx: ctx, env: e, dir: dir}
}

// Do runs chromedp actions, failing the test on error with what.
func (p *Page) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// Go navigates to path on the console and waits for its main element.
func (p *Page) Go(path string) {
	p.t.Helper()
	p.Do("open "+path, chromedp.Navigate(p.env.Sys.ConsoleURL+path), chromedp.WaitVisible(chromedp.CSS("main")))
}

// Login signs in with the development login as user (password "demo")
// and waits for the signed-in page.
func (p *Page) Login(user string) {
	p.t.Helper()
	p.Go("/login")
	p.Shot("login")
	p.Do("fill the sign-in", chromedp.SendKeys(chromedp.CSS("#user"), user), chromedp.SendKeys(chromedp.CSS("#password"), "demo"))
	p.Navigating("sign in as "+user, chromedp.Submit(chromedp.CSS("#password")))
	p.Do("signed in as "+user, chromedp.WaitVisible(chromedp.CSS(`[data-testid="actor"]`)))
}

// Submit submits the form of the element sel selects and waits until
// the next page has loaded.
func (p *Page) Submit(sel string) {
	p.t.Helper()
	p.Navigating("submit "+sel, chromedp.Submit(chromedp.CSS(sel)))
}

// Navigating runs actions that make the browser load another page and
// waits until it has: the page marked before is gone, the new one is
// complete and shows its main element. (Waiting for an element alone
// could find it on the old page while the new one loads.)
func (p *Page) Navigating(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`window.o2cOldPage = true`)); err != nil {
		p.t.Fatalf("%s: mark the page: %v", what, err)
	}
	p.Do(what, actions...)
	for {
		// Evaluating fails while the old page's context goes away: try
		// again until the new page answers or the test's time is up.
		done, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`window.o2cOldPage === undefined && document.readyState === "complete"`))
		if err == nil && done {
			break
		}
		if p.ctx.Err() != nil {
			p.t.Fatalf("%s: the next page did not load: %v", what, p.ctx.Err())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Do(what+": wait for the page", chromedp.WaitVisible(chromedp.CSS("main")))
}

// Text returns the text of the first element sel selects.
func (p *Page) Text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// Count returns how many elements sel selects, without waiting for any.
func (p *Page) Count(sel string) int {
	p.t.Helper()
	return Eval[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// Eval evaluates a JavaScript expression on p, awaiting a promise.
func Eval[T any](p *Page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// Shot writes a full-page screenshot as NN-name.png into the test's
// output folder.
func (p *Page) Shot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	p.n++
	path := filepath.Join(p.dir, fmt.Sprintf("%02d-%s.png", p.n, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", path)
}

// syncBuffer collects the services' logs from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
