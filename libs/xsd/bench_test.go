package xsd_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"testing"
)

// camt053 returns a camt.053.001.08 statement of at least size bytes:
// one account, opening and closing balance, and as many entries with one
// transaction each (references, parties, remittance) as it takes.
func camt053(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>BENCH-053-0001</MsgId>
      <CreDtTm>2026-12-07T06:00:00+01:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>BENCH-053-0001-1</Id>
      <CreDtTm>2026-12-07T06:00:00+01:00</CreDtTm>
      <Acct>
        <Id>
          <IBAN>DE89370400440532013000</IBAN>
        </Id>
        <Ccy>EUR</Ccy>
      </Acct>
      <Bal>
        <Tp>
          <CdOrPrtry>
            <Cd>PRCD</Cd>
          </CdOrPrtry>
        </Tp>
        <Amt Ccy="EUR">1000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Dt>
          <Dt>2026-12-04</Dt>
        </Dt>
      </Bal>
`)
	for i := 1; b.Len() < size; i++ {
		fmt.Fprintf(&b, `      <Ntry>
        <NtryRef>%[1]d</NtryRef>
        <Amt Ccy="EUR">%[2]d.%02[3]d</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>
          <Cd>BOOK</Cd>
        </Sts>
        <BookgDt>
          <Dt>2026-12-07</Dt>
        </BookgDt>
        <ValDt>
          <Dt>2026-12-07</Dt>
        </ValDt>
        <AcctSvcrRef>2026120700%06[1]d</AcctSvcrRef>
        <BkTxCd>
          <Domn>
            <Cd>PMNT</Cd>
            <Fmly>
              <Cd>RCDT</Cd>
              <SubFmlyCd>ESCT</SubFmlyCd>
            </Fmly>
          </Domn>
        </BkTxCd>
        <NtryDtls>
          <TxDtls>
            <Refs>
              <EndToEndId>RE-2026-%06[1]d</EndToEndId>
            </Refs>
            <Amt Ccy="EUR">%[2]d.%02[3]d</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties>
              <Dbtr>
                <Pty>
                  <Nm>Kundin %[1]d Mustermann</Nm>
                </Pty>
              </Dbtr>
              <DbtrAcct>
                <Id>
                  <IBAN>DE02120300000000202051</IBAN>
                </Id>
              </DbtrAcct>
            </RltdPties>
            <RmtInf>
              <Ustrd>Rechnung RE-2026-%06[1]d Kunde K-%[1]d</Ustrd>
            </RmtInf>
          </TxDtls>
        </NtryDtls>
      </Ntry>
`, i, 10+i%990, i%100)
	}
	b.WriteString(`    </Stmt>
  </BkToCstmrStmt>
</Document>
`)
	return b.Bytes()
}

// BenchmarkValidate reports the throughput of Validate on a generated
// 10 MB camt.053.001.08 statement (MB/s).
func BenchmarkValidate(b *testing.B) {
	s := load(b, "camt.053.001.08")
	doc := camt053(10 << 20)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if p := s.Validate(bytes.NewReader(doc)); len(p) != 0 {
			b.Fatalf("the generated statement has problems: %v", p[:min(len(p), 5)])
		}
	}
}

// BenchmarkDecode reads the same statement with encoding/xml alone, the
// floor under BenchmarkValidate: the difference is the validation's cost.
func BenchmarkDecode(b *testing.B) {
	doc := camt053(10 << 20)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(doc))
		for {
			if _, err := d.Token(); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

// TestGeneratedStatement keeps the benchmark's document valid.
func TestGeneratedStatement(t *testing.T) {
	t.Parallel()
	s := load(t, "camt.053.001.08")
	if p := s.Validate(bytes.NewReader(camt053(64 << 10))); len(p) != 0 {
		t.Errorf("the generated statement has problems: %v", p[:min(len(p), 5)])
	}
}
