package intake_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake"
	"github.com/o2c-platform/o2c/services/ingestion/internal/intake/intaketest"
)

// tenantMap is an intake.Tenants over tenants built in the test.
type tenantMap map[string]tenants.Tenant

func (m tenantMap) Tenant(id string) (tenants.Tenant, bool) {
	t, ok := m[id]
	return t, ok
}

// testAccount is the account of the statements the tests write.
const testAccount = "DE89370400440532013000"

// fixtureAccounts are the accounts of the fixtures in testdata and their
// currencies.
var fixtureAccounts = map[string]string{
	testAccount:                    "EUR",
	"DE58740618130100033626":       "EUR",
	"FI7433010001222090":           "EUR",
	"CH2909000000250094239":        "CHF",
	"BE68793230773034":             "EUR",
	"DE14740618130000033626":       "EUR",
	"CH0309000000250090342":        "CHF",
	"CH160077401231234567":         "CHF",
	"LT625883379695428516":         "EUR",
	"LT414319056143772570":         "EUR",
	"11111111":                     "USD",
	"50880050/0194787400888":       "EUR",
	"50880050/0194791600888":       "EUR",
	"DE48666423990000093387":       "EUR", // 66642399/93387 in the file
	"NL10BUNQ2290325473":           "EUR",
	"DE85110101002482488293":       "EUR",
	"PL29114010810000267002001002": "PLN",
}

// fixture is a test's importer over an in-memory store, for tenant "t1"
// with every fixture account and two outgoing rules.
type fixture struct {
	store *intaketest.MemStore
	imp   *intake.Importer
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	t := tenants.Tenant{ID: "t1", Bank: tenants.Bank{
		OutgoingRules: []tenants.BankRule{
			{Name: "salaries", Remittance: "LOHN", Account: "4120"},
			{Name: "rent", CounterpartyIBAN: "DE02120300000000202051", Account: "4210"},
		},
		IncomingRules: []tenants.BankRule{{Name: "inkasso-payout", CounterpartyIBAN: "DE89370400440532013000", Account: "1362"}},
	}}
	for iban, ccy := range fixtureAccounts {
		t.Bank.Accounts = append(t.Bank.Accounts, tenants.BankAccount{IBAN: iban, Currency: ccy, Account: "1200"})
	}
	st := intaketest.NewMemStore()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return &fixture{store: st, imp: &intake.Importer{
		Store: st, Tenants: tenantMap{"t1": t}, Now: func() time.Time { return now }, BatchSize: 3,
	}}
}

// importData imports data as file name for tenant t1 and fails the test on
// an error.
func (f *fixture) importData(tb testing.TB, name string, data []byte) intake.Record {
	tb.Helper()
	rec, err := f.imp.Import(context.Background(), intake.Request{
		Tenant: "t1", FileName: name, Actor: "user:test",
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	})
	if err != nil {
		tb.Fatalf("import %s: %v", name, err)
	}
	return rec
}

func (f *fixture) importFile(tb testing.TB, path string) intake.Record {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return f.importData(tb, path, data)
}

// payloads returns the payloads of the events stored from index from on.
func (f *fixture) payloads(from int) []proto.Message {
	var out []proto.Message
	for _, ev := range f.store.Events()[from:] {
		out = append(out, ev.Payload)
	}
	return out
}

// transactions returns the BankTransactionReceived events stored from
// index from on.
func (f *fixture) transactions(from int) []*ingestionv1.BankTransactionReceived {
	var out []*ingestionv1.BankTransactionReceived
	for _, p := range f.payloads(from) {
		if t, ok := p.(*ingestionv1.BankTransactionReceived); ok {
			out = append(out, t)
		}
	}
	return out
}

// statements returns the BankStatementReceived events stored from index
// from on.
func (f *fixture) statements(from int) []*ingestionv1.BankStatementReceived {
	var out []*ingestionv1.BankStatementReceived
	for _, p := range f.payloads(from) {
		if s, ok := p.(*ingestionv1.BankStatementReceived); ok {
			out = append(out, s)
		}
	}
	return out
}

// entry is one booking of a test statement.
type entry struct {
	amount     int64 // signed minor units
	status     string
	date       string
	bankRef    string // Ntry/AcctSvcrRef
	ntryRef    string
	endToEnd   string
	remittance string
	name, iban string
	reversal   bool
	reason     string
	txs        []entry // TxDtls of a batch entry; empty: one TxDtls from the entry
}

