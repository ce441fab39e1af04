package detect

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// readHead returns the first HeadSize bytes of a file.
func readHead(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, HeadSize)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		tb.Fatal(err)
	}
	return head[:n]
}

func TestDetectFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		glob string
		want Format
	}{
		{"../camt/testdata/*.xml", Camt},
		{"../mt940/testdata/*.sta", MT940},
		{"../mt940/testdata/*.txt", MT940},
		{"../amazon/settlement/testdata/v*.txt", Settlement},
		{"../amazon/settlement/testdata/xml_*.xml", Settlement},
		{"../amazon/finances/testdata/v*.json", SPAPIFinances},
		{"../datev/testdata/*.csv", DATEV},
	}
	for _, tt := range tests {
		files, err := filepath.Glob(tt.glob)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no fixtures (%v)", tt.glob, err)
		}
		for _, f := range files {
			head := readHead(t, f)
			got, ok := Detect(Head(head, UTF16(head)))
			if !ok || got != tt.want {
				t.Errorf("%s: Detect = %q, %v; want %q", f, got, ok, tt.want)
			}
		}
	}
}

func TestDetectUnknown(t *testing.T) {
	t.Parallel()
	for _, head := range []string{"", "just some text\n", `{"other":1}`, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn>`, ":20:ONLY-A-REFERENCE\n"} {
		if f, ok := Detect([]byte(head)); ok {
			t.Errorf("Detect(%.30q) = %q, want no format", head, f)
		}
	}
}

func TestIs(t *testing.T) {
	t.Parallel()
	long := "<!--" + strings.Repeat("x", 40<<10) + "-->"
	tests := []struct {
		name   string
		format Format
		head   string
		want   bool
	}{
		{"camt namespace", Camt, `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"><BkToCstmrAcctRpt>`, true},
		{"camt BOM and long comment", Camt, "\xEF\xBB\xBF" + long + `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">`, true},
		{"camt without namespace", Camt, `<Document><BkToCstmrStmtV01>`, true},
		{"amazon xml is not camt", Camt, `<?xml version="1.0"?><AmazonEnvelope><Message>`, false},
		{"camt in a SWIFTNet envelope", Camt, `<?xml version="1.0"?><RequestPayload><AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02"><Fr><FIId><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></FIId></Fr><MsgDefIdr>camt.053.001.08</MsgDefIdr></AppHdr><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>`, true},
		{"pain in an envelope is not camt", Camt, `<RequestPayload><AppHdr><MsgDefIdr>pain.001.001.09</MsgDefIdr></AppHdr><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn>`, false},
		{"mt940", MT940, ":20:STARTUMS\r\n:25:50880050/0194774600888\r\n", true},
		{"mt940 in SWIFT blocks", MT940, "{1:F01X}{2:O940}{4:\r\n:20:REF\r\n:25:NL1\r\n", true},
		{"mt940 without :25:", MT940, ":20:STARTUMS\r\n", false},
		{"datev quoted", DATEV, `"EXTF";700;21`, true},
		{"datev word inside", DATEV, `EXTFX;700`, false},
		{"settlement v2", Settlement, "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tamount-type\tamount-description\tamount\n", true},
		{"unknown format name", Format("pdf"), "%PDF-1.7", false},
	}
	for _, tt := range tests {
		if got := Is(tt.format, []byte(tt.head)); got != tt.want {
			t.Errorf("%s: Is(%s) = %v, want %v", tt.name, tt.format, got, tt.want)
		}
	}
}

// utf16File encodes s as UTF-16 with a byte order mark.
func utf16File(s string, bigEndian bool) []byte {
	units := utf16.Encode([]rune("\uFEFF" + s))
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func TestHead(t *testing.T) {
	t.Parallel()
	camtHead := `<?xml version="1.0" encoding="UTF-16"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>`
	tests := []struct {
		name    string
		head    []byte
		wantEnc string
		want    string
	}{
		{"UTF-8", []byte("\xEF\xBB\xBF:20:X"), "", "\xEF\xBB\xBF:20:X"},
		{"UTF-16LE", utf16File("Grüße", false), "UTF-16LE", "\uFEFFGrüße"},
		{"UTF-16BE", utf16File("Grüße", true), "UTF-16BE", "\uFEFFGrüße"},
		{"UTF-16LE cut in a code unit", utf16File("ab", false)[:5], "UTF-16LE", "\uFEFFa"},
		{"camt", utf16File(camtHead, true), "UTF-16BE", "\uFEFF" + camtHead},
	}
	for _, tt := range tests {
		enc := UTF16(tt.head)
		got := string(Head(tt.head, enc))
		if enc != tt.wantEnc || got != tt.want {
			t.Errorf("%s: UTF16 = %q, Head = %q; want %q, %q", tt.name, enc, got, tt.wantEnc, tt.want)
		}
	}
	if f, ok := Detect(Head(utf16File(camtHead, false), "UTF-16LE")); !ok || f != Camt {
		t.Errorf("a UTF-16 camt head is detected as %q, %v; want camt", f, ok)
	}
}
