package credit

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/ingestion/internal/shop"
)

// rules is the brief's example section: approval above 100.00 EUR,
// customer service up to 200.00, accountants up to 5,000.00.
const rules = `{"credit_notes": {"number_range": {"prefix": "GS-", "next": 1, "width": 6},
	"approval_threshold": {"EUR": 10000},
	"limits": {"customer-service": {"EUR": 20000}, "accountant": {"EUR": 500000}}, "issued_by": "o2c"}}`

func config(tb testing.TB, raw string) Config {
	tb.Helper()
	c, err := ParseConfig([]byte(raw), "console")
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func person(actor string, roles ...identity.Role) identity.Principal {
	return identity.Principal{Actor: actor, Tenants: []string{"acme"}, Roles: roles, Via: "jwt"}
}

var (
	anna  = person("user:anna", identity.CustomerService)
	bernd = person("user:bernd", identity.Accountant)
	carla = person("user:carla", identity.Accountant)
	otto  = person("user:otto", identity.Operator)
)

func eur(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }

// invoice is R-1 of debtor K-1 over 345.00 EUR: 200.00 net at 19 % and
// 100.00 net at 7 %.
func invoice(credited int64) shop.InvoiceState {
	return shop.InvoiceState{Credited: credited, Invoice: &ingestionv1.InvoiceIngested{
		Tenant: "acme", InvoiceNumber: "R-1", DebtorId: "K-1", Currency: "EUR", Gross: eur(34500),
		Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(20000), Vat: eur(3800)}, {RateBp: 700, Net: eur(10000), Vat: eur(700)}},
	}}
}

func input(amounts ...Amount) Input {
	return Input{Tenant: "acme", RequestID: "req-1", DebtorID: "K-1", InvoiceNumber: "R-1", Amounts: amounts,
		Reason: shopv1.CreditNoteReason_CREDIT_NOTE_REASON_GOODWILL, Note: "parcel arrived late"}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	c := config(t, rules)
	want := Config{Range: Range{Prefix: "GS-", Next: 1, Width: 6}, Threshold: map[string]int64{"EUR": 10000},
		Limits:   map[identity.Role]map[string]int64{identity.CustomerService: {"EUR": 20000}, identity.Accountant: {"EUR": 500000}},
		IssuedBy: ByO2C}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("ParseConfig (-want +got):\n%s", diff)
	}
	none := config(t, `{"theme": "dark"}`)
	if none.Range != DefaultRange || none.IssuedBy != ByO2C || len(none.Limits) != 0 {
		t.Errorf("a section without credit_notes = %+v; want the default range, o2c and no limits", none)
	}
	if !none.NeedsApproval(1, "EUR") {
		t.Error("without a threshold a credit note of 0.01 EUR was issued without approval")
	}
}

func TestParseConfigProblems(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, raw, path string }{
		{"typo", `{"credit_notes": {"limit": {}}}`, "console.credit_notes"},
		{"prefix", `{"credit_notes": {"number_range": {"prefix": "G S"}}}`, "console.credit_notes.number_range.prefix"},
		{"next", `{"credit_notes": {"number_range": {"next": 0}}}`, "console.credit_notes.number_range.next"},
		{"width", `{"credit_notes": {"number_range": {"width": 13}}}`, "console.credit_notes.number_range.width"},
		{"currency", `{"credit_notes": {"approval_threshold": {"eur": 1}}}`, "console.credit_notes.approval_threshold.eur"},
		{"negative", `{"credit_notes": {"limits": {"accountant": {"EUR": -1}}}}`, "console.credit_notes.limits.accountant.EUR"},
		{"unknown role", `{"credit_notes": {"limits": {"intern": {"EUR": 1}}}}`, "console.credit_notes.limits.intern"},
		{"role that may not credit", `{"credit_notes": {"limits": {"shop": {"EUR": 1}}}}`, "console.credit_notes.limits.shop"},
		{"issuer", `{"credit_notes": {"issued_by": "bank"}}`, "console.credit_notes.issued_by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig([]byte(tt.raw), "console")
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Path != tt.path {
				t.Errorf("ParseConfig(%s) = %v; want a problem at %s", tt.raw, err, tt.path)
			}
		})
	}
}