// camt writes a camt message of kind "052", "053" or "054" with one
// statement (id, sequence, balance date) of entries on testAccount.
func camt(kind, id, seq, date string, opening int64, entries ...entry) []byte {
	names := map[string][2]string{
		"052": {"BkToCstmrAcctRpt", "Rpt"}, "053": {"BkToCstmrStmt", "Stmt"}, "054": {"BkToCstmrDbtCdtNtfctn", "Ntfctn"},
	}[kind]
	root, block := names[0], names[1]
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.%s.001.02"><%s>
<GrpHdr><MsgId>M-%s</MsgId><CreDtTm>%sT18:00:00+01:00</CreDtTm></GrpHdr>
<%s><Id>%s</Id><ElctrncSeqNb>%s</ElctrncSeqNb><CreDtTm>%sT18:00:00+01:00</CreDtTm>
<Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy></Acct>
`, kind, root, id, date, block, id, seq, date, testAccount)
	sum := opening
	for _, e := range entries {
		if e.status == "" || e.status == "BOOK" {
			sum += e.amount
		}
	}
	if kind != "054" {
		fmt.Fprintf(&b, "<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>%s<Dt><Dt>%s</Dt></Dt></Bal>\n", amount(opening), date)
		fmt.Fprintf(&b, "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>%s<Dt><Dt>%s</Dt></Dt></Bal>\n", amount(sum), date)
	}
	for _, e := range entries {
		status := e.status
		if status == "" {
			status = "BOOK"
		}
		d := e.date
		if d == "" {
			d = date
		}
		fmt.Fprintf(&b, "<Ntry>")
		if e.ntryRef != "" {
			fmt.Fprintf(&b, "<NtryRef>%s</NtryRef>", e.ntryRef)
		}
		fmt.Fprintf(&b, "%s", amount(e.amount))
		if e.reversal {
			b.WriteString("<RvslInd>true</RvslInd>")
		}
		fmt.Fprintf(&b, "<Sts>%s</Sts><BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt>", status, d, d)
		if e.bankRef != "" {
			fmt.Fprintf(&b, "<AcctSvcrRef>%s</AcctSvcrRef>", e.bankRef)
		}
		b.WriteString("<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls>")
		txs := e.txs
		if len(txs) == 0 {
			txs = []entry{e}
		} else {
			fmt.Fprintf(&b, "<Btch><NbOfTxs>%d</NbOfTxs></Btch>", len(txs))
		}
		for _, t := range txs {
			b.WriteString("<TxDtls>")
			if t.endToEnd != "" {
				fmt.Fprintf(&b, "<Refs><EndToEndId>%s</EndToEndId></Refs>", t.endToEnd)
			}
			fmt.Fprintf(&b, "<AmtDtls><TxAmt>%s</TxAmt></AmtDtls>", txAmount(t.amount))
			party, acct := "Dbtr", "DbtrAcct"
			if t.amount < 0 {
				party, acct = "Cdtr", "CdtrAcct"
			}
			if t.name != "" || t.iban != "" {
				fmt.Fprintf(&b, "<RltdPties><%s><Nm>%s</Nm></%s>", party, t.name, party)
				if t.iban != "" {
					fmt.Fprintf(&b, "<%s><Id><IBAN>%s</IBAN></Id></%s>", acct, t.iban, acct)
				}
				b.WriteString("</RltdPties>")
			}
			if t.reason != "" {
				fmt.Fprintf(&b, "<RtrInf><Rsn><Cd>%s</Cd></Rsn></RtrInf>", t.reason)
			}
			if t.remittance != "" {
				fmt.Fprintf(&b, "<RmtInf><Ustrd>%s</Ustrd></RmtInf>", t.remittance)
			}
			b.WriteString("</TxDtls>")
		}
		b.WriteString("</NtryDtls></Ntry>\n")
	}
	fmt.Fprintf(&b, "</%s></%s></Document>\n", block, root)
	return []byte(b.String())
}

// amount is an Amt element with its CdtDbtInd.
func amount(minor int64) string {
	ind := "CRDT"
	if minor < 0 {
		ind, minor = "DBIT", -minor
	}
	return fmt.Sprintf(`<Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>%s</CdtDbtInd>`, minor/100, minor%100, ind)
}

// txAmount is the Amt element of an AmtDtls/TxAmt, unsigned.
func txAmount(minor int64) string {
	if minor < 0 {
		minor = -minor
	}
	return fmt.Sprintf(`<Amt Ccy="EUR">%d.%02d</Amt>`, minor/100, minor%100)
}
