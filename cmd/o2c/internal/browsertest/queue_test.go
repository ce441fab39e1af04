package browsertest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go/jetstream"

	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ledger/v1/ledgerv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/browsertest"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	"github.com/o2c-platform/o2c/libs/natsembed"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
	matching "github.com/o2c-platform/o2c/services/matching/service"
)

// bank is the demo's bank statement imported once per test binary, after
// matching took in the ledger's open items: its receipts are what waits
// in the matching queue.
var bank struct {
	once      sync.Once
	decisions []*matchingv1.Exception
	err       error
}

// importStatement imports the demo's bank files and returns matching's
// decisions about the statement's receipts.
func importStatement(t testing.TB, env *browsertest.Env) []*matchingv1.Exception {
	t.Helper()
	bank.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		nc, err := env.Sys.ConnectNATS(natsembed.AdminUser)
		if err != nil {
			bank.err = err
			return
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			bank.err = err
			return
		}
		if bank.err = demo.WaitForMatchingItems(ctx, js); bank.err != nil {
			return
		}
		if _, bank.err = demo.ImportBankFiles(ctx, env.Sys.Conn(ingestion.Name)); bank.err != nil {
			return
		}
		bank.decisions, bank.err = demo.WaitForDecisions(ctx, env.Sys.Conn(matching.Name), demo.StatementReceipts)
	})
	if bank.err != nil {
		t.Fatalf("import the demo's bank statement: %v", bank.err)
	}
	return bank.decisions
}

// transfer is K-1001's transfer that names no invoice: it waits in the
// queue with proposals.
func transfer(t testing.TB, decided []*matchingv1.Exception) *matchingv1.Exception {
	t.Helper()
	for _, e := range decided {
		if e.GetPayment().GetAmount().GetMinorUnits() == demo.PaymentAmount {
			return e
		}
	}
	t.Fatalf("no payment of %d among matching's decisions", demo.PaymentAmount)
	return nil
}

// exceptionState asks matching where the payment stands now.
func exceptionState(t testing.TB, env *browsertest.Env, id string) matchingv1.ExceptionState {
	t.Helper()
	resp, err := matchingv1grpc.NewMatchingServiceClient(env.Sys.Conn(matching.Name)).GetException(context.Background(),
		&matchingv1.GetExceptionRequest{Tenant: demo.Tenant, PaymentId: id})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetException().GetState()
}

// eventually polls cond every 100 ms until it holds or a minute passed.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// submit submits the form of the element sel selects and waits for the
// page the POST redirects to, which says what was done (.flash): waiting
// for any main element could find the old page's while the browser
// navigates.
func submit(p *browsertest.Page, sel string) {
	p.Do("submit "+sel, chromedp.Submit(chromedp.CSS(sel)))
	p.Do("wait for the answer to "+sel, chromedp.WaitVisible(chromedp.CSS(".flash")))
}

// openItems are the ledger's items of debtor with an open amount, by
// document number.
func openItems(t testing.TB, env *browsertest.Env, debtor string) map[string]*ledgerv1.OpenItem {
	t.Helper()
	resp, err := ledgerv1grpc.NewLedgerServiceClient(env.Sys.Conn(ledger.Name)).ListOpenItems(context.Background(),
		&ledgerv1.ListOpenItemsRequest{Tenant: demo.Tenant, DebtorId: debtor})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ledgerv1.OpenItem{}
	for _, it := range resp.GetOpenItems() {
		if it.GetOpenAmount().GetMinorUnits() != 0 {
			out[it.GetDocumentNumber()] = it
		}
	}
	return out
}

