package xsd

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// primitive is the built-in type a simple type is derived from, as far as
// its lexical checks go.
type primitive int

const (
	primString primitive = iota
	primDecimal
	primInteger
	primBoolean
	primDate
	primDateTime
	primTime
	primGYear
	primGYearMonth
)

// whiteSpace is the whiteSpace facet: what happens to the value's spaces
// before any other facet sees it.
type whiteSpace int

const (
	wsPreserve whiteSpace = iota
	wsReplace
	wsCollapse
)

// pattern is one pattern facet: its source as the schema writes it and
// its translation.
type pattern struct {
	src string
	re  *regexp.Regexp
}

// simpleType is a simple type with every facet of its derivation chain
// applied. Patterns of one derivation step are alternatives; the steps'
// patterns must all match.
type simpleType struct {
	name     string
	prim     primitive
	ws       whiteSpace
	patterns [][]pattern
	enum     []string // nil: no enumeration facet
	length   int      // -1: no facet, likewise below
	minLen   int
	maxLen   int
	total    int
	fraction int
	minIncl  *big.Rat
	maxIncl  *big.Rat
	minExcl  *big.Rat
	maxExcl  *big.Rat
	bounds   []string // the bounds as written, for messages: minIncl, maxIncl, minExcl, maxExcl
}

func newSimple(name string, prim primitive) *simpleType {
	ws := wsCollapse
	if prim == primString {
		ws = wsPreserve
	}
	return &simpleType{name: name, prim: prim, ws: ws, length: -1, minLen: -1, maxLen: -1, total: -1, fraction: -1,
		bounds: make([]string, 4)}
}

// builtins are the XML Schema built-in types Load accepts, by local name
// in the XML Schema namespace.
func builtin(local string) *simpleType {
	switch local {
	case "string", "anySimpleType":
		return newSimple(local, primString)
	case "normalizedString":
		t := newSimple(local, primString)
		t.ws = wsReplace
		return t
	case "token":
		t := newSimple(local, primString)
		t.ws = wsCollapse
		return t
	case "decimal":
		return newSimple(local, primDecimal)
	case "integer", "nonNegativeInteger", "positiveInteger", "long", "int":
		t := newSimple(local, primInteger)
		t.fraction = 0
		switch local {
		case "nonNegativeInteger":
			t.minIncl, t.bounds[0] = big.NewRat(0, 1), "0"
		case "positiveInteger":
			t.minIncl, t.bounds[0] = big.NewRat(1, 1), "1"
		case "long":
			t.minIncl, t.bounds[0] = new(big.Rat).SetInt64(-1<<63), "-9223372036854775808"
			t.maxIncl, t.bounds[1] = new(big.Rat).SetInt64(1<<63-1), "9223372036854775807"
		case "int":
			t.minIncl, t.bounds[0] = big.NewRat(-1<<31, 1), "-2147483648"
			t.maxIncl, t.bounds[1] = big.NewRat(1<<31-1, 1), "2147483647"
		}
		return t
	case "boolean":
		return newSimple(local, primBoolean)
	case "date":
		return newSimple(local, primDate)
	case "dateTime":
		return newSimple(local, primDateTime)
	case "time":
		return newSimple(local, primTime)
	case "gYear":
		return newSimple(local, primGYear)
	case "gYearMonth":
		return newSimple(local, primGYearMonth)
	}
	return nil
}

func (t *simpleType) derive(name string) *simpleType {
	c := *t
	c.name = name
	c.patterns = slices.Clone(t.patterns)
	c.bounds = slices.Clone(t.bounds)
	return &c
}

func (t *simpleType) numeric() bool { return t.prim == primDecimal || t.prim == primInteger }

