// Package camtgen writes synthetic but realistic camt.053.001.02 statements
// of a chosen size, for benchmarks and load tests of the camt parser.
package camtgen

import (
	"bufio"
	"fmt"
	"io"
)

// Write writes one camt.053.001.02 message of at least size bytes to w: a
// single statement whose entries alternate between SEPA credits with full
// transaction details and small batches of direct debits. The opening and
// closing balances reconcile. It returns the number of entries written.
// The output depends only on size.
func Write(w io.Writer, size int64) (entries int, err error) {
	// Pass 1: how many entries fit, and what they sum to, so the closing
	// balance can go in the header where the schema puts it.
	head := header(0, 0)
	n, total := int64(len(head)+len(trailer)), int64(0)
	var buf []byte
	for entries = 0; n < size; entries++ {
		var amt int64
		buf, amt = entry(buf[:0], entries)
		n += int64(len(buf))
		total += amt
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if _, err := bw.WriteString(header(openingMinor, openingMinor+total)); err != nil {
		return 0, err
	}
	for i := 0; i < entries; i++ {
		buf, _ = entry(buf[:0], i)
		if _, err := bw.Write(buf); err != nil {
			return i, err
		}
	}
	if _, err := bw.WriteString(trailer); err != nil {
		return entries, err
	}
	return entries, bw.Flush()
}

const openingMinor = 100000000

const trailer = `    </Stmt>
  </BkToCstmrStmt>
</Document>
`

func header(opening, closing int64) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>BENCH-0001</MsgId><CreDtTm>2024-03-01T18:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>BENCH-STMT-1</Id><ElctrncSeqNb>1</ElctrncSeqNb>
      <Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>
`, dec(opening), dec(closing))
}

// entry appends entry i to buf and returns its signed amount.
func entry(buf []byte, i int) ([]byte, int64) {
	if i%4 == 3 {
		a, b := int64(1000+i%5000), int64(2500+i%700)
		buf = fmt.Appendf(buf, `      <Ntry>
        <NtryRef>%d</NtryRef><Amt Ccy="EUR">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2024-03-01</Dt></BookgDt><ValDt><Dt>2024-03-01</Dt></ValDt><AcctSvcrRef>BANKREF%09d</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
          <TxDtls><Refs><EndToEndId>E2E-%d-1</EndToEndId><MndtId>MNDT-%d</MndtId></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">%s</Amt></TxAmt></AmtDtls>
            <RltdPties><Cdtr><Nm>Stadtwerke Musterstadt GmbH</Nm></Cdtr><CdtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></CdtrAcct></RltdPties>
            <RmtInf><Ustrd>EREF: E2E-%d-1 MREF: MNDT-%d CRED: DE98ZZZ09999999999 SVWZ: Abschlag Strom Kundennummer 4711</Ustrd></RmtInf></TxDtls>
          <TxDtls><Refs><EndToEndId>E2E-%d-2</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">%s</Amt></TxAmt></AmtDtls>
            <RltdPties><Cdtr><Nm>Versicherung AG</Nm></Cdtr><CdtrAcct><Id><IBAN>DE44500105175407324931</IBAN></Id></CdtrAcct></RltdPties>
            <RmtInf><Ustrd>Beitrag Police 99-1234 Maerz</Ustrd></RmtInf></TxDtls>
        </NtryDtls>
        <AddtlNtryInf>Basislastschrift</AddtlNtryInf>
      </Ntry>
`, i, dec(a+b), i, i, i, dec(a), i, i, i, dec(b))
		return buf, -(a + b)
	}
	a := int64(10000 + (i*7919)%900000)
	buf = fmt.Appendf(buf, `      <Ntry>
        <NtryRef>%d</NtryRef><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2024-03-01</Dt></BookgDt><ValDt><Dt>2024-03-01</Dt></ValDt><AcctSvcrRef>BANKREF%09d</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>TX%09d</AcctSvcrRef><EndToEndId>INV-2024-%07d</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>Kunde %d Handelsgesellschaft mbH</Nm></Dbtr><DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct></RltdPties>
          <RltdAgts><DbtrAgt><FinInstnId><BIC>ABNANL2A</BIC></FinInstnId></DbtrAgt></RltdAgts>
          <RmtInf><Ustrd>Rechnung RE-%07d vom 15.02.2024 Kundennummer K%06d vielen Dank</Ustrd>
            <Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
        </TxDtls></NtryDtls>
        <AddtlNtryInf>SEPA Gutschrift</AddtlNtryInf>
      </Ntry>
`, i, dec(a), i, i, i, i, i, i)
	return buf, a
}

func dec(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }
