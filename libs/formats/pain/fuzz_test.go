package pain

import (
	"bytes"
	"encoding/xml"
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
