package spapi

import (
	"encoding/json"
	"testing"
)

// TestScanNextToken agrees with encoding/json on the pages of all three
// APIs, escapes and odd spacing included, and gives up on broken JSON.
func TestScanNextToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
		broken           bool
	}{
		{"v0", `{"payload":{"NextToken":"abc","FinancialEvents":{"RefundEventList":[{"A":"}]\"{"}]}}}`, "abc", false},
		{"v0 token last", `{"payload":{"FinancialEvents":{"RefundEventList":[{"x":[1,2,{"y":null}],"z":true}]},"NextToken":"t2"}}`, "t2", false},
		{"v0 last page", `{"payload":{"FinancialEvents":{}}}`, "", false},
		{"2024", ` { "payload" : { "nextToken" : "n\u0041x" , "transactions" : [ ] } } `, "nAx", false},
		{"reports", `{"reports":[{"reportId":"1"}],"nextToken":"r"}`, "r", false},
		{"number values", `{"payload":{"n":-1.5e3,"NextToken":"k"}}`, "k", false},
		{"unterminated string", `{"payload":{"NextToken":"abc}}`, "", true},
		{"not an object", `[1]`, "", true},
		{"missing colon", `{"payload" {}}`, "", true},
	} {
		got, err := scanNextToken([]byte(tc.body))
		if tc.broken {
			if err == nil {
				t.Errorf("%s: scan = %q, want an error", tc.name, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: scan = %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if !json.Valid([]byte(tc.body)) {
			t.Errorf("%s: test body is not JSON", tc.name)
		}
		if viaJSON, err := nextToken([]byte(tc.body)); err != nil || viaJSON != tc.want {
			t.Errorf("%s: nextToken = %q, %v; want %q", tc.name, viaJSON, err, tc.want)
		}
	}
}

// FuzzScanNextToken checks that the quick scan never finds another token
// than encoding/json on valid JSON.
func FuzzScanNextToken(f *testing.F) {
	for _, s := range []string{
		`{"payload":{"NextToken":"abc","FinancialEvents":{}}}`,
		`{"reports":[],"nextToken":"x"}`,
		`{"payload":{"nextToken":"\"q\"","transactions":[{"a":"\\"}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := scanNextToken(b)
		if err != nil || !json.Valid(b) {
			return
		}
		var v struct {
			Payload *struct {
				NextToken string `json:"NextToken"`
			} `json:"payload"`
			NextToken string `json:"nextToken"`
		}
		if json.Unmarshal(b, &v) != nil {
			return
		}
		want := v.NextToken
		if v.Payload != nil && v.Payload.NextToken != "" {
			want = v.Payload.NextToken
		}
		if got != want {
			t.Errorf("scan %q, encoding/json %q for %s", got, want, b)
		}
	})
}
