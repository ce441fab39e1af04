package taxtest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
)

func TestNamedCasesHaveTheirVerdicts(t *testing.T) {
	t.Parallel()
	want := map[string]bool{
		"16 % in 2026":                     false,
		"negative 0 % voucher beside 19 %": false,
		"a line of 2·10^15 minor units":    false,
		"9999-12-31 due in 14 days":        false,
		"16 % on 2020-08-15":               true,
		"intra-EU supply":                  true,
	}
	for _, c := range Cases(1, 0) {
		if b, ok := want[c.Name]; !ok || b != c.Bookable {
			t.Errorf("case %q: bookable = %v (%s), want %v", c.Name, c.Bookable, c.Why, b)
		}
	}
}

func TestCasesAreDeterministicAndMixed(t *testing.T) {
	t.Parallel()
	a, b := Cases(7, 500), Cases(7, 500)
	if diff := cmp.Diff(a, b, protocmp.Transform()); diff != "" {
		t.Fatalf("Cases(7, 500) differs between calls:\n%s", diff)
	}
	var bookable int
	for _, c := range a {
		if c.Bookable {
			bookable++
		}
	}
	// Both verdicts must be well represented, or the property says little.
	if bookable < len(a)/5 || bookable > len(a)*4/5 {
		t.Errorf("%d of %d cases bookable; want between a fifth and four fifths", bookable, len(a))
	}
}
