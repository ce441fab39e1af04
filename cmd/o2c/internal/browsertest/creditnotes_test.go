package browsertest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/browsertest"
	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
	ingestion "github.com/o2c-platform/o2c/services/ingestion/service"
	ledger "github.com/o2c-platform/o2c/services/ledger/service"
)

// creditDebtor and creditInvoice are what the credit note tests credit:
// K-2001's RE-2026-1002 (3,271.31 EUR at 19 %).
const (
	creditDebtor  = "K-2001"
	creditInvoice = "RE-2026-1002"
)

// booked reports whether the ledger's statement of debtor holds a line of
// the document number.
func booked(t testing.TB, env *browsertest.Env, debtor, number string) bool {
	t.Helper()
	st, err := demo.Statement(context.Background(), env.Sys.Conn(ledger.Name), debtor)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range st.GetLines() {
		if l.GetDocumentNumber() == number {
			return true
		}
	}
	return false
}

// TestCreditNoteWithFourEyes: customer service requests a credit note of
// 150.00 EUR on RE-2026-1002, above the demo tenant's threshold of
// 100.00: it waits for approval, customer service gets no approve button;
// finance approves it in the approvals list, it is numbered from the
// tenant's range, the ledger books it and its PDF downloads.
func TestCreditNoteWithFourEyes(t *testing.T) {
	env := browsertest.Shared(t)

	cs := env.Open(t)
	cs.Login("cs")
	// From the account view to its credit notes.
	cs.Go("/debtors/" + creditDebtor)
	cs.Do("follow the account's credit notes link", chromedp.Click(chromedp.CSS(`a[data-testid="credit-notes"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="credit-form"]`)))
	cs.Shot("creditnote-form")
	cs.Do("fill in the credit note",
		chromedp.SetValue(chromedp.CSS("#cn-invoice"), creditInvoice),
		chromedp.SendKeys(chromedp.CSS("#cn-amount"), "150"), // the same in German and English
		chromedp.SetValue(chromedp.CSS("#cn-rate"), "1900"),
		chromedp.SetValue(chromedp.CSS("#cn-reason"), "GOODWILL"),
		chromedp.SendKeys(chromedp.CSS("#cn-note"), "Lieferung zwei Wochen zu spät"),
	)
	submit(cs, `[data-testid="credit-submit"]`)
	cs.Shot("creditnote-pending")
	if flash := cs.Text(".flash"); !strings.Contains(flash, "150") {
		t.Errorf("after the request the page says %q; want the amount waiting for approval", flash)
	}
	pending := `tr[data-testid^="creditnote-"]`
	// The list is ingestion's read model, which follows the request
	// within moments.
	eventually(t, "the request listed", func() bool {
		cs.Go("/debtors/" + creditDebtor + "/credit-notes")
		return cs.Count(pending) > 0
	})
	cs.Shot("creditnote-listed")
	id := strings.TrimPrefix(browsertest.Eval[string](cs, fmt.Sprintf(`document.querySelector(%q).dataset.testid`, pending)), "creditnote-")
	row := fmt.Sprintf(`tr[data-testid="creditnote-%s"]`, id)
	if state := cs.Text(row + ` [data-testid="state"]`); state == "" || cs.Count(row+` [data-testid="pdf"]`) != 0 {
		t.Errorf("the new credit note shows %q with a PDF link; want it waiting, without a PDF", state)
	}
	cs.Go("/credit-notes")
	if n := cs.Count(`[data-testid="approve"]`); n != 0 {
		t.Errorf("customer service sees %d approve buttons; want none", n)
	}

	fin := env.Open(t)
	fin.Login("finance")
	fin.Go("/credit-notes")
	fin.Do("wait for the pending credit note", chromedp.WaitVisible(chromedp.CSS(row)))
	fin.Shot("approvals")
	submit(fin, row+` [data-testid="approve"]`)
	fin.Shot("approved")
	flash := fin.Text(".flash")
	if !strings.Contains(flash, "GS-") {
		t.Fatalf("after approving the page says %q; want the credit note's number", flash)
	}
	number := "GS-" + strings.Fields(strings.SplitN(flash, "GS-", 2)[1])[0]
	eventually(t, "the issued credit note listed with its PDF", func() bool {
		fin.Go("/credit-notes?state=all")
		return fin.Count(row+` [data-testid="pdf"]`) > 0
	})
	if txt := fin.Text(row); !strings.Contains(txt, number) {
		t.Errorf("the issued row says %q; want %s", txt, number)
	}
	fin.Shot("issued")
	eventually(t, number+" booked by the ledger", func() bool { return booked(t, env, creditDebtor, number) })
	pdf := browsertest.Eval[string](fin, fmt.Sprintf(`fetch("/credit-notes/%s/pdf").then(async r => r.headers.get("content-type") + " " + new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)))`, id))
	if pdf != "application/pdf %PDF-" {
		t.Errorf("the PDF download answered %q; want application/pdf starting %%PDF-", pdf)
	}
	fin.Go("/debtors/" + creditDebtor)
	fin.Shot("account-after-credit-note")
}

