package table

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
)

// StateWord is the lowercase name of an exception queue state ("open",
// "parked", "matched", "split").
func StateWord(s matchingv1.ExceptionState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "EXCEPTION_STATE_"))
}

// DecisionWord is the lowercase name of the engine's decision ("auto",
// "proposed", "unmatched").
func DecisionWord(k matchingv1.DecisionKind) string {
	return strings.ToLower(strings.TrimPrefix(k.String(), "DECISION_KIND_"))
}

// DifferenceWord is the name of a difference kind as `o2c queue match
// --difference` takes it and `o2c match` writes it: "cash_discount",
// "bank_fee", "underpayment", "overpayment", "rounding", "fx"; "" for none.
func DifferenceWord(k matchingv1.DifferenceKind) string {
	if k == matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(k.String(), "DIFFERENCE_KIND_"))
}

// ResolutionWord says how a matched payment was decided: "automatic",
// "confirmed" (a proposal confirmed) or "manual".
func ResolutionWord(r matchingv1.Resolution) string {
	if r == matchingv1.Resolution_RESOLUTION_UNSPECIFIED {
		return "automatic"
	}
	return strings.ToLower(strings.TrimPrefix(r.String(), "RESOLUTION_"))
}

// Debtor is whom a queue entry's payment is for: the debtor of what was
// booked, else of the best proposal; "" when neither names one.
func Debtor(e *matchingv1.Exception) string {
	if e.GetState() == matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED && e.GetMatch() != nil {
		return e.GetMatch().GetDebtorId()
	}
	if ps := e.GetProposals(); len(ps) > 0 {
		return ps[0].GetDebtorId()
	}
	return ""
}

// Exceptions writes the exception queue as `o2c queue list` prints it: one
// row per payment in the order given (the queue's is oldest first) with
// its amount, state, the engine's decision and score, its debtor and
// remittance text, then how many there are.
func Exceptions(w io.Writer, es []*matchingv1.Exception) {
	if len(es) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PAYMENT\tRECEIVED\tBOOKED\t      AMOUNT\tCUR\tSTATE\tDECISION\tSCORE\tDEBTOR\tREMITTANCE")
		for _, e := range es {
			p := e.GetPayment()
			a := p.GetAmount()
			booked := "-"
			if p.GetBookingDate() != nil {
				booked = Date(p.GetBookingDate())
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%12s\t%s\t%s\t%s\t%d\t%s\t%s\n", p.GetPaymentId(), instant(e.GetReceivedAt().AsTime()), booked,
				Money(a.GetMinorUnits(), a.GetCurrency()), a.GetCurrency(), StateWord(e.GetState()), DecisionWord(e.GetDecision()),
				e.GetScore(), cmp.Or(Debtor(e), "-"), cmp.Or(clip(oneLine(p.GetRemittance()), 40), "-"))
		}
		tw.Flush()
	}
	fmt.Fprintln(w, Count(len(es), "payment"))
}

