package datev

import "unicode/utf8"

// cp1252High maps the bytes 0x80-0x9F of Windows-1252 to runes. The five
// bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) decode
// to the C1 control of the same value, as ISO-8859-1 does; bytes 0xA0-0xFF
// are the Unicode code points of the same value in both encodings.
var cp1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// decodeCP1252 converts Windows-1252 bytes to a UTF-8 string. Every byte
// sequence decodes, so it never fails.
func decodeCP1252(b []byte) string {
	buf := make([]byte, 0, len(b)+len(b)/4)
	for _, c := range b {
		switch {
		case c < 0x80:
			buf = append(buf, c)
		case c < 0xA0:
			buf = utf8.AppendRune(buf, cp1252High[c-0x80])
		default:
			buf = utf8.AppendRune(buf, rune(c))
		}
	}
	return string(buf)
}

// encodeCP1252 appends the Windows-1252 bytes of s to dst. It reports the
// first rune that Windows-1252 cannot hold (and false) instead of
// substituting anything; invalid UTF-8 in s counts as such a rune
// (utf8.RuneError). The C1 controls that decodeCP1252 produces for the
// undefined bytes are not encodable: the writer never writes control
// characters.
func encodeCP1252(dst []byte, s string) ([]byte, rune, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return dst, utf8.RuneError, false
		}
		i += size
		switch {
		case r < 0x80:
			dst = append(dst, byte(r))
		case r >= 0xA0 && r <= 0xFF:
			dst = append(dst, byte(r))
		default:
			b, ok := cp1252Byte(r)
			if !ok {
				return dst, r, false
			}
			dst = append(dst, b)
		}
	}
	return dst, 0, true
}

// cp1252Byte returns the byte in 0x80-0x9F that Windows-1252 uses for r.
func cp1252Byte(r rune) (byte, bool) {
	if r < 0x100 {
		return 0, false // C1 controls, including the undefined bytes
	}
	for i, c := range cp1252High {
		if c == r {
			return byte(0x80 + i), true
		}
	}
	return 0, false
}
