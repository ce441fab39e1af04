package mt940gen_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/o2c-platform/o2c/libs/formats/mt940"
	"github.com/o2c-platform/o2c/libs/formats/mt940/mt940gen"
)

// TestWrite checks that a generated file has the size asked for, is the
// same on every call, and reads without warnings into the number of
// entries Write reports, every statement reconciling.
func TestWrite(t *testing.T) {
	t.Parallel()
	const size = 200 << 10
	var a, b bytes.Buffer
	n, err := mt940gen.Write(&a, size)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mt940gen.Write(&b, size); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two calls wrote different files")
	}
	if a.Len() < size {
		t.Errorf("wrote %d bytes, want at least %d", a.Len(), size)
	}
	rd := mt940.NewReader(&a, mt940.Options{})
	entries := 0
	for {
		it, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch it.Kind {
		case mt940.KindEntry:
			entries++
			if it.Entry.Details.EndToEndID == "" || it.Entry.Details.CounterpartyIBAN == "" {
				t.Fatalf("entry at line %d lacks its SEPA details: %+v", it.Entry.Line, it.Entry.Details)
			}
		case mt940.KindStatementEnd:
			if it.Statement.BalanceCheck != mt940.CheckOK {
				t.Errorf("statement %s: balance check %s", it.Statement.Reference, it.Statement.BalanceCheck)
			}
		}
	}
	if entries != n {
		t.Errorf("read %d entries, Write reported %d", entries, n)
	}
	if w := rd.Warnings(); len(w) > 0 {
		t.Errorf("warnings: %q", w)
	}
}
