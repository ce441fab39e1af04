package camt

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parsed is everything a Reader yielded for one document.
type parsed struct {
	Message    string
	Statements []parsedStatement
	Warnings   []string
}

type parsedStatement struct {
	Statement Statement
	Entries   []Entry
}

// parseAll reads a whole document, failing the test on an error.
func parseAll(tb testing.TB, r io.Reader) parsed {
	tb.Helper()
	p, err := tryParseAll(r)
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return p
}

// tryParseAll reads a whole document and returns the first error.
func tryParseAll(r io.Reader) (parsed, error) {
	cr := NewReader(r)
	var p parsed
	for {
		k, err := cr.Next()
		p.Message = cr.Message()
		if errors.Is(err, io.EOF) {
			p.Warnings = cr.Warnings()
			return p, nil
		}
		if err != nil {
			p.Warnings = cr.Warnings()
			return p, err
		}
		switch k {
		case KindStatement:
			p.Statements = append(p.Statements, parsedStatement{})
		case KindEntry:
			last := &p.Statements[len(p.Statements)-1]
			last.Entries = append(last.Entries, *cr.Entry())
		case KindStatementEnd:
			last := &p.Statements[len(p.Statements)-1]
			last.Statement = *cr.Statement()
		}
	}
}

func parseString(tb testing.TB, doc string) parsed {
	tb.Helper()
	return parseAll(tb, strings.NewReader(doc))
}

func openFixture(tb testing.TB, name string) *os.File {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

func fixtureNames(tb testing.TB) []string {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

func hasWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}
