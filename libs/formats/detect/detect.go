// Package detect tells which import format a file is from its first bytes:
// camt.052/053/054, MT940/MT942, an Amazon settlement report, an SP-API
// Finances page or a DATEV EXTF file. `o2c parse` and ingestion's file
// import both use it, so a file is read as the same format by both.
//
// Detection looks at the content only, never at the file name, and at no
// more than HeadSize bytes. A file that starts with a UTF-16 byte order
// mark is detected on its first bytes converted to UTF-8 (see Head).
package detect

import (
	"bytes"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/o2c-platform/o2c/libs/formats/amazon/finances"
	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
	"github.com/o2c-platform/o2c/libs/formats/camt"
)

// Format is a file format family; its value is the name `o2c parse
// --format` and `o2c import --format` accept.
type Format string

// The formats, in detection order (see Detect).
const (
	DATEV         Format = "datev"
	Camt          Format = "camt"
	Settlement    Format = "amazon-settlement"
	SPAPIFinances Format = "spapi-finances"
	MT940         Format = "mt940"
)

// HeadSize is how much of a file detection looks at. It is generous because
// some camt samples open with kilobytes of XML comments.
const HeadSize = 64 << 10

// Formats lists every format in detection order: the more specific first.
func Formats() []Format {
	return []Format{DATEV, Camt, Settlement, SPAPIFinances, MT940}
}

// Is reports whether head, the first bytes of a file (at most HeadSize, as
// Head returns them), look like format f. An unknown f is never matched.
func Is(f Format, head []byte) bool {
	switch f {
	case DATEV:
		return IsDATEV(head)
	case Camt:
		return IsCamt(head)
	case Settlement:
		_, ok := settlement.Detect(head)
		return ok
	case SPAPIFinances:
		return finances.Detect(head)
	case MT940:
		return IsMT940(head)
	}
	return false
}

// Detect returns the first format of Formats that head looks like.
func Detect(head []byte) (Format, bool) {
	for _, f := range Formats() {
		if Is(f, head) {
			return f, true
		}
	}
	return "", false
}

// IsCamt looks at the first start elements of head: a camt.052, camt.053 or
// camt.054 namespace on the root or its first child, or a BkToCstmr*
// message element as root or as the child of Document.
func IsCamt(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	tz := camt.NewTokenizer(bytes.NewReader(head))
	// envelope is set when the root is neither Document nor a message
	// element: a SWIFTNet RequestPayload or DataPDU around an AppHdr and
	// the Document, which is then looked for among the next elements.
	envelope := false
	for i := 0; i < 2 || envelope && i < maxEnvelopeElements; {
		tok, err := tz.Next()
		if err != nil {
			return false
		}
		if tok.Kind != camt.StartElement {
			continue
		}
		i++
		for _, a := range tok.Attrs {
			v := string(a.Value)
			for _, m := range []string{"052", "053", "054"} {
				if strings.HasPrefix(v, "urn:iso:std:iso:20022:tech:xsd:camt."+m+".") {
					return true
				}
			}
		}
		switch strings.TrimSuffix(string(tok.Name), "V01") {
		case "BkToCstmrAcctRpt", "BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn":
			return true
		case "Document":
			if envelope {
				return false // a Document of another message
			}
			continue
		}
		if i == 1 {
			envelope = true
			continue
		}
		if !envelope {
			return false
		}
	}
	return false
}

// maxEnvelopeElements is how many elements IsCamt reads past an envelope's
// root for its Document: a business application header has a few dozen.
const maxEnvelopeElements = 200

// IsMT940 looks for a line that starts with the :20: tag, possibly after
// SWIFT blocks ({1:…}{2:…}{4:) or control characters such as SOH, together
// with an account line, :25: or :25P: (field 25 has no other options in
// SWIFT's MT940 and MT942): the two tags every MT940/MT942 message opens
// with.
func IsMT940(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	has20, has25 := false, false
	for len(head) > 0 {
		line := head
		if i := bytes.IndexAny(head, "\r\n"); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimLeft(line, "\x00\x01\x02\x03\x04 \t")
		for bytes.HasPrefix(line, []byte("{")) && !bytes.HasPrefix(line, []byte("{4:")) {
			end := bytes.IndexByte(line, '}')
			if end < 0 {
				break
			}
			line = line[end+1:]
		}
		line = bytes.TrimPrefix(line, []byte("{4:"))
		switch {
		case bytes.HasPrefix(line, []byte(":20:")):
			has20 = true
		case bytes.HasPrefix(line, []byte(":25:")), bytes.HasPrefix(line, []byte(":25P:")):
			has25 = true
		}
		if has20 && has25 {
			return true
		}
	}
	return false
}

// IsDATEV accepts a file whose first line starts with the EXTF or DTVF
// Kennzeichen, quoted or not, after an optional UTF-8 byte order mark.
func IsDATEV(head []byte) bool {
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	for _, marker := range []string{`"EXTF"`, `EXTF`, `"DTVF"`, `DTVF`} {
		rest, ok := bytes.CutPrefix(head, []byte(marker))
		if ok && (len(rest) == 0 || rest[0] == ';' || rest[0] == '\r' || rest[0] == '\n') {
			return true
		}
	}
	return false
}

// UTF16 returns "UTF-16LE" or "UTF-16BE" when head starts with that byte
// order mark, else "". A UTF-8 byte order mark is left to the formats,
// which all read it (DATEV takes it as the sign of UTF-8).
func UTF16(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return "UTF-16LE"
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return "UTF-16BE"
	}
	return ""
}

// UTF16Decoder returns a decoder from enc ("UTF-16LE" or "UTF-16BE") to
// UTF-8 that keeps the byte order mark, as a UTF-8 one, so the text stays
// marked as Unicode. An unpaired surrogate becomes U+FFFD.
func UTF16Decoder(enc string) transform.Transformer {
	order := unicode.LittleEndian
	if enc == "UTF-16BE" {
		order = unicode.BigEndian
	}
	return unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder()
}

// Head returns head as detection should see it: as is when enc is empty,
// or for a UTF-16 file (enc from UTF16) its first bytes in UTF-8. A code
// unit cut off at the end of head is dropped.
func Head(head []byte, enc string) []byte {
	if enc == "" {
		return head
	}
	out, _, err := transform.Bytes(UTF16Decoder(enc), head[:len(head)&^1])
	if err != nil {
		return nil
	}
	return out
}
