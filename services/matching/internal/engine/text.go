package engine

import (
	"regexp"
	"strings"
)

// References are found in free text by cutting it into atoms (maximal runs
// of ASCII letters or of digits, upper-cased; everything else separates)
// and looking up windows of consecutive atoms in normalised forms, so that
// "RE-2024-0042", "RE 2024 0042", "re20240042" and "2024/0042" meet the
// same keys whatever separators, spaces and case the payer or bank used.

// atom is a run of letters or of digits in a text.
type atom struct {
	s     string
	digit bool
	// end is the byte offset just after the atom in the text.
	end int
}

// atomize appends the atoms of s to out.
func atomize(s string, out []atom) []atom {
	start, kind := -1, 0 // kind 1 letters, 2 digits
	flush := func(i int) {
		if start >= 0 {
			out = append(out, atom{s: strings.ToUpper(s[start:i]), digit: kind == 2, end: i})
		}
		start, kind = -1, 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		k := 0
		switch {
		case c >= '0' && c <= '9':
			k = 2
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			k = 1
		}
		if k != kind {
			flush(i)
			if k != 0 {
				start, kind = i, k
			}
		}
	}
	flush(len(s))
	return out
}

// forms are the normalised spellings of a number under which it is indexed
// and searched:
//
//	full    letters and digits as written, upper case: "RE20240042"
//	digits  the digits alone, for a payer who left out the prefix: "20240042"
//	zstrip  the digits without leading zeros: "123" for "000123"
//	groups  each digit group without its leading zeros: "2024123" for "2024-000123"
//	lzero   the letter prefix with zstrip: "RE123" for "RE-000123"
//	last    the last digit group, for a payer who left out the prefix and
//	        year: "029741" for "RE-2026-029741"
//	lastz   the last digit group without leading zeros: "29741"
//
// A form shorter than minForm is not used, a groups form only with at
// least 7 digits and 3 in its last group (else it joins a year and a short
// number, as a date does), and the last group only with at least 5
// significant digits or, as printed with its leading zeros, at least 6
// characters ("008550" of "RE-2026-008550"; not a year).
type forms struct {
	full, digits, zstrip, groups, lzero, last, lastz string
	// nGroups is the number of digit groups.
	nGroups int
}

// joined reports whether form, one of f's, joins several digit groups of
// the text: it then names a number whole, never only a number's last
// group ("2026-07" is not the "202607" of "RE-2026-0202607").
func (f forms) joined(form string) bool {
	return f.nGroups > 1 && form != f.last && form != f.lastz
}

const minForm = 4

// formsOf computes the forms of a whole atom sequence. They are
// substrings of one string: one allocation per number.
func formsOf(atoms []atom) forms {
	var arr [192]byte
	buf := arr[:0]
	sawDigit, digitGroups, prefixEnd := false, 0, 0
	lastLen, lastStripped := 0, 0
	for _, a := range atoms {
		buf = append(buf, a.s...)
	}
	nFull := len(buf)
	for _, a := range atoms {
		if !a.digit && sawDigit {
			// Letters between digit groups ("2026 Nr. RE-2026"): only the
			// number as written.
			return forms{full: string(buf)}
		}
		if a.digit {
			sawDigit = true
			digitGroups++
		} else if !sawDigit {
			prefixEnd += len(a.s)
		}
	}
	if !sawDigit {
		return forms{full: string(buf)}
	}
	// digits
	for _, a := range atoms {
		if a.digit {
			buf = append(buf, a.s...)
			lastLen, lastStripped = len(a.s), len(trimZeros(a.s))
		}
	}
	nDigits := len(buf)
	// groups: each digit group without its leading zeros
	for _, a := range atoms {
		if a.digit {
			buf = append(buf, trimZeros(a.s)...)
		}
	}
	nGroups := len(buf)
	// lzero: the letter prefix and the digits without leading zeros
	z := nFull
	for z < nDigits-1 && buf[z] == '0' {
		z++
	}
	if prefixEnd > 0 {
		buf = append(buf, buf[:prefixEnd]...)
		buf = append(buf, buf[z:nDigits]...)
	}
	all := string(buf)
	f := forms{full: all[:nFull], digits: all[nFull:nDigits], zstrip: all[z:nDigits], nGroups: digitGroups}
	if digitGroups > 1 && lastStripped >= 3 && nGroups-nDigits >= 7 {
		f.groups = all[nDigits:nGroups]
	}
	if prefixEnd > 0 {
		f.lzero = all[nGroups:]
	}
	if digitGroups > 1 || prefixEnd > 0 {
		f.last = all[nDigits-lastLen : nDigits]
		if f.lastz = trimZeros(f.last); len(f.lastz) < 5 {
			f.lastz = ""
			if len(f.last) < 6 {
				f.last = ""
			}
		}
	}
	return f
}

