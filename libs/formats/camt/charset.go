package camt

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// charset is how the bytes of the document's text are to be read.
type charset uint8

const (
	// charsetUTF8 is the default. Text that is not valid UTF-8 is repaired
	// by reading it as Windows-1252, with a warning.
	charsetUTF8 charset = iota
	charsetLatin1
	charsetLatin9
	charsetWindows1252
	// charsetLatin2 and charsetWindows1250 are Central European banks'
	// (Polish, Czech, Slovak, Hungarian, Slovenian, Croatian).
	charsetLatin2
	charsetWindows1250
)

// charsetByName maps a declared encoding name to a charset.
func charsetByName(name string) (charset, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return charsetUTF8, true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "iso-ir-100", "cp819":
		return charsetLatin1, true
	case "iso-8859-15", "iso8859-15", "latin9", "latin-9":
		return charsetLatin9, true
	case "windows-1252", "cp1252", "x-cp1252":
		return charsetWindows1252, true
	case "iso-8859-2", "iso8859-2", "iso_8859-2", "latin2", "latin-2", "l2", "iso-ir-101":
		return charsetLatin2, true
	case "windows-1250", "cp1250", "x-cp1250":
		return charsetWindows1250, true
	}
	return 0, false
}

// cp1252High maps Windows-1252 bytes 0x80..0x9F; zero means the byte is
// undefined there and is read as in ISO-8859-1.
var cp1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

func latin9(b byte) rune {
	switch b {
	case 0xA4:
		return 0x20AC
	case 0xA6:
		return 0x0160
	case 0xA8:
		return 0x0161
	case 0xB4:
		return 0x017D
	case 0xB8:
		return 0x017E
	case 0xBC:
		return 0x0152
	case 0xBD:
		return 0x0153
	case 0xBE:
		return 0x0178
	}
	return rune(b)
}

// appendDecoded appends text, decoded from cs, to dst as UTF-8.
func appendDecoded(dst, text []byte, cs charset) []byte {
	for _, b := range text {
		if b < utf8.RuneSelf {
			dst = append(dst, b)
			continue
		}
		r := rune(b)
		switch cs {
		case charsetLatin9:
			r = latin9(b)
		case charsetLatin2:
			r = charmap.ISO8859_2.DecodeByte(b)
		case charsetWindows1250:
			r = charmap.Windows1250.DecodeByte(b)
		case charsetWindows1252, charsetUTF8:
			if b >= 0x80 && b <= 0x9F && cp1252High[b-0x80] != 0 {
				r = cp1252High[b-0x80]
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

func hasHighByte(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
