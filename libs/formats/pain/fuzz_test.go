package pain

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzWriteCollection puts arbitrary text into the free-text and
// identifier fields: the writer either refuses with FieldErrors and writes
// nothing, or writes a file that is well-formed and valid against the XSD.
func FuzzWriteCollection(f *testing.F) {
	f.Add("Jörg Müller & Söhne", "Rechnung <1> 🎉", "INV-1", "MNDT-1", "Zürich")
	f.Add("", "", "", "", "")
	f.Add("]]>", "&amp;", "a//b", "/m", "\x00\xff")
	f.Fuzz(func(t *testing.T, name, remittance, e2e, mandate, town string) {
		c := coreCollection()
		d := &c.Batches[1].Debits[1]
		d.Debtor.Name, d.Remittance, d.EndToEndID, d.MandateID, d.Debtor.Town = name, remittance, e2e, mandate, town
		var buf bytes.Buffer
		if err := WriteCollection(&buf, c); err != nil {
			if len(FieldErrors(err)) == 0 || buf.Len() != 0 {
				t.Fatalf("error %v: %d field errors, %d bytes written", err, len(FieldErrors(err)), buf.Len())
			}
			return
		}
		var doc doc008
		if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		validate(t, "pain.008.001.08.xsd", buf.Bytes())
	})
}

// FuzzReadStatusReport reads arbitrary bytes as a pain.002, seeded with
// the status reports in testdata: the reader never panics, and what it
// accepts has the required identifiers and well-formed codes.
func FuzzReadStatusReport(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.pain.002.xml"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadStatusReport(bytes.NewReader(data))
		if err != nil {
			if r != nil || !errors.Is(err, ErrStatusReport) && !errors.Is(err, ErrReportTooLarge) {
				t.Fatalf("report %v with error %v", r, err)
			}
			return
		}
		if r.MessageID == "" || r.OriginalMessageID == "" || r.OriginalMessageType == "" {
			t.Fatalf("accepted without identifiers: %+v", r)
		}
		codes := []string{r.GroupStatus}
		for _, p := range r.Payments {
			if p.PaymentInfoID == "" {
				t.Fatalf("payment block without id: %+v", p)
			}
			codes = append(codes, p.Status)
			for _, tx := range p.Transactions {
				codes = append(codes, tx.Status)
				if tx.Amount < 0 {
					t.Fatalf("negative amount %d", tx.Amount)
				}
			}
		}
		for _, c := range codes {
			if c != "" && !isCode(c, 4) {
				t.Fatalf("status %q", c)
			}
		}
	})
}
