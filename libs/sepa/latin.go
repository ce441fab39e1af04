package sepa

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// InLatinSet reports whether r is in the EPC's basic Latin character set
// that every SEPA bank must accept: a–z A–Z 0–9 / - ? : ( ) . , ' + and
// space.
func InLatinSet(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	switch r {
	case '/', '-', '?', ':', '(', ')', '.', ',', '\'', '+', ' ':
		return true
	}
	return false
}

// IsLatin reports whether every character of s is in the EPC's basic Latin
// set, that is whether Latin(s) == s.
func IsLatin(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || !InLatinSet(rune(s[i])) {
			return false
		}
	}
	return true
}

// Latin transliterates s into the EPC's basic Latin set (see InLatinSet).
// The rules, in order:
//
//   - characters of the set stay;
//   - German umlauts and ß follow DIN 5007-2: ä→ae, ö→oe, ü→ue, Ä→Ae,
//     Ö→Oe, Ü→Ue, ß→ss, ẞ→SS; other ligatures are spelled out (æ→ae,
//     Æ→AE, œ→oe, Œ→OE, ø→o, Ø→O, å→a, Å→A, þ→th, Þ→TH, ð→d, Đ→D, ł→l,
//     Ł→L);
//   - any other Latin letter with diacritics loses them (é→e, Ç→C, ñ→n,
//     ő→o, Š→S), by a table of the Latin-1 Supplement and Latin
//     Extended-A letters;
//   - & becomes +, € becomes EUR, " becomes ', _ and ~ and the dashes
//     U+2010 to U+2015 become -, ‘ ’ ‚ ´ ` become ', « » “ ” „ become ',
//     [ { < become ( and ] } > become ), ; becomes ,, ! becomes ., @
//     becomes (at), and # * = % $ | \ ^ become a space;
//   - whitespace and control characters (tab, new line, no-break space)
//     become a space;
//   - everything else (other scripts, symbols, emoji, invalid UTF-8) is
//     dropped.
//
// Latin never lengthens a character by more than three bytes; callers cut
// to a field's maximum length after transliteration, not before.
func Latin(s string) string {
	if IsLatin(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && InLatinSet(r):
			b.WriteRune(r)
		case latinMap[r] != "":
			b.WriteString(latinMap[r])
		case r == utf8.RuneError:
		case unicode.IsSpace(r) || unicode.IsControl(r):
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// latinMap is the transliteration of characters outside the set; a rune
// not in it is dropped (or becomes a space when it is white space).
var latinMap = func() map[rune]string {
	m := map[rune]string{
		'ä': "ae", 'ö': "oe", 'ü': "ue", 'Ä': "Ae", 'Ö': "Oe", 'Ü': "Ue", 'ß': "ss", 'ẞ': "SS",
		'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE", 'ø': "o", 'Ø': "O", 'þ': "th", 'Þ': "TH",
		'ð': "d", 'Ð': "D", 'Đ': "D", 'đ': "d", 'ł': "l", 'Ł': "L", 'ı': "i", 'ĸ': "k", 'ŉ': "n",
		'Ĳ': "IJ", 'ĳ': "ij", 'ſ': "s", 'Ŋ': "N", 'ŋ': "n",
		'&': "+", '€': "EUR", '"': "'", '_': "-", '~': "-",
		'‐': "-", '‑': "-", '‒': "-", '–': "-", '—': "-", '―': "-",
		'‘': "'", '’': "'", '‚': "'", '´': "'", '`': "'",
		'«': "'", '»': "'", '“': "'", '”': "'", '„': "'",
		'[': "(", '{': "(", '<': "(", ']': ")", '}': ")", '>': ")",
		';': ",", '!': ".", '@': "(at)",
		'#': " ", '*': " ", '=': " ", '%': " ", '$': " ", '|': " ", '\\': " ", '^': " ",
	}
	// Base letters of U+00C0–U+017F in code point order; '-' marks a
	// character handled above or not a letter.
	const latin1 = "AAAAAA-CEEEEIIII-NOOOOO-OUUUUY--aaaaaa-ceeeeiiii-nooooo-ouuuuy-y"
	for i, base := range latin1 {
		r := rune(0xC0 + i)
		if base != '-' && m[r] == "" {
			m[r] = string(base)
		}
	}
	const extA = "AaAaAaCcCcCcCcDd--EeEeEeEeEeGgGgGgGgHhHhIiIiIiIiI---JjKk-LlLlLlLl--NnNnNn---OoOoOo--RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZz-"
	for i, base := range extA {
		r := rune(0x100 + i)
		if base != '-' && m[r] == "" {
			m[r] = string(base)
		}
	}
	return m
}()
