package xsd_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/xsd"
)

const (
	pain008 = "testdata/pain.008.001.08_valid.xml"
	grpHdr  = "/Document/CstmrDrctDbtInitn/GrpHdr"
	pmtInf  = "/Document/CstmrDrctDbtInitn/PmtInf[1]"
)

// TestValidDocuments: hand-written documents of the two messages SEPA
// files use, filled as the EPC implementation guidelines fill them, are
// valid, and each with one stray element has exactly that problem.
func TestValidDocuments(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ message, file string }{
		{"pain.008.001.08", pain008},
		{"pain.001.001.09", "testdata/pain.001.001.09_valid.xml"},
	} {
		s := load(t, tt.message)
		doc := readFile(t, tt.file)
		if got := validate(s, doc); len(got) != 0 {
			t.Errorf("%s has problems: %v", tt.file, got)
		}
		broken := strings.Replace(doc, "<GrpHdr>", "<GrpHdr><Envlp/>", 1)
		if got := validate(s, broken); len(got) != 1 || !strings.HasPrefix(got[0].Msg, "unexpected element Envlp") {
			t.Errorf("%s with an Envlp in GrpHdr: %v", tt.file, got)
		}
	}
}

// TestMutations breaks the valid pain.008 in one place each and checks
// what Validate reports. Mutations keep the line structure, so the lines
// are those of the valid file.
func TestMutations(t *testing.T) {
	t.Parallel()
	s := load(t, "pain.008.001.08")
	valid := readFile(t, pain008)
	tests := []struct {
		name     string
		old, new string
		want     []xsd.Problem
	}{
		{
			name: "missing required element",
			old:  "<MsgId>O2C-DEMO-20261207-0001</MsgId>", new: "",
			want: []xsd.Problem{{Line: 6, Path: grpHdr, Msg: "missing required element MsgId before CreDtTm"}},
		},
		{
			name: "missing required element at the end of its parent",
			old:  "<InitgPty>\n        <Nm>Musterhaus Versand GmbH</Nm>\n      </InitgPty>", new: "\n\n",
			want: []xsd.Problem{{Line: 12, Path: grpHdr, Msg: "missing required element InitgPty"}},
		},
		{
			name: "missing choice",
			old:  "<IBAN>DE89370400440532013000</IBAN>", new: "",
			want: []xsd.Problem{{Line: 35, Path: pmtInf + "/CdtrAcct/Id", Msg: "missing required element one of (IBAN, Othr)"}},
		},
		{
			name: "wrong order",
			old:  "<CreDtTm>2026-12-07T09:30:00</CreDtTm>\n      <NbOfTxs>3</NbOfTxs>",
			new:  "<NbOfTxs>3</NbOfTxs>\n      <CreDtTm>2026-12-07T09:30:00</CreDtTm>",
			want: []xsd.Problem{
				{Line: 6, Path: grpHdr, Msg: "missing required element CreDtTm before NbOfTxs"},
				{Line: 7, Path: grpHdr + "/CreDtTm", Msg: "element CreDtTm is out of order (expected here: CtrlSum, InitgPty)"},
			},
		},
		{
			name: "too many occurrences",
			old:  "<CtrlSum>219.39</CtrlSum>\n      <InitgPty>", new: "<NbOfTxs>3</NbOfTxs><CtrlSum>219.39</CtrlSum>\n      <InitgPty>",
			want: []xsd.Problem{{Line: 8, Path: grpHdr + "/NbOfTxs", Msg: "too many NbOfTxs elements: at most once (expected here: CtrlSum, InitgPty)"}},
		},
		{
			name: "bad pattern",
			old:  "<IBAN>DE89370400440532013000</IBAN>", new: "<IBAN>DE89 3704 0044 0532 0130 00</IBAN>",
			want: []xsd.Problem{{Line: 34, Path: pmtInf + "/CdtrAcct/Id/IBAN",
				Msg: `"DE89 3704 0044 0532 0130 00" does not match the pattern [A-Z]{2,2}[0-9]{2,2}[a-zA-Z0-9]{1,30} of IBAN2007Identifier`}},
		},
		{
			name: "bad enumeration",
			old:  "<SeqTp>FRST</SeqTp>", new: "<SeqTp>FIRST</SeqTp>",
			want: []xsd.Problem{{Line: 26, Path: pmtInf + "/PmtTpInf/SeqTp", Msg: "FIRST is not one of the values of SequenceType3Code (FRST, RCUR, FNAL, OOFF, RPRE)"}},
		},
		{
			// The schema allows five fraction digits on amounts; the
			// EPC's two are SA's writer's business.
			name: "too many fraction digits",
			old:  `<InstdAmt Ccy="EUR">57.89</InstdAmt>`, new: `<InstdAmt Ccy="EUR">57.123456</InstdAmt>`,
			want: []xsd.Problem{{Line: 125, Path: pmtInf + "/DrctDbtTxInf[3]/InstdAmt", Msg: "57.123456 has 6 fraction digits, at most 5"}},
		},
		{
			name: "not a decimal",
			old:  `<InstdAmt Ccy="EUR">57.89</InstdAmt>`, new: `<InstdAmt Ccy="EUR">57,89</InstdAmt>`,
			want: []xsd.Problem{{Line: 125, Path: pmtInf + "/DrctDbtTxInf[3]/InstdAmt", Msg: "57,89 is not a decimal number"}},
		},
		{
			name: "too long",
			old:  "<Nm>Jan Schmidt</Nm>", new: "<Nm>" + strings.Repeat("x", 141) + "</Nm>",
			want: []xsd.Problem{{Line: 72, Path: pmtInf + "/DrctDbtTxInf[1]/Dbtr/Nm", Msg: fmt.Sprintf("%q… has 141 characters, at most 140", strings.Repeat("x", 60))}},
		},
		{
			name: "bad date",
			old:  "<ReqdColltnDt>2026-12-21</ReqdColltnDt>", new: "<ReqdColltnDt>2026-02-30</ReqdColltnDt>",
			want: []xsd.Problem{{Line: 28, Path: pmtInf + "/ReqdColltnDt", Msg: "2026-02-30 is not a date (YYYY-MM-DD)"}},
		},
		{
			name: "unknown element",
			old:  "<Nm>Jan Schmidt</Nm>", new: "<Nm>Jan Schmidt</Nm><Foo>x</Foo>",
			want: []xsd.Problem{{Line: 72, Path: pmtInf + "/DrctDbtTxInf[1]/Dbtr/Foo", Msg: "unexpected element Foo (expected here: PstlAdr, Id, CtryOfRes, CtctDtls)"}},
		},
		{
			name: "element in no namespace",
			old:  "<Nm>Jan Schmidt</Nm>", new: `<Nm xmlns="">Jan Schmidt</Nm>`,
			want: []xsd.Problem{
				{Line: 72, Path: pmtInf + "/DrctDbtTxInf[1]/Dbtr/Nm (no namespace)", Msg: "unexpected element Nm (no namespace) (expected here: Nm, PstlAdr, Id, CtryOfRes, CtctDtls)"},
			},
		},
		{
			name: "problems inside a misplaced element are found too",
			old:  "<CreDtTm>2026-12-07T09:30:00</CreDtTm>\n      <NbOfTxs>3</NbOfTxs>",
			new:  "<NbOfTxs>3</NbOfTxs>\n      <CreDtTm>yesterday</CreDtTm>",
			want: []xsd.Problem{
				{Line: 6, Path: grpHdr, Msg: "missing required element CreDtTm before NbOfTxs"},
				{Line: 7, Path: grpHdr + "/CreDtTm", Msg: "element CreDtTm is out of order (expected here: CtrlSum, InitgPty)"},
				{Line: 7, Path: grpHdr + "/CreDtTm", Msg: "yesterday is not a date and time (YYYY-MM-DDThh:mm:ss)"},
			},
		},
		{
			name: "wrong namespace",
			old:  "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08", new: "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02",
			want: []xsd.Problem{{Line: 2, Path: "/Document",
				Msg: `the document is in namespace "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02", the schema's Document is in "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"`}},
		},
		{
			name: "missing required attribute",
			old:  `<InstdAmt Ccy="EUR">42.50</InstdAmt>`, new: `<InstdAmt>42.50</InstdAmt>`,
			want: []xsd.Problem{{Line: 87, Path: pmtInf + "/DrctDbtTxInf[2]/InstdAmt", Msg: "missing required attribute Ccy"}},
		},
		{
			name: "bad attribute value",
			old:  `<InstdAmt Ccy="EUR">42.50</InstdAmt>`, new: `<InstdAmt Ccy="eur">42.50</InstdAmt>`,
			want: []xsd.Problem{{Line: 87, Path: pmtInf + "/DrctDbtTxInf[2]/InstdAmt", Msg: "attribute Ccy: eur does not match the pattern [A-Z]{3,3} of ActiveOrHistoricCurrencyCode"}},
		},
		{
			name: "unknown attribute",
			old:  `<InstdAmt Ccy="EUR">42.50</InstdAmt>`, new: `<InstdAmt Ccy="EUR" Cur="EUR">42.50</InstdAmt>`,
			want: []xsd.Problem{{Line: 87, Path: pmtInf + "/DrctDbtTxInf[2]/InstdAmt", Msg: "attribute Cur is not allowed on ActiveOrHistoricCurrencyAndAmount"}},
		},
		{
			name: "text in element content",
			old:  "<Dbtr>\n          <Nm>Jan Schmidt</Nm>", new: "<Dbtr>Jan\n          <Nm>Jan Schmidt</Nm>",
			want: []xsd.Problem{{Line: 71, Path: pmtInf + "/DrctDbtTxInf[1]/Dbtr", Msg: "text Jan is not allowed: PartyIdentification135 has element content only"}},
		},
		{
			name: "child of a simple value",
			old:  "<Nm>Jan Schmidt</Nm>", new: "<Nm>Jan <b>Schmidt</b></Nm>",
			want: []xsd.Problem{{Line: 72, Path: pmtInf + "/DrctDbtTxInf[1]/Dbtr/Nm", Msg: "unexpected element b: Max140Text has a simple value, no child elements"}},
		},
		{
			name: "not well-formed",
			old:  "</Dbtr>\n        <DbtrAcct>\n          <Id>\n            <IBAN>DE02120300000000202051",
			new:  "</Dbtr>\n        <DbtrAcct>\n          <Id>\n            <IBAN>DE02120300000000202051</Id>",
			want: []xsd.Problem{{Line: 76, Path: pmtInf + "/DrctDbtTxInf[1]/DbtrAcct/Id/IBAN",
				Msg: "not well-formed XML: element <IBAN> closed by </Id>"}},
		},
		{
			name: "supplementary data of any namespace is accepted",
			old:  "</RmtInf>\n      </DrctDbtTxInf>\n      <DrctDbtTxInf>\n        <PmtId>\n          <EndToEndId>RE-2026-1002",
			new:  `</RmtInf><SplmtryData><Envlp><x:Ext xmlns:x="urn:example"><x:Any>1</x:Any></x:Ext></Envlp></SplmtryData>` + "\n      </DrctDbtTxInf>\n      <DrctDbtTxInf>\n        <PmtId>\n          <EndToEndId>RE-2026-1002",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := validate(s, mutate(t, valid, tt.old, tt.new))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAnotherVersion: a document of another version of the message is
// one problem that names both namespaces.
func TestAnotherVersion(t *testing.T) {
	t.Parallel()
	s := load(t, "camt.053.001.08")
	got := validate(s, readFile(t, "testdata/fixtures/camt053.001.02_BE_monthly_268-entries.xml"))
	want := []xsd.Problem{{Line: 2, Path: "/Document",
		Msg: `the document is in namespace "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", the schema's Document is in "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestStopsAfterMaxProblems: a document with more problems than
// MaxProblems yields exactly MaxProblems of them, in document order.
func TestStopsAfterMaxProblems(t *testing.T) {
	t.Parallel()
	s := load(t, "pain.008.001.08")
	valid := readFile(t, pain008)
	start := strings.Index(valid, "      <DrctDbtTxInf>")
	end := strings.Index(valid, "    </PmtInf>")
	tx := valid[start:end]
	tx = tx[:strings.Index(tx, "</DrctDbtTxInf>")+len("</DrctDbtTxInf>\n")]
	bad := strings.Replace(tx, `Ccy="EUR"`, `Ccy="euro"`, 1)
	doc := valid[:start] + strings.Repeat(bad, 150) + valid[end:]
	got := validate(s, doc)
	if len(got) != xsd.MaxProblems {
		t.Fatalf("%d problems, want %d", len(got), xsd.MaxProblems)
	}
	for i, p := range got {
		if want := fmt.Sprintf("%s/DrctDbtTxInf[%d]/InstdAmt", pmtInf, i+1); p.Path != want {
			t.Fatalf("problem %d at %s, want %s", i, p.Path, want)
		}
	}
}

func TestNoDocument(t *testing.T) {
	t.Parallel()
	s := load(t, "pain.008.001.08")
	for _, doc := range []string{"", "<?xml version=\"1.0\"?>\n", "   "} {
		if got := validate(s, doc); len(got) != 1 {
			t.Errorf("Validate(%q) = %v, want one problem", doc, got)
		}
	}
	got := validate(s, `<Document xmlns="urn:example"/>`)
	want := []xsd.Problem{{Line: 1, Path: "/Document",
		Msg: `the document is in namespace "urn:example", the schema's Document is in "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("foreign document (-want +got):\n%s", diff)
	}
	got = validate(s, `<Invoice/>`)
	if len(got) != 1 || !strings.Contains(got[0].Msg, "the schema declares no element {}Invoice") {
		t.Errorf("unknown root: %v", got)
	}
}

// TestConcurrentValidate: a Schema serves many validations at once (run
// with -race to check that they share nothing mutable).
func TestConcurrentValidate(t *testing.T) {
	t.Parallel()
	s := load(t, "pain.008.001.08")
	valid := readFile(t, pain008)
	bad := mutate(t, valid, "<SeqTp>FRST</SeqTp>", "<SeqTp>X</SeqTp>")
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			doc, want := valid, 0
			if i%2 == 1 {
				doc, want = bad, 1
			}
			if got := validate(s, doc); len(got) != want {
				errs <- fmt.Sprintf("validation %d: %v", i, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestProblemString(t *testing.T) {
	t.Parallel()
	p := xsd.Problem{Line: 42, Path: "/Document/CstmrDrctDbtInitn/PmtInf[1]/DrctDbtTxInf[3]/InstdAmt", Msg: "12.345 has 3 fraction digits, at most 2"}
	if got, want := p.String(), "line 42 /Document/CstmrDrctDbtInitn/PmtInf[1]/DrctDbtTxInf[3]/InstdAmt: 12.345 has 3 fraction digits, at most 2"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestDocumentForms: encodings a document may declare, and the xsi
// attributes.
func TestDocumentForms(t *testing.T) {
	t.Parallel()
	s := load(t, "pain.008.001.08")
	valid := readFile(t, pain008)
	latin1 := strings.Replace(valid, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	latin1 = strings.Replace(latin1, "<Nm>Jan Schmidt</Nm>", "<Nm>J\xe4n Schmidt</Nm>", 1)
	tests := []struct {
		name string
		doc  string
		want []xsd.Problem
	}{
		{"ISO-8859-1", latin1, nil},
		{"schemaLocation", strings.Replace(valid, "<Document ", `<Document xsi:schemaLocation="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08 pain.008.001.08.xsd" `, 1), nil},
		{"UTF-16 declared", strings.Replace(valid, `encoding="UTF-8"`, `encoding="UTF-16"`, 1), []xsd.Problem{
			{Line: 1, Path: "/", Msg: `cannot read the document: xml: opening charset "UTF-16": encoding "UTF-16" is not supported (UTF-8, US-ASCII or ISO-8859-1)`},
		}},
		{"xsi:type", strings.Replace(valid, "<Nm>Jan Schmidt</Nm>", `<Nm xsi:type="Max70Text">Jan Schmidt</Nm>`, 1), []xsd.Problem{
			{Line: 72, Path: pmtInf + "/DrctDbtTxInf[1]/Dbtr/Nm", Msg: "attribute xsi:type is not supported"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, validate(s, tt.doc)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
