package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidRF(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ref  string
		want bool
	}{
		{"RF18539007547034", true},
		{"RF18000000000539007547034", true},   // leading zeros, 25 characters
		{"RF180000000000539007547034", false}, // 26 characters
		{"RF19539007547034", false},           // check digits wrong
		{"RF712348231", true},
		{"RF92RE2026012100", true},
		{"RF", false},
		{"XX18539007547034", false},
	} {
		if got := validRF(tc.ref); got != tc.want {
			t.Errorf("validRF(%q) = %v, want %v", tc.ref, got, tc.want)
		}
	}
}

func TestValidQRR(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ref  string
		want bool
	}{
		{"210000000003139471430009017", true},
		{"210000000003139471430009018", false},
		{"21000000000313947143000901", false},
		{"2100000000031394714300090A7", false},
	} {
		if got := validQRR(tc.ref); got != tc.want {
			t.Errorf("validQRR(%q) = %v, want %v", tc.ref, got, tc.want)
		}
	}
}

// TestForms: the spellings a number is indexed under, and that a spelling
// found in a text names it.
func TestForms(t *testing.T) {
	t.Parallel()
	f := formsOf(atomize("RE-2026-000123", nil))
	want := forms{full: "RE2026000123", digits: "2026000123", zstrip: "2026000123", groups: "2026123", lzero: "RE2026000123", last: "000123", nGroups: 2}
	if diff := cmp.Diff(want, f, cmp.AllowUnexported(forms{})); diff != "" {
		t.Errorf("forms (-want +got):\n%s", diff)
	}
	g := formsOf(atomize("RE-2026-029741", nil))
	for _, tc := range []struct {
		text string
		want quality
	}{
		{"re 2026 029741", qExact},
		{"2026029741", qNormalized},
		{"029741", qNormalized},
		{"29741", qShort},
		{"2026", qNone},
		{"02-9741", qNone}, // two groups joined are not the last group
		{"Nr 029741", qNormalized},
	} {
		got := qNone
		f := formsOf(atomize(tc.text, nil))
		f.each(func(s string) { got = max(got, g.compare(s, f.joined(s))) })
		if got != tc.want {
			t.Errorf("%q names RE-2026-029741 with quality %d, want %d", tc.text, got, tc.want)
		}
	}
	if f := formsOf(atomize("2026 Nr. RE-2026", nil)); f.digits != "" {
		t.Errorf("digits across a word: %+v", f)
	}
}

// TestSearchTexts: wrappers, dates and times glued to a number are cut off
// in a variant of the text.
func TestSearchTexts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		text string
		want string
	}{
		{"SVWZ+RE-1234 EREF+X", " RE-1234  X"},
		{"RE-2024-004201.03.2024", "RE-2024-0042 "},
		{"RG 12345678 14:35", "RG 12345678  "},
		{"RE2026029741202611031435", "RE2026029741202611 031435"},
	} {
		got := searchTexts(tc.text, true, nil)
		if last := got[len(got)-1]; last != tc.want {
			t.Errorf("searchTexts(%q) ends with %q, want %q (all %q)", tc.text, last, tc.want, got)
		}
	}
}

func TestTruncated(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]bool{35: true, 70: true, 140: true, 27: true, 54: true, 36: false, 10: false, 139: false} {
		if got := truncated(n); got != want {
			t.Errorf("truncated(%d) = %v, want %v", n, got, want)
		}
	}
}