// Exception writes one queue entry as `o2c queue show` prints it: the
// payment with its payer, where it stands and why, then its ranked
// proposals (numbered as `o2c queue confirm --proposal` takes them), or
// what was booked, or the parts it was split into. docs names open items
// by their document numbers where it knows them; the others are shown by
// id.
func Exception(w io.Writer, e *matchingv1.Exception, docs map[string]string) {
	p := e.GetPayment()
	a := p.GetAmount()
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(w, "%-12s %s\n", name+":", value)
		}
	}
	field("payment", p.GetPaymentId())
	if p.GetParentPaymentId() != "" {
		field("part of", p.GetParentPaymentId())
	}
	field("amount", Money(a.GetMinorUnits(), a.GetCurrency())+" "+a.GetCurrency())
	dates := ""
	if p.GetBookingDate() != nil {
		dates = Date(p.GetBookingDate())
	}
	if p.GetValueDate() != nil {
		dates = strings.TrimSpace(dates + " (value date " + Date(p.GetValueDate()) + ")")
	}
	field("booked", dates)
	field("account", p.GetAccountIban())
	switch payer := e.GetPayer(); {
	case payer.GetErased():
		field("payer", "erased")
	case payer.GetName() != "" || payer.GetIban() != "":
		field("payer", strings.Trim(payer.GetName()+", "+payer.GetIban(), ", "))
	}
	field("remittance", oneLine(p.GetRemittance()))
	if p.GetEndToEndId() != "NOTPROVIDED" {
		field("end-to-end", p.GetEndToEndId())
	}
	field("mandate", p.GetMandateId())
	field("references", strings.Join(p.GetCreditorReferences(), ", "))
	if p.GetReturnReason() != "" || p.GetReversal() {
		ret := "return"
		if p.GetReturnReason() != "" {
			ret += ", reason " + p.GetReturnReason()
		}
		if p.GetReversal() {
			ret += ", a bank reversal"
		}
		if c := p.GetCharges(); c.GetMinorUnits() != 0 {
			ret += ", bank charges " + Money(c.GetMinorUnits(), c.GetCurrency()) + " " + c.GetCurrency()
		}
		field("return", strings.TrimPrefix(ret, "return, "))
	}
	if e.GetReceivedAt() != nil {
		field("received", instant(e.GetReceivedAt().AsTime()))
	}
	state := StateWord(e.GetState())
	if e.GetState() == matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED {
		state += " (" + ResolutionWord(e.GetResolution()) + ")"
	}
	field("state", fmt.Sprintf("%s; the engine decided %s, score %d", state, DecisionWord(e.GetDecision()), e.GetScore()))
	if e.GetUpdatedAt() != nil {
		field("changed", instant(e.GetUpdatedAt().AsTime())+" by "+cmp.Or(e.GetActor(), "-"))
	}
	field("note", e.GetNote())
	field("version", fmt.Sprint(e.GetVersion()))
	field("why", e.GetExplanation())
	switch e.GetState() {
	case matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED:
		fmt.Fprintf(w, "\nBooked (ledger payment %s", cmp.Or(e.GetLedgerPaymentId(), "-"))
		if e.GetEntryId() != "" {
			fmt.Fprintf(w, ", journal entry %s", e.GetEntryId())
		} else {
			fmt.Fprint(w, "; the ledger has not reported its journal entry yet")
		}
		fmt.Fprintln(w, "):")
		Booked(w, e, docs)
	case matchingv1.ExceptionState_EXCEPTION_STATE_SPLIT:
		fmt.Fprintf(w, "\nSplit into %s: %s\n", Count(len(e.GetPartIds()), "part"), strings.Join(e.GetPartIds(), ", "))
	default:
		fmt.Fprintln(w)
		Proposals(w, e, docs)
	}
}

// Proposals writes a queue entry's ranked proposals, best first, each
// numbered as `o2c queue confirm --proposal` takes it, with its score and
// debtor, one row per open item it pays (by document number where docs
// knows it), the difference and the marketplace's legs, and the engine's
// explanation below.
func Proposals(w io.Writer, e *matchingv1.Exception, docs map[string]string) {
	if len(e.GetProposals()) == 0 {
		fmt.Fprintln(w, "no proposal: match it by hand (o2c queue match), split it or park it")
		return
	}
	proposals(w, e.GetProposals(), true, docs)
}

// Booked writes what was booked for a matched payment as Proposals
// writes a proposal, unnumbered; nothing for a payment not matched.
func Booked(w io.Writer, e *matchingv1.Exception, docs map[string]string) {
	if e.GetState() != matchingv1.ExceptionState_EXCEPTION_STATE_MATCHED || e.GetMatch() == nil {
		return
	}
	proposals(w, []*matchingv1.Proposal{e.GetMatch()}, false, docs)
}

