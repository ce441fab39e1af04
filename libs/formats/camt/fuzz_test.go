package camt

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the Reader: it must never panic, every
// error must name an element path, and every entry it yields must be
// consistent.
func FuzzParse(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, msg := range []string{"052", "053", "054"} {
		for _, ver := range []int{1, 2, 4, 8, 13} {
			f.Add([]byte(versionDoc(msg, ver)))
		}
	}
	f.Add([]byte(stmt053(bal("OPBD", "1.005", "") + ntry("1.23456", "DBIT", `<NtryDtls><TxDtls><RmtInf><Ustrd>EREF: X MR</Ustrd><Ustrd>EF: Y</Ustrd></RmtInf></TxDtls></NtryDtls>`))))
	f.Add(utf16Doc(stmt053(ntry("1.00", "CRDT", "<AddtlNtryInf>Grüße</AddtlNtryInf>")), false))
	f.Add(utf16Doc(stmt053(ntry("1.00", "DBIT", "")), true))
	f.Fuzz(func(t *testing.T, data []byte) {
		cr := NewReader(bytes.NewReader(data))
		for {
			k, err := cr.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var pe *Error
				if !errors.As(err, &pe) || !strings.HasPrefix(pe.Path, "/") {
					t.Fatalf("error without element path: %v", err)
				}
				if _, again := cr.Next(); again == nil {
					t.Fatal("Next succeeded after an error")
				}
				return
			}
			if k != KindEntry {
				continue
			}
			e := cr.Entry()
			checkAmount(t, e.Amount)
			if len(e.Transactions) == 0 {
				t.Fatal("entry without transactions")
			}
			if _, err := hex.DecodeString(e.Fingerprint()); err != nil || len(e.Fingerprint()) != 32 {
				t.Fatalf("fingerprint %q", e.Fingerprint())
			}
			for i := range e.Transactions {
				checkAmount(t, e.Transactions[i].Amount)
				if len(e.Transactions[i].Fingerprint()) != 32 {
					t.Fatal("transaction without fingerprint")
				}
			}
		}
	})
}

// checkAmount asserts an amount has a currency and that a rounded amount
// round-trips from its exact text.
func checkAmount(t *testing.T, a Amount) {
	t.Helper()
	if !isCurrencyCode(a.Currency) {
		t.Fatalf("amount %+v has no currency code", a)
	}
	if a.Exact != "" {
		v, rounded, err := parseDecimal(a.Exact, exponent(a.Currency))
		if err != nil || !rounded || (v != a.Minor && v != -a.Minor) {
			t.Fatalf("amount %+v does not round-trip: %d %v %v", a, v, rounded, err)
		}
	}
}