// spacedDigits reports whether the digit groups of atoms (a window of
// text) are apart by spaces only, "0303 33": one number a payer or bank
// wrote with a space in it, whose last group it may be, unlike parts such
// as a year and a number ("2026-07", "2026, 07").
func spacedDigits(text string, atoms []atom) bool {
	prev := -1
	for _, a := range atoms {
		if !a.digit {
			continue
		}
		if start := a.end - len(a.s); prev >= 0 && strings.Trim(text[prev:start], " ") != "" {
			return false
		}
		prev = a.end
	}
	return true
}

// trimZeros drops leading zeros, keeping one digit.
func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

// each calls fn for every distinct usable form.
func (f forms) each(fn func(form string)) {
	seen := [7]string{}
	n := 0
	for _, s := range [...]string{f.full, f.digits, f.zstrip, f.groups, f.lzero, f.last, f.lastz} {
		if len(s) < minForm {
			continue
		}
		dup := false
		for _, t := range seen[:n] {
			if t == s {
				dup = true
				break
			}
		}
		if !dup {
			seen[n] = s
			n++
			fn(s)
		}
	}
}

// quality is how well a text names an open item, weakest first.
type quality uint8

const (
	qNone quality = iota
	// qTypo: one digit off (substituted or two digits swapped); used only
	// when the amount agrees exactly.
	qTypo
	// qCut: the text ends in a prefix of the number (cut at 35 or 140
	// characters).
	qCut
	// qShort: a short form (fewer than 6 characters) matched, which other
	// numbers in a text (post codes, quantities) may match by chance.
	qShort
	// qNormalized: the number with its prefix, leading zeros or separators
	// changed.
	qNormalized
	// qExact: the number as printed, up to case and separators.
	qExact
	// qStructured: a validated creditor reference (RF or QRR), or the
	// end-to-end id, equal to the item's reference.
	qStructured
)

// strong reports whether q identifies an item on its own.
func (q quality) strong() bool { return q >= qNormalized }

// compare returns the quality with which a searched form s names a number
// whose forms are f, qNone when it does not. A form joining several digit
// groups of the text (joined) does not name a number by its last group.
func (f forms) compare(s string, joined bool) quality {
	grade := func(q quality) quality {
		if len(s) < 6 && isDigit(s[0]) && isDigit(s[len(s)-1]) {
			// A short run of digits: post codes, quantities and dates
			// have those too.
			return qShort
		}
		return q
	}
	switch s {
	case "":
		return qNone
	case f.full:
		return grade(qExact)
	case f.lzero, f.digits, f.zstrip, f.groups:
		return grade(qNormalized)
	case f.last, f.lastz:
		if !joined {
			return grade(qNormalized)
		}
	}
	return qNone
}

// windowStart reports whether a reference may start at a: a digit run or a
// short letter prefix ("RE", "INV", "RF"), but not a bank's keyword.
func windowStart(a atom) bool { return a.digit || len(a.s) <= 6 && !bankKeywords[a.s] }

