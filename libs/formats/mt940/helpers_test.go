package mt940

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// parsed is everything a Reader produced for one input.
type parsed struct {
	statements []Statement // as of KindStatementEnd
	entries    [][]*Entry  // per statement
	warnings   []string
	format     string
}

// readAll reads data to the end and fails the test on an error.
func readAll(tb testing.TB, data string, opt Options) parsed {
	tb.Helper()
	p, err := tryRead(data, opt)
	if err != nil {
		tb.Fatalf("read: %v", err)
	}
	return p
}

// tryRead reads data to the end and checks the order of items.
func tryRead(data string, opt Options) (parsed, error) {
	rd := NewReader(strings.NewReader(data), opt)
	var p parsed
	open := false
	for {
		it, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.format = rd.Format()
			return p, err
		}
		switch it.Kind {
		case KindStatementStart:
			if open {
				return p, errors.New("statement start inside a statement")
			}
			open = true
			p.entries = append(p.entries, nil)
		case KindEntry:
			if !open {
				return p, errors.New("entry outside a statement")
			}
			p.entries[len(p.entries)-1] = append(p.entries[len(p.entries)-1], it.Entry)
		case KindStatementEnd:
			if !open {
				return p, errors.New("statement end without start")
			}
			open = false
			p.statements = append(p.statements, it.Statement)
		}
	}
	if open {
		return p, errors.New("statement not ended")
	}
	p.warnings = rd.Warnings()
	p.format = rd.Format()
	return p, nil
}

func readFixture(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func hasWarning(warnings []string, sub string) bool {
	for _, w := range warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}
