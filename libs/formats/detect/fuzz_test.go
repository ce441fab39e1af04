package detect

import (
	"slices"
	"testing"
)

// FuzzDetect feeds detection the first bytes of any file, as every import
// starts with them (the drop folder, ImportService.Import, o2c import). It
// must not panic; a format it names must be one of Formats whose Is agrees,
// and no earlier format may claim the head; a UTF-16 head is detected after
// Head turns it into UTF-8, which must then carry no UTF-16 mark.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>`,
		"\xef\xbb\xbf<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">",
		":20:STARTUMS\r\n:25:37040044/0532013000\r\n:28C:1/1\r\n",
		"{1:F01BANKDEFFAXXX0000000000}{4:\r\n:20:X\r\n",
		"\"EXTF\";700;21;\"Buchungsstapel\";13;",
		"settlement-id\tsettlement-start-date\tsettlement-end-date\n",
		`{"payload":{"FinancialEvents":{}}}`,
		"\xff\xfe<\x00D\x00o\x00c\x00",
		"\xfe\xff\x00<\x00D",
		"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		if len(head) > HeadSize {
			head = head[:HeadSize]
		}
		enc := UTF16(head)
		h := Head(head, enc)
		if enc != "" && UTF16(h) != "" {
			t.Fatalf("Head(%q, %s) = %q still starts with a UTF-16 mark", head, enc, h)
		}
		got, ok := Detect(h)
		if !ok {
			if got != "" {
				t.Fatalf("Detect(%q) = %q without a match", h, got)
			}
			return
		}
		i := slices.Index(Formats(), got)
		if i < 0 || !Is(got, h) {
			t.Fatalf("Detect(%q) = %q, which is not a format that Is matches", h, got)
		}
		for _, earlier := range Formats()[:i] {
			if Is(earlier, h) {
				t.Fatalf("Detect(%q) = %q, but the earlier %q matches too", h, got, earlier)
			}
		}
	})
}
