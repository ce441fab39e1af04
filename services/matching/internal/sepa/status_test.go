package sepa

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/pain"
)

// statusFile is a pain.008 of three debits: I-1 and I-2 in the FRST
// batch, I-3 (booked already) in the RCUR batch.
func statusFile() (*File, []Debit) {
	f := &File{Name: "pain008-acme-1.xml", MessageType: Pain008, MessageID: "MSG-1"}
	var ds []Debit
	for _, d := range []struct {
		item, seq, state, mandate string
	}{{"I-1", SeqFirst, Submitted, "M-1"}, {"I-2", SeqFirst, Submitted, "M-2"}, {"I-3", SeqRecurring, Booked, "M-3"}} {
		e2e := EndToEndID("acme", d.item, 1)
		ds = append(ds, Debit{Item: d.item, Debtor: "D-" + d.item, Attempt: 1, EndToEndID: e2e, Mandate: d.mandate, Amount: 1000,
			Sequence: d.seq, State: d.state, File: f.Name})
		f.EndToEndIDs = append(f.EndToEndIDs, e2e)
	}
	return f, ds
}

// outcomes is a plan as "e2e's item: status reason outcome unusable".
func outcomes(p StatusPlan) []string {
	var out []string
	for _, a := range p.Applied {
		who := a.EndToEndID
		if len(a.Items) > 0 {
			who = a.Items[0]
		}
		line := who + ": " + a.Status + " " + a.Reason + " " + a.Outcome
		if a.Unusable {
			line += " mandate " + a.Mandate + " unusable"
		}
		out = append(out, line)
	}
	return out
}

func rjct(e2e, code string) pain.TransactionStatus {
	return pain.TransactionStatus{EndToEndID: e2e, Status: pain.StatusRejected, Reasons: []pain.StatusReason{{Code: code}}}
}

