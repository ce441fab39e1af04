package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	"github.com/o2c-platform/o2c/proto/o2c/dunning/v1/dunningv1grpc"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// recorder is a fake matching, dunning and credit note backend: it
// accepts every call and records the request, so a test sees what the
// console sent and that a refused form sent nothing.
type recorder struct {
	matchingv1grpc.UnimplementedMatchingServiceServer
	dunningv1grpc.UnimplementedDunningServiceServer
	ingestionv1grpc.UnimplementedCreditNoteServiceServer

	mu    sync.Mutex
	calls []proto.Message
}

func (f *recorder) record(m proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, m)
}

// taken returns the requests recorded since the last call.
func (f *recorder) taken() []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *recorder) ConfirmProposal(_ context.Context, r *matchingv1.ConfirmProposalRequest) (*matchingv1.ConfirmProposalResponse, error) {
	f.record(r)
	return &matchingv1.ConfirmProposalResponse{}, nil
}

func (f *recorder) MatchManually(_ context.Context, r *matchingv1.MatchManuallyRequest) (*matchingv1.MatchManuallyResponse, error) {
	f.record(r)
	return &matchingv1.MatchManuallyResponse{}, nil
}

func (f *recorder) Split(_ context.Context, r *matchingv1.SplitRequest) (*matchingv1.SplitResponse, error) {
	f.record(r)
	return &matchingv1.SplitResponse{}, nil
}

func (f *recorder) Park(_ context.Context, r *matchingv1.ParkRequest) (*matchingv1.ParkResponse, error) {
	f.record(r)
	return &matchingv1.ParkResponse{}, nil
}

func (f *recorder) Unmatch(_ context.Context, r *matchingv1.UnmatchRequest) (*matchingv1.UnmatchResponse, error) {
	f.record(r)
	return &matchingv1.UnmatchResponse{}, nil
}

func (f *recorder) SetBlock(_ context.Context, r *dunningv1.SetBlockRequest) (*dunningv1.SetBlockResponse, error) {
	f.record(r)
	return &dunningv1.SetBlockResponse{}, nil
}

func (f *recorder) LiftBlock(_ context.Context, r *dunningv1.LiftBlockRequest) (*dunningv1.LiftBlockResponse, error) {
	f.record(r)
	return &dunningv1.LiftBlockResponse{}, nil
}

func (f *recorder) RequestCreditNote(_ context.Context, r *ingestionv1.RequestCreditNoteRequest) (*ingestionv1.RequestCreditNoteResponse, error) {
	f.record(r)
	return &ingestionv1.RequestCreditNoteResponse{}, nil
}

func (f *recorder) ApproveCreditNote(_ context.Context, r *ingestionv1.ApproveCreditNoteRequest) (*ingestionv1.ApproveCreditNoteResponse, error) {
	f.record(r)
	return &ingestionv1.ApproveCreditNoteResponse{}, nil
}

func (f *recorder) RejectCreditNote(_ context.Context, r *ingestionv1.RejectCreditNoteRequest) (*ingestionv1.RejectCreditNoteResponse, error) {
	f.record(r)
	return &ingestionv1.RejectCreditNoteResponse{}, nil
}

// newFormServer serves a console whose matching, dunning and ingestion
// are the returned recorder.
func newFormServer(tb testing.TB) (*httptest.Server, *recorder) {
	tb.Helper()
	f := &recorder{}
	lis := bufconn.Listen(1 << 20)
	g := grpc.NewServer()
	matchingv1grpc.RegisterMatchingServiceServer(g, f)
	dunningv1grpc.RegisterDunningServiceServer(g, f)
	ingestionv1grpc.RegisterCreditNoteServiceServer(g, f)
	go func() { _ = g.Serve(lis) }()
	tb.Cleanup(g.Stop)
	conn, err := grpc.NewClient("passthrough:///fake", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	dl, err := NewDevLogin(DemoUsers("demo"), nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(Options{Sessions: NewMemorySessions(), Login: dl, Log: slog.New(slog.DiscardHandler),
		Backends: Backends{Ingestion: conn, Matching: conn, Dunning: conn}})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return ts, f
}

// signedIn signs in as admin in lang and returns the client and the
// session's CSRF token.
func signedIn(tb testing.TB, base, lang string) (*http.Client, string) {
	tb.Helper()
	c := client(tb)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "o2c_lang", Value: lang}})
	if got := login(tb, c, base, "admin", "demo"); got != http.StatusSeeOther {
		tb.Fatalf("sign-in: %d", got)
	}
	r, err := c.Get(base + "/")
	if err != nil {
		tb.Fatal(err)
	}
	m := csrfField.FindStringSubmatch(body(tb, r))
	if m == nil {
		tb.Fatal("the page has no CSRF field")
	}
	return c, m[1]
}

