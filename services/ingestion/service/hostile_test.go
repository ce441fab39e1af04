package service_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/auth/authztest"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/natsembed"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/services/ingestion/service"
)

// heapGrowth runs f and returns by how many bytes the live heap grew
// over its run, read after a collection before and after: what f kept,
// not what it allocated and dropped.
func heapGrowth(tb testing.TB, f func()) int64 {
	tb.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// camtWith is a camt.053 on importIBAN whose one entry's remittance text
// is inner, after a prolog (an XML declaration and a DOCTYPE, say).
func camtWith(prolog, inner string) []byte {
	doc := string(statement("053", "S-H", 100))
	doc = strings.Replace(doc, `<?xml version="1.0" encoding="UTF-8"?>`, prolog, 1)
	return []byte(strings.Replace(doc, "<Refs>", "<RmtInf><Ustrd>"+inner+"</Ustrd></RmtInf><Refs>", 1))
}

// settlementFlat is an Amazon V2 settlement flat file whose refund's
// principal (line 3) is amount.
func settlementFlat(amount string) []byte {
	return []byte("settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n" +
		"S-1\t2026-03-01 00:00:00 UTC\t2026-03-15 00:00:00 UTC\t2026-03-17 00:00:00 UTC\t-52.32\tEUR\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n" +
		"S-1\t\t\t\t\t\tRefund\tO-1\t\tADJ-1\t\tAmazon.de\tItemPrice\tPrincipal\t" + amount + "\tMFN\t2026-03-02\t\t\t\t\tSKU-1\t\t\n")
}

// longCells is a settlement report of n refund lines whose SKUs have
// 100,000 bytes each: imported, its lines would make one event of 2 MB,
// which NATS does not carry.
func longCells(n int) []byte {
	f := settlementFlat("-50.00")
	line := f[bytes.LastIndexByte(f[:len(f)-1], '\n')+1:]
	var b bytes.Buffer
	b.Write(f[:len(f)-len(line)])
	for i := range n {
		l := bytes.Replace(line, []byte("SKU-1"), bytes.Repeat([]byte("S"), 100000), 1)
		b.Write(bytes.Replace(l, []byte("ADJ-1"), fmt.Appendf(nil, "ADJ-%d", i), 1))
	}
	return b.Bytes()
}

// wideCells is a settlement report whose refund line has six text cells
// of 999 bytes each, every cell within the parser's bound: 500 such
// lines would make one event of 3 MB.
func wideCells() []byte {
	f := string(settlementFlat("-50.00"))
	for _, v := range []string{"O-1", "ADJ-1", "Amazon.de", "ItemPrice", "Principal", "SKU-1"} {
		f = strings.Replace(f, "\t"+v+"\t", "\t"+v+strings.Repeat("w", 999-len(v))+"\t", 1)
	}
	return []byte(f)
}

// gzipOf is data compressed with gzip.
func gzipOf(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// utf16NoBOM is s as UTF-16LE without a byte order mark.
func utf16NoBOM(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// TestImportRejectsHostileFiles streams files that are malformed, wrongly
// encoded or built to attack the parser through ImportService.Import. Each
// is answered REJECTED with an error that says what and where, none is
// half-imported (not one event is stored, though some are valid up to
// their last entry), the heap does not keep what an expansion would have
// built, and a valid file is imported afterwards.
func TestImportRejectsHostileFiles(t *testing.T) {
	// Not parallel: the heap is measured around each import, and other
	// tests' imports in this process would count.
	e := newImportEnv(t, 64<<20)
	laughs := `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa">` +
		`<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">` +
		`<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">` +
		`<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>`
	xxe := `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>`
	decl := `<?xml version="1.0" encoding="UTF-8"?>`
	// Three good entries and a fourth whose amount is not a number: the
	// file is refused whole.
	lastBroken := []byte(strings.Replace(string(statement("053", "S-L", 100, 200, 300, 400)), "4.00</Amt>", "4,0O</Amt>", 1))
	mt940 := func(amount string) []byte {
		return []byte(":20:STARTUMS\r\n:25:37040044/0532013000\r\n:28C:1/1\r\n:60F:C260302EUR0,00\r\n" +
			":61:2603020302C" + amount + "NTRFNONREF\r\n:86:166?00GUTSCHRIFT?20INV-1\r\n:62F:C260302EUR" + amount + "\r\n-\r\n")
	}
	for _, tt := range []struct {
		name, file string
		data       []byte
		// errHas are parts the answer's error must contain, in any case.
		errHas []string
	}{
		{"billion laughs", "laughs.xml", camtWith(laughs, "&i;"), []string{"entity &i;", "/Document/"}},
		{"external entity (XXE)", "xxe.xml", camtWith(xxe, "&x;"), []string{"entity &x;"}},
		{"nested 100,000 levels deep", "deep.xml", camtWith(decl, strings.Repeat("<a>", 100000)+strings.Repeat("</a>", 100000)), []string{"nested deeper"}},
		{"last of four entries broken", "last.xml", lastBroken, []string{"4,0O"}},
		{"amount beyond int64", "huge.xml", []byte(strings.Replace(string(statement("053", "S-B", 100)), "1.00</Amt>", "92233720368547758.08</Amt>", 1)), []string{"92233720368547758.08"}},
		{"negative amount", "negative.xml", []byte(strings.Replace(string(statement("053", "S-N", 100)), "1.00</Amt>", "-1.00</Amt>", 1)), []string{"-1.00"}},
		{"NUL in a text", "nul.xml", camtWith(decl, "a\x00b"), []string{"/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]", "illegal character code U+0000"}},
		{"terminal escape in a text", "esc.xml", camtWith(decl, "\x1b[2Jb"), []string{"illegal character code U+001B"}},
		{"UTF-16 without byte order mark", "utf16.xml", utf16NoBOM(string(statement("053", "S-U", 100))), nil},
		{"gzip bomb", "bomb.xml.gz", gzipOf(make([]byte, 32<<20)), nil},
		{"not a bank file", "passwd", []byte("root:x:0:0:root:/root:/bin/bash\n"), nil},
		{"empty", "empty.xml", nil, nil},
		{"MT940 amount beyond int64", "huge.sta", mt940("92233720368547758,08"), []string{"92233720368547758,08"}},
		{"settlement amount beyond int64", "huge.txt", settlementFlat("-92233720368547758.08"), []string{"line 3", "92233720368547758.08"}},
		{"settlement amount in exponent notation", "exp.txt", settlementFlat("-1e400"), []string{"line 3", "1e400"}},
		{"settlement with a NUL in an amount", "nul.txt", settlementFlat("-50.00\x00"), []string{"line 3"}},
		{"settlement with a NUL in a SKU", "nulsku.txt", bytes.Replace(settlementFlat("-50.00"), []byte("SKU-1"), []byte("SK\x00U"), 1), []string{"line 3", "control character U+0000 in column 22"}},
		{"camt statement id of 2 MiB", "longid.xml", []byte(strings.Replace(string(statement("053", "S-I", 100)), "<Id>S-I</Id>", "<Id>"+strings.Repeat("s", 2<<20)+"</Id>", 1)),
			[]string{"statement 1", "identification of 2097", "more than the 1000"}},
		{"camt end-to-end id of 60 KiB", "longref.xml", []byte(strings.Replace(string(statement("053", "S-E", 100)), "<EndToEndId>INV-1<", "<EndToEndId>"+strings.Repeat("i", 60<<10)+"<", 1)),
			[]string{"entry 1, transaction 1: end-to-end id of 61440 bytes, more than the 1000"}},
		{"camt remittance of 2 MiB", "long.xml", camtWith(decl, strings.Repeat("u", 2<<20)), []string{"entry 1, transaction 1: 2097", "more than the 65536"}},
		{"MT940 :86: of 900 KiB", "long.sta", []byte(strings.Replace(string(mt940("1,00")), "?20INV-1", "?20"+strings.Repeat("x", 900<<10), 1)), []string{"line 5: 92", "more than the 65536"}},
		{"settlement lines of 6,000 bytes", "wide.txt", wideCells(), []string{"line 3: 6", "more than the 1500 a settlement line may carry"}},
		{"settlement with SKUs of 100,000 bytes", "long.txt", longCells(21), []string{"line 3", "column 22: 100000 bytes"}},
		{"DATEV export", "EXTF_Buchungsstapel.csv", []byte("\"EXTF\";700;21;\"Buchungsstapel\";13;20260101000000000;;;;;1000;2000;20260101;4;20260101;20260131;\"\";;1;0;0;\"EUR\";;;;;;\n"), nil},
	} {
		var resp *ingestionv1.ImportResponse
		var err error
		grew := heapGrowth(t, func() { resp, err = e.send(t, tt.file, tt.data, 1<<20) })
		if err != nil {
			t.Errorf("%s: %v, want an answer REJECTED", tt.name, err)
			continue
		}
		if resp.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_REJECTED || resp.GetError() == "" {
			t.Errorf("%s: answered %v %q, want REJECTED with the reason", tt.name, resp.GetStatus(), resp.GetError())
		}
		for _, part := range tt.errHas {
			if !strings.Contains(strings.ToLower(resp.GetError()), strings.ToLower(part)) {
				t.Errorf("%s: error %q does not say %q", tt.name, resp.GetError(), part)
			}
		}
		if strings.Contains(resp.GetError(), "root:") {
			t.Errorf("%s: error %q shows a file of the server", tt.name, resp.GetError())
		}
		// The file and a generous margin; an expanded entity would hold 10^9
		// bytes, a decompressed bomb 32 MiB.
		if limit := int64(len(tt.data)) + 16<<20; grew > limit {
			t.Errorf("%s: the heap kept %d bytes after the import, more than %d", tt.name, grew, limit)
		}
		t.Logf("%s: %s", tt.name, resp.GetError())
	}
	if n := e.bankEvents(t); len(n) != 0 {
		t.Errorf("rejected files stored events: %v", n)
	}
	ok, err := e.send(t, "good.xml", statement("053", "S-G", 100), 1<<20)
	if err != nil || ok.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED {
		t.Fatalf("a valid file after the hostile ones: %v, %v", ok, err)
	}
	// MT940 is a line format without XML's rules: its reader removes
	// control characters (banks' files carry stray ones), so the NULs are
	// gone from the stored text rather than the file refused.
	nul, err := e.send(t, "nul.sta", bytes.ReplaceAll(mt940("1,00"), []byte("GUTSCHRIFT"), []byte("GUT\x00\x1bSCHRIFT")), 1<<20)
	if err != nil || nul.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED {
		t.Fatalf("MT940 with NUL bytes: %v, %v; want IMPORTED without them", nul, err)
	}
	evs := e.waitStored(t, func(evs []eventstore.Event) bool { return byType(evs)["BankTransactionReceived"] == 2 })
	for _, ev := range evs {
		if tx, ok := ev.Payload.(*ingestionv1.BankTransactionReceived); ok && strings.ContainsAny(protoText(t, tx), "\x00\x1b") {
			t.Errorf("a stored transaction holds a control character: %v", tx)
		}
	}
}

// protoText joins the values of m's string fields, nested messages and
// lists included, for a search for control characters.
func protoText(t *testing.T, m proto.Message) string {
	t.Helper()
	var b strings.Builder
	var walk func(protoreflect.Message)
	walk = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.Kind() == protoreflect.StringKind && !fd.IsList() && !fd.IsMap():
				b.WriteString(v.String())
			case fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
				walk(v.Message())
			case fd.IsList() && fd.Kind() == protoreflect.StringKind:
				for i := 0; i < v.List().Len(); i++ {
					b.WriteString(v.List().Get(i).String())
				}
			case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			}
			return true
		})
	}
	walk(m.ProtoReflect())
	return b.String()
}