// TestViewerCannotConfirmOrCredit: a viewer sees the queue and the credit
// notes without any control to act, and a POST forged with the viewer's
// own session and CSRF token is refused by the backends (403), changing
// nothing.
func TestViewerCannotConfirmOrCredit(t *testing.T) {
	env := browsertest.Shared(t)
	decided := importStatement(t, env)
	var waiting *matchingv1.Exception
	tab := "open"
	for _, e := range decided {
		switch exceptionState(t, env, e.GetPayment().GetPaymentId()) {
		case matchingv1.ExceptionState_EXCEPTION_STATE_OPEN:
			waiting = e
		case matchingv1.ExceptionState_EXCEPTION_STATE_PARKED:
			waiting, tab = e, "parked"
		}
		if waiting != nil {
			break
		}
	}
	if waiting == nil {
		t.Fatal("no payment of the statement waits in the queue")
	}
	id := waiting.GetPayment().GetPaymentId()

	p := env.Open(t)
	p.Login("viewer")
	p.Go("/queue?state=" + tab)
	p.Do("wait for the waiting payment", chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-testid="payment-%s"]`, id))))
	p.Shot("queue-viewer")
	if n := p.Count(`[data-testid="confirm"]`); n != 0 {
		t.Errorf("a viewer sees %d confirm buttons; want none", n)
	}
	p.Go(fmt.Sprintf("/debtors/%s/credit-notes?invoice=%s", creditDebtor, creditInvoice))
	p.Shot("creditnotes-viewer")
	if n := p.Count(`[data-testid="credit-form"]`); n != 0 {
		t.Error("a viewer sees the credit note form")
	}
	before := len(listCredits(t, env))

	post := func(path, body string) int {
		t.Helper()
		return browsertest.Eval[int](p, fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
			body: "csrf=" + encodeURIComponent(document.querySelector("input[name=csrf]").value) + "&" + %q, redirect: "manual"}).then(r => r.status)`, path, body))
	}
	if code := post("/queue/"+id+"/confirm", "proposal=0"); code != 403 {
		t.Errorf("a viewer's forged confirm answered %d; want 403 from matching", code)
	}
	if st := exceptionState(t, env, id); st == matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED {
		t.Errorf("the viewer's forged confirm matched %s", id)
	}
	form := fmt.Sprintf("request_id=viewer-forged&invoice=%s&kind=partial&amount=10&rate=1900&reason=GOODWILL&note=forged", creditInvoice)
	if code := post("/debtors/"+creditDebtor+"/credit-notes", form); code != 403 {
		t.Errorf("a viewer's forged credit note answered %d; want 403 from ingestion", code)
	}
	if after := len(listCredits(t, env)); after != before {
		t.Errorf("credit notes %d before and %d after the viewer's forged request", before, after)
	}
}

// listCredits are the demo tenant's credit notes as ingestion lists them
// to an operator.
func listCredits(t testing.TB, env *browsertest.Env) []*ingestionv1.CreditNote {
	t.Helper()
	resp, err := ingestionv1grpc.NewCreditNoteServiceClient(env.Sys.Conn(ingestion.Name)).ListCreditNotes(context.Background(), &ingestionv1.ListCreditNotesRequest{Tenant: demo.Tenant, PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetCreditNotes()
}
