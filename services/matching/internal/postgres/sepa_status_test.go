package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/pain"
	"github.com/o2c-platform/o2c/services/matching/internal/sepa"
)

// submitted stores mandates M-1 and M-2 and a pain.008 (message MSG-1)
// with one submitted debit under each, and returns the debits.
func submitted(t testing.TB, s *Store) []sepa.Debit {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)
	var ds []sepa.Debit
	f := sepa.File{Tenant: "acme", Name: "pain008-acme-1.xml", MessageType: sepa.Pain008, MessageID: "MSG-1",
		Account: "DE44500105175407324931", Scheme: sepa.SchemeCore, Date: sepa.Day(now).AddDate(0, 0, 1), RunDate: sepa.Day(now),
		Created: now, Content: []byte("<Document/>")}
	for i, ref := range []string{"M-1", "M-2"} {
		m := sepa.Mandate{Tenant: "acme", Reference: ref, Debtor: "D-" + ref, Name: "Erika Mustermann", IBAN: "DE89370400440532013000",
			SignedOn: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), Scheme: sepa.SchemeCore, Source: sepa.SourceOperator}
		if _, err := s.PutMandate(ctx, m, "", 0, now); err != nil {
			t.Fatal(err)
		}
		item := []string{"I-1", "I-2"}[i]
		d := sepa.Debit{Item: item, Debtor: m.Debtor, Attempt: 1, EndToEndID: sepa.EndToEndID("acme", item, 1), Mandate: ref,
			Amount: 1000, Sequence: sepa.SeqFirst, Scheme: sepa.SchemeCore, Account: f.Account, Collection: f.Date,
			PreNotified: sepa.Day(now).AddDate(0, 0, -14), State: sepa.Prenotified}
		ds = append(ds, d)
		f.EndToEndIDs = append(f.EndToEndIDs, d.EndToEndID)
		f.Count++
		f.Total += d.Amount
	}
	if err := s.SaveRun(ctx, sepa.Saved{Tenant: "acme", RunDate: sepa.Day(now).AddDate(0, 0, -14), PreNotify: ds}); err != nil {
		t.Fatal(err)
	}
	for i := range ds {
		ds[i].State, ds[i].File = sepa.Submitted, f.Name
	}
	if err := s.SaveRun(ctx, sepa.Saved{Tenant: "acme", RunDate: f.RunDate, Submit: ds, Files: []sepa.File{f},
		Collected: map[string]time.Time{"M-1": f.Date, "M-2": f.Date}}); err != nil {
		t.Fatal(err)
	}
	return ds
}

