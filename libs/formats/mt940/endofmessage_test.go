package mt940

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEndOfMessage tells a wrapped line of :86: that looks like a bank
// trailer ("-AB") from the trailer that ends a message ("-XXX"): the line
// continues the field when the next line is a tag of the same message or
// the end of the message, and ends the message before a new one (:20:,
// SWIFT blocks, bank header lines) or the end of the input. A line that
// is exactly "-" always ends the message.
func TestEndOfMessage(t *testing.T) {
	t.Parallel()
	const head = ":20:STARTUMSE\n:25:10050000/0123456789\n:28C:1\n:60F:C210101EUR0,00\n"
	const wrapped = ":86:Zahlung Kunde 4711 Rechnung Nr. 2021-0815 vom 03.01.2021 Projekt\n-AB\n"
	const text = "Zahlung Kunde 4711 Rechnung Nr. 2021-0815 vom 03.01.2021 Projekt -AB"
	const short = "Zahlung Kunde 4711 Rechnung Nr. 2021-0815 vom 03.01.2021 Projekt"
	type view struct {
		Entries   []int    // per statement
		EntryInfo []string // of every entry
		Info      []string // every statement's own :86:
	}
	tests := []struct {
		name, data string
		want       view
		warn       string
	}{
		{"wrapped line before the next :61:",
			head + ":61:2101040104CR10,00NTRFNONREF\n" + wrapped + ":61:2101040104CR20,00NTRFNONREF\n:86:Zweite Zahlung\n:62F:C210104EUR30,00\n-\n",
			view{[]int{2}, []string{text, "Zweite Zahlung"}, []string{""}}, ""},
		{"wrapped line before the closing balance",
			head + ":61:2101040104CR10,00NTRFNONREF\n" + wrapped + ":62F:C210104EUR10,00\n-\n",
			view{[]int{1}, []string{text}, []string{""}}, ""},
		{"wrapped line before the end of the message",
			head + ":61:2101040104CR10,00NTRFNONREF\n" + wrapped + "-\n",
			view{[]int{1}, []string{text}, []string{""}}, ""},
		{"wrapped line, blank line, then the next :61:",
			head + ":61:2101040104CR10,00NTRFNONREF\n" + wrapped + "\n:61:2101040104CR20,00NTRFNONREF\n:62F:C210104EUR30,00\n-\n",
			view{[]int{2}, []string{text, ""}, []string{""}}, ""},
		{"trailer after an entry's :86: at the end of the input",
			head + ":61:2101040104CR10,00NTRFNONREF\n:86:" + short + "\n-XXX\n",
			view{[]int{1}, []string{short}, []string{""}}, ""},
		{"ING trailer after the statement's :86:, header lines, next message",
			"0000 01INGBNL2AXXXX00001\n940 00\n" + head + ":62F:C210104EUR0,00\n:86:/SUM/0/0/0,00/0,00/\n-XXX\n" +
				"0000 01INGBNL2AXXXX00002\n940 00\n" + head + ":62F:C210104EUR0,00\n-XXX\n",
			view{[]int{0, 0}, nil, []string{"/SUM/0/0/0,00/0,00/", ""}}, ""},
		{"trailer after :86: before the next :20:",
			head + ":61:2101040104CR10,00NTRFNONREF\n:86:" + short + "\n-XXX\n" + head + ":62F:C210104EUR0,00\n-\n",
			view{[]int{1, 0}, []string{short}, []string{"", ""}}, ""},
		{"trailer after :86: before SWIFT blocks",
			head + ":61:2101040104CR10,00NTRFNONREF\n:86:" + short + "\n-XXX\n{1:F01X}{2:O940X}{4:\n" + head + "-}\n",
			view{[]int{1, 0}, []string{short}, []string{"", ""}}, ""},
		{"\"-\" ends the message even before a :61:",
			head + ":61:2101040104CR10,00NTRFNONREF\n:86:" + short + "\n-\n:61:2101040104CR20,00NTRFNONREF\n",
			view{[]int{2}, []string{short, ""}, []string{""}}, "without a new :20:"},
		{"\"-}\" with trailer blocks ends the message",
			"{1:F01X}{2:O940X}{4:\n" + head + ":61:2101040104CR10,00NTRFNONREF\n:86:" + short + "\n-}{5:{CHK:123}}\n{1:F01X}{2:O940X}{4:\n" + head + "-}\n",
			view{[]int{1, 0}, []string{short}, []string{"", ""}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, opt := range []Options{{}, {CheckOnly: true}} {
				p := readAll(t, tt.data, opt)
				var got view
				for i, s := range p.statements {
					got.Entries = append(got.Entries, len(p.entries[i]))
					got.Info = append(got.Info, s.Info)
					for _, e := range p.entries[i] {
						got.EntryInfo = append(got.EntryInfo, e.Info)
					}
				}
				want := tt.want
				if opt.CheckOnly && want.EntryInfo != nil {
					// The entries' :86: is not read; the items are the same.
					want.EntryInfo = make([]string, len(want.EntryInfo))
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("CheckOnly %v (-want +got):\n%s", opt.CheckOnly, diff)
				}
				if tt.warn == "" && len(p.warnings) != 0 {
					t.Errorf("CheckOnly %v: unexpected warnings %q", opt.CheckOnly, p.warnings)
				}
				if tt.warn != "" && !hasWarning(p.warnings, tt.warn) {
					t.Errorf("CheckOnly %v: warnings %q lack %q", opt.CheckOnly, p.warnings, tt.warn)
				}
			}
		})
	}
}