// TestPlanStatusCollections: given a pain.008 of three debits, when a
// status report comes, then a rejected submitted debit becomes rejected
// with its reason (the mandate unusable for the codes that say so), a
// booked one is left unchanged, other statuses are recorded, and an end-to-
// end id the file does not carry is unknown; a group or block RJCT
// rejects every debit it covers.
func TestPlanStatusCollections(t *testing.T) {
	t.Parallel()
	f, ds := statusFile()
	e1, e2, e3 := ds[0].EndToEndID, ds[1].EndToEndID, ds[2].EndToEndID
	rejected := func(ds []Debit, i int) []Debit {
		out := append([]Debit(nil), ds...)
		out[i].State, out[i].Reason = Rejected, "AM04"
		return out
	}
	for _, c := range []struct {
		name   string
		rep    pain.StatusReport
		debits []Debit
		want   []string
	}{
		{name: "one debit rejected for a closed account, the rest accepted",
			rep: pain.StatusReport{GroupStatus: pain.StatusPartiallyAccepted, Payments: []pain.PaymentStatus{
				{PaymentInfoID: "MSG-1-FRST", Status: pain.StatusPartiallyAccepted, Transactions: []pain.TransactionStatus{
					rjct(e1, "AC04"), {EndToEndID: e2, Status: pain.StatusAccepted}}},
				{PaymentInfoID: "MSG-1-RCUR", Status: pain.StatusSettlementInProcess},
			}},
			want: []string{"I-1: RJCT AC04 rejected mandate M-1 unusable", "I-2: ACCP  recorded", "I-3: ACSP  recorded"}},
		{name: "a reason that leaves the mandate usable",
			rep:  pain.StatusReport{Payments: []pain.PaymentStatus{{PaymentInfoID: "MSG-1-FRST", Transactions: []pain.TransactionStatus{rjct(e2, "AM05")}}}},
			want: []string{"I-2: RJCT AM05 rejected"}},
		{name: "group RJCT rejects every debit of the file, a booked one stays",
			rep:  pain.StatusReport{GroupStatus: pain.StatusRejected, GroupReasons: []pain.StatusReason{{Code: "FF01", Info: "invalid file"}}},
			want: []string{"I-1: RJCT FF01 rejected", "I-2: RJCT FF01 rejected", "I-3: RJCT FF01 unchanged"}},
		{name: "group RJCT wins over a transaction's acceptance",
			rep: pain.StatusReport{GroupStatus: pain.StatusRejected, GroupReasons: []pain.StatusReason{{Code: "FF01"}}, Payments: []pain.PaymentStatus{
				{PaymentInfoID: "MSG-1-FRST", Transactions: []pain.TransactionStatus{{EndToEndID: e1, Status: pain.StatusAccepted}}}}},
			want: []string{"I-1: RJCT FF01 rejected", "I-2: RJCT FF01 rejected", "I-3: RJCT FF01 unchanged"}},
		{name: "block RJCT rejects the batch's debits only, by the batch id the file gave them",
			rep: pain.StatusReport{GroupStatus: pain.StatusPartiallyAccepted, Payments: []pain.PaymentStatus{
				{PaymentInfoID: "MSG-1-FRST", Status: pain.StatusRejected, Reasons: []pain.StatusReason{{Code: "MD01"}}}}},
			want: []string{"I-1: RJCT MD01 rejected mandate M-1 unusable", "I-2: RJCT MD01 rejected mandate M-2 unusable"}},
		{name: "group acceptance is recorded on every debit",
			rep:  pain.StatusReport{GroupStatus: pain.StatusTechnicalAccepted},
			want: []string{"I-1: ACTC  recorded", "I-2: ACTC  recorded", "I-3: ACTC  recorded"}},
		{name: "an unknown end-to-end id is reported, the others applied",
			rep: pain.StatusReport{GroupStatus: pain.StatusPartiallyAccepted, Payments: []pain.PaymentStatus{{PaymentInfoID: "MSG-1-FRST",
				Transactions: []pain.TransactionStatus{rjct("NOT-OURS", "AC01"), rjct(e1, "AM04")}}}},
			want: []string{"NOT-OURS: RJCT AC01 unknown", "I-1: RJCT AM04 rejected"}},
		{name: "a debit rejected by an earlier report stays as it is",
			rep: pain.StatusReport{Payments: []pain.PaymentStatus{{PaymentInfoID: "MSG-1-FRST",
				Transactions: []pain.TransactionStatus{rjct(e1, "AC04"), {EndToEndID: e1, Status: pain.StatusAccepted}}}}},
			debits: rejected(ds, 0),
			want:   []string{"I-1: ACCP  unchanged"}},
		{name: "a rejection of a booked collection changes nothing",
			rep:  pain.StatusReport{Payments: []pain.PaymentStatus{{PaymentInfoID: "MSG-1-RCUR", Transactions: []pain.TransactionStatus{rjct(e3, "AC04")}}}},
			want: []string{"I-3: RJCT AC04 unchanged"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rep := c.rep
			rep.OriginalMessageID = "MSG-1"
			debits := c.debits
			if debits == nil {
				debits = ds
			}
			p := PlanStatus(&rep, StatusState{File: f, Debits: debits})
			if p.Kind != "debit" {
				t.Errorf("kind %q, want debit", p.Kind)
			}
			if diff := cmp.Diff(c.want, outcomes(p)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanStatusPayouts: given a pain.001 of three transfers (one
// debited already), when the bank rejects them, then the transfer not
// debited is rejected, the account's mandate unusable when the code says
// the account is gone, and the debited one is left unchanged.
func TestPlanStatusPayouts(t *testing.T) {
	t.Parallel()
	f := &File{Name: "pain001-acme-1.xml", MessageType: Pain001, MessageID: "PAY-1", EndToEndIDs: []string{"P-1", "P-2", "P-3"}}
	ts := []Transfer{{EndToEndID: "P-1", Debtor: "D-1", Items: []string{"C-1", "C-2"}, Amount: 3000, Mandate: "M-1"},
		{EndToEndID: "P-2", Debtor: "D-2", Items: []string{"C-3"}, Amount: 500, Mandate: "M-2"},
		{EndToEndID: "P-3", Debtor: "D-3", Items: []string{"C-4"}, Amount: 700, Mandate: "M-3", Debited: true}}
	rep := &pain.StatusReport{OriginalMessageID: "PAY-1", Payments: []pain.PaymentStatus{{PaymentInfoID: "PAY-1",
		Transactions: []pain.TransactionStatus{rjct("P-1", "AC04"), rjct("P-2", "AM05"), rjct("P-3", "AC01")}}}}
	p := PlanStatus(rep, StatusState{File: f, Transfers: ts})
	want := []string{"C-1: RJCT AC04 rejected mandate M-1 unusable", "C-3: RJCT AM05 rejected", "C-4: RJCT AC01 unchanged"}
	if diff := cmp.Diff(want, outcomes(p)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if p.Kind != "payout" || p.Applied[0].Amount != 3000 || !cmp.Equal(p.Applied[0].Items, []string{"C-1", "C-2"}) {
		t.Errorf("first outcome %+v", p.Applied[0])
	}
}

// TestPlanStatusUnknownMessage: a report on a message that is none of the
// tenant's files changes nothing and lists what it said as unknown.
func TestPlanStatusUnknownMessage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		rep  pain.StatusReport
		want []string
	}{
		{"transactions", pain.StatusReport{GroupStatus: pain.StatusPartiallyAccepted, Payments: []pain.PaymentStatus{{PaymentInfoID: "X",
			Transactions: []pain.TransactionStatus{rjct("E-1", "AC04"), {EndToEndID: "E-2", Status: pain.StatusAccepted}}}}},
			[]string{"E-1: RJCT AC04 unknown", "E-2: ACCP  unknown"}},
		{"group only", pain.StatusReport{GroupStatus: pain.StatusRejected, GroupReasons: []pain.StatusReason{{Code: "FF01"}}},
			[]string{": RJCT FF01 unknown"}},
	} {
		rep := c.rep
		rep.OriginalMessageID = "SOMEONE-ELSES"
		if diff := cmp.Diff(c.want, outcomes(PlanStatus(&rep, StatusState{}))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestRejectedItemCollectedAgain: given an item whose debit the bank
// rejected, when the next run plans, then the item is pre-notified again
// under attempt 2 and a new end-to-end id, with FRST while no collection
// under the mandate was booked; with the mandate made unusable by the
// rejection's code it is skipped.
func TestRejectedItemCollectedAgain(t *testing.T) {
	t.Parallel()
	d := Debit{Item: "I-1", Debtor: "D-1", Attempt: 1, EndToEndID: EndToEndID("acme", "I-1", 1), Mandate: "M-1", Amount: 1000,
		Sequence: SeqFirst, Scheme: SchemeCore, State: Rejected, Reason: "AM05", Collection: date(2026, 12, 15)}
	in := RunInput{Tenant: "acme", Date: date(2026, 12, 16), Config: testConfig(t), Items: []Item{item("I-1", "D-1", 1000)},
		Mandates: []Mandate{mandate("M-1", "D-1")}, Debits: []Debit{d}}
	p := PlanRun(in)
	if len(p.PreNotify) != 1 || p.PreNotify[0].Attempt != 2 || p.PreNotify[0].EndToEndID != EndToEndID("acme", "I-1", 2) ||
		p.PreNotify[0].Sequence != SeqFirst {
		t.Errorf("after the rejection: %v, want I-1 pre-notified as attempt 2, FRST", summary(p))
	}
	unusable := mandate("M-1", "D-1")
	unusable.Unusable = "AC04"
	in.Mandates = []Mandate{unusable}
	p = PlanRun(in)
	if len(p.PreNotify) != 0 || len(p.Skipped) != 1 {
		t.Errorf("with the mandate unusable: %v, want I-1 skipped", summary(p))
	}
}

// TestRejectedPayoutPaidAgainUnderANewID: given a credit balance whose
// transfer the bank rejected once, when the next payout run plans, then
// it is released again under an end-to-end id other than the first
// transfer's.
func TestRejectedPayoutPaidAgainUnderANewID(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	in := PayoutInput{Tenant: "acme", Date: date(2026, 12, 1), Config: cfg, Mandates: []Mandate{mandate("M-9", "D-9")},
		Credits: []Credit{{Item: "C-9", Debtor: "D-9", Currency: "EUR", Open: -2500, IssueDate: date(2026, 10, 1)}}}
	first := PlanPayouts(in)
	in.Rejections = map[string]int{"C-9": 1}
	again := PlanPayouts(in)
	if len(first) != 1 || len(again) != 1 || !first[0].Released || !again[0].Released {
		t.Fatalf("first %+v, again %+v; want both released", first, again)
	}
	if first[0].EndToEndID != PayoutID("acme", "D-9", []string{"C-9"}) || again[0].EndToEndID == first[0].EndToEndID {
		t.Errorf("end-to-end ids %s then %s: want PayoutID's first, a new one after the rejection", first[0].EndToEndID, again[0].EndToEndID)
	}
	if again[0].Mandate != "M-9" {
		t.Errorf("mandate %q, want M-9 (the account paid to)", again[0].Mandate)
	}
}
