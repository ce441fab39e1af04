package xsd_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/xsd"
)

// TestFixtures validates every camt fixture against the schema its
// namespace names. Those that break their schema are listed with the
// problems a validator must find (testdata/SOURCES.md says why each is
// invalid); every other one must be valid.
func TestFixtures(t *testing.T) {
	t.Parallel()
	const stmt = "/Document/BkToCstmrStmt/Stmt[1]"
	invalid := map[string][]xsd.Problem{
		// The source calls it valid_example.xml, but its entry puts NtryRef
		// after Amt, its references and transaction details are out of
		// the schema's order, and a clearing system code is too long.
		"camt053.001.02_DE_VR-Bank_DK-codes.xml": {
			{62, stmt + "/Ntry[1]/NtryRef", "element NtryRef is out of order (expected here: CdtDbtInd)"},
			{79, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/Refs/PmtInfId", "element PmtInfId is out of order (expected here: ChqNb, ClrSysRef, Prtry)"},
			{80, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/Refs/TxId", "element TxId is out of order (expected here: ChqNb, ClrSysRef, Prtry)"},
			{83, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/BkTxCd", "element BkTxCd is out of order (expected here: no more elements)"},
			{89, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/RltdPties", "element RltdPties is out of order (expected here: no more elements)"},
			{106, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/RltdPties/Cdtr/Nm", "element Nm is out of order (expected here: CtryOfRes, CtctDtls)"},
			{107, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/RltdPties/Cdtr/PstlAdr", "element PstlAdr is out of order (expected here: CtryOfRes, CtctDtls)"},
			{122, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/RltdAgts", "element RltdAgts is out of order (expected here: no more elements)"},
			{128, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/RltdAgts/DbtrAgt/FinInstnId/ClrSysMmbId/ClrSysId/Cd", "ABCDEF has 6 characters, at most 5"},
			{139, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/RltdAgts/CdtrAgt/FinInstnId/ClrSysMmbId/ClrSysId/Cd", "ABCDEF has 6 characters, at most 5"},
			{151, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/RmtInf", "element RmtInf is out of order (expected here: no more elements)"},
		},
		// The batch gives PmtInfId before MsgId.
		"camt053.001.02_NL_ING_batch.xml": {
			{143, stmt + "/Ntry[1]/NtryDtls[1]/Btch/MsgId", "element MsgId is out of order (expected here: NbOfTxs, TtlAmt, CdtDbtInd)"},
		},
		// The UETR is a version 5 UUID; the schema wants version 4.
		"camt053.001.08_CH_multi-currency_not-reconciling.xml": {
			{119, stmt + "/Ntry[1]/NtryDtls[1]/TxDtls[1]/Refs/UETR", "d0826d0f-a005-5e3b-b3dc-54da4ac7f0d0 does not match the pattern [a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12} of UUIDv4Identifier"},
		},
		// Version 10 makes Sts a choice (<Sts><Cd>INFO</Cd></Sts>) and
		// BkTxCd is required; the export writes the old form and no code.
		"camt054.001.10_LT_INFO-status_28-tx.xml": {
			{20, "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Sts", "text INFO is not allowed: EntryStatus1Choice has element content only"},
			{20, "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Sts", "missing required element one of (Cd, Prtry)"},
			{21, "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]", "missing required element BkTxCd before NtryDtls"},
		},
	}
	// SOURCES.md: Bal elements without CdtDbtInd, entries without Sts;
	// 26 problems on the document's single line, these first.
	ltFirst := []xsd.Problem{
		{2, stmt + "/Bal[1]", "missing required element CdtDbtInd before Dt"},
		{2, stmt + "/Bal[1]/Avlbty[1]", "missing required element Dt before Amt"},
		{2, stmt + "/Bal[1]/Avlbty[1]", "missing required element CdtDbtInd"},
	}
	const lt = "camt053.001.08_LT_two-statements_Bal-without-CdtDbtInd.xml"

	files, err := filepath.Glob("testdata/fixtures/*.xml")
	if err != nil || len(files) < 20 {
		t.Fatalf("fixtures: %d, %v", len(files), err)
	}
	nsRE := regexp.MustCompile(`urn:iso:std:iso:20022:tech:xsd:((?:camt|pain)\.\d{3}\.\d{3}\.\d{2})`)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc := readFile(t, f)
			m := nsRE.FindStringSubmatch(doc)
			if m == nil {
				t.Fatal("names no ISO 20022 namespace")
			}
			if _, err := os.Stat(filepath.Join("testdata/schemas", m[1]+".xsd")); err != nil {
				t.Skipf("no schema for %s", m[1])
			}
			got := validate(load(t, m[1]), doc)
			if name == lt {
				if len(got) != 26 {
					t.Errorf("%d problems, want 26: %v", len(got), got)
				}
				if diff := cmp.Diff(ltFirst, got[:min(3, len(got))]); diff != "" {
					t.Errorf("first problems (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(invalid[name], got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