func TestRangeNumbersWithoutGaps(t *testing.T) {
	t.Parallel()
	r := Range{Prefix: "GS-", Next: 41, Width: 6}
	var got []string
	for drawn := int64(0); drawn < 3; drawn++ {
		got = append(got, r.Number(drawn))
	}
	if diff := cmp.Diff([]string{"GS-000041", "GS-000042", "GS-000043"}, got); diff != "" {
		t.Errorf("numbers (-want +got):\n%s", diff)
	}
}

// TestRequest: given invoice R-1 (345.00 EUR) and the example rules,
// when a person requests a credit note, then it is refused or recorded as
// the table says.
func TestRequest(t *testing.T) {
	t.Parallel()
	cfg := config(t, rules)
	tests := []struct {
		name     string
		inv      shop.InvoiceState
		in       Input
		who      identity.Principal
		wantErr  error
		approval bool
		gross    int64
	}{
		{"below the threshold", invoice(0), input(Amount{1900, 5950}), anna, nil, false, 5950},
		{"above the threshold within the limit", invoice(0), input(Amount{1900, 15000}), anna, nil, true, 15000},
		{"above customer service's limit", invoice(0), input(Amount{1900, 20001}), anna, ErrOverLimit, false, 0},
		{"an accountant's limit covers it", invoice(0), input(Amount{1900, 23800}, Amount{700, 10700}), bernd, nil, true, 34500},
		{"an operator has no limit", invoice(0), input(Amount{1900, 100}), otto, ErrOverLimit, false, 0},
		{"more than the rate holds", invoice(0), input(Amount{700, 10701}), bernd, ErrOverCredit, false, 0},
		{"more than is left after earlier credits", invoice(30000), input(Amount{1900, 4501}), bernd, ErrOverCredit, false, 0},
		{"exactly what is left", invoice(30000), input(Amount{1900, 4500}), bernd, nil, false, 4500},
		{"a cancelled invoice", shop.InvoiceState{Invoice: invoice(0).Invoice, Cancelled: "ST-1", Credited: 34500}, input(Amount{1900, 1}), bernd, ErrOverCredit, false, 0},
		{"full", invoice(0), func() Input { in := input(); in.Full = true; return in }(), bernd, nil, true, 34500},
		{"full after a partial credit", invoice(100), func() Input { in := input(); in.Full = true; return in }(), bernd, ErrOverCredit, false, 0},
		{"unknown invoice", shop.InvoiceState{}, input(Amount{1900, 1}), anna, ErrUnknownInvoice, false, 0},
		{"another debtor", invoice(0), func() Input { in := input(Amount{1900, 1}); in.DebtorID = "K-2"; return in }(), anna, ErrOtherDebtor, false, 0},
		{"a rate the invoice lacks", invoice(0), input(Amount{1000, 1}), anna, ErrInvalid, false, 0},
		{"no amount", invoice(0), input(), anna, ErrInvalid, false, 0},
		{"not positive", invoice(0), input(Amount{1900, 0}), anna, ErrInvalid, false, 0},
		{"no reason", invoice(0), func() Input { in := input(Amount{1900, 1}); in.Reason = 0; return in }(), anna, ErrInvalid, false, 0},
		{"no note", invoice(0), func() Input { in := input(Amount{1900, 1}); in.Note = " "; return in }(), anna, ErrInvalid, false, 0},
		{"bad request id", invoice(0), func() Input { in := input(Amount{1900, 1}); in.RequestID = "a b"; return in }(), anna, ErrInvalid, false, 0},
		{"NUL in the invoice number", invoice(0), func() Input { in := input(Amount{1900, 1}); in.InvoiceNumber = "R-1\x00"; return in }(), anna, ErrInvalid, false, 0},
		{"control character in the note", invoice(0), func() Input { in := input(Amount{1900, 1}); in.Note = "a\x1b[2Jb"; return in }(), anna, ErrInvalid, false, 0},
		{"a 100,000-character debtor id", invoice(0), func() Input { in := input(Amount{1900, 1}); in.DebtorID = strings.Repeat("k", 100000); return in }(), anna, ErrInvalid, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Request(cfg, tt.inv, tt.in, tt.who)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Request = %v; want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if r.GetNeedsApproval() != tt.approval || r.GetGross().GetMinorUnits() != tt.gross || r.GetRequestedBy() != tt.who.Actor {
				t.Errorf("Request = approval %v, gross %d, by %s; want %v, %d, %s", r.GetNeedsApproval(), r.GetGross().GetMinorUnits(),
					r.GetRequestedBy(), tt.approval, tt.gross, tt.who.Actor)
			}
			var sum int64
			for _, v := range r.GetVat() {
				sum += v.GetNet().GetMinorUnits() + v.GetVat().GetMinorUnits()
			}
			if sum != r.GetGross().GetMinorUnits() {
				t.Errorf("net and VAT add up to %d, gross is %d", sum, r.GetGross().GetMinorUnits())
			}
		})
	}
}