// check returns what is wrong with the value, or "" when it is valid.
func (t *simpleType) check(raw string) string {
	v := raw
	switch t.ws {
	case wsReplace:
		v = replaceSpace(v)
	case wsCollapse:
		v = collapseSpace(v)
	}
	if msg := t.lexical(v); msg != "" {
		return msg
	}
	if t.length >= 0 || t.minLen >= 0 || t.maxLen >= 0 {
		n := utf8.RuneCountInString(v)
		switch {
		case t.length >= 0 && n != t.length:
			return fmt.Sprintf("%s has %d characters, must have %d", quote(v), n, t.length)
		case t.minLen >= 0 && n < t.minLen:
			return fmt.Sprintf("%s has %d characters, at least %d", quote(v), n, t.minLen)
		case t.maxLen >= 0 && n > t.maxLen:
			return fmt.Sprintf("%s has %d characters, at most %d", quote(v), n, t.maxLen)
		}
	}
	for _, step := range t.patterns {
		ok := false
		for _, re := range step {
			if re.re.MatchString(v) {
				ok = true
				break
			}
		}
		if !ok {
			srcs := make([]string, len(step))
			for i, re := range step {
				srcs[i] = re.src
			}
			return fmt.Sprintf("%s does not match the pattern %s of %s", quote(v), strings.Join(srcs, " | "), t.name)
		}
	}
	if t.enum != nil && !slices.Contains(t.enum, v) {
		return fmt.Sprintf("%s is not one of the values of %s (%s)", quote(v), t.name, listSome(t.enum, 12))
	}
	if t.numeric() {
		return t.checkNumber(v)
	}
	return ""
}

func (t *simpleType) checkNumber(v string) string {
	intPart, frac := splitDecimal(v)
	if t.total >= 0 {
		if n := len(intPart) + len(frac); n > t.total {
			return fmt.Sprintf("%s has %d digits, at most %d", v, n, t.total)
		}
	}
	if t.fraction >= 0 && len(frac) > t.fraction {
		if t.prim == primInteger {
			return fmt.Sprintf("%s is not an integer", v)
		}
		return fmt.Sprintf("%s has %d fraction digits, at most %d", v, len(frac), t.fraction)
	}
	if t.minIncl == nil && t.maxIncl == nil && t.minExcl == nil && t.maxExcl == nil {
		return ""
	}
	r, ok := new(big.Rat).SetString(strings.TrimPrefix(v, "+"))
	if !ok {
		return fmt.Sprintf("%s is not a decimal number", v)
	}
	switch {
	case t.minIncl != nil && r.Cmp(t.minIncl) < 0:
		return fmt.Sprintf("%s is less than %s", v, t.bounds[0])
	case t.maxIncl != nil && r.Cmp(t.maxIncl) > 0:
		return fmt.Sprintf("%s is greater than %s", v, t.bounds[1])
	case t.minExcl != nil && r.Cmp(t.minExcl) <= 0:
		return fmt.Sprintf("%s is not greater than %s", v, t.bounds[2])
	case t.maxExcl != nil && r.Cmp(t.maxExcl) >= 0:
		return fmt.Sprintf("%s is not less than %s", v, t.bounds[3])
	}
	return ""
}

// splitDecimal returns the significant digits of a lexically valid decimal
// before and after its point: leading zeros of the integer part and
// trailing zeros of the fraction do not count (totalDigits and
// fractionDigits constrain the value, not its spelling).
func splitDecimal(v string) (intPart, frac string) {
	v = strings.TrimLeft(v, "+-")
	intPart, frac, _ = strings.Cut(v, ".")
	return strings.TrimLeft(intPart, "0"), strings.TrimRight(frac, "0")
}

func (t *simpleType) lexical(v string) string {
	ok := true
	what := ""
	switch t.prim {
	case primString:
		return ""
	case primDecimal:
		ok, what = isDecimal(v, false), "a decimal number"
	case primInteger:
		ok, what = isDecimal(v, true), "an integer"
	case primBoolean:
		ok, what = v == "true" || v == "false" || v == "1" || v == "0", "a boolean (true, false, 1, 0)"
	case primDate:
		rest, good := parseDate(v)
		ok, what = good && isTimezone(rest), "a date (YYYY-MM-DD)"
	case primDateTime:
		ok, what = isDateTime(v), "a date and time (YYYY-MM-DDThh:mm:ss)"
	case primTime:
		rest, good := parseTime(v)
		ok, what = good && isTimezone(rest), "a time (hh:mm:ss)"
	case primGYear:
		_, rest, good := parseYear(v)
		ok, what = good && isTimezone(rest), "a year (YYYY)"
	case primGYearMonth:
		ok, what = isYearMonth(v), "a year and month (YYYY-MM)"
	}
	if !ok {
		return fmt.Sprintf("%s is not %s", quote(v), what)
	}
	return ""
}