var bankKeywords = map[string]bool{"SVWZ": true, "EREF": true, "KREF": true, "MREF": true, "CRED": true, "DEBT": true,
	"ABWA": true, "ABWE": true, "IBAN": true, "BIC": true, "COAM": true, "OAMT": true, "SQTP": true, "PURP": true, "REMI": true}

// windowInner reports whether a may continue a reference: digits or a short
// letter group.
func windowInner(a atom) bool { return a.digit || len(a.s) <= 4 }

const (
	maxWindowAtoms = 8
	maxWindowLen   = 40
)

// window is a candidate number in a text: atoms i..j and its forms.
type window struct {
	i, j  int
	forms forms
}

// windows calls fn for every window of atoms that may be a number: it
// starts at a digit run or short prefix, has a digit, and is at most
// maxWindowAtoms atoms and maxWindowLen characters long.
func windows(atoms []atom, fn func(w window)) {
	for i := range atoms {
		if !windowStart(atoms[i]) {
			continue
		}
		n := 0
		hasDigit := false
		for j := i; j < len(atoms) && j < i+maxWindowAtoms; j++ {
			if j > i && !windowInner(atoms[j]) {
				break
			}
			n += len(atoms[j].s)
			if n > maxWindowLen {
				break
			}
			hasDigit = hasDigit || atoms[j].digit
			if !hasDigit || !atoms[j].digit {
				continue
			}
			fn(window{i: i, j: j, forms: formsOf(atoms[i : j+1])})
		}
	}
}

// wrappers are the keywords banks put in front of remittance parts (SEPA
// "Verwendungszweck" keywords, MT940 :86: codes); they separate, and
// searchText removes them so that a glued keyword does not hide a number.
var wrappers = regexp.MustCompile(`(?i)\b(?:SVWZ|EREF|KREF|MREF|CRED|DEBT|ABWA|ABWE|IBAN|BIC|COAM|OAMT|SQTP|PURP)[+:]|/(?:EREF|REMI|ROC|RFB|INV|ORDP|BENM|CDTRREFINF|PURP|MARF|CSID|SVWZ)/|verwendungszweck:?|\bverw\.?zweck:?`)

// dateTime matches dates and times with separators, which payers and banks
// glue to numbers or write next to them: 01.03.2024, 2024-03-01, 1.3.24,
// 14:35, 14:35:07, "14.35 Uhr".
var dateTime = regexp.MustCompile(`(?i:\d{1,2}[.:]\d{2}\s*uhr\b)|\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?::\d{2})?`)

// dateSpans returns the byte ranges of the dates and times in s.
func dateSpans(s string) [][]int {
	if !strings.ContainsAny(s, ".:-") {
		// Every date and time pattern has one of these.
		return nil
	}
	return dateTime.FindAllStringIndex(s, -1)
}

// inSpans reports whether the text from..to overlaps one of spans: a
// number read across a date ("11.2026" of "02.11.2026") is no number.
func inSpans(spans [][]int, from, to int) bool {
	for _, sp := range spans {
		if from < sp[1] && sp[0] < to {
			return true
		}
	}
	return false
}

// searchTexts returns s and the variants of it worth searching: wrappers
// removed, dates and times cut out, and (when glued is set, for a text a
// person typed) digit runs split where a date or time was glued to a
// number. The first is s itself.
func searchTexts(s string, glued bool, out []string) []string {
	out = append(out, s)
	clean := s
	// Every wrapper has one of these (Verwendungszweck, Verw.zweck).
	if strings.ContainsAny(s, "+:/") || strings.Contains(s, "erw") || strings.Contains(s, "ERW") {
		if clean = wrappers.ReplaceAllString(s, " "); clean != s {
			out = append(out, clean)
		}
	}
	if strings.ContainsAny(clean, ".:-") {
		if dt := dateTime.ReplaceAllString(clean, " "); dt != clean {
			out = append(out, dt)
			clean = dt
		}
	}
	if !glued {
		return out
	}
	if split, ok := splitGluedDates(clean); ok {
		out = append(out, split)
	}
	return out
}