// TestFormsRefuseHostileInput posts the matching queue's, the dunning
// stop's and the credit note's forms with malformed, oversized,
// control-character, markup and overflowing values. Each is answered 400
// with an error page that names the field and shows no markup unescaped,
// and the backend receives nothing (nothing half-booked); the same forms
// filled in properly reach the backend with the amounts read in the
// user's locale.
func TestFormsRefuseHostileInput(t *testing.T) {
	t.Parallel()
	ts, f := newFormServer(t)
	mib := strings.Repeat("n", 1<<20)
	tests := []struct {
		name, path string
		form       url.Values
		want       string // in the error page
	}{
		{"confirm: proposal not a number", "/queue/P-1/confirm", url.Values{"proposal": {"x<b>"}}, "proposal"},
		{"confirm: NUL in the note", "/queue/P-1/confirm", url.Values{"proposal": {"0"}, "note": {"ok\x00"}}, "note: contains a NUL byte"},
		{"confirm: a note of 1 MiB", "/queue/P-1/confirm", url.Values{"proposal": {"0"}, "note": {mib}}, "note: is 1048576 bytes long"},
		{"confirm: NUL in the payment id", "/queue/P%00-1/confirm", url.Values{"proposal": {"0"}}, "payment_id: contains a NUL byte"},
		{"match: invalid UTF-8 in the debtor", "/queue/P-1/match", url.Values{"debtor": {"K-1\xff"}, "currency": {"EUR"}, "allocations": {"RE-1 10,00"}}, "debtor_id: is not valid UTF-8"},
		{"match: an overflowing amount", "/queue/P-1/match", url.Values{"debtor": {"K-1"}, "currency": {"EUR"}, "allocations": {"RE-1 10,00\nRE-2 99999999999999999999"}}, "allocation line 2"},
		{"match: markup as the amount", "/queue/P-1/match", url.Values{"debtor": {"K-1"}, "currency": {"EUR"}, "allocations": {"RE-1 <script>alert(1)</script>"}}, "not an amount"},
		{"match: an ambiguous amount", "/queue/P-1/match", url.Values{"debtor": {"K-1"}, "currency": {"EUR"}, "allocations": {"RE-1 1.5"}}, "ambiguous"},
		{"match: three lines of one field", "/queue/P-1/match", url.Values{"debtor": {"K-1"}, "currency": {"EUR"}, "allocations": {"RE-1 1 2"}}, "allocation line 1"},
		{"match: an unknown difference", "/queue/P-1/match", url.Values{"debtor": {"K-1"}, "currency": {"EUR"}, "difference": {"\x1b[2J"}}, "difference"},
		{"match: a 100,000-byte item", "/queue/P-1/match", url.Values{"debtor": {"K-1"}, "currency": {"EUR"}, "allocations": {strings.Repeat("i", 100_000) + " 1,00"}}, "allocations[0].open_item_id: is 100000 bytes long"},
		{"split: more decimals than EUR has", "/queue/P-1/split", url.Values{"currency": {"EUR"}, "amounts": {"10,00 1,505"}}, "split amount 2"},
		{"split: int64 max", "/queue/P-1/split", url.Values{"currency": {"EUR"}, "amounts": {"9223372036854775807"}}, "largest amount"},
		{"split: NUL in an amount", "/queue/P-1/split", url.Values{"currency": {"EUR"}, "amounts": {"10\x00"}}, "not an amount"},
		{"split: a megabyte of digits", "/queue/P-1/split", url.Values{"currency": {"EUR"}, "amounts": {strings.Repeat("9", 1<<20)}}, "characters"},
		{"split: NUL in the currency", "/queue/P-1/split", url.Values{"currency": {"EUR\x00"}, "amounts": {"10,00"}}, "currency: contains a NUL byte"},
		{"park: NUL in the note", "/queue/P-1/park", url.Values{"note": {"later\x00"}}, "note: contains a NUL byte"},
		{"park: a note of 1 MiB", "/queue/P-1/park", url.Values{"note": {mib}}, "note: is 1048576 bytes long"},
		{"unmatch: NUL in the reason", "/queue/P-1/unmatch", url.Values{"reason": {"wrong\x00"}}, "reason: contains a NUL byte"},
		{"unmatch: invalid UTF-8 in the reason", "/queue/P-1/unmatch", url.Values{"reason": {"\xc3\x28"}}, "reason: is not valid UTF-8"},
		{"dunning stop: NUL in the reason", "/debtors/K-1/blocks", url.Values{"reason": {"dispute\x00"}, "source": {"phone"}}, "reason: contains a NUL byte"},
		{"dunning stop: a reason of 1 MiB", "/debtors/K-1/blocks", url.Values{"reason": {mib}, "source": {"phone"}}, "reason: is 1048576 bytes long"},
		{"dunning stop: 30 February", "/debtors/K-1/blocks", url.Values{"reason": {"dispute"}, "expires": {"2026-02-30"}}, "expiry"},
		{"dunning stop: a 100,000-byte debtor", "/debtors/" + strings.Repeat("k", 100_000) + "/blocks", url.Values{"reason": {"dispute"}}, "debtor_id: is 100000 bytes long"},
		{"dunning lift: NUL in the block", "/debtors/K-1/blocks/B%00/lift", nil, "block_id: contains a NUL byte"},
		{"credit note: an unknown reason", "/debtors/K-1/credit-notes", url.Values{"request_id": {"r1"}, "invoice": {"RE-1"}, "kind": {"full"}, "reason": {"<b>"}}, "reason"},
		{"credit note: NUL in the note", "/debtors/K-1/credit-notes", url.Values{"request_id": {"r1"}, "invoice": {"RE-1"}, "kind": {"full"}, "reason": {"GOODWILL"}, "note": {"x\x00"}}, "note: contains a NUL byte"},
		{"credit note: a note of 1 MiB", "/debtors/K-1/credit-notes", url.Values{"request_id": {"r1"}, "invoice": {"RE-1"}, "kind": {"full"}, "reason": {"GOODWILL"}, "note": {mib}}, "note: is 1048576 bytes long"},
		{"credit note: an overflowing amount", "/debtors/K-1/credit-notes", url.Values{"request_id": {"r1"}, "invoice": {"RE-1"}, "kind": {"partial"}, "rate": {"1900"}, "reason": {"GOODWILL"}, "amount": {"10.000.000.000.000,01"}}, "largest amount"},
		{"credit note: 1,505 in German", "/debtors/K-1/credit-notes", url.Values{"request_id": {"r1"}, "invoice": {"RE-1"}, "kind": {"partial"}, "rate": {"1900"}, "reason": {"GOODWILL"}, "amount": {"1,505"}}, "decimals"},
		{"credit note: a rate beyond int32", "/debtors/K-1/credit-notes", url.Values{"request_id": {"r1"}, "invoice": {"RE-1"}, "kind": {"partial"}, "rate": {"99999999999"}, "reason": {"GOODWILL"}, "amount": {"1"}}, "VAT rate"},
		{"credit note: NUL in the invoice", "/debtors/K-1/credit-notes", url.Values{"request_id": {"r1"}, "invoice": {"RE\x00"}, "kind": {"full"}, "reason": {"GOODWILL"}}, "invoice_number: contains a NUL byte"},
		{"approve: NUL in the request id", "/credit-notes/r%00/approve", nil, "request_id: contains a NUL byte"},
		{"reject: NUL in the reason", "/credit-notes/r1/reject", url.Values{"reason": {"no\x00"}}, "reason: contains a NUL byte"},
		{"reject: a reason of 1 MiB", "/credit-notes/r1/reject", url.Values{"reason": {mib}}, "reason: is 1048576 bytes long"},
	}
	c, csrf := signedIn(t, ts.URL, "de")
	for _, tt := range tests {
		form := url.Values{}
		for k, v := range tt.form {
			form[k] = v
		}
		form.Set("csrf", csrf)
		r, err := c.PostForm(ts.URL+tt.path, form)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		page := body(t, r)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(page, htmlEscaped(tt.want)) {
			t.Errorf("%s: %d, want 400 saying %q; page:\n%.2000s", tt.name, r.StatusCode, tt.want, page)
		}
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>") {
			t.Errorf("%s: the error page shows the form's markup unescaped", tt.name)
		}
		if m := errorMessage.FindString(page); len(m) > 1000 {
			t.Errorf("%s: an error message of %d bytes, want the input not shown again whole", tt.name, len(m))
		}
		if calls := f.taken(); len(calls) != 0 {
			t.Errorf("%s: the backend received %d requests, want none: %v", tt.name, len(calls), calls)
		}
	}

	// Filled in properly, with markup and a terminal escape as text, the
	// forms reach the backend with the amounts read as the user writes them.
	valid := []struct {
		lang, path string
		form       url.Values
		want       proto.Message
	}{
		{"de", "/queue/P-1/split", url.Values{"currency": {"EUR"}, "amounts": {"1.500,50 20 1.505"}, "note": {"<script>alert(1)</script>"}},
			&matchingv1.SplitRequest{Tenant: "demo", PaymentId: "P-1", Note: "<script>alert(1)</script>", Amounts: []*commonv1.Money{
				{MinorUnits: 150050, Currency: "EUR"}, {MinorUnits: 2000, Currency: "EUR"}, {MinorUnits: 150500, Currency: "EUR"}}}},
		{"en", "/queue/P-1/split", url.Values{"currency": {"EUR"}, "amounts": {"1,500.50 1.5"}},
			&matchingv1.SplitRequest{Tenant: "demo", PaymentId: "P-1", Amounts: []*commonv1.Money{
				{MinorUnits: 150050, Currency: "EUR"}, {MinorUnits: 150, Currency: "EUR"}}}},
		{"de", "/queue/P-1/park", url.Values{"note": {"\x1b[2J später"}},
			&matchingv1.ParkRequest{Tenant: "demo", PaymentId: "P-1", Note: "\x1b[2J später"}},
		{"en", "/debtors/K-1/credit-notes", url.Values{"request_id": {"r1"}, "invoice": {"RE-1"}, "kind": {"partial"}, "rate": {"1900"}, "reason": {"GOODWILL"}, "amount": {"1,234.56"}},
			&ingestionv1.RequestCreditNoteRequest{Tenant: "demo", RequestId: "r1", DebtorId: "K-1", InvoiceNumber: "RE-1",
				Reason:  shopv1.CreditNoteReason_CREDIT_NOTE_REASON_GOODWILL,
				Amounts: []*ingestionv1.CreditAmount{{RateBp: 1900, Gross: &commonv1.Money{MinorUnits: 123456, Currency: "EUR"}}}}},
	}
	for _, tt := range valid {
		c, csrf := signedIn(t, ts.URL, tt.lang)
		tt.form.Set("csrf", csrf)
		r, err := c.PostForm(ts.URL+tt.path, tt.form)
		if err != nil {
			t.Fatal(err)
		}
		page := body(t, r)
		if r.StatusCode != http.StatusSeeOther {
			t.Errorf("%s %s: %d, want 303; page:\n%.2000s", tt.lang, tt.path, r.StatusCode, page)
		}
		if diff := cmp.Diff([]proto.Message{tt.want}, f.taken(), protocmp.Transform()); diff != "" {
			t.Errorf("%s %s: the backend received (-want +got):\n%s", tt.lang, tt.path, diff)
		}
	}
}

// errorMessage is the error page's message.
var errorMessage = regexp.MustCompile(`data-testid="error-message">[^<]*`)

// htmlEscaped is s as html/template writes it in text.
func htmlEscaped(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
