package parse

import (
	"bytes"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// utf16Of returns "UTF-16LE" or "UTF-16BE" when head starts with that byte
// order mark, else "". A UTF-8 byte order mark is left to the formats,
// which all read it (DATEV takes it as the sign of UTF-8).
func utf16Of(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return "UTF-16LE"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return "UTF-16BE"
	}
	return ""
}

// utf16Decoder returns a decoder from enc ("UTF-16LE" or "UTF-16BE") to
// UTF-8 that keeps the byte order mark, as a UTF-8 one, so the text stays
// marked as Unicode. An unpaired surrogate becomes U+FFFD.
func utf16Decoder(enc string) transform.Transformer {
	order := unicode.LittleEndian
	if enc == "UTF-16BE" {
		order = unicode.BigEndian
	}
	return unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder()
}

// detectionHead returns head as detection should see it: as is, or for a
// UTF-16 file its first bytes in UTF-8. A code unit cut off at the end of
// head is dropped.
func detectionHead(head []byte, enc string) []byte {
	if enc == "" {
		return head
	}
	out, _, err := transform.Bytes(utf16Decoder(enc), head[:len(head)&^1])
	if err != nil {
		return nil
	}
	return out
}

// decoded returns r for a format that reads r's encoding itself, and
// otherwise r decoded from enc to UTF-8.
func decoded(r io.Reader, enc string, ff format) io.Reader {
	if enc == "" || ff.readsUTF16 {
		return r
	}
	return transform.NewReader(r, utf16Decoder(enc))
}
