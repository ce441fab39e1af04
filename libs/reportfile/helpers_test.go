package reportfile_test

import (
	"strconv"
	"testing"
)

func parseFloat(tb testing.TB, s string) float64 {
	tb.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("number %q: %v", s, err)
	}
	return f
}

func attrFloat(tb testing.TB, e svgElem, name string) float64 {
	tb.Helper()
	return parseFloat(tb, e.Attrs[name])
}
