package browsertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
)

// TestSignIn signs in with the development login: a wrong password is
// refused with a message, the right one shows the user and the roles.
func TestSignIn(t *testing.T) {
	env := Shared(t)
	p := env.Open(t)
	p.Go("/login")
	p.Do("fill the sign-in", chromedpFill("#user", "cs")...)
	p.Do("fill the password", chromedpFill("#password", "wrong")...)
	p.Submit("#password")
	if got := p.Text(".error"); got == "" {
		t.Error("a wrong password shows no message")
	}
	p.Shot("login-refused")
	p.Login("cs")
	if got := p.Text(`[data-testid="actor"]`); got != "user:cs" {
		t.Errorf("signed in as %q, want user:cs", got)
	}
	p.Shot("search")
}

// TestFindDebtorByInvoiceNumber: customer service types the invoice
// number from the customer's letter into the search and opens the
// account it belongs to.
func TestFindDebtorByInvoiceNumber(t *testing.T) {
	env := Shared(t)
	p := env.Open(t)
	p.Login("cs")
	p.Do("search", chromedpFill("#q", demo.LateInvoice)...)
	p.Submit("#q")
	if got := p.Text(`[data-testid="result"]`); got != demo.LateDebtor {
		t.Fatalf("searching %s finds %q, want %s", demo.LateInvoice, got, demo.LateDebtor)
	}
	if n := p.Count(`[data-testid="result"]`); n != 1 {
		t.Errorf("searching %s finds %d debtors, want 1", demo.LateInvoice, n)
	}
	p.Shot("search-by-invoice")
	p.Navigating("open the account", chromedpClick(`[data-testid="result"]`)...)
	if h := p.Text("h1"); !strings.Contains(h, demo.LateDebtor) || !strings.Contains(h, "Jan Schmidt") {
		t.Errorf("the account's heading is %q, want %s and Jan Schmidt", h, demo.LateDebtor)
	}
	// The statement says who booked the invoice: the shop that sent it.
	if got := p.Text(`[data-testid="statement"] tbody`); !strings.Contains(got, "shop:"+demo.Tenant) {
		t.Errorf("the statement does not name shop:%s as who booked the invoice:\n%s", demo.Tenant, got)
	}
	// The shop sent a link to its copy of the invoice: the console offers it.
	if href := Eval[string](p, `document.querySelector('[data-testid="invoice-copy"]')?.href ?? ""`); href != demo.LateInvoiceDocument {
		t.Errorf("the invoice copy links to %q, want the shop's %s", href, demo.LateInvoiceDocument)
	}
	p.Shot("account")
}

