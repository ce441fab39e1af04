package xsd

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// compilePattern translates an XML Schema regular expression (XML Schema
// Part 2, appendix F) into Go's RE2 syntax and compiles it anchored at both
// ends, since a pattern facet constrains the whole value.
//
// The translation rewrites every character class, including the escapes
// \d, \s, \w, \i, \c, their negations and \p{…}/\P{…} categories, into
// explicit code point ranges, so that class subtraction ([a-z-[aeiou]])
// and XML Schema's own meaning of the escapes hold (\d is every Unicode
// decimal digit, \s only space, tab, CR and LF, . anything but CR and LF;
// ^ and $ are ordinary characters). \i and \c use the name characters of
// XML 1.0 fifth edition. Unicode block escapes (\p{IsBasicLatin}), the
// category Cn and repetition counts above 1000 are not supported: Load
// fails with ErrUnsupported.
func compilePattern(pat string) (*regexp.Regexp, error) {
	p := &patternParser{src: pat}
	var b strings.Builder
	b.WriteString(`\A(?:`)
	if err := p.branches(&b); err != nil {
		return nil, err
	}
	b.WriteString(`)\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %v: %w", pat, err, ErrSchema)
	}
	return re, nil
}

type patternParser struct {
	src   string
	i     int
	depth int
}

func (p *patternParser) errorf(kind error, format string, args ...any) error {
	return fmt.Errorf("pattern %q at offset %d: %s: %w", p.src, p.i, fmt.Sprintf(format, args...), kind)
}

func (p *patternParser) peek() (rune, bool) {
	if p.i >= len(p.src) {
		return 0, false
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.i:])
	return r, true
}

func (p *patternParser) next() rune {
	r, n := utf8.DecodeRuneInString(p.src[p.i:])
	p.i += n
	return r
}

// branches translates a regExp production up to the end of input or an
// unmatched ')' (left for the caller).
func (p *patternParser) branches(b *strings.Builder) error {
	for {
		r, ok := p.peek()
		if !ok {
			return nil
		}
		switch r {
		case ')':
			if p.depth == 0 {
				return p.errorf(ErrSchema, "unbalanced ')'")
			}
			return nil
		case '|':
			p.next()
			b.WriteByte('|')
			continue
		}
		if err := p.atom(b); err != nil {
			return err
		}
		if err := p.quantifier(b); err != nil {
			return err
		}
	}
}

func (p *patternParser) atom(b *strings.Builder) error {
	r := p.next()
	switch r {
	case '(':
		if q, ok := p.peek(); ok && q == '?' {
			return p.errorf(ErrSchema, "'(?' is not XML Schema syntax")
		}
		b.WriteString("(?:")
		p.depth++
		if err := p.branches(b); err != nil {
			return err
		}
		p.depth--
		if q, ok := p.peek(); !ok || q != ')' {
			return p.errorf(ErrSchema, "missing ')'")
		}
		p.next()
		b.WriteByte(')')
	case '[':
		set, err := p.classExpr()
		if err != nil {
			return err
		}
		set.write(b)
	case '.':
		b.WriteString(`[^\n\r]`)
	case '\\':
		set, single, err := p.escape()
		if err != nil {
			return err
		}
		if set != nil {
			set.write(b)
		} else {
			writeRune(b, single)
		}
	case '*', '+', '?', '{':
		return p.errorf(ErrSchema, "quantifier %q without an atom", r)
	case ']', '}':
		// XML Schema forbids them unescaped outside a class; accept
		// literally would hide a schema error.
		return p.errorf(ErrSchema, "unescaped %q", r)
	default:
		writeRune(b, r)
	}
	return nil
}

func (p *patternParser) quantifier(b *strings.Builder) error {
	r, ok := p.peek()
	if !ok {
		return nil
	}
	switch r {
	case '*', '+', '?':
		p.next()
		b.WriteRune(r)
	case '{':
		p.next()
		end := strings.IndexByte(p.src[p.i:], '}')
		if end < 0 {
			return p.errorf(ErrSchema, "unterminated '{'")
		}
		body := p.src[p.i : p.i+end]
		p.i += end + 1
		lo, hi, comma := body, "", false
		if k := strings.IndexByte(body, ','); k >= 0 {
			lo, hi, comma = body[:k], body[k+1:], true
		}
		n, err := strconv.Atoi(lo)
		if err != nil || n < 0 || !allDigits(lo) {
			return p.errorf(ErrSchema, "bad quantifier {%s}", body)
		}
		m := n
		if comma && hi != "" {
			if m, err = strconv.Atoi(hi); err != nil || m < n || !allDigits(hi) {
				return p.errorf(ErrSchema, "bad quantifier {%s}", body)
			}
		}
		if n > 1000 || m > 1000 {
			return p.errorf(ErrUnsupported, "repetition count above 1000 in {%s}", body)
		}
		fmt.Fprintf(b, "{%s}", body)
	default:
		return nil
	}
	if r, ok := p.peek(); ok && (r == '*' || r == '+' || r == '?' || r == '{') {
		return p.errorf(ErrSchema, "two quantifiers in a row")
	}
	return nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// escape reads the escape after a backslash: either a set (a
// multi-character or category escape) or a single character.
func (p *patternParser) escape() (*runeSet, rune, error) {
	r, ok := p.peek()
	if !ok {
		return nil, 0, p.errorf(ErrSchema, "trailing backslash")
	}
	p.next()
	switch r {
	case 'n':
		return nil, '\n', nil
	case 'r':
		return nil, '\r', nil
	case 't':
		return nil, '\t', nil
	case '\\', '|', '.', '?', '*', '+', '(', ')', '{', '}', '-', '[', ']', '^':
		return nil, r, nil
	case 'd', 'D', 's', 'S', 'w', 'W', 'i', 'I', 'c', 'C':
		set := classEscape(unicode.ToLower(r))
		if unicode.IsUpper(r) {
			set = set.negate()
		}
		return set, 0, nil
	case 'p', 'P':
		if q, ok := p.peek(); !ok || q != '{' {
			return nil, 0, p.errorf(ErrSchema, `\%c without {`, r)
		}
		end := strings.IndexByte(p.src[p.i:], '}')
		if end < 0 {
			return nil, 0, p.errorf(ErrSchema, `unterminated \%c{`, r)
		}
		name := p.src[p.i+1 : p.i+end]
		p.i += end + 1
		set, err := p.category(name)
		if err != nil {
			return nil, 0, err
		}
		if r == 'P' {
			set = set.negate()
		}
		return set, 0, nil
	}
	return nil, 0, p.errorf(ErrSchema, `unknown escape \%c`, r)
}

func (p *patternParser) category(name string) (*runeSet, error) {
	if strings.HasPrefix(name, "Is") {
		return nil, p.errorf(ErrUnsupported, `Unicode block escape \p{%s}`, name)
	}
	if name == "Cn" {
		return nil, p.errorf(ErrUnsupported, `category \p{Cn} (unassigned code points)`)
	}
	t, ok := unicode.Categories[name]
	if !ok || (len(name) != 1 && len(name) != 2) {
		return nil, p.errorf(ErrSchema, `unknown category \p{%s}`, name)
	}
	return fromTable(t), nil
}

// classExpr reads a character class after its '[' up to and including
// its ']'.
func (p *patternParser) classExpr() (*runeSet, error) {
	set := &runeSet{}
	negated := false
	if r, ok := p.peek(); ok && r == '^' {
		p.next()
		negated = true
	}
	first := true
	for {
		r, ok := p.peek()
		if !ok {
			return nil, p.errorf(ErrSchema, "unterminated '['")
		}
		if r == ']' && !first {
			p.next()
			break
		}
		if r == '-' && !first && strings.HasPrefix(p.src[p.i:], "-[") {
			p.i += 2
			sub, err := p.classExpr()
			if err != nil {
				return nil, err
			}
			if q, ok := p.peek(); !ok || q != ']' {
				return nil, p.errorf(ErrSchema, "subtraction must end the class")
			}
			p.next()
			if negated {
				set = set.negate()
			}
			return set.subtract(sub), nil
		}
		first = false
		lo, loSet, err := p.classChar()
		if err != nil {
			return nil, err
		}
		if loSet != nil {
			set.addSet(loSet)
			continue
		}
		// A range a-b, unless '-' is the last character of the class
		// or starts a subtraction.
		if strings.HasPrefix(p.src[p.i:], "-") && !strings.HasPrefix(p.src[p.i:], "-]") && !strings.HasPrefix(p.src[p.i:], "-[") {
			p.next()
			hi, hiSet, err := p.classChar()
			if err != nil {
				return nil, err
			}
			if hiSet != nil || hi < lo {
				return nil, p.errorf(ErrSchema, "bad range in class")
			}
			set.add(lo, hi)
			continue
		}
		set.add(lo, lo)
	}
	if negated {
		set = set.negate()
	}
	return set, nil
}

func (p *patternParser) classChar() (rune, *runeSet, error) {
	r := p.next()
	switch r {
	case '\\':
		set, c, err := p.escape()
		return c, set, err
	case '[':
		return 0, nil, p.errorf(ErrSchema, "unescaped '[' in a class")
	}
	return r, nil, nil
}

func writeRune(b *strings.Builder, r rune) {
	fmt.Fprintf(b, `\x{%x}`, r)
}

// runeSet is a set of code points as sorted, disjoint, non-adjacent
// ranges once normalized.
type runeSet struct {
	r [][2]rune
}

func (s *runeSet) add(lo, hi rune) { s.r = append(s.r, [2]rune{lo, hi}) }

func (s *runeSet) addSet(o *runeSet) { s.r = append(s.r, o.r...) }

func (s *runeSet) normalize() *runeSet {
	sort.Slice(s.r, func(i, j int) bool { return s.r[i][0] < s.r[j][0] })
	var out [][2]rune
	for _, x := range s.r {
		if n := len(out); n > 0 && x[0] <= out[n-1][1]+1 {
			if x[1] > out[n-1][1] {
				out[n-1][1] = x[1]
			}
			continue
		}
		out = append(out, x)
	}
	s.r = out
	return s
}

func (s *runeSet) negate() *runeSet {
	s.normalize()
	out := &runeSet{}
	next := rune(0)
	for _, x := range s.r {
		if x[0] > next {
			out.add(next, x[0]-1)
		}
		next = x[1] + 1
	}
	if next <= unicode.MaxRune {
		out.add(next, unicode.MaxRune)
	}
	return out
}

func (s *runeSet) subtract(o *runeSet) *runeSet {
	// s − o = s ∩ ¬o, computed by walking both normalized lists.
	s.normalize()
	not := (&runeSet{r: append([][2]rune(nil), o.r...)}).negate()
	out := &runeSet{}
	i, j := 0, 0
	for i < len(s.r) && j < len(not.r) {
		lo, hi := max(s.r[i][0], not.r[j][0]), min(s.r[i][1], not.r[j][1])
		if lo <= hi {
			out.add(lo, hi)
		}
		if s.r[i][1] < not.r[j][1] {
			i++
		} else {
			j++
		}
	}
	return out
}

func (s *runeSet) write(b *strings.Builder) {
	s.normalize()
	if len(s.r) == 0 {
		// Matches nothing: the complement of everything.
		b.WriteString(`[^\x{0}-\x{10ffff}]`)
		return
	}
	b.WriteByte('[')
	for _, x := range s.r {
		writeRune(b, x[0])
		if x[1] != x[0] {
			b.WriteByte('-')
			writeRune(b, x[1])
		}
	}
	b.WriteByte(']')
}

func fromTable(t *unicode.RangeTable) *runeSet {
	s := &runeSet{}
	for _, r := range t.R16 {
		for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
			if r.Stride == 1 {
				s.add(rune(r.Lo), rune(r.Hi))
				break
			}
			s.add(c, c)
		}
	}
	for _, r := range t.R32 {
		for c := rune(r.Lo); c <= rune(r.Hi); c += rune(r.Stride) {
			if r.Stride == 1 {
				s.add(rune(r.Lo), rune(r.Hi))
				break
			}
			s.add(c, c)
		}
	}
	return s.normalize()
}

// classEscape returns the set of a multi-character escape (lower-case
// letter) as XML Schema defines it.
func classEscape(c rune) *runeSet {
	s := &runeSet{}
	switch c {
	case 'd':
		return fromTable(unicode.Nd)
	case 's':
		s.add(' ', ' ')
		s.add('\t', '\t')
		s.add('\n', '\n')
		s.add('\r', '\r')
	case 'w':
		// All characters except punctuation, separators and "other".
		not := &runeSet{}
		not.addSet(fromTable(unicode.P))
		not.addSet(fromTable(unicode.Z))
		not.addSet(fromTable(unicode.C))
		return not.negate()
	case 'i', 'c':
		for _, x := range [][2]rune{{':', ':'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}, {0xC0, 0xD6}, {0xD8, 0xF6},
			{0xF8, 0x2FF}, {0x370, 0x37D}, {0x37F, 0x1FFF}, {0x200C, 0x200D}, {0x2070, 0x218F}, {0x2C00, 0x2FEF},
			{0x3001, 0xD7FF}, {0xF900, 0xFDCF}, {0xFDF0, 0xFFFD}, {0x10000, 0xEFFFF}} {
			s.add(x[0], x[1])
		}
		if c == 'c' {
			for _, x := range [][2]rune{{'-', '-'}, {'.', '.'}, {'0', '9'}, {0xB7, 0xB7}, {0x300, 0x36F}, {0x203F, 0x2040}} {
				s.add(x[0], x[1])
			}
		}
	}
	return s.normalize()
}