// TestConfirmAMatchingProposal: finance opens the matching queue, sees
// K-1001's transfer with the engine's ranked proposals and their
// explanations, moves to it with the keyboard (j) and confirms the
// proposal that pays RE-2026-1001 with Enter; the payment leaves the open
// queue, is matched, and RE-2026-1001 is cleared in the ledger.
func TestConfirmAMatchingProposal(t *testing.T) {
	env := browsertest.Shared(t)
	e := transfer(t, importStatement(t, env))
	id := e.GetPayment().GetPaymentId()
	if e.GetState() == matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED {
		t.Fatalf("K-1001's transfer was matched automatically; the queue test needs it waiting")
	}
	index := demo.WholeTransfer(e)
	if index < 0 {
		t.Fatalf("K-1001's transfer has no proposal for %s: %s", demo.StatementDebtor, e.GetExplanation())
	}
	if _, ok := openItems(t, env, demo.StatementDebtor)["RE-2026-1001"]; !ok {
		t.Fatal("RE-2026-1001 is not open before the confirmation")
	}

	p := env.Open(t)
	p.Login("finance")
	p.Go("/queue")
	row := fmt.Sprintf(`tr[data-testid="payment-%s"]`, id)
	p.Do("wait for the payment's row", chromedp.WaitVisible(chromedp.CSS(row)))
	p.Shot("queue")
	if n := p.Count(row + ` [data-testid="proposal"]`); n == 0 {
		t.Fatalf("the row of %s shows no proposal", id)
	}
	if txt := p.Text(row); !strings.Contains(txt, demo.StatementDebtor) {
		t.Errorf("the row of %s does not name %s: %q", id, demo.StatementDebtor, txt)
	}
	if keys := p.Text("#queue-keys"); !strings.Contains(keys, "j") || !strings.Contains(keys, "Enter") {
		t.Errorf("the page does not document its keys: %q", keys)
	}
	if index == 0 {
		// Keyboard: select the row with j (the first press selects the
		// first row; move on until the transfer's row has the focus) and
		// confirm its best proposal with Enter.
		for i := 0; i < 50 && !browsertest.Eval[bool](p, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, row)); i++ {
			p.Do("press j", chromedp.KeyEvent("j"))
		}
		p.Shot("queue-selected")
		p.Do("press Enter", chromedp.KeyEvent("\r"))
		p.Do("wait for the queue again", chromedp.WaitVisible(chromedp.CSS(".flash")))
	} else {
		submit(p, fmt.Sprintf(`%s [data-testid="proposal"]:nth-of-type(%d) form`, row, index+1))
	}
	p.Shot("queue-confirmed")
	if flash := p.Text(".flash"); !strings.Contains(flash, id) {
		t.Errorf("after confirming, the page says %q; want the payment %s named", flash, id)
	}
	if st := exceptionState(t, env, id); st != matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED {
		t.Errorf("matching has %s as %v; want MATCHED", id, st)
	}
	eventually(t, "RE-2026-1001 cleared in the ledger", func() bool {
		_, open := openItems(t, env, demo.StatementDebtor)["RE-2026-1001"]
		return !open
	})
	// The queue lists from matching's read model, which follows the
	// decision within moments.
	eventually(t, id+" gone from the open queue", func() bool {
		p.Go("/queue")
		return p.Count(row) == 0
	})
	p.Go("/queue?state=matched")
	p.Do("wait for the matched payment", chromedp.WaitVisible(chromedp.CSS(row)))
	p.Shot("queue-matched")
	p.Go("/debtors/" + demo.StatementDebtor)
	p.Shot("account-after-match")
	unmatch(t, env, p, id)
	// A payment without candidates: its page offers matching by hand,
	// splitting and parking.
	for _, o := range bank.decisions {
		if oid := o.GetPayment().GetPaymentId(); oid != id && exceptionState(t, env, oid) == matchingv1.ExceptionState_EXCEPTION_STATE_OPEN {
			p.Go("/queue/" + oid)
			for _, form := range []string{"match", "split", "park"} {
				if p.Count(fmt.Sprintf(`[data-testid=%q]`, form)) != 1 {
					t.Errorf("the page of %s has no %s button", oid, form)
				}
			}
			p.Shot("exception")
			p.Do("give the reason to park it", chromedp.SendKeys(chromedp.CSS("#p-note"), "Zahler unbekannt, Bank fragt nach"))
			submit(p, `[data-testid="park"]`)
			if st := exceptionState(t, env, oid); st != matchingv1.ExceptionState_EXCEPTION_STATE_PARKED {
				t.Errorf("after parking, matching has %s as %v; want PARKED", oid, st)
			}
			eventually(t, oid+" on the parked tab", func() bool {
				p.Go("/queue?state=parked")
				return p.Count(fmt.Sprintf(`tr[data-testid="payment-%s"]`, oid)) == 1
			})
			p.Shot("queue-parked")
			break
		}
	}
}

// unmatch undoes the confirmed booking of payment id from its page, once
// matching knows the ledger's entry: the payment waits in the queue again
// and RE-2026-1001 is open again.
func unmatch(t *testing.T, env *browsertest.Env, p *browsertest.Page, id string) {
	t.Helper()
	client := matchingv1grpc.NewMatchingServiceClient(env.Sys.Conn(matching.Name))
	eventually(t, "matching to learn the ledger's entry of "+id, func() bool {
		resp, err := client.GetException(context.Background(), &matchingv1.GetExceptionRequest{Tenant: demo.Tenant, PaymentId: id})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetException().GetEntryId() != ""
	})
	p.Go("/queue/" + id)
	p.Do("give the reason to unmatch", chromedp.SendKeys(chromedp.CSS("#unmatch-reason"), "falsch zugeordnet"))
	p.Shot("exception-matched")
	// form.submit() sends the form without the page's confirmation
	// dialog, which a person answers.
	browsertest.Eval[bool](p, `(document.querySelector("#unmatch").submit(), true)`)
	p.Do("wait for the queue", chromedp.WaitVisible(chromedp.CSS(".flash")))
	p.Shot("unmatched")
	if st := exceptionState(t, env, id); st != matchingv1.ExceptionState_EXCEPTION_STATE_OPEN {
		t.Errorf("after unmatching, matching has %s as %v; want OPEN", id, st)
	}
	eventually(t, "RE-2026-1001 open again", func() bool {
		_, open := openItems(t, env, demo.StatementDebtor)["RE-2026-1001"]
		return open
	})
}
