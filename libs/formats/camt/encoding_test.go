package camt

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// utf16Doc encodes s, which must be valid UTF-8, as UTF-16 with a byte
// order mark, big-endian or little-endian.
func utf16Doc(s string, bigEndian bool) []byte {
	var order binary.AppendByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	var b []byte
	for _, u := range utf16.Encode([]rune("\uFEFF" + s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

// TestUTF16Fixtures re-encodes every sample as UTF-16 (little- and
// big-endian, with a byte order mark and a declaration that says UTF-16)
// and expects exactly what the UTF-8 original gives.
func TestUTF16Fixtures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures: %v (%d files)", err, len(files))
	}
	utf8Declaration := regexp.MustCompile(`(?i)encoding=["']utf-8["']`)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := parseAll(t, bytes.NewReader(b))
			doc := utf8Declaration.ReplaceAllString(string(b), `encoding="UTF-16"`)
			for _, bigEndian := range []bool{false, true} {
				got := parseAll(t, bytes.NewReader(utf16Doc(doc, bigEndian)))
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(Statement{}, Entry{}, Transaction{}, fingerprintInputs{})); diff != "" {
					t.Errorf("big-endian %v: UTF-16 parse differs from UTF-8 (-utf8 +utf16):\n%s", bigEndian, diff)
				}
			}
		})
	}
}

func TestUTF16Declarations(t *testing.T) {
	t.Parallel()
	doc := func(decl string) string {
		return `<?xml version="1.0"` + decl + `?>` + stmt053(ntry("1", "CRDT", "<AddtlNtryInf>Grüße €</AddtlNtryInf>"))[len(`<?xml version="1.0" encoding="UTF-8"?>`):]
	}
	tests := []struct {
		name      string
		decl      string
		bigEndian bool
		warning   string // "" for none
	}{
		{"no declared encoding", "", false, ""},
		{"UTF-16", ` encoding="UTF-16"`, false, ""},
		{"lowercase utf-16le", ` encoding="utf-16le"`, false, ""},
		{"UTF-16BE", ` encoding="UTF-16BE"`, true, ""},
		{"UTF-8 left over from before the file was saved as Unicode", ` encoding="UTF-8"`, false,
			`the XML declaration names encoding "UTF-8", but the file starts with a UTF-16LE byte order mark; read as UTF-16LE`},
		{"other byte order", ` encoding="UTF-16BE"`, false,
			`the XML declaration names encoding "UTF-16BE", but the file starts with a UTF-16LE byte order mark; read as UTF-16LE`},
		{"unknown encoding", ` encoding="EBCDIC"`, true,
			`the XML declaration names encoding "EBCDIC", but the file starts with a UTF-16BE byte order mark; read as UTF-16BE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := parseAll(t, bytes.NewReader(utf16Doc(doc(tt.decl), tt.bigEndian)))
			if len(p.Statements) != 1 || len(p.Statements[0].Entries) != 1 {
				t.Fatalf("got %+v", p)
			}
			if got := p.Statements[0].Entries[0].BookingText; got != "Grüße €" {
				t.Errorf("booking text %q, want %q", got, "Grüße €")
			}
			var want []string
			if tt.warning != "" {
				want = []string{tt.warning}
			}
			if diff := cmp.Diff(want, p.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCentralEuropeanEncodings: documents a Polish or Czech bank declares
// as ISO-8859-2 or Windows-1250 read with their letters.
func TestCentralEuropeanEncodings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		encoding string
		bytes    map[string]byte // the letters of the name in that encoding
	}{
		{"ISO-8859-2", map[string]byte{"ř": 0xF8, "Ł": 0xA3, "ó": 0xF3, "ź": 0xBC}},
		{"windows-1250", map[string]byte{"ř": 0xF8, "Ł": 0xA3, "ó": 0xF3, "ź": 0x9F}},
	} {
		t.Run(tc.encoding, func(t *testing.T) {
			t.Parallel()
			name := "Dvořák Łódź"
			var enc []byte
			for _, r := range name {
				if b, ok := tc.bytes[string(r)]; ok {
					enc = append(enc, b)
				} else {
					enc = append(enc, byte(r))
				}
			}
			doc := stmt053(ntry("1.00", "CRDT", `<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>`+string(enc)+`</Nm></Dbtr></RltdPties></TxDtls></NtryDtls>`))
			doc = regexp.MustCompile(`encoding="UTF-8"`).ReplaceAllString(doc, `encoding="`+tc.encoding+`"`)
			p := parseAll(t, bytes.NewReader([]byte(doc)))
			if got := p.Statements[0].Entries[0].Transactions[0].CounterpartyName; got != name {
				t.Errorf("name %q, want %q", got, name)
			}
		})
	}
}