func TestVATSplitOfAPartialCredit(t *testing.T) {
	t.Parallel()
	r, err := Request(config(t, rules), invoice(0), input(Amount{1900, 5950}, Amount{700, 1070}), bernd)
	if err != nil {
		t.Fatal(err)
	}
	want := []*shopv1.VatTotal{{RateBp: 1900, Net: eur(5000), Vat: eur(950)}, {RateBp: 700, Net: eur(1000), Vat: eur(70)}}
	if diff := cmp.Diff(want, r.GetVat(), protocmp.Transform()); diff != "" {
		t.Errorf("VAT (-want +got):\n%s", diff)
	}
}

// pending is anna's request of 150.00 EUR, waiting for approval.
func pending(t testing.TB) State {
	t.Helper()
	r, err := Request(config(t, rules), invoice(0), input(Amount{1900, 15000}), anna)
	if err != nil {
		t.Fatal(err)
	}
	return State{Requested: r, Version: 1}
}

// TestFourEyes: given anna's pending request, when someone approves or
// rejects it, then only a second person with an approving role and a
// limit that covers it may.
func TestFourEyes(t *testing.T) {
	t.Parallel()
	cfg := config(t, rules)
	st := pending(t)
	if got := st.Status(); got != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_PENDING_APPROVAL {
		t.Fatalf("status = %v; want PENDING_APPROVAL", got)
	}
	lowLimit := config(t, `{"credit_notes": {"approval_threshold": {"EUR": 10000}, "limits": {"customer-service": {"EUR": 20000}, "accountant": {"EUR": 10000}}}}`)
	annaAsAccountant := person("user:anna", identity.CustomerService, identity.Accountant)
	tests := []struct {
		name string
		cfg  Config
		who  identity.Principal
		want error
	}{
		{"a second accountant", cfg, bernd, nil},
		{"the requester", cfg, annaAsAccountant, ErrNotApprover},
		{"customer service", cfg, person("user:cem", identity.CustomerService), ErrNotApprover},
		{"an operator", cfg, otto, ErrNotApprover},
		{"an accountant below the amount", lowLimit, bernd, ErrOverLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := Approve(tt.cfg, st, tt.who); !errors.Is(err, tt.want) {
				t.Errorf("Approve = %v; want %v", err, tt.want)
			}
		})
	}
	if err := Reject(st, annaAsAccountant, "no"); !errors.Is(err, ErrNotApprover) {
		t.Errorf("the requester rejecting = %v; want ErrNotApprover", err)
	}
	if err := Reject(st, bernd, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("rejecting without a reason = %v; want ErrInvalid", err)
	}
	approved := st
	approved.Approved = &ingestionv1.CreditNoteApproved{ApprovedBy: bernd.Actor}
	numbered := approved
	numbered.Numbered = &ingestionv1.CreditNoteNumbered{CreditNoteNumber: "GS-000001"}
	if err := Approve(cfg, numbered, carla); !errors.Is(err, ErrNotPending) {
		t.Errorf("approving an issued credit note = %v; want ErrNotPending", err)
	}
	rejected := st
	rejected.Rejected = &ingestionv1.CreditNoteRejected{RejectedBy: bernd.Actor}
	if err := Approve(cfg, rejected, carla); !errors.Is(err, ErrNotPending) {
		t.Errorf("approving a rejected credit note = %v; want ErrNotPending", err)
	}
	if err := Approve(cfg, State{}, carla); !errors.Is(err, ErrUnknownRequest) {
		t.Errorf("approving nothing = %v; want ErrUnknownRequest", err)
	}
	if !Ready(approved) || Ready(st) || Ready(numbered) || Ready(rejected) {
		t.Error("Ready: want only the approved, unnumbered request ready")
	}
}