// splitGluedDates puts a space between a long digit run and a date or time
// glued to its end or start ("2024004220240301" becomes "20240042
// 20240301"). It reports whether it changed anything.
func splitGluedDates(s string) (string, bool) {
	var b strings.Builder
	changed := false
	i := 0
	for i < len(s) {
		if s[i] < '0' || s[i] > '9' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		run := s[i:j]
		if cut := gluedCut(run); cut > 0 {
			b.WriteString(run[:cut])
			b.WriteByte(' ')
			b.WriteString(run[cut:])
			changed = true
		} else {
			b.WriteString(run)
		}
		i = j
	}
	return b.String(), changed
}

// gluedCut returns where to split a digit run that ends or starts with a
// date or time, 0 for none. Only runs of at least 10 digits are split, so
// that a number is left at least 4 digits long.
func gluedCut(run string) int {
	n := len(run)
	if n < 10 {
		return 0
	}
	for _, k := range [...]int{8, 6, 4} {
		if n-k >= 4 && isDateOrTime(run[n-k:]) {
			return n - k
		}
	}
	for _, k := range [...]int{8, 6} {
		if n-k >= 4 && isDateOrTime(run[:k]) {
			return k
		}
	}
	return 0
}

// isDateOrTime reports whether an 8-, 6- or 4-digit string reads as a date
// (YYYYMMDD, DDMMYYYY, YYMMDD, DDMMYY) or a time (HHMMSS, HHMM).
func isDateOrTime(d string) bool {
	num := func(s string) int {
		v := 0
		for i := 0; i < len(s); i++ {
			v = v*10 + int(s[i]-'0')
		}
		return v
	}
	md := func(m, d int) bool { return m >= 1 && m <= 12 && d >= 1 && d <= 31 }
	switch len(d) {
	case 8:
		y1, y2 := num(d[:4]), num(d[4:])
		return (y1 >= 1990 && y1 <= 2099 && md(num(d[4:6]), num(d[6:]))) ||
			(y2 >= 1990 && y2 <= 2099 && md(num(d[2:4]), num(d[:2])))
	case 6:
		return md(num(d[2:4]), num(d[4:])) || md(num(d[2:4]), num(d[:2])) ||
			(num(d[:2]) < 24 && num(d[2:4]) < 60 && num(d[4:]) < 60)
	case 4:
		return num(d[:2]) < 24 && num(d[2:]) < 60
	}
	return false
}

// validRF reports whether s (upper case, no spaces) is an ISO 11649
// creditor reference: "RF", two check digits and 1-21 letters or digits,
// with the check digits right (mod 97 = 1).
func validRF(s string) bool {
	if len(s) < 5 || len(s) > 25 || s[0] != 'R' || s[1] != 'F' || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	rem := 0
	add := func(c byte) bool {
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for i := 4; i < len(s); i++ {
		if !add(s[i]) {
			return false
		}
	}
	for i := range 4 {
		add(s[i])
	}
	return rem == 1
}

// validQRR reports whether s is a Swiss QR reference: 27 digits whose last
// is the recursive mod 10 check digit of the first 26.
func validQRR(s string) bool {
	if len(s) != 27 {
		return false
	}
	table := [10]int{0, 9, 4, 6, 8, 2, 7, 1, 3, 5}
	carry := 0
	for i := range 26 {
		if !isDigit(s[i]) {
			return false
		}
		carry = table[(carry+int(s[i]-'0'))%10]
	}
	return isDigit(s[26]) && (10-carry)%10 == int(s[26]-'0')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// truncated reports whether a text of n characters looks cut by a bank:
// at a 27- or 35-character line or at SEPA's 140.
func truncated(n int) bool {
	return n >= 27 && (n%35 == 0 || n%27 == 0 || n == 140)
}