// TestDunningStopSkipsTheDebtor: customer service sets a dunning stop on
// the late payer's account in the console; the next dunning run (its gRPC
// Run, as the accountant who runs it) sends the other late payer a notice
// and this one none; the account shows the block and who set it.
func TestDunningStopSkipsTheDebtor(t *testing.T) {
	env := Shared(t)
	p := env.Open(t)
	p.Login("cs")
	p.Go("/debtors/" + demo.LateDebtor)
	if n := p.Count(`[data-testid="open-item"]`); n != 1 {
		t.Errorf("%s's account shows %d open items, want 1", demo.LateDebtor, n)
	}
	p.Shot("account-before-stop")
	p.Do("fill the stop", chromedpFill("#source", "CS-4712")...)
	p.Submit(`[data-testid="set-block"]`)
	if got := p.Text(`[data-testid="block-state"]`); !strings.Contains(got, "1") {
		t.Errorf("after the stop the block state reads %q, want one active block", got)
	}
	if got := p.Text(`[data-testid="audit"]`); !strings.Contains(got, "user:cs") {
		t.Errorf("the audit does not show user:cs setting the block:\n%s", got)
	}
	p.Shot("account-stopped")

	ctx := context.Background()
	client := dunningv1grpc.NewDunningServiceClient(env.Sys.Conn("dunning"))
	decided := runDunning(t, ctx, client, today())
	if !decided[demo.DisputingDebtor] {
		t.Fatalf("the run sent %s no notice either: it proves nothing (decisions with notices: %v)", demo.DisputingDebtor, decided)
	}
	if decided[demo.LateDebtor] {
		t.Errorf("the run sent %s a notice despite the stop", demo.LateDebtor)
	}
	ns, err := client.ListNotices(ctx, &dunningv1.ListNoticesRequest{Tenant: demo.Tenant, DebtorId: demo.LateDebtor})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns.GetNotices()) != 0 {
		t.Errorf("%s has notices %v, want none", demo.LateDebtor, ns.GetNotices())
	}
	p.Go("/debtors/" + demo.LateDebtor)
	if n := p.Count(`[data-testid="notices"] tbody tr`); n != 0 {
		t.Errorf("the console shows %d notices for %s, want none", n, demo.LateDebtor)
	}
	p.Shot("account-after-run")
	p.Go("/debtors/" + demo.DisputingDebtor)
	if n := p.Count(`[data-testid="notices"] tbody tr`); n != 1 {
		t.Errorf("the console shows %d notices for %s, want the run's one", n, demo.DisputingDebtor)
	}
	p.Shot("account-with-notice")
	// The copies: the notice dunning sent and the statement, both PDFs.
	for _, link := range []string{`[data-testid="notices"] a`, `a[href$="statement.pdf"]`} {
		got := Eval[string](p, fmt.Sprintf(`(async () => {
  const r = await fetch(document.querySelector(%q).href);
  const head = new Uint8Array(await r.arrayBuffer()).slice(0, 5);
  return r.status + " " + r.headers.get("Content-Type") + " " + String.fromCharCode(...head);
})()`, link))
		if got != "200 application/pdf %PDF-" {
			t.Errorf("the copy behind %s: %q, want 200 application/pdf %%PDF-", link, got)
		}
	}

	// The customer paid after all: customer service lifts the stop, and the
	// account says who did.
	p.Go("/debtors/" + demo.LateDebtor)
	p.Submit(`[data-testid="lift-block"]`)
	if got := p.Text(`[data-testid="block-state"]`); strings.Contains(got, "1") {
		t.Errorf("after lifting, the block state reads %q, want none active", got)
	}
	if got := p.Text(`[data-testid="blocks"]`); !strings.Contains(got, "user:cs") || !strings.Contains(got, "lifted") {
		t.Errorf("the blocks do not show the stop lifted by user:cs:\n%s", got)
	}
	p.Shot("account-stop-lifted")
}

// TestViewerCannotStopDunning: a viewer sees an account but no stop
// button, and a forged POST of the stop form (with the viewer's own valid
// session and CSRF token) is refused by dunning itself, which names the
// viewer and its role; no block is set.
func TestViewerCannotStopDunning(t *testing.T) {
	env := Shared(t)
	p := env.Open(t)
	p.Login("viewer")
	p.Go("/debtors/" + demo.DisputingDebtor)
	if n := p.Count(`[data-testid="open-item"]`); n == 0 {
		t.Error("the viewer sees no open items")
	}
	if n := p.Count(`[data-testid="block-form"], [data-testid="set-block"], [data-testid="lift-block"]`); n != 0 {
		t.Errorf("the viewer sees %d block controls, want none", n)
	}
	p.Shot("viewer-account")
	before := blocks(t, env, demo.DisputingDebtor)
	p.Navigating("forge the stop form", chromedpForge("/debtors/"+demo.DisputingDebtor+"/blocks", map[string]string{"reason": "dispute", "source": "forged"})...)
	msg := p.Text(`[data-testid="error-message"]`)
	if !strings.Contains(msg, "SetBlock") || !strings.Contains(msg, "user:viewer holds viewer") {
		t.Errorf("the forged stop was not refused by dunning for the viewer; the page says %q", msg)
	}
	if h := p.Text("h1"); !strings.Contains(h, "403") {
		t.Errorf("the refusal page's heading is %q, want status 403", h)
	}
	p.Shot("viewer-forged-stop-refused")
	if after := blocks(t, env, demo.DisputingDebtor); after != before {
		t.Errorf("%s has %d blocks after the forged stop, had %d", demo.DisputingDebtor, after, before)
	}
}

