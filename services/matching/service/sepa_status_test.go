package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
)

// statusReport returns a pain.002.001.10 with message id id on the
// pain.008 message msgID: its FRST batch partially accepted, each of
// rejects (end-to-end id and reason code) rejected.
func statusReport(id, msgID string, rejects [][2]string) []byte {
	var tx strings.Builder
	for _, r := range rejects {
		fmt.Fprintf(&tx, `<TxInfAndSts><OrgnlEndToEndId>%s</OrgnlEndToEndId><TxSts>RJCT</TxSts>
<StsRsnInf><Rsn><Cd>%s</Cd></Rsn><AddtlInf>abgelehnt</AddtlInf></StsRsnInf></TxInfAndSts>`, r[0], r[1])
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>` + id + `</MsgId><CreDtTm>2026-12-14T15:00:00+01:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>` + msgID + `</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>` + msgID + `-FRST</OrgnlPmtInfId><PmtInfSts>PART</PmtInfSts>` + tx.String() + `</OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>`)
}

// TestSepaStatusReportRejectsCollections: given I-1 (mandate M-1) and
// I-2 (mandate M-2) submitted in one pain.008, when the bank's pain.002
// rejects I-1 for MS03 (reason not specified) and I-2 for AC04 (account
// closed), then both debits are rejected with their reasons in
// ListCollections, M-2 is unusable, nothing is sent to the ledger, the
// same report again changes nothing, and the next run pre-notifies I-1
// again under a new end-to-end id and leaves I-2 out for AC04.
func TestSepaStatusReportRejectsCollections(t *testing.T) {
	t.Parallel()
	s := startSepa(t)
	for _, d := range []string{"1", "2"} {
		s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "M-" + d, DebtorId: "D-" + d,
			Name: "Beispiel GmbH", Iban: ibanD1, SignedOn: day(2026, 1, 10)}})
		s.directDebitItem(t, "I-"+d, "D-"+d, "RE-100"+d, 11900, dec1)
	}
	s.collect(t, day(2026, 12, 1), false)
	sub := s.collect(t, day(2026, 12, 14), false)
	if len(sub.GetSubmitted()) != 2 || len(sub.GetFiles()) != 1 {
		t.Fatalf("submitted %v in %v, want I-1 and I-2 in one file", ids(sub.GetSubmitted()), sub.GetFiles())
	}
	e2e := map[string]string{}
	for _, d := range sub.GetSubmitted() {
		e2e[d.GetOpenItemId()] = d.GetEndToEndId()
	}
	file := sub.GetFiles()[0]
	report := statusReport("STS-1", file.GetMessageId(), [][2]string{{e2e["I-1"], "MS03"}, {e2e["I-2"], "AC04"}, {"NOT-OURS", "AC01"}})
	validate(t, "pain.002.001.10.xsd", report)

	call := func() *matchingv1.ImportStatusReportResponse {
		t.Helper()
		res, err := s.sepa.ImportStatusReport(context.Background(), &matchingv1.ImportStatusReportRequest{Tenant: "acme",
			Content: report, Name: "sts-1.xml"}, testAuth.As(accountant("acme")))
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		return res
	}
	res := call()
	var got []string
	for _, a := range res.GetApplied() {
		got = append(got, fmt.Sprintf("%s %s %s %s unusable=%v", strings.Join(a.GetOpenItemIds(), ","), a.GetStatus(), a.GetReason(),
			a.GetOutcome(), a.GetMandateUnusable()))
	}
	want := []string{"I-1 RJCT MS03 rejected unusable=false", "I-2 RJCT AC04 rejected unusable=true", " RJCT AC01 unknown unusable=false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if res.GetFile() != file.GetName() || res.GetDuplicate() || res.GetMessageId() != "STS-1" {
		t.Errorf("response %v", res)
	}

	list, err := s.sepa.ListCollections(context.Background(), &matchingv1.ListCollectionsRequest{Tenant: "acme", State: "rejected"},
		testAuth.As(accountant("acme")))
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, d := range list.GetDebits() {
		got = append(got, d.GetOpenItemId()+" "+d.GetReason()+" "+d.GetBankStatus())
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"I-1 MS03 RJCT", "I-2 AC04 RJCT"}, got); diff != "" {
		t.Errorf("rejected debits (-want +got):\n%s", diff)
	}
	if m := s.mandates(t); m["M-2"].GetUnusableReason() != "AC04" || m["M-1"].GetUnusableReason() != "" {
		t.Errorf("mandates M-1 %q, M-2 %q; want M-2 unusable for AC04", m["M-1"].GetUnusableReason(), m["M-2"].GetUnusableReason())
	}
	if cmds := s.commands(t); len(cmds) != 0 {
		t.Errorf("the ledger was sent %v; a rejection books nothing", cmds)
	}

	if again := call(); !again.GetDuplicate() || len(again.GetApplied()) != 3 {
		t.Errorf("the same report again: %v, want a duplicate with the first answer", again)
	}

	next := s.collect(t, day(2026, 12, 15), false)
	if len(next.GetPreNotified()) != 1 || next.GetPreNotified()[0].GetOpenItemId() != "I-1" ||
		next.GetPreNotified()[0].GetAttempt() != 2 || next.GetPreNotified()[0].GetEndToEndId() == e2e["I-1"] ||
		next.GetPreNotified()[0].GetSequence() != "FRST" {
		t.Errorf("next run pre-notified %v, want I-1 again as attempt 2 (FRST) with a new end-to-end id", next.GetPreNotified())
	}
	if len(next.GetSkipped()) != 1 || next.GetSkipped()[0].GetOpenItemId() != "I-2" || !strings.Contains(next.GetSkipped()[0].GetReason(), "AC04") {
		t.Errorf("skipped %v, want I-2 for AC04", next.GetSkipped())
	}
}

// TestSepaStatusReportRefusesGarbage: content that is no status report
// is refused INVALID_ARGUMENT naming the line and element, and changes
// nothing; a viewer may not import.
func TestSepaStatusReportRefusesGarbage(t *testing.T) {
	t.Parallel()
	s := startSepa(t)
	bad := statusReport("STS-1", "MSG-1", [][2]string{{"E-1", "ac04"}})
	_, err := s.sepa.ImportStatusReport(context.Background(), &matchingv1.ImportStatusReportRequest{Tenant: "acme", Content: bad,
		Name: "bad.xml"}, testAuth.As(accountant("acme")))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "line 6") || !strings.Contains(err.Error(), "Rsn/Cd") {
		t.Errorf("garbage: %v, want INVALID_ARGUMENT naming line 6 and Rsn/Cd", err)
	}
	_, err = s.sepa.ImportStatusReport(context.Background(), &matchingv1.ImportStatusReportRequest{Tenant: "acme",
		Content: statusReport("STS-2", "MSG-1", nil)}, testAuth.As(operator("beta")))
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("another tenant's operator: %v, want PERMISSION_DENIED", err)
	}
}
