package parse

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The appenders below write JSON the way encoding/json does (without HTML
// escaping) for the handlers' hot paths, where reflection cost more than
// the parsing: TestJSONMatchesEncodingJSON compares them with encoding/json
// on every fixture.

// appendString appends s as a JSON string exactly as encoding/json encodes
// it with HTML escaping off: '"', '\\' and control characters escaped
// (\b, \f, \n, \r and \t by name), invalid UTF-8 replaced by U+FFFD, and
// U+2028 and U+2029 escaped.
func appendString(buf []byte, s string) []byte {
	if plain(s) {
		// The common case: one copy, no byte looked at twice.
		buf = append(buf, '"')
		buf = append(buf, s...)
		return append(buf, '"')
	}
	return appendEscaped(buf, s)
}

// plain reports whether s needs no escaping, sixteen bytes at a time
// while it can, then eight, and a short string byte by byte.
func plain(s string) bool {
	i := 0
	for ; i+16 <= len(s); i += 16 {
		if !plainWord(word(s[i:])) || !plainWord(word(s[i+8:])) {
			return false
		}
	}
	if i+8 <= len(s) {
		if !plainWord(word(s[i:])) {
			return false
		}
		i += 8
	}
	if i == len(s) {
		return true
	}
	if len(s) >= 8 {
		// Fewer than eight bytes are left, all among the last eight.
		return plainWord(word(s[len(s)-8:]))
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// appendEscaped is appendString for a string that needs escaping, or
// holds multi-byte runes.
func appendEscaped(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) {
			if plainWord(word(s[i:])) {
				i += 8
				continue
			}
		} else if len(s) >= 8 && plainWord(word(s[len(s)-8:])) {
			// Fewer than eight bytes are left, all among the last eight.
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// word returns the first eight bytes of s as a little-endian word.
func word(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plainWord reports whether the eight bytes of x need no escaping: none
// is a control character, '"', '\\' or part of a multi-byte rune. It tests
// them as one word: a zero byte of x borrows into its high bit when 1 is
// subtracted from every byte, and so does a byte below 0x20 when 0x20 is.
// A borrow only spreads above a byte that has the property, so the answer
// is exact.
func plainWord(x uint64) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	quote, backslash := x^('"'*ones), x^('\\'*ones)
	return (x|(x-0x20*ones)&^x|(quote-ones)&^quote|(backslash-ones)&^backslash)&highs == 0
}

// appendMember appends `,"key":` and s as a JSON string; key must need no
// escaping.
func appendMember(buf []byte, key, s string) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	buf = append(buf, '"', ':')
	return appendString(buf, s)
}

// appendField appends member, a member's start `,"key":` written out,
// and s as a JSON string: appendMember with the key's punctuation joined
// at compile time, for handlers that write many members per entry.
func appendField(buf []byte, member, s string) []byte {
	buf = append(buf, member...)
	return appendString(buf, s)
}

// appendKey appends `,"key":`; key must need no escaping.
func appendKey(buf []byte, key string) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, key...)
	return append(buf, '"', ':')
}

// appendStringOrNull appends s as a JSON string, or null when it is empty.
func appendStringOrNull(buf []byte, s string) []byte {
	if s == "" {
		return append(buf, "null"...)
	}
	return appendString(buf, s)
}

// appendIntOrNull appends *v, or null when v is nil.
func appendIntOrNull(buf []byte, v *int64) []byte {
	if v == nil {
		return append(buf, "null"...)
	}
	return strconv.AppendInt(buf, *v, 10)
}

// appendInstant appends t as an RFC 3339 string in UTC, or null when t is
// zero.
func appendInstant(buf []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(buf, "null"...)
	}
	buf = append(buf, '"')
	buf = t.UTC().AppendFormat(buf, time.RFC3339)
	return append(buf, '"')
}

// appendStrings appends ss as a JSON array of strings ([] when empty).
func appendStrings(buf []byte, ss []string) []byte {
	buf = append(buf, '[')
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(buf, s)
	}
	return append(buf, ']')
}