// TestImportFileNamesAreLabels sends files under names that try to leave
// the spool directory or carry bytes no database takes: the name is
// recorded as its base name only, the file is imported or refused on its
// content, and a name that cannot be stored is refused saying so.
func TestImportFileNamesAreLabels(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, 1<<20)
	for i, tt := range []struct {
		name, want string
	}{
		{"../../../../etc/passwd", "passwd"},
		{`..\..\windows\system32\config\SAM`, "SAM"},
		{"/tmp/abs.xml", "abs.xml"},
		{strings.Repeat("n", 5000) + ".xml", strings.Repeat("n", 5000) + ".xml"},
	} {
		resp, err := e.send(t, tt.name, statement("053", fmt.Sprintf("S-%d", i), 100+int64(i)), 1<<20)
		if err != nil || resp.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED {
			t.Errorf("%.40q: %v, %v; want IMPORTED", tt.name, resp, err)
			continue
		}
		list, err := e.client.ListImports(context.Background(), &ingestionv1.ListImportsRequest{Tenant: "acme", Limit: 1}, e.operator)
		if err != nil || len(list.GetImports()) != 1 || list.GetImports()[0].GetFileName() != tt.want {
			t.Errorf("%.40q recorded as %v, %v; want %.40q", tt.name, list.GetImports(), err, tt.want)
		}
	}
	// A NUL byte or an escape in the name is refused before anything is
	// read, naming the field; before, the events were stored and then the
	// import's record failed on the name PostgreSQL cannot store.
	for _, name := range []string{"a\x00b.xml", "\x1b[31mred.xml"} {
		_, err := e.send(t, name, statement("053", "S-CTL", 100), 1<<20)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "header.file_name: control character") {
			t.Errorf("file name %q: %v, want INVALID_ARGUMENT naming header.file_name", name, err)
		}
	}
	stored := e.waitStored(t, func(evs []eventstore.Event) bool { return byType(evs)["BankTransactionReceived"] >= 4 })
	if got := byType(stored)["BankTransactionReceived"]; got != 4 {
		t.Errorf("%d transactions stored, want the 4 of the files with good names", got)
	}
}

