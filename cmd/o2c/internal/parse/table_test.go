package parse

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tableCamt = `<?xml version='1.0' encoding='utf-8'?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>
<Stmt><Id>S1</Id><LglSeqNb>12</LglSeqNb><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-09</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">219.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-10</Dt></Dt></Bal>
<Ntry><NtryRef>N1</NtryRef><Amt Ccy="EUR">119.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt><ValDt><Dt>2026-11-10</Dt></ValDt>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Erika Mustermann</Nm></Dbtr><DbtrAcct><Id><IBAN>DE02120300000000202051</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>RE-2026-1001 Kundennr K-1001</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>`

func TestTableOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "stmt.xml")
	bad := filepath.Join(dir, "notes.txt")
	for name, content := range map[string]string{good: tableCamt, bad: "nothing to see\n"} {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	if code := Run([]string{good, bad}, Options{Output: "table"}, &out, &errOut); code != 1 {
		t.Errorf("exit %d, want 1 (one file could not be parsed)", code)
	}
	text := out.String()
	for _, want := range []string{
		"== " + good + " (camt.053.001.02)",
		"Statement S1 (sequence 12), account DE89370400440532013000, EUR",
		"opening 100.00 EUR, closing 219.00 EUR, balance check ok",
		"BOOKED", "2026-11-10", "119.00 EUR", "Erika Mustermann DE02120300000000202051", "RE-2026-1001 Kundennr K-1001",
		"1 entry\n",
		"== " + bad + "\n", "ERROR: unknown format",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("table output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, `"statements"`) {
		t.Errorf("table output contains JSON:\n%s", text)
	}
}

func TestJSONIsTheDefaultOutput(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "stmt.xml")
	if err := os.WriteFile(name, []byte(tableCamt), 0o600); err != nil {
		t.Fatal(err)
	}
	var def, explicit, errOut bytes.Buffer
	if code := Run([]string{name}, Options{}, &def, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if code := Run([]string{name}, Options{Output: "json"}, &explicit, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if def.String() != explicit.String() || !strings.HasPrefix(def.String(), `{"file":`) {
		t.Errorf("default output %q differs from --output json %q, or is not JSON", def.String(), explicit.String())
	}
	if code := Run([]string{name}, Options{Output: "yaml"}, &def, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown --output "yaml"`) {
		t.Errorf("--output yaml: exit %d, stderr %q; want 2 and the reason", code, errOut.String())
	}
}
