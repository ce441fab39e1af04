package camt

import (
	"strings"
	"testing"
)

// TestHostileDocuments reads documents built to attack an XML parser or
// to smuggle bytes past it: entity expansion (billion laughs), external
// entities (XXE) and characters XML does not allow. Each is refused with
// an error naming the element path and what was wrong; no entity is
// expanded or fetched.
func TestHostileDocuments(t *testing.T) {
	t.Parallel()
	laughs := `<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">` +
		`<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>`
	xxe := `<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>`
	body := func(prolog, extra string) string {
		return strings.Replace(stmt053(ntry("1", "CRDT", extra)), `<?xml version="1.0" encoding="UTF-8"?>`, prolog, 1)
	}
	for _, tt := range []struct {
		name, doc, want string
	}{
		{"billion laughs", body(laughs, "<AddtlNtryInf>&d;</AddtlNtryInf>"), "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]: line 1: xml syntax error: invalid character entity &d;"},
		{"external entity", body(xxe, "<AddtlNtryInf>&x;</AddtlNtryInf>"), "invalid character entity &x;"},
		{"external entity in an attribute", body(xxe, `<AddtlNtryInf a="&x;">t</AddtlNtryInf>`), "invalid character entity &x;"},
		{"parameter entity", body(`<!DOCTYPE Document [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>`, "<AddtlNtryInf>%p;</AddtlNtryInf>"), ""},
		{"NUL in text", body(`<?xml version="1.0"?>`, "<AddtlNtryInf>a\x00b</AddtlNtryInf>"), "/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]: line 1: xml syntax error: illegal character code U+0000"},
		{"escape in text", body(`<?xml version="1.0"?>`, "<AddtlNtryInf>\x1b[2J</AddtlNtryInf>"), "illegal character code U+001B"},
		{"NUL in an attribute", strings.Replace(stmt053(ntry("1", "CRDT", "")), `Ccy="EUR"`, "Ccy=\"EU\x00R\"", 1), `Ccy "EU\x00R" is not an ISO 4217`},
		{"character reference to NUL", body(`<?xml version="1.0"?>`, "<AddtlNtryInf>a&#0;b</AddtlNtryInf>"), "invalid character entity &#0;"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := tryParseAll(strings.NewReader(tt.doc))
			if tt.want == "" {
				// A parameter entity is never resolved: the text stays as it is.
				if err != nil {
					t.Fatalf("error %v, want the document read without resolving %%p;", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v (after %v), want it to contain %q", err, n, tt.want)
			}
		})
	}
}
