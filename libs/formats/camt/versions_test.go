package camt

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// versionDoc writes a message of camt.<msg>.001.<ver> in that version's
// own elements:
//   - 001.01 names the message element with a V01 suffix;
//   - 001.01/02 have no TxDtls/Amt (the amount is AmtDtls/TxAmt/Amt),
//     BIC instead of BICFI and Chrgs/Amt instead of Chrgs/Rcrd/Amt;
//   - from 001.08 Sts is a choice (Sts/Cd) and related parties are wrapped
//     in Pty;
//   - odd versions write dates as DtTm with an offset, even ones as Dt.
//
// camt.054 has no balances.
func versionDoc(msg string, ver int) string {
	root := map[string]string{"052": "BkToCstmrAcctRpt", "053": "BkToCstmrStmt", "054": "BkToCstmrDbtCdtNtfctn"}[msg]
	block := map[string]string{"052": "Rpt", "053": "Stmt", "054": "Ntfctn"}[msg]
	if ver == 1 {
		root += "V01"
	}
	sts := "<Sts>BOOK</Sts>"
	if ver >= 8 {
		sts = "<Sts><Cd>BOOK</Cd></Sts>"
	}
	party := func(role, name string) string {
		if ver >= 8 {
			return "<" + role + "><Pty><Nm>" + name + "</Nm></Pty></" + role + ">"
		}
		return "<" + role + "><Nm>" + name + "</Nm></" + role + ">"
	}
	bic := "BIC"
	if ver >= 3 {
		bic = "BICFI"
	}
	date := func(d string) string {
		if ver%2 == 1 {
			return "<DtTm>" + d + "T10:30:00+02:00</DtTm>"
		}
		return "<Dt>" + d + "</Dt>"
	}
	txAmt := func(amt, cd string) string {
		if ver <= 2 {
			return "<AmtDtls><TxAmt><Amt Ccy=\"EUR\">" + amt + "</Amt></TxAmt></AmtDtls>"
		}
		return "<Amt Ccy=\"EUR\">" + amt + "</Amt><CdtDbtInd>" + cd + "</CdtDbtInd>"
	}
	chrgs := "<Chrgs><Amt Ccy=\"EUR\">1.50</Amt></Chrgs>"
	if ver >= 3 {
		chrgs = "<Chrgs><TtlChrgsAndTaxAmt Ccy=\"EUR\">1.50</TtlChrgsAndTaxAmt><Rcrd><Amt Ccy=\"EUR\">1.00</Amt></Rcrd><Rcrd><Amt Ccy=\"EUR\">0.50</Amt></Rcrd></Chrgs>"
	}
	bal := func(code, amt, cd string) string {
		if msg == "054" {
			return ""
		}
		return "<Bal><Tp><CdOrPrtry><Cd>" + code + "</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">" + amt + "</Amt><CdtDbtInd>" + cd + "</CdtDbtInd><Dt>" + date("2024-03-01") + "</Dt></Bal>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.%s.001.%02d">
<%s><GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-01T18:00:00</CreDtTm></GrpHdr>
<%s><Id>S-%s-%02d</Id><ElctrncSeqNb>7</ElctrncSeqNb><CreDtTm>2024-03-01T18:00:00</CreDtTm>
<Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
%s%s
<Ntry><NtryRef>1</NtryRef><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>%s
<BookgDt>%s</BookgDt><ValDt>%s</ValDt><AcctSvcrRef>BANKREF-1</AcctSvcrRef>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>E2E-1</EndToEndId><MndtId>MANDATE-1</MndtId></Refs>%s
<RltdPties>%s<DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct>%s</RltdPties>
<RltdAgts><DbtrAgt><FinInstnId><%s>COBADEFFXXX</%s></FinInstnId></DbtrAgt></RltdAgts>
<RmtInf><Ustrd>Invoice 4711 </Ustrd><Ustrd>and 4712</Ustrd><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls><AddtlNtryInf>SEPA credit</AddtlNtryInf></Ntry>
<Ntry><Amt Ccy="EUR">25.50</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd>%s
<BookgDt>%s</BookgDt><ValDt>%s</ValDt><AcctSvcrRef>BANKREF-2</AcctSvcrRef>
<BkTxCd><Prtry><Cd>NRTI+109+00900</Cd><Issr>DK</Issr></Prtry></BkTxCd>
<NtryDtls><TxDtls><Refs><EndToEndId>E2E-2</EndToEndId></Refs>%s%s
<RltdPties>%s<CdtrAcct><Id><IBAN>DE44500105175407324931</IBAN></Id></CdtrAcct></RltdPties>
<RtrInf><Rsn><Cd>AC06</Cd></Rsn><AddtlInf>AC07 blocked</AddtlInf></RtrInf>
</TxDtls></NtryDtls></Ntry>
</%s></%s></Document>`,
		msg, ver, root, block, msg, ver,
		bal("OPBD", "1000.00", "CRDT"), bal("CLBD", "1074.50", "CRDT"),
		sts, date("2024-03-01"), date("2024-03-01"),
		txAmt("100.00", "CRDT"), party("Dbtr", "Alice Payer"), party("Cdtr", "Our Shop"), bic, bic,
		sts, date("2024-03-01"), date("2024-02-29"),
		txAmt("25.50", "DBIT"), chrgs, party("Cdtr", "Bob Creditor"),
		block, root)
	return b.String()
}

// TestEveryNamespace parses a hand-made message for each of the 39
// namespaces, written in that version's own element shapes.
func TestEveryNamespace(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{"052", "053", "054"} {
		for ver := 1; ver <= 13; ver++ {
			name := fmt.Sprintf("camt.%s.001.%02d", msg, ver)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p := parseString(t, versionDoc(msg, ver))
				if p.Message != name {
					t.Errorf("message = %q", p.Message)
				}
				if len(p.Statements) != 1 {
					t.Fatalf("%d statements", len(p.Statements))
				}
				s := p.Statements[0]
				wantCheck, wantOpen := CheckOK, &Amount{Minor: 100000, Currency: "EUR"}
				if msg == "054" {
					wantCheck, wantOpen = CheckIncomplete, nil
				}
				if diff := cmp.Diff(wantOpen, s.Statement.OpeningBooked); diff != "" {
					t.Errorf("opening: %s", diff)
				}
				if s.Statement.BalanceCheck != wantCheck || s.Statement.ID != fmt.Sprintf("S-%s-%02d", msg, ver) ||
					s.Statement.Account != "DE02120300000000202051" || s.Statement.Sequence != "7" || s.Statement.Currency != "EUR" {
					t.Errorf("statement = %+v", s.Statement)
				}
				want := []Entry{{
					Amount: Amount{Minor: 10000, Currency: "EUR"}, CreditDebit: "CRDT", Status: "BOOK",
					BookingDate: "2024-03-01", ValueDate: "2024-03-01", EntryRef: "1", AcctSvcrRef: "BANKREF-1",
					BankTxCode: "PMNT/RCDT/ESCT", BookingText: "SEPA credit",
					Transactions: []Transaction{{
						Amount: Amount{Minor: 10000, Currency: "EUR"}, CreditDebit: "CRDT",
						EndToEndID: "E2E-1", MandateID: "MANDATE-1",
						Remittance:         "Invoice 4711 and 4712",
						CreditorReferences: []string{"RF18539007547034"},
						CounterpartyName:   "Alice Payer", CounterpartyIBAN: "DE89370400440532013000", CounterpartyBIC: "COBADEFFXXX",
						BankTxCode: "",
					}},
				}, {
					Amount: Amount{Minor: -2550, Currency: "EUR"}, CreditDebit: "DBIT", Reversal: true, Status: "BOOK",
					BookingDate: "2024-03-01", ValueDate: "2024-02-29", AcctSvcrRef: "BANKREF-2",
					BankTxCode: "NRTI+109+00900",
					Transactions: []Transaction{{
						Amount: Amount{Minor: -2550, Currency: "EUR"}, CreditDebit: "DBIT",
						EndToEndID: "E2E-2", CounterpartyName: "Bob Creditor", CounterpartyIBAN: "DE44500105175407324931",
						ReturnReason: "AC06", Charges: 150,
					}},
				}}
				if diff := cmp.Diff(want, s.Entries, cmpopts.IgnoreUnexported(Entry{}, Transaction{}), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("entries (-want +got):\n%s", diff)
				}
				if len(p.Warnings) != 0 {
					t.Errorf("warnings: %q", p.Warnings)
				}
			})
		}
	}
}
