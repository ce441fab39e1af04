package pain

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReadStatusReport reads the status reports in testdata, each
// written by hand for a case the guidelines describe (the 001.10 ones
// checked against the XSD), and compares every field read.
func TestReadStatusReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		xsd  string
		want StatusReport
	}{
		{
			file: "partial.pain.002.xml", xsd: "pain.002.001.10.xsd",
			want: StatusReport{
				Namespace: NamespaceStatus10, MessageID: "STS-20261214-0001", Created: time.Date(2026, 12, 14, 9, 2, 33, 0, time.UTC),
				OriginalMessageID: "DEMO-20261207T091500-1", OriginalMessageType: "pain.008.001.08", GroupStatus: StatusPartiallyAccepted,
				Payments: []PaymentStatus{
					{PaymentInfoID: "DEMO-FRST-20261222", Status: StatusAccepted},
					{PaymentInfoID: "DEMO-RCUR-20261210", Status: StatusPartiallyAccepted, Transactions: []TransactionStatus{
						{EndToEndID: "INV-2026-0004", Status: StatusRejected, Reasons: []StatusReason{{Code: "AC04", Info: "Konto erloschen Account closed"}},
							Amount: 99_999_999_999, Currency: "EUR", Collection: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC), Line: 34},
						{EndToEndID: "INV-2026-0005", Status: StatusSettlementInProcess, Amount: 2999, Currency: "EUR", Line: 58},
					}},
				},
			},
		},
		{
			file: "group-reject.pain.002.xml", xsd: "pain.002.001.10.xsd",
			want: StatusReport{
				Namespace: NamespaceStatus10, MessageID: "STS-20261214-0002", Created: time.Date(2026, 12, 14, 10, 5, 0, 0, time.UTC),
				OriginalMessageID: "DEMO-20261207T091500-1", OriginalMessageType: "pain.008.001.08", GroupStatus: StatusRejected,
				GroupReasons: []StatusReason{{Code: "DS0C", Proprietary: true, Info: "Signatur ungueltig"}, {Code: "FF01"}},
			},
		},
		{
			file: "payout.pain.002.xml", xsd: "pain.002.001.10.xsd",
			want: StatusReport{
				Namespace: NamespaceStatus10, MessageID: "STS-PAY-1", Created: time.Date(2026, 12, 8, 7, 0, 0, 0, time.UTC),
				OriginalMessageID: "DEMO-PAY-20261207T091500-1", OriginalMessageType: "pain.001.001.09",
				Payments: []PaymentStatus{{PaymentInfoID: "DEMO-PAY-20261208", Transactions: []TransactionStatus{
					{EndToEndID: "CB-K3002-20261207", Status: StatusRejected, Reasons: []StatusReason{{Code: "AC01"}}, Amount: 23,
						Currency: "EUR", Execution: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), Line: 17},
				}}},
			},
		},
		{
			file: "v03.pain.002.xml",
			want: StatusReport{
				Namespace: NamespaceStatus03, MessageID: "STS-V03-1", Created: time.Date(2026, 12, 8, 7, 0, 0, 123_000_000, time.UTC),
				OriginalMessageID: "DEMO-PAY-20261207T091500-1", OriginalMessageType: "pain.001.001.09", GroupStatus: StatusPartiallyAccepted,
				Payments: []PaymentStatus{{PaymentInfoID: "DEMO-PAY-20261208", Transactions: []TransactionStatus{
					{EndToEndID: "CB-K3001-20261207", Status: StatusAccepted, Amount: 1550, Currency: "EUR",
						Execution: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), Line: 18},
				}}},
			},
		},
		{
			file: "v09.pain.002.xml",
			want: StatusReport{
				Namespace: NamespaceStatus09, MessageID: "STS-V09-1", Created: time.Date(2026, 12, 8, 7, 0, 0, 123_000_000, time.UTC),
				OriginalMessageID: "DEMO-PAY-20261207T091500-1", OriginalMessageType: "pain.001.001.09", GroupStatus: StatusPartiallyAccepted,
				Payments: []PaymentStatus{{PaymentInfoID: "DEMO-PAY-20261208", Transactions: []TransactionStatus{
					{EndToEndID: "CB-K3001-20261207", Status: StatusAccepted, Amount: 1550, Currency: "EUR",
						Execution: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC), Line: 18},
				}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if tt.xsd != "" {
				validate(t, tt.xsd, data)
			}
			got, err := ReadStatusReport(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadStatusReportEveryStatus reads each status code at the group,
// payment and transaction level.
func TestReadStatusReportEveryStatus(t *testing.T) {
	t.Parallel()
	for code := range StatusCodes {
		doc := report("<GrpSts>"+code+"</GrpSts>", "<PmtInfSts>"+code+"</PmtInfSts>",
			"<OrgnlEndToEndId>E-1</OrgnlEndToEndId><TxSts>"+code+"</TxSts>")
		validate(t, "pain.002.001.10.xsd", []byte(doc))
		r, err := ReadStatusReport(strings.NewReader(doc))
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		got := []string{r.GroupStatus, r.Payments[0].Status, r.Payments[0].Transactions[0].Status}
		if diff := cmp.Diff([]string{code, code, code}, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", code, diff)
		}
	}
}

// report returns a pain.002.001.10 with the group status elements grp,
// one payment block with pmt and one transaction with tx.
func report(grp, pmt, tx string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>S-1</MsgId><CreDtTm>2026-12-14T10:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>M-1</OrgnlMsgId><OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId>` + grp + `</OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>P-1</OrgnlPmtInfId>` + pmt + `<TxInfAndSts>` + tx + `</TxInfAndSts></OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>`
}

// TestReadStatusReportRefuses: hostile and broken input is refused with
// an error that names the line and element, never read in part.
func TestReadStatusReportRefuses(t *testing.T) {
	t.Parallel()
	ok := report("", "", "<OrgnlEndToEndId>E-1</OrgnlEndToEndId><TxSts>RJCT</TxSts>")
	if _, err := ReadStatusReport(strings.NewReader(ok)); err != nil {
		t.Fatalf("the base document: %v", err)
	}
	tests := []struct {
		name, doc string
		want      error
		says      []string
	}{
		{"DTD with entities", `<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>` + ok[strings.Index(ok, "<Document"):],
			ErrStatusReport, []string{"line 1", "DTD"}},
		{"external entity", strings.Replace(ok, "<MsgId>S-1", "<MsgId>&xxe;", 1), ErrStatusReport, []string{"line 3", "entity"}},
		{"too large", ok + strings.Repeat(" ", MaxStatusReportSize), ErrReportTooLarge, nil},
		{"not XML", "%PDF-1.4", ErrStatusReport, []string{"line 1"}},
		{"truncated", ok[:len(ok)/2], ErrStatusReport, []string{"line"}},
		{"a pain.008", strings.Replace(ok, "pain.002.001.10", "pain.008.001.08", 1), ErrStatusReport, []string{"namespace"}},
		{"camt root", strings.Replace(strings.Replace(ok, "<Document", "<BkToCstmrStmt", 1), "</Document>", "</BkToCstmrStmt>", 1),
			ErrStatusReport, []string{"root element"}},
		{"other message", strings.Replace(strings.Replace(ok, "<CstmrPmtStsRpt>", "<CstmrDrctDbtInitn>", 1), "</CstmrPmtStsRpt>", "</CstmrDrctDbtInitn>", 1),
			ErrStatusReport, []string{"Document/CstmrDrctDbtInitn", "want CstmrPmtStsRpt"}},
		{"MsgId missing", strings.Replace(ok, "<MsgId>S-1</MsgId>", "", 1), ErrStatusReport, []string{"GrpHdr/MsgId", "missing"}},
		{"OrgnlMsgId too long", strings.Replace(ok, "<OrgnlMsgId>M-1", "<OrgnlMsgId>"+strings.Repeat("M", 36), 1), ErrStatusReport,
			[]string{"line 4", "OrgnlGrpInfAndSts/OrgnlMsgId", "35"}},
		{"status lower case", strings.Replace(ok, "<TxSts>RJCT", "<TxSts>rjct", 1), ErrStatusReport, []string{"line 5", "TxInfAndSts/TxSts"}},
		{"status too long", strings.Replace(ok, "<TxSts>RJCT", "<TxSts>REJECT", 1), ErrStatusReport, []string{"TxSts"}},
		{"reason not a code", report("", "", "<TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>ac 4</Cd></Rsn></StsRsnInf>"), ErrStatusReport,
			[]string{"StsRsnInf/Rsn/Cd"}},
		{"amount with three places", report("", "", "<OrgnlTxRef><Amt><InstdAmt Ccy=\"EUR\">1.005</InstdAmt></Amt></OrgnlTxRef>"),
			ErrStatusReport, []string{"OrgnlTxRef/Amt/InstdAmt", "decimal places"}},
		{"amount negative", report("", "", "<OrgnlTxRef><Amt><InstdAmt Ccy=\"EUR\">-1.00</InstdAmt></Amt></OrgnlTxRef>"),
			ErrStatusReport, []string{"InstdAmt"}},
		{"amount huge", report("", "", "<OrgnlTxRef><Amt><InstdAmt Ccy=\"EUR\">99999999999999999</InstdAmt></Amt></OrgnlTxRef>"),
			ErrStatusReport, []string{"InstdAmt"}},
		{"currency missing", report("", "", "<OrgnlTxRef><Amt><InstdAmt>1.00</InstdAmt></Amt></OrgnlTxRef>"),
			ErrStatusReport, []string{"currency"}},
		{"date", report("", "", "<OrgnlTxRef><ReqdColltnDt>2026-13-01</ReqdColltnDt></OrgnlTxRef>"), ErrStatusReport,
			[]string{"ReqdColltnDt", "ISO date"}},
		{"payment id missing", strings.Replace(ok, "<OrgnlPmtInfId>P-1</OrgnlPmtInfId>", "", 1), ErrStatusReport, []string{"OrgnlPmtInfId missing"}},
		{"second root", ok + "<Document/>", ErrStatusReport, []string{"after the end"}},
		{"nested deep", strings.Replace(ok, "<TxSts>", strings.Repeat("<X>", 40)+strings.Repeat("</X>", 40)+"<TxSts>", 1), ErrStatusReport,
			[]string{"nested"}},
		{"Latin-1", strings.Replace(ok, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1), ErrStatusReport, []string{"UTF-8"}},
		{"processing instruction", strings.Replace(ok, "<CstmrPmtStsRpt>", "<?php echo 1; ?><CstmrPmtStsRpt>", 1), ErrStatusReport,
			[]string{"php"}},
		{"two group blocks", strings.Replace(ok, "</OrgnlGrpInfAndSts>", "</OrgnlGrpInfAndSts><OrgnlGrpInfAndSts></OrgnlGrpInfAndSts>", 1),
			ErrStatusReport, []string{"more than once"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := ReadStatusReport(strings.NewReader(tt.doc))
			if !errors.Is(err, tt.want) || r != nil {
				t.Fatalf("got %v, %v; want %v", r, err, tt.want)
			}
			var re *ReadError
			if !errors.As(err, &re) {
				t.Errorf("%v is no *ReadError", err)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestStatusErrorsClassified: the reader's sentinels are in Errors.
func TestStatusErrorsClassified(t *testing.T) {
	t.Parallel()
	for _, err := range []error{ErrStatusReport, ErrReportTooLarge} {
		found := false
		for _, e := range Errors {
			found = found || e.Err == err
		}
		if !found {
			t.Errorf("%v has no class in Errors", err)
		}
	}
}