// shopEnv is ingestion with an IngestionService client as the shop of
// acme, on the same service as e.
type shopEnv struct {
	importEnv
	client ingestionv1grpc.IngestionServiceClient
	conn   *grpc.ClientConn
	shop   grpc.CallOption
}

func newShopEnv(t *testing.T) shopEnv {
	t.Helper()
	ns := natsembed.Test(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kit := authztest.NewAuthenticator()
	cfg := host.Config{MigrateDatabaseURL: pgtest.NewDB(t, template), NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(),
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: kit}}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := service.New(ctx, cfg, service.Options{Tenants: tenantstest.Parse(t, []byte(`{"tenants": {"acme": {"name": "Acme"}}}`))},
		telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	conn := insecureDial(t, s.Addr().String())
	return shopEnv{importEnv: importEnv{client: ingestionv1grpc.NewImportServiceClient(conn), kit: kit, events: service.HostOf(s).Events,
		operator: kit.As(authztest.Principal(identity.Operator, "acme"))},
		client: ingestionv1grpc.NewIngestionServiceClient(conn), conn: conn, shop: kit.As(authztest.Principal(identity.Shop, "acme"))}
}

// hostileInvoice is a valid invoice of acme for 10.00 EUR plus 19 % VAT.
func hostileInvoice(number string) *shopv1.InvoiceIssued {
	eur := func(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }
	return &shopv1.InvoiceIssued{
		Tenant: "acme", InvoiceNumber: number, OrderId: "WEB-" + number,
		Channel:   &shopv1.SalesChannel{Kind: shopv1.ChannelKind_CHANNEL_KIND_OWN_SHOP},
		Debtor:    &shopv1.Debtor{CustomerId: "C-1", Kind: shopv1.DebtorKind_DEBTOR_KIND_BUSINESS, Name: "Beispiel GmbH", VatId: "DE123456789"},
		IssueDate: &commonv1.Date{Year: 2026, Month: 11, Day: 2}, DueDate: &commonv1.Date{Year: 2026, Month: 12, Day: 2},
		Currency: "EUR",
		Lines:    []*shopv1.InvoiceLine{{Description: "Ware", Quantity: "1", NetAmount: eur(1000), VatRateBp: 1900}},
		Totals: &shopv1.InvoiceTotals{Net: eur(1000), Vat: []*shopv1.VatTotal{{RateBp: 1900, Net: eur(1000), Vat: eur(190)}},
			Gross: eur(1190)},
		PaymentReference: number,
	}
}

func invoiceEvent(inv *shopv1.InvoiceIssued) *ingestionv1.ShopEvent {
	return &ingestionv1.ShopEvent{Event: &ingestionv1.ShopEvent_InvoiceIssued{InvoiceIssued: inv}}
}

// TestSubmitShopEventsRefusesHostileEvents submits, over gRPC as a shop
// would, invoices that are careless or hostile beside valid ones: each
// hostile one is answered REJECTED with a reason naming the field, the
// valid ones are accepted, and only the valid ones are stored.
func TestSubmitShopEventsRefusesHostileEvents(t *testing.T) {
	t.Parallel()
	e := newShopEnv(t)
	mod := func(number string, f func(*shopv1.InvoiceIssued)) *shopv1.InvoiceIssued {
		inv := hostileInvoice(number)
		f(inv)
		return inv
	}
	hostile := []struct {
		name   string
		inv    *shopv1.InvoiceIssued
		reason string // a part of the reason
	}{
		{"NUL in the number", hostileInvoice("H\x00-1"), "invoice_number"},
		{"NUL in the debtor's name", mod("H-2", func(i *shopv1.InvoiceIssued) { i.Debtor.Name = "Evil\x00Corp" }), "debtor.name"},
		{"negative amount", mod("H-4", func(i *shopv1.InvoiceIssued) {
			i.Lines[0].NetAmount.MinorUnits, i.Totals.Net.MinorUnits, i.Totals.Vat[0].Net.MinorUnits = -1000, -1000, -1000
			i.Totals.Vat[0].Vat.MinorUnits, i.Totals.Gross.MinorUnits = -190, -1190
		}), "net"},
		{"sum that overflows int64", mod("H-5", func(i *shopv1.InvoiceIssued) {
			i.Lines = append(i.Lines, &shopv1.InvoiceLine{Description: "B", Quantity: "1", NetAmount: &commonv1.Money{MinorUnits: math.MaxInt64, Currency: "EUR"}, VatRateBp: 1900})
		}), ""},
		{"100,000-character customer id", mod("H-6", func(i *shopv1.InvoiceIssued) { i.Debtor.CustomerId = strings.Repeat("k", 100000) }), "customer_id"},
		{"unknown currency", mod("H-7", func(i *shopv1.InvoiceIssued) { i.Currency = "XXXX" }), "currency"},
		{"date beyond the calendar", mod("H-8", func(i *shopv1.InvoiceIssued) { i.IssueDate = &commonv1.Date{Year: 2026, Month: 13, Day: 40} }), "issue_date"},
		{"1,001-byte description", mod("H-9", func(i *shopv1.InvoiceIssued) { i.Lines[0].Description = strings.Repeat("é", 501) }), "lines[0].description"},
	}
	// Kept as data: a terminal escape is storable text (every output
	// escapes or draws text, never interprets it), and the quantity is
	// informational, a free decimal string the amounts do not depend on.
	esc := mod("OK-2", func(i *shopv1.InvoiceIssued) { i.Lines[0].Description = "a\x1b[2Jb" })
	qty := mod("OK-3", func(i *shopv1.InvoiceIssued) { i.Lines[0].Quantity = "1e400" })
	events := []*ingestionv1.ShopEvent{invoiceEvent(hostileInvoice("OK-1"))}
	for _, h := range hostile {
		events = append(events, invoiceEvent(h.inv))
	}
	events = append(events, invoiceEvent(esc), invoiceEvent(qty))
	const valid = 3 // OK-1 first, esc and qty last
	resp, err := e.client.SubmitShopEvents(context.Background(), &ingestionv1.SubmitShopEventsRequest{Tenant: "acme", Events: events}, e.shop)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetResults()) != len(events) {
		t.Fatalf("%d results for %d events", len(resp.GetResults()), len(events))
	}
	for i, r := range resp.GetResults() {
		switch {
		case i == 0 || i >= len(events)-valid+1:
			if r.GetOutcome() != ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_ACCEPTED {
				t.Errorf("valid event %d: %v %s", i, r.GetOutcome(), r.GetReason())
			}
		default:
			h := hostile[i-1]
			if r.GetOutcome() != ingestionv1.SubmitOutcome_SUBMIT_OUTCOME_REJECTED || r.GetReason() == "" ||
				!strings.Contains(r.GetReason(), h.reason) {
				t.Errorf("%s: %v %q, want REJECTED naming %q", h.name, r.GetOutcome(), r.GetReason(), h.reason)
			}
			if len(r.GetReason()) > 2000 {
				t.Errorf("%s: a reason of %d bytes, want it cut", h.name, len(r.GetReason()))
			}
		}
	}
	if got := e.waitEvents(t, map[string]int{"InvoiceIngested": valid}); got["InvoiceIngested"] != valid || len(got) != 1 {
		t.Errorf("stored events %v, want the %d valid invoices only", got, valid)
	}
}