// TestIssue: given an approved request, when it is issued as the 5th
// number drawn, then it carries the range's number, the ledger's credit
// note and the shop's announcement agree, and an invoice credited
// meanwhile refuses it.
func TestIssue(t *testing.T) {
	t.Parallel()
	cfg := config(t, `{"credit_notes": {"number_range": {"prefix": "GS-", "next": 100, "width": 6}, "approval_threshold": {"EUR": 10000},
		"limits": {"customer-service": {"EUR": 20000}, "accountant": {"EUR": 500000}}}}`)
	st := pending(t)
	now := time.Date(2026, 12, 7, 10, 30, 0, 0, time.UTC)
	is, err := Issue(cfg, st.Requested, invoice(0), 5, now)
	if err != nil {
		t.Fatal(err)
	}
	if is.Numbered.GetCreditNoteNumber() != "GS-000105" || is.Ingested.GetCreditNoteNumber() != "GS-000105" ||
		is.Announced.GetCreditNoteNumber() != "GS-000105" {
		t.Errorf("numbers %s, %s, %s; want GS-000105 everywhere", is.Numbered.GetCreditNoteNumber(),
			is.Ingested.GetCreditNoteNumber(), is.Announced.GetCreditNoteNumber())
	}
	if is.Ingested.GetGross().GetMinorUnits() != 15000 || is.Ingested.GetRequestId() != "req-1" || is.Ingested.GetSourceHash() != SourcePrefix+"req-1" {
		t.Errorf("ingested = %v; want 150.00 EUR of req-1 marked as the console's", is.Ingested)
	}
	if d := is.Numbered.GetIssueDate(); d.GetYear() != 2026 || d.GetMonth() != 12 || d.GetDay() != 7 {
		t.Errorf("issue date %v; want 2026-12-07", d)
	}
	if _, err := Issue(cfg, st.Requested, invoice(30000), 6, now); !errors.Is(err, ErrOverCredit) {
		t.Errorf("issuing after the invoice was credited meanwhile = %v; want ErrOverCredit", err)
	}
}

func TestShopAnswer(t *testing.T) {
	t.Parallel()
	cfg := config(t, `{"credit_notes": {"approval_threshold": {"EUR": 10000}, "limits": {"customer-service": {"EUR": 20000}}, "issued_by": "shop"}}`)
	r, err := Request(cfg, invoice(0), input(Amount{1900, 5000}), anna)
	if err != nil {
		t.Fatal(err)
	}
	sent := State{Requested: r}
	if got := sent.Status(); got != ingestionv1.CreditNoteState_CREDIT_NOTE_STATE_SENT_TO_SHOP {
		t.Fatalf("a shop-issued request below the threshold is %v; want SENT_TO_SHOP", got)
	}
	if err := CheckShopAnswer(sent, "R-1", 5000); err != nil {
		t.Errorf("the shop's answer = %v; want it accepted", err)
	}
	if err := CheckShopAnswer(sent, "R-1", 5001); !errors.Is(err, ErrOverCredit) {
		t.Errorf("the shop crediting more = %v; want ErrOverCredit", err)
	}
	if err := CheckShopAnswer(sent, "R-2", 5000); !errors.Is(err, ErrUnknownShopRequest) {
		t.Errorf("another invoice = %v; want ErrUnknownShopRequest", err)
	}
	waiting := State{Requested: &ingestionv1.CreditNoteRequested{InvoiceNumber: "R-1", IssuedByShop: true, NeedsApproval: true, Gross: eur(5000)}}
	if err := CheckShopAnswer(waiting, "R-1", 5000); !errors.Is(err, ErrUnknownShopRequest) {
		t.Errorf("a request not approved yet = %v; want ErrUnknownShopRequest", err)
	}
	if m := ToShop(r, time.Unix(0, 0)); m.GetRequestId() != "req-1" || m.GetReason() != "GOODWILL" || len(m.GetVat()) != 1 {
		t.Errorf("ToShop = %v", m)
	}
}

