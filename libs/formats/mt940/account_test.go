package mt940

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/detect"
)

// TestAccountOptionP reads field 25 with option P (:25P:), the account
// identification followed by the BIC of the account servicing institution,
// wherever :25: is read: the account is the first line, the file is
// detected as MT940, and nothing is warned about.
func TestAccountOptionP(t *testing.T) {
	t.Parallel()
	const rest = ":28C:1\n:60F:C210101EUR0,00\n:61:2101040104C5,00NTRFNONREF\n:86:x\n:62F:C210104EUR5,00\n-\n"
	type account struct{ Account, BIC, Currency string }
	tests := []struct {
		name, data string
		want       account
		warn       string
	}{
		{"BIC on the next line, as SWIFT defines it",
			":20:REF\n:25P:NL91ABNA0417164300\nABNANL2A\n" + rest,
			account{"NL91ABNA0417164300", "ABNANL2A", ""}, ""},
		{"BIC after a slash on the same line",
			":20:STARTUMSE\n:25P:DE89370400440532013000/COBADEFFXXX\n" + rest,
			account{"DE89370400440532013000", "COBADEFFXXX", ""}, ""},
		{"no BIC",
			":20:REF\n:25P:DE89370400440532013000\n" + rest,
			account{"DE89370400440532013000", "", ""}, ""},
		{"national account with a slash and no BIC",
			":20:REF\n:25P:10050000/0123456789\n" + rest,
			account{"10050000/0123456789", "", ""}, ""},
		{"currency appended to the account, CRLF, SWIFT blocks",
			"{1:F01INGBNL2AXXXX0000000000}{2:O940INGBNL2AXXXXN}{4:\r\n:20:REF\r\n:25P:NL69INGB0123456789EUR\r\nINGBNL2A\r\n" +
				":28C:1\r\n:60F:C210101EUR0,00\r\n:62F:C210101EUR0,00\r\n-}",
			account{"NL69INGB0123456789", "INGBNL2A", "EUR"}, ""},
		{"second line that is no BIC",
			":20:REF\n:25P:NL91ABNA0417164300\nsomething else\n" + rest,
			account{"NL91ABNA0417164300", "", ""}, "no identifier code"},
		{":25: keeps a trailing slash part as written",
			":20:REF\n:25:BILLLULLXXX/LU280019400644750000\n" + rest,
			account{"BILLLULLXXX/LU280019400644750000", "", ""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !detect.Is(detect.MT940, []byte(tt.data)) {
				t.Errorf("not detected as MT940")
			}
			p := readAll(t, tt.data, Options{})
			if len(p.statements) != 1 {
				t.Fatalf("%d statements, want 1", len(p.statements))
			}
			s := p.statements[0]
			if diff := cmp.Diff(tt.want, account{s.Account, s.AccountBIC, s.AccountCurrency}); diff != "" {
				t.Errorf("account (-want +got):\n%s", diff)
			}
			if tt.warn == "" && len(p.warnings) != 0 {
				t.Errorf("unexpected warnings %q", p.warnings)
			}
			if tt.warn != "" && !hasWarning(p.warnings, tt.warn) {
				t.Errorf("warnings %q lack %q", p.warnings, tt.warn)
			}
		})
	}
}