// rawCodec sends bytes as they are, so that a test can put on the wire
// what no generated client would marshal.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.(*[]byte); ok {
		return *b, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	if b, ok := v.(*[]byte); ok {
		*b = append((*b)[:0], data...)
		return nil
	}
	return proto.Unmarshal(data, v.(proto.Message))
}

func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

// TestSubmitShopEventsRefusesHostileWire puts on the wire what a careful
// client never sends: a request above the server's message limit,
// strings that are not UTF-8, a truncated message and fields of the
// wrong wire type. Each call fails with a code that says the request was
// at fault, and nothing is stored.
func TestSubmitShopEventsRefusesHostileWire(t *testing.T) {
	t.Parallel()
	e := newShopEnv(t)
	good, err := proto.Marshal(&ingestionv1.SubmitShopEventsRequest{Tenant: "acme", Events: []*ingestionv1.ShopEvent{invoiceEvent(hostileInvoice("W-1"))}})
	if err != nil {
		t.Fatal(err)
	}
	bigName := hostileInvoice("W-BIG")
	bigName.Debtor.Name = strings.Repeat("x", 5<<20)
	big, err := proto.Marshal(&ingestionv1.SubmitShopEventsRequest{Tenant: "acme", Events: []*ingestionv1.ShopEvent{invoiceEvent(bigName)}})
	if err != nil {
		t.Fatal(err)
	}
	// Field 1 (tenant) as "acme" with its last byte replaced by one that
	// starts no UTF-8 sequence.
	badUTF8 := bytes.Replace(good, []byte("\x0a\x04acme"), []byte("\x0a\x04acm\xff"), 1)
	// The tenant, then field 2 (events) as a varint instead of a message.
	wrongType := protowire.AppendVarint(protowire.AppendTag(protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "acme"),
		2, protowire.VarintType), 7)
	for _, tt := range []struct {
		name  string
		data  []byte
		codes []codes.Code
	}{
		{"5 MiB request", big, []codes.Code{codes.ResourceExhausted}},
		{"tenant not UTF-8", badUTF8, []codes.Code{codes.Internal, codes.InvalidArgument}},
		{"truncated", good[:len(good)-7], []codes.Code{codes.Internal, codes.InvalidArgument}},
		{"wrong wire type", wrongType, []codes.Code{codes.Internal, codes.InvalidArgument}},
	} {
		var out []byte
		err := e.conn.Invoke(context.Background(), ingestionv1grpc.IngestionService_SubmitShopEvents_FullMethodName, &tt.data, &out,
			grpc.ForceCodecV2(nil), grpc.ForceCodec(rawCodec{}), e.shop)
		if err == nil {
			t.Errorf("%s: accepted", tt.name)
			continue
		}
		c := status.Code(err)
		found := false
		for _, want := range tt.codes {
			found = found || c == want
		}
		if !found {
			t.Errorf("%s: %v, want one of %v", tt.name, err, tt.codes)
		}
		t.Logf("%s: %v", tt.name, err)
	}
	// The server still serves, and stored only the valid request's invoice.
	if _, err := e.client.SubmitShopEvents(context.Background(), &ingestionv1.SubmitShopEventsRequest{Tenant: "acme",
		Events: []*ingestionv1.ShopEvent{invoiceEvent(hostileInvoice("W-2"))}}, e.shop); err != nil {
		t.Fatalf("a valid request afterwards: %v", err)
	}
	if got := e.waitEvents(t, map[string]int{"InvoiceIngested": 1}); got["InvoiceIngested"] != 1 {
		t.Errorf("stored events %v, want W-2 only", got)
	}
}

// insecureDial is a client connection to addr without TLS.
func insecureDial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
