package faults

import (
	"bytes"
	"fmt"
	"html"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/cmd/o2c/internal/demo"
)

// camtTx is a credit on the demo tenant's bank account.
type camtTx struct {
	amount     int64 // cents, a credit
	name, iban string
	remittance string
	e2e        string
}

func amount(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// camt053 writes the statement id (electronic sequence number seq) of the
// demo tenant's account for date, from opening (cents) with txs, and
// returns it with its closing balance.
func camt053(id string, seq int, date *commonv1.Date, opening int64, txs []camtTx) ([]byte, int64) {
	d := fmt.Sprintf("%04d-%02d-%02d", date.GetYear(), date.GetMonth(), date.GetDay())
	closing := opening
	for _, t := range txs {
		closing += t.amount
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>%s</MsgId><CreDtTm>%sT22:05:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>%s</Id><ElctrncSeqNb>%d</ElctrncSeqNb><LglSeqNb>%d</LglSeqNb>
      <CreDtTm>%sT22:05:00+01:00</CreDtTm>
      <FrToDt><FrDtTm>%sT00:00:00+01:00</FrDtTm><ToDtTm>%sT23:59:59+01:00</ToDtTm></FrToDt>
      <Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy><Ownr><Nm>Demo Shop GmbH</Nm></Ownr></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>%s</Dt></Dt></Bal>
`, id, d, id, seq, seq, d, d, d, demo.DemoIBAN, amount(opening), d, amount(closing), d)
	for i, t := range txs {
		fmt.Fprintf(&b, `      <Ntry>
        <NtryRef>%d</NtryRef><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>%s</Dt></BookgDt><ValDt><Dt>%s</Dt></ValDt><AcctSvcrRef>%s-%d</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>%s</EndToEndId></Refs>
          <Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd>
          <RltdPties><Dbtr><Pty><Nm>%s</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>%s</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
        <AddtlNtryInf>SEPA-Gutschrift</AddtlNtryInf>
      </Ntry>
`, i+1, amount(t.amount), d, d, id, i+1, html.EscapeString(t.e2e), amount(t.amount), html.EscapeString(t.name), t.iban, html.EscapeString(t.remittance))
	}
	b.WriteString("    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n")
	return b.Bytes(), closing
}
