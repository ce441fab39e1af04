package settlement

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// report is everything a Reader returned for one file.
type report struct {
	format      Format
	settlements []readSettlement
	warnings    []string
	err         error
}

type readSettlement struct {
	Settlement
	Lines []Line
}

// readAll reads a whole report from r.
func readAll(tb testing.TB, r io.Reader) report {
	tb.Helper()
	rd, err := NewReader(r)
	if err != nil {
		return report{err: err}
	}
	rep := report{format: rd.Format()}
	for {
		s, err := rd.NextSettlement()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rep.err = err
			break
		}
		got := readSettlement{}
		for {
			l, err := rd.NextLine()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rep.err = err
				break
			}
			got.Lines = append(got.Lines, l)
		}
		got.Settlement = *s
		rep.settlements = append(rep.settlements, got)
		if rep.err != nil {
			break
		}
	}
	rep.warnings = rd.Warnings()
	return rep
}

// readTestdata reads testdata/name.
func readTestdata(tb testing.TB, name string) report {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return readAll(tb, bytes.NewReader(b))
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
