package notice

import "unicode/utf8"

// The PDF's fonts are the standard Type 1 fonts Helvetica and
// Helvetica-Bold, which every PDF reader has, in WinAnsiEncoding (Windows
// code page 1252): one byte a character, covering ASCII, Latin-1 (ä ö ü ß §
// and the accented letters of western Europe) and a few more (€, Š, Ž, Œ,
// typographic quotes and dashes). Nothing is embedded, so nothing else can
// print; winAnsi says what each other character becomes.

// winAnsiHigh maps the characters of WinAnsiEncoding's bytes 0x80-0x9F,
// where it differs from Latin-1, to their byte.
var winAnsiHigh = map[rune]byte{
	'€': 0x80, '‚': 0x82, 'ƒ': 0x83, '„': 0x84, '…': 0x85, '†': 0x86, '‡': 0x87, 'ˆ': 0x88,
	'‰': 0x89, 'Š': 0x8A, '‹': 0x8B, 'Œ': 0x8C, 'Ž': 0x8E, '‘': 0x91, '’': 0x92, '“': 0x93,
	'”': 0x94, '•': 0x95, '–': 0x96, '—': 0x97, '˜': 0x98, '™': 0x99, 'š': 0x9A, '›': 0x9B,
	'œ': 0x9C, 'ž': 0x9E, 'Ÿ': 0x9F,
}

// latinExtendedA gives, for U+0100 to U+017F (Latin Extended-A: the
// letters of central and eastern European names), the ASCII base letter a
// character is printed as when WinAnsiEncoding lacks it (Ł as L, č as c, ő
// as o), or '?' where there is none. Derived from the canonical
// decomposition, with Ł, Đ, Ħ, ı, ĸ, Ŀ, Ŧ, ŉ, Ŋ and ſ added by hand.
const latinExtendedA = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi??JjKkkLlLlLlLlLlNnNnNnnNnOoOoOo??RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs"

// winAnsiByte returns the byte that prints r in WinAnsiEncoding. A
// character the encoding lacks is replaced: a Latin letter with a
// diacritic by its base letter (see latinExtendedA; Romanian ș ț too), a
// space of another width by a space, a dash or minus sign by a hyphen, a
// control character (tab, line break) by a space, and anything else
// (Cyrillic, Greek, CJK, emoji) by '?'. replaced is true when r itself
// cannot print.
func winAnsiByte(r rune) (b byte, replaced bool) {
	switch {
	case r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0xFF:
		return byte(r), false
	case r < 0x20, r == 0x7F, r >= 0x80 && r < 0xA0:
		return ' ', true
	case r >= 0x100 && r <= 0x17F:
		if b, ok := winAnsiHigh[r]; ok {
			return b, false
		}
		return latinExtendedA[r-0x100], true
	}
	if b, ok := winAnsiHigh[r]; ok {
		return b, false
	}
	switch r {
	case 'Ș':
		return 'S', true
	case 'ș':
		return 's', true
	case 'Ț':
		return 'T', true
	case 'ț':
		return 't', true
	case '\u2002', '\u2003', '\u2009', '\u202F', '\u2007', '\u2008', '\u200A':
		return ' ', true
	case '\u2010', '\u2011', '\u2012', '\u2212':
		return '-', true
	}
	return '?', true
}

// winAnsi encodes s in WinAnsiEncoding, replacing what cannot print as
// winAnsiByte says.
func winAnsi(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r == utf8.RuneError {
			out = append(out, '?')
			continue
		}
		b, _ := winAnsiByte(r)
		out = append(out, b)
	}
	return out
}

// font is one of the PDF's two fonts.
type font int

const (
	regular font = iota // Helvetica, /F1
	bold                // Helvetica-Bold, /F2
)

// width returns the width of s set in f at size points, in points.
func (f font) width(s string, size float64) float64 {
	w := &helveticaWidths
	if f == bold {
		w = &helveticaBoldWidths
	}
	var sum int
	for _, b := range winAnsi(s) {
		sum += int(w[b])
	}
	return float64(sum) * size / 1000
}

// The widths below are those of Adobe's font metrics (AFM) for Helvetica
// and Helvetica-Bold, version 003.001 (1999), as shipped in groff's devps
// fonts HR and HB, put in WinAnsiEncoding's order.

// helveticaWidths are the advance widths of Helvetica in WinAnsiEncoding, in
// thousandths of the font size, by byte; 0 where the encoding has no glyph.
var helveticaWidths = [256]uint16{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
	556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
	0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
	278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
	400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
	667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
	722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
	556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
}

// helveticaBoldWidths are the advance widths of Helvetica-Bold in WinAnsiEncoding, in
// thousandths of the font size, by byte; 0 where the encoding has no glyph.
var helveticaBoldWidths = [256]uint16{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
	975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
	333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
	611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
	556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
	0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
	278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
	400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
	722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
	722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
	556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
	611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
}