// proposals writes ps as a table, numbered or not, with each proposal's
// explanation on a line of its own below its rows.
func proposals(w io.Writer, ps []*matchingv1.Proposal, numbered bool, docs map[string]string) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSCORE\tDEBTOR\tOPEN ITEM\t      AMOUNT\tCUR")
	// ends[i] is the number of table lines (header included) up to the
	// end of proposal i.
	ends := make([]int, len(ps))
	lines := 1
	for i, pr := range ps {
		rows := proposalRows(pr, docs)
		num := fmt.Sprint(i)
		if !numbered {
			num = "-"
		}
		for j, r := range rows {
			lead := "\t\t\t"
			if j == 0 {
				lead = fmt.Sprintf("%s\t%d\t%s\t", num, pr.GetScore(), cmp.Or(pr.GetDebtorId(), "-"))
			}
			fmt.Fprintf(tw, "%s%s\t%12s\t%s\n", lead, r.label, r.amount, r.currency)
		}
		lines += len(rows)
		ends[i] = lines
	}
	tw.Flush()
	table := strings.SplitAfter(buf.String(), "\n")
	at := 0
	for i, pr := range ps {
		for ; at < ends[i]; at++ {
			// A line without an amount would end in padding.
			io.WriteString(w, strings.TrimRight(table[at], " \n")+"\n")
		}
		if pr.GetExplanation() != "" {
			fmt.Fprintf(w, "   why: %s\n", pr.GetExplanation())
		}
	}
}

// row is one line of a proposal: what an amount goes to.
type row struct {
	label, amount, currency string
}

// proposalRows returns the lines of a proposal: its allocations, the
// payment it reverses and the charge passed on, the marketplace's fees,
// refunds, reserve and other lines, and the difference. A proposal
// without any names the debtor only: the ledger allocates the payment.
func proposalRows(pr *matchingv1.Proposal, docs map[string]string) []row {
	var rows []row
	money := func(label string, minor int64, cur string) {
		rows = append(rows, row{label, Money(minor, cur), cur})
	}
	if pr.GetReverses() != "" {
		rows = append(rows, row{label: "reverses payment " + pr.GetReverses()})
	}
	for _, a := range pr.GetAllocations() {
		money(cmp.Or(a.GetDocumentNumber(), docs[a.GetOpenItemId()], a.GetOpenItemId()), a.GetAmount().GetMinorUnits(), a.GetAmount().GetCurrency())
	}
	if s := pr.GetSettlement(); s != nil {
		for _, f := range s.GetFees() {
			money("fee "+f.GetKind(), -f.GetAmount().GetMinorUnits(), f.GetAmount().GetCurrency())
		}
		for _, r := range s.GetRefunds() {
			money("refund "+cmp.Or(r.GetOrderId(), r.GetAdjustmentId()), -r.GetAmount().GetMinorUnits(), r.GetAmount().GetCurrency())
		}
		if m := s.GetReserve(); m.GetMinorUnits() != 0 {
			money("reserve", -m.GetMinorUnits(), m.GetCurrency())
		}
		if m := s.GetOther(); m.GetMinorUnits() != 0 {
			money("other lines of settlement "+s.GetSettlementId(), m.GetMinorUnits(), m.GetCurrency())
		}
	}
	if c := pr.GetReturnCharge(); c.GetMinorUnits() != 0 {
		money("return charge passed on", c.GetMinorUnits(), c.GetCurrency())
	}
	if d := pr.GetDifference(); d != nil && d.GetKind() != matchingv1.DifferenceKind_DIFFERENCE_KIND_UNSPECIFIED {
		money("difference: "+strings.ReplaceAll(DifferenceWord(d.GetKind()), "_", " "), d.GetAmount().GetMinorUnits(), d.GetAmount().GetCurrency())
	}
	if len(rows) == 0 {
		rows = append(rows, row{label: "no item named: on account, the ledger allocates"})
	}
	return rows
}

// instant formats a time in UTC to the second.
func instant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// oneLine joins a multi-line text into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip shortens s to at most n runes, marking the cut with "…".
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
