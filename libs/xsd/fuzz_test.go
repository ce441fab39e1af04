package xsd_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/o2c-platform/o2c/libs/xsd"
)

// FuzzValidate feeds arbitrary documents to Validate against a pain and a
// camt schema: it must never panic, never return more than MaxProblems,
// and every problem must say where (a line, a path) and what.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob("testdata/fixtures/*.xml")
	files = append(files, pain008)
	for _, n := range files {
		f.Add([]byte(readFile(f, n)))
	}
	valid := readFile(f, pain008)
	f.Add([]byte(strings.Replace(valid, "<SeqTp>FRST</SeqTp>", "<SeqTp>FRST</SeqTp><SeqTp>X</SeqTp>", 1)))
	f.Add([]byte(strings.Replace(valid, "</GrpHdr>", "</GrpHdr><Foo/>", 1)))
	f.Add([]byte(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"><CstmrDrctDbtInitn><GrpHdr>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">` + "\xe4" + `</Document>`))
	f.Add(camt053(4 << 10))
	schemas := []*xsd.Schema{load(f, "pain.008.001.08"), load(f, "camt.053.001.02"), load(f, "camt.053.001.08")}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range schemas {
			problems := s.Validate(bytes.NewReader(data))
			if len(problems) > xsd.MaxProblems {
				t.Fatalf("%d problems, at most %d", len(problems), xsd.MaxProblems)
			}
			for _, p := range problems {
				if p.Line < 1 || !strings.HasPrefix(p.Path, "/") || p.Msg == "" {
					t.Fatalf("problem without place or message: %#v", p)
				}
			}
		}
	})
}