// importReport plans rep against the store's state and saves it.
func importReport(t testing.TB, s *Store, rep *pain.StatusReport) sepa.StatusResult {
	t.Helper()
	ctx := context.Background()
	st, err := s.StatusState(ctx, "acme", rep.OriginalMessageID)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.SaveStatusReport(ctx, sepa.StatusSaved{Tenant: "acme", Name: "r.xml", Content: []byte("<Document/>"), Report: rep,
		File: "pain008-acme-1.xml", Plan: sepa.PlanStatus(rep, st), Received: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func states(t testing.TB, s *Store) map[string]string {
	t.Helper()
	ds, err := s.Debits(context.Background(), "acme", "", "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range ds {
		out[d.Item] = d.State + " " + d.Reason + " " + d.BankStatus
	}
	return out
}

// TestStatusReportAppliedOnce: given two submitted debits, when a status
// report rejects I-1 for AC04 and accepts I-2, then I-1 is rejected with
// the reason, its mandate unusable and no longer last used by it, I-2's
// acceptance recorded; a report
// with the same message id again (whatever it says) changes nothing and
// answers with the first import's outcomes.
func TestStatusReportAppliedOnce(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t)
	ctx := context.Background()
	ds := submitted(t, s)
	rep := &pain.StatusReport{MessageID: "STS-1", OriginalMessageID: "MSG-1", OriginalMessageType: sepa.Pain008,
		GroupStatus: pain.StatusPartiallyAccepted, Payments: []pain.PaymentStatus{{PaymentInfoID: "MSG-1-FRST",
			Transactions: []pain.TransactionStatus{
				{EndToEndID: ds[0].EndToEndID, Status: pain.StatusRejected, Reasons: []pain.StatusReason{{Code: "AC04"}}},
				{EndToEndID: ds[1].EndToEndID, Status: pain.StatusAccepted}}}}}
	first := importReport(t, s, rep)
	if first.Duplicate || len(first.Applied) != 2 || first.Applied[0].Outcome != sepa.OutcomeRejected {
		t.Fatalf("first import %+v", first)
	}
	want := map[string]string{"I-1": "rejected AC04 RJCT", "I-2": "submitted  ACCP"}
	if diff := cmp.Diff(want, states(t, s)); diff != "" {
		t.Errorf("debits (-want +got):\n%s", diff)
	}
	ms, err := s.Mandates(ctx, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	if ms[0].Reference != "M-1" || ms[0].Unusable != "AC04" || ms[1].Unusable != "" {
		t.Errorf("mandates %+v, want M-1 unusable for AC04", ms)
	}
	if !ms[0].LastCollected.IsZero() || !ms[1].LastCollected.Equal(ds[1].Collection) {
		t.Errorf("last collected M-1 %s, M-2 %s; want none for M-1 (its one collection rejected), %s for M-2",
			ms[0].LastCollected, ms[1].LastCollected, ds[1].Collection)
	}

	// The same report id, now rejecting I-2 as well: nothing changes.
	again := *rep
	again.Payments = []pain.PaymentStatus{{PaymentInfoID: "MSG-1-FRST", Status: pain.StatusRejected}}
	second := importReport(t, s, &again)
	if !second.Duplicate {
		t.Errorf("second import not a duplicate")
	}
	if diff := cmp.Diff(first.Applied, second.Applied); diff != "" {
		t.Errorf("the duplicate's answer differs from the first import's (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(want, states(t, s)); diff != "" {
		t.Errorf("debits after the duplicate (-want +got):\n%s", diff)
	}
}

// TestPayoutRejectedAndPaidAgain: given a credit item paid out, when the
// bank rejects the transfer with AC04, then the item is no longer paid
// out (one rejection counted), the account's mandate is unusable, and a
// new payout of the item replaces the rejected one.
func TestPayoutRejectedAndPaidAgain(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	m := sepa.Mandate{Tenant: "acme", Reference: "M-9", Debtor: "D-9", Name: "Erika Mustermann", IBAN: "DE89370400440532013000",
		SignedOn: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), Scheme: sepa.SchemeCore, Source: sepa.SourceOperator}
	if _, err := s.PutMandate(ctx, m, "", 0, now); err != nil {
		t.Fatal(err)
	}
	pay := func(name, msg, e2e string) {
		t.Helper()
		f := sepa.File{Tenant: "acme", Name: name, MessageType: sepa.Pain001, MessageID: msg, Account: "DE44500105175407324931",
			Date: sepa.Day(now), RunDate: sepa.Day(now), Count: 1, Total: 2500, EndToEndIDs: []string{e2e}, Created: now,
			Content: []byte("<Document/>")}
		due := sepa.PayoutDue{Debtor: "D-9", Credits: []sepa.Credit{{Item: "C-9", Debtor: "D-9", Open: -2500}}, Amount: 2500,
			Released: true, EndToEndID: e2e, Mandate: "M-9"}
		if err := s.SavePayout(ctx, f, []sepa.PayoutDue{due}); err != nil {
			t.Fatalf("payout %s: %v", name, err)
		}
	}
	pay("pain001-1.xml", "PAY-1", "P-1")
	rep := &pain.StatusReport{MessageID: "STS-P", OriginalMessageID: "PAY-1", OriginalMessageType: sepa.Pain001,
		Payments: []pain.PaymentStatus{{PaymentInfoID: "PAY-1", Transactions: []pain.TransactionStatus{
			{EndToEndID: "P-1", Status: pain.StatusRejected, Reasons: []pain.StatusReason{{Code: "AC04"}}}}}}}
	res := importReport(t, s, rep)
	if len(res.Applied) != 1 || res.Applied[0].Outcome != sepa.OutcomeRejected || !res.Applied[0].Unusable {
		t.Fatalf("applied %+v", res.Applied)
	}
	st, err := s.PayoutState(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if st.PaidOut["C-9"] || st.Rejections["C-9"] != 1 {
		t.Errorf("paid out %v, rejections %v; want C-9 free with one rejection", st.PaidOut, st.Rejections)
	}
	if len(st.Mandates) != 1 || st.Mandates[0].Unusable != "AC04" {
		t.Errorf("mandates %+v, want M-9 unusable", st.Mandates)
	}
	pay("pain001-2.xml", "PAY-2", "P-2")
	ps, err := s.Payouts(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].EndToEndID != "P-2" || ps[0].Rejected {
		t.Errorf("payouts %+v, want C-9 paid again under P-2", ps)
	}
	if st, err = s.PayoutState(ctx, "acme"); err != nil || !st.PaidOut["C-9"] {
		t.Errorf("after the new payout: paid out %v (%v)", st.PaidOut, err)
	}
}

// TestRejectionPutsTheAmendmentBack: given M-1 collected from once, then
// given a new IBAN, and the collection that carried the amendment
// submitted (which clears it), when the bank rejects that collection,
// then the mandate's amendment is pending again for the next one and its
// last use is the first collection's.
func TestRejectionPutsTheAmendmentBack(t *testing.T) {
	t.Parallel()
	s, _, _ := newStore(t)
	ctx := context.Background()
	ds := submitted(t, s) // I-1 under M-1, I-2 under M-2, in MSG-1
	if err := s.StatementShowed(ctx, "acme", ds[0].EndToEndID, ds[0].Amount, "", ds[0].Collection); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC)
	m := sepa.Mandate{Tenant: "acme", Reference: "M-1", Debtor: "D-M-1", Name: "Erika Mustermann", IBAN: "DE75512108001245126199",
		SignedOn: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), Scheme: sepa.SchemeCore, Source: sepa.SourceOperator}
	amended, err := s.PutMandate(ctx, m, "", 0, now)
	if err != nil {
		t.Fatal(err)
	}
	if amended.Amendment == nil || !amended.Amendment.NewAccount {
		t.Fatalf("amendment %+v, want a new account pending", amended.Amendment)
	}
	d := sepa.Debit{Item: "I-3", Debtor: "D-M-1", Attempt: 1, EndToEndID: sepa.EndToEndID("acme", "I-3", 1), Mandate: "M-1",
		Amount: 500, Sequence: sepa.SeqRecurring, Scheme: sepa.SchemeCore, Account: "DE44500105175407324931",
		Collection: time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), PreNotified: sepa.Day(now), State: sepa.Prenotified}
	if err := s.SaveRun(ctx, sepa.Saved{Tenant: "acme", RunDate: sepa.Day(now), PreNotify: []sepa.Debit{d}}); err != nil {
		t.Fatal(err)
	}
	d.State, d.File = sepa.Submitted, "pain008-acme-2.xml"
	f := sepa.File{Tenant: "acme", Name: d.File, MessageType: sepa.Pain008, MessageID: "MSG-2", Account: d.Account, Scheme: sepa.SchemeCore,
		Date: d.Collection, RunDate: sepa.Day(now), Count: 1, Total: d.Amount, EndToEndIDs: []string{d.EndToEndID}, Created: now,
		Content: []byte("<Document/>")}
	if err := s.SaveRun(ctx, sepa.Saved{Tenant: "acme", RunDate: sepa.Day(now), Submit: []sepa.Debit{d}, Files: []sepa.File{f},
		Collected: map[string]time.Time{"M-1": d.Collection}}); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Mandates(ctx, "acme", "D-M-1")
	if err != nil || ms[0].Amendment != nil || !ms[0].LastCollected.Equal(d.Collection) {
		t.Fatalf("after the submission: %+v (%v), want the amendment cleared", ms, err)
	}
	importReport(t, s, &pain.StatusReport{MessageID: "STS-2", OriginalMessageID: "MSG-2", OriginalMessageType: sepa.Pain008,
		GroupStatus: pain.StatusRejected, GroupReasons: []pain.StatusReason{{Code: "FF01"}}})
	if ms, err = s.Mandates(ctx, "acme", "D-M-1"); err != nil {
		t.Fatal(err)
	}
	want := &sepa.Amendment{NewAccount: true}
	if diff := cmp.Diff(want, ms[0].Amendment); diff != "" || !ms[0].LastCollected.Equal(ds[0].Collection) {
		t.Errorf("after the rejection: last collected %s (want %s), amendment (-want +got):\n%s", ms[0].LastCollected, ds[0].Collection, diff)
	}
}
