package xsd_test

import (
	"os"
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/libs/xsd"
)

// schemas are the ISO 20022 XSDs copied from ../shared/specs/iso20022.
var schemas = os.DirFS("testdata/schemas")

// load loads the ISO 20022 schema of message (e.g. "pain.008.001.08").
func load(tb testing.TB, message string) *xsd.Schema {
	tb.Helper()
	s, err := xsd.Load(schemas, message+".xsd")
	if err != nil {
		tb.Fatalf("Load(%s): %v", message, err)
	}
	return s
}

func readFile(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// mutate replaces the only occurrence of old in doc.
func mutate(tb testing.TB, doc, old, new string) string {
	tb.Helper()
	if n := strings.Count(doc, old); n != 1 {
		tb.Fatalf("%q occurs %d times in the document, want once", old, n)
	}
	return strings.Replace(doc, old, new, 1)
}

func validate(s *xsd.Schema, doc string) []xsd.Problem {
	return s.Validate(strings.NewReader(doc))
}
