package xsd

import (
	"errors"
	"testing"
)

// TestPatterns checks the translation of XML Schema regular expressions
// where their meaning differs from Go's.
func TestPatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		// Anchored: a pattern constrains the whole value.
		{`[A-Z]{3,3}`, []string{"EUR"}, []string{"EURO", "xEUR", "EU", "EUR\n"}},
		{`a|b`, []string{"a", "b"}, []string{"ab", ""}},
		// ^ and $ are ordinary characters.
		{`^a$`, []string{"^a$"}, []string{"a"}},
		// \d is every Unicode decimal digit; \D everything else.
		{`\d+`, []string{"0123", "٣٤", "१२"}, []string{"1a", "", "Ⅻ"}},
		{`\D`, []string{"a", "Ⅻ"}, []string{"7", "٣"}},
		// \s is space, tab, CR and LF only.
		{`a\sb`, []string{"a b", "a\tb", "a\nb", "a\rb"}, []string{"a\fb", "a\vb", "a\u00a0b"}},
		{`\S+`, []string{"ab"}, []string{"a b"}},
		// . is anything but CR and LF.
		{`a.c`, []string{"abc", "a\tc", "aüc"}, []string{"a\nc", "a\rc"}},
		// \i and \c are XML name characters.
		{`\i\c*`, []string{"Document", "_x.y-z", "Ölfeld", "a:b"}, []string{"1abc", "-a", "a b", ".a"}},
		{`\I\C`, []string{"1 "}, []string{"a1", "11"}},
		// \w excludes punctuation, separators and other characters.
		{`\w+`, []string{"Straße1", "€"}, []string{"a-b", "a b", "a.b"}},
		// Categories and their negations, alone and in classes.
		{`\p{Lu}\p{Ll}+`, []string{"Ärger"}, []string{"ärger", "ÄRGER"}},
		{`[\p{N}\-]+`, []string{"12-3", "½"}, []string{"a"}},
		{`\P{L}`, []string{"1"}, []string{"a"}},
		// Character class subtraction, also of a negated class and with
		// escapes in it.
		{`[a-z-[aeiou]]+`, []string{"bcd", "xyz"}, []string{"bad", "B"}},
		{`[\d-[0-4]]`, []string{"5", "9", "٥"}, []string{"0", "4", "a"}},
		{`[^a-z-[A-C]]`, []string{"D", "1"}, []string{"a", "x", "A", "C"}},
		{`[a-z-[b-y-[c]]]`, []string{"a", "z", "c"}, []string{"b", "d"}},
		// Escapes of metacharacters, inside and outside classes.
		{`\+[0-9]{1,3}-[0-9()+\-]{1,30}`, []string{"+49-(0)30-123"}, []string{"49-1", "+49-1a"}},
		{`[+]{0,1}[0-9]{1,15}`, []string{"+491", "491"}, []string{"++1"}},
		{`\[\]\{\}\(\)\.\*\?\|\\\^`, []string{`[]{}().*?|\^`}, nil},
		{`[\[\]]`, []string{"[", "]"}, []string{"x"}},
		{`[-a]`, []string{"-", "a"}, []string{"b"}},
		{`[a-]`, []string{"-", "a"}, []string{"b"}},
		{`\n\r\t`, []string{"\n\r\t"}, []string{"nrt"}},
		// Groups, quantifiers and alternatives nest.
		{`([A-Z0-9]{3,3}){0,1}`, []string{"", "AB1"}, []string{"AB", "AB1AB1"}},
		{`(ab|c)*d`, []string{"d", "abcabd"}, []string{"abd d"}},
		{`a{2,}`, []string{"aa", "aaaa"}, []string{"a"}},
	}
	for _, tt := range tests {
		re, err := compilePattern(tt.pattern)
		if err != nil {
			t.Errorf("compilePattern(%q): %v", tt.pattern, err)
			continue
		}
		for _, s := range tt.match {
			if !re.MatchString(s) {
				t.Errorf("%q does not match %q (%s)", tt.pattern, s, re)
			}
		}
		for _, s := range tt.noMatch {
			if re.MatchString(s) {
				t.Errorf("%q matches %q (%s)", tt.pattern, s, re)
			}
		}
	}
}

func TestPatternErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		want    error
	}{
		{`(a`, ErrSchema},
		{`a)`, ErrSchema},
		{`[a`, ErrSchema},
		{`[z-a]`, ErrSchema},
		{`*a`, ErrSchema},
		{`a**`, ErrSchema},
		{`a{x}`, ErrSchema},
		{`a{3,2}`, ErrSchema},
		{`a{1`, ErrSchema},
		{`(?:a)`, ErrSchema},
		{`\`, ErrSchema},
		{`\b`, ErrSchema},
		{`\p{Xx}`, ErrSchema},
		{`\pL`, ErrSchema},
		{`[a-[b]x]`, ErrSchema},
		{`]`, ErrSchema},
		{`\p{IsGreek}`, ErrUnsupported},
		{`\p{Cn}`, ErrUnsupported},
		{`a{1001}`, ErrUnsupported},
	}
	for _, tt := range tests {
		if _, err := compilePattern(tt.pattern); !errors.Is(err, tt.want) {
			t.Errorf("compilePattern(%q) = %v, want %v", tt.pattern, err, tt.want)
		}
	}
}