// today is today's date in the merchants' time zone.
func today() *commonv1.Date {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.UTC
	}
	n := time.Now().In(loc)
	return &commonv1.Date{Year: int32(n.Year()), Month: int32(n.Month()), Day: int32(n.Day())}
}

// runDunning runs dunning for day and returns the debtors that got a
// notice.
func runDunning(t *testing.T, ctx context.Context, c dunningv1grpc.DunningServiceClient, day *commonv1.Date) map[string]bool {
	t.Helper()
	stream, err := c.Run(ctx, &dunningv1.RunRequest{Tenant: demo.Tenant, Date: day})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range r.GetDecisions() {
			if d.GetNotice() != nil {
				got[d.GetDebtorId()] = true
			}
		}
	}
}

// blocks counts debtor's blocks, lifted ones too.
func blocks(t *testing.T, env *Env, debtor string) int {
	t.Helper()
	r, err := dunningv1grpc.NewDunningServiceClient(env.Sys.Conn("dunning")).ListBlocks(context.Background(),
		&dunningv1.ListBlocksRequest{Tenant: demo.Tenant, DebtorId: debtor, IncludeLifted: true})
	if err != nil {
		t.Fatal(err)
	}
	return len(r.GetBlocks())
}

// missingKey is how a page shows a catalogue key without a text.
var missingKey = regexp.MustCompile(`\[[a-z]+\.[a-z0-9._+-]+\]`)

// TestEveryPageRenders: the admin opens the reports (with their charts),
// the rejected messages (the demo's broken invoice, with a replay button),
// the held messages and, in German, an account; every page says what it
// is, no text is missing from the catalogues, and each is photographed.
func TestEveryPageRenders(t *testing.T) {
	env := Shared(t)
	p := env.Open(t)
	p.Login("admin")
	check := func(path, heading string) {
		t.Helper()
		p.Go(path)
		if h := p.Text("h1"); !strings.Contains(h, heading) {
			t.Errorf("%s: heading %q, want %q", path, h, heading)
		}
		if body := p.Text("main"); missingKey.MatchString(body) {
			t.Errorf("%s shows catalogue keys without text: %v", path, missingKey.FindAllString(body, -1))
		}
	}
	check("/reports", "Month-end reports")
	if n := p.Count(".chart svg"); n == 0 {
		t.Error("the reports page draws no chart")
	}
	p.Shot("reports")
	check("/rejected", "Rejected messages")
	if n := p.Count(`[data-testid="rejections"] tbody tr`); n == 0 {
		t.Error("the rejected messages list lacks the demo's broken invoice")
	}
	if n := p.Count(`[data-testid="rejections"] button`); n == 0 {
		t.Error("the admin (operator) has no replay button")
	}
	p.Shot("rejected")
	check("/held", "Held messages")
	p.Shot("held")
	check("/refunds?tab=all", "Marketplace refunds")
	if n := p.Count(`[data-testid="refunds"] tbody tr`); n < demo.RefundsBooked+demo.RefundsLinked {
		t.Errorf("the refunds page lists %d refunds; want at least the demo's %d", n, demo.RefundsBooked+demo.RefundsLinked)
	}
	p.Shot("refunds")
	p.Go("/lang?l=de&next=/debtors/" + demo.DisputingDebtor) // a redirect: Go waits for the page it ends on
	check("/debtors/"+demo.DisputingDebtor, "Konto "+demo.DisputingDebtor)
	if got := p.Text(`[data-testid="open-total"]`); !strings.Contains(got, "€") || !strings.Contains(got, ",") {
		t.Errorf("in German the open total reads %q, want a decimal comma and €", got)
	}
	p.Shot("account-de")
	check("/?q=Schmidt", "Debitor suchen")
	p.Shot("search-de")
}
