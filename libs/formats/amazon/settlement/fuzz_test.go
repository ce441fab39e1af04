package settlement

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse reads arbitrary bytes as a settlement report. It must never
// panic; an error must be ErrNotSettlementReport or a *ParseError naming a
// line or element path; and what was read must be consistent: every line has
// a well-formed currency, the settlement's Sum is the sum of its lines, and
// SumOK agrees with Total and Sum.
func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) == ".md" {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep := readAll(t, bytes.NewReader(data))
		if rep.err != nil && !errors.Is(rep.err, ErrNotSettlementReport) {
			var pe *ParseError
			if !errors.As(rep.err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", rep.err, rep.err)
			}
			if pe.Line <= 0 && pe.Path == "" {
				t.Fatalf("error %q names no position", pe)
			}
		}
		for _, s := range rep.settlements {
			if _, ok := exponent(s.Currency); !ok {
				t.Fatalf("settlement %q has currency %q", s.ID, s.Currency)
			}
			if s.ID == "" {
				t.Fatal("settlement without id")
			}
			var sum int64
			overflow := false
			for _, l := range s.Lines {
				if _, ok := exponent(l.Currency); !ok {
					t.Fatalf("line %d has currency %q", l.Line, l.Currency)
				}
				n := sum + l.AmountMinor
				if (l.AmountMinor > 0 && n < sum) || (l.AmountMinor < 0 && n > sum) {
					overflow = true
				}
				sum = n
				if l.AmountExact != "" {
					exp, _ := exponent(l.Currency)
					a, err := parseAmount(l.AmountExact, exp)
					if err != nil || a.minor != l.AmountMinor {
						t.Fatalf("line %d: exact %q does not round to %d (%v)", l.Line, l.AmountExact, l.AmountMinor, err)
					}
				}
			}
			if rep.err == nil && (len(s.Lines) != s.LineCount || sum != s.Sum || overflow != s.SumOverflow) {
				t.Fatalf("settlement %s: %d lines summing to %d (overflow %v), reader says %d, %d, %v", s.ID, len(s.Lines), sum, overflow, s.LineCount, s.Sum, s.SumOverflow)
			}
			if rep.err == nil && s.SumOK() != (s.HasTotal && !overflow && sum == s.Total) {
				t.Fatalf("settlement %s: SumOK %v with total %d and sum %d", s.ID, s.SumOK(), s.Total, sum)
			}
		}
	})
}