func TestDocument(t *testing.T) {
	t.Parallel()
	st := pending(t)
	if _, _, err := Document(st, []string{"Acme"}, []string{"K-1"}); !errors.Is(err, ErrNotIssued) {
		t.Errorf("the document of a pending request = %v; want ErrNotIssued", err)
	}
	st.Numbered = &ingestionv1.CreditNoteNumbered{CreditNoteNumber: "GS-000001", IssueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 7}}
	name, a, err := Document(st, []string{"Acme GmbH", "Hauptstr. 1", "10115 Berlin"}, []string{"Erika Muster", "Weg 2", "20095 Hamburg"})
	if err != nil {
		t.Fatal(err)
	}
	_, b, _ := Document(st, []string{"Acme GmbH", "Hauptstr. 1", "10115 Berlin"}, []string{"Erika Muster", "Weg 2", "20095 Hamburg"})
	if name != "GS-000001.pdf" || len(a) < 500 || string(a[:5]) != "%PDF-" || string(a) != string(b) {
		t.Errorf("Document = %s, %d bytes starting %q, same twice %v; want GS-000001.pdf, one PDF, the same bytes", name, len(a), a[:min(5, len(a))], string(a) == string(b))
	}
}

func TestSameRequest(t *testing.T) {
	t.Parallel()
	in := input(Amount{1900, 5950}, Amount{700, 1070})
	r, err := Request(config(t, rules), invoice(0), in, bernd)
	if err != nil {
		t.Fatal(err)
	}
	other := input(Amount{1900, 5950}, Amount{700, 1071})
	tests := []struct {
		name  string
		in    Input
		actor string
		want  bool
	}{
		{"the same again", in, bernd.Actor, true},
		{"another amount", other, bernd.Actor, false},
		{"another person", in, carla.Actor, false},
		{"another note", func() Input { i := in; i.Note = "x"; return i }(), bernd.Actor, false},
	}
	for _, tt := range tests {
		if got := SameRequest(r, tt.in, tt.actor); got != tt.want {
			t.Errorf("%s: SameRequest = %v; want %v", tt.name, got, tt.want)
		}
	}
}

// TestExplanationsMustBeStorable gives a request's note and a rejection's
// reason what an event cannot store or the bus cannot carry: each is
// ErrInvalid naming the field, and 500 two-byte characters (1,000 bytes)
// are still an explanation.
func TestExplanationsMustBeStorable(t *testing.T) {
	t.Parallel()
	pending := State{Requested: &ingestionv1.CreditNoteRequested{RequestId: "req-1", RequestedBy: "user:anna"}}
	tests := []struct {
		name, text, want string // want: in the error; "" for none
	}{
		{"NUL", "parcel\x00late", "holds a control character"},
		{"invalid UTF-8", "parcel \xc3\x28 late", "is not valid UTF-8"},
		{"1,002 bytes in 334 characters", strings.Repeat("€", 334), "1002 bytes, at most 1000"},
		{"a megabyte", strings.Repeat("n", 1<<20), "1048576 bytes"},
		{"501 characters", strings.Repeat("n", 501), "1 to 500 characters"},
		{"blank", " \n\t", "1 to 500 characters"},
		{"500 two-byte characters", strings.Repeat("ä", 500), ""},
		{"a terminal escape is refused too", "a\x1b[2Jb", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := input(Amount{1900, 1})
			in.Note = tt.text
			_, reqErr := Request(config(t, rules), invoice(0), in, anna)
			rejErr := Reject(pending, bernd, tt.text)
			for field, err := range map[string]error{"note": reqErr, "reason": rejErr} {
				if tt.want == "" {
					if err != nil {
						t.Errorf("%s: %v, want it accepted", field, err)
					}
					continue
				}
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), field+": ") || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: %.200v, want ErrInvalid naming %s and saying %q", field, err, field, tt.want)
				}
			}
		})
	}
}
