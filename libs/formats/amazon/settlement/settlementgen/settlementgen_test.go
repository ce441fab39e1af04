package settlementgen_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement/settlementgen"
)

// TestWrite checks that each generated report has the size asked for, is
// the same on every call, is detected as its format, and reads without
// warnings into one settlement whose lines add up to its total.
func TestWrite(t *testing.T) {
	t.Parallel()
	const size = 200 << 10
	tests := []struct {
		name  string
		write func(io.Writer, int64) (int, error)
		want  settlement.Format
	}{
		{"V1", settlementgen.WriteV1, settlement.FlatV1},
		{"V2", settlementgen.WriteV2, settlement.FlatV2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var a, b bytes.Buffer
			n, err := tt.write(&a, size)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tt.write(&b, size); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("two calls wrote different reports")
			}
			if a.Len() < size {
				t.Errorf("wrote %d bytes, want at least %d", a.Len(), size)
			}
			rd, err := settlement.NewReader(&a)
			if err != nil {
				t.Fatal(err)
			}
			if rd.Format() != tt.want {
				t.Errorf("format %s, want %s", rd.Format(), tt.want)
			}
			settlements, lines := 0, 0
			for {
				s, err := rd.NextSettlement()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				settlements++
				for {
					if _, err := rd.NextLine(); errors.Is(err, io.EOF) {
						break
					} else if err != nil {
						t.Fatal(err)
					}
					lines++
				}
				if !s.SumOK() {
					t.Errorf("settlement %s: total %d, lines sum to %d", s.ID, s.Total, s.Sum)
				}
			}
			if settlements != 1 || lines != n {
				t.Errorf("read %d settlements and %d lines, want 1 and %d", settlements, lines, n)
			}
			if w := rd.Warnings(); len(w) > 0 {
				t.Errorf("warnings: %q", w)
			}
		})
	}
}