func isDecimal(v string, integer bool) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && !integer:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

func digitsAt(v string, n int) (int, bool) {
	if len(v) < n {
		return 0, false
	}
	x := 0
	for i := 0; i < n; i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		x = x*10 + int(v[i]-'0')
	}
	return x, true
}

// parseYear reads an XML Schema year: an optional '-', at least four
// digits, no leading zero beyond four digits, never 0000.
func parseYear(v string) (year int, rest string, ok bool) {
	s := strings.TrimPrefix(v, "-")
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n < 4 || (n > 4 && s[0] == '0') || n > 9 {
		return 0, "", false
	}
	y, _ := strconv.Atoi(s[:n])
	if y == 0 {
		return 0, "", false
	}
	return y, s[n:], true
}

func parseDate(v string) (rest string, ok bool) {
	y, rest, ok := parseYear(v)
	if !ok || len(rest) < 6 || rest[0] != '-' || rest[3] != '-' {
		return "", false
	}
	m, ok1 := digitsAt(rest[1:], 2)
	d, ok2 := digitsAt(rest[4:], 2)
	if !ok1 || !ok2 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return "", false
	}
	return rest[6:], true
}

func isYearMonth(v string) bool {
	_, rest, ok := parseYear(v)
	if !ok || len(rest) < 3 || rest[0] != '-' {
		return false
	}
	m, ok := digitsAt(rest[1:], 2)
	return ok && m >= 1 && m <= 12 && isTimezone(rest[3:])
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseTime reads hh:mm:ss with optional fraction; 24:00:00 is allowed.
func parseTime(v string) (rest string, ok bool) {
	if len(v) < 8 || v[2] != ':' || v[5] != ':' {
		return "", false
	}
	h, ok1 := digitsAt(v, 2)
	m, ok2 := digitsAt(v[3:], 2)
	s, ok3 := digitsAt(v[6:], 2)
	if !ok1 || !ok2 || !ok3 || m > 59 || s > 59 || h > 24 {
		return "", false
	}
	rest = v[8:]
	frac := false
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 1 {
			return "", false
		}
		frac = strings.Trim(rest[1:n], "0") != ""
		rest = rest[n:]
	}
	if h == 24 && (m != 0 || s != 0 || frac) {
		return "", false
	}
	return rest, true
}

func isDateTime(v string) bool {
	rest, ok := parseDate(v)
	if !ok || !strings.HasPrefix(rest, "T") {
		return false
	}
	rest, ok = parseTime(rest[1:])
	return ok && isTimezone(rest)
}

func isTimezone(v string) bool {
	switch {
	case v == "" || v == "Z":
		return true
	case len(v) == 6 && (v[0] == '+' || v[0] == '-') && v[3] == ':':
		h, ok1 := digitsAt(v[1:], 2)
		m, ok2 := digitsAt(v[4:], 2)
		return ok1 && ok2 && m <= 59 && (h < 14 || (h == 14 && m == 0))
	}
	return false
}

func replaceSpace(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, v)
}

func collapseSpace(v string) string {
	if !needsCollapse(v) {
		return v
	}
	return strings.Join(strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r'
	}), " ")
}

func needsCollapse(v string) bool {
	prevSpace := true
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\t', '\n', '\r':
			return true
		case ' ':
			if prevSpace {
				return true
			}
			prevSpace = true
		default:
			prevSpace = false
		}
	}
	return prevSpace && v != ""
}

// quote shows a value in a message: as it is when it is short and plain,
// quoted otherwise, cut after 60 characters.
func quote(v string) string {
	if utf8.RuneCountInString(v) > 60 {
		r := []rune(v)
		return strconv.Quote(string(r[:60])) + "…"
	}
	plain := v != ""
	for _, r := range v {
		if r <= ' ' || r == '"' || r == '\\' || r == 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return v
	}
	return strconv.Quote(v)
}

func listSome(vals []string, n int) string {
	if len(vals) <= n {
		return strings.Join(vals, ", ")
	}
	return strings.Join(vals[:n], ", ") + fmt.Sprintf(", … %d more", len(vals)-n)
}
