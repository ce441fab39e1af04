package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	"github.com/o2c-platform/o2c/proto/o2c/ingestion/v1/ingestionv1grpc"

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

// importIBAN is the bank account of tenant acme in the import tests.
const importIBAN = "DE89370400440532013000"

// importEnv is ingestion running against real PostgreSQL and NATS, with
// an ImportService client as an operator of acme.
type importEnv struct {
	client ingestionv1grpc.ImportServiceClient
	kit    *authztest.Authenticator
	events *eventstore.Store
	// operator is the call option of an operator of acme.
	operator grpc.CallOption
}

func newImportEnv(t *testing.T, maxSize int64) importEnv {
	t.Helper()
	ns := natsembed.Test(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kit := authztest.NewAuthenticator()
	cfg := host.Config{MigrateDatabaseURL: pgtest.NewDB(t, template), NATSURL: ns.ClientURL(), GRPCAddr: lis.Addr().String(),
		ManageStreams: true, ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: kit}}
	tenantsFile := tenantstest.Parse(t, []byte(`{"tenants": {"acme": {"name": "Acme", "bank": {
		"accounts": [{"iban": "`+importIBAN+`", "currency": "EUR", "account": "1200"}],
		"outgoing_rules": [{"name": "salaries", "remittance": "LOHN", "account": "4120"}]}}}}`))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := service.New(ctx, cfg, service.Options{Tenants: tenantsFile, MaxImportSize: maxSize}, telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
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
	conn, err := grpc.NewClient(s.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return importEnv{client: ingestionv1grpc.NewImportServiceClient(conn), kit: kit, events: service.HostOf(s).Events,
		operator: kit.As(authztest.Principal(identity.Operator, "acme"))}
}

// send streams data as file name in chunks of chunk bytes, as an operator
// of acme unless as says otherwise, and returns the outcome.
func (e importEnv) send(t *testing.T, name string, data []byte, chunk int, as ...grpc.CallOption) (*ingestionv1.ImportResponse, error) {
	t.Helper()
	resp, _, err := e.sendWithProgress(t, name, data, chunk, as...)
	return resp, err
}

// sendWithProgress is send that also returns the progress received before
// the outcome. It sends the whole file before it reads: the server must
// not wait for it to read progress.
func (e importEnv) sendWithProgress(t *testing.T, name string, data []byte, chunk int, as ...grpc.CallOption) (*ingestionv1.ImportResponse, []*ingestionv1.ImportProgress, error) {
	t.Helper()
	if len(as) == 0 {
		as = []grpc.CallOption{e.operator}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := e.client.Import(ctx, as...)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&ingestionv1.ImportRequest{Tenant: "acme", Part: &ingestionv1.ImportRequest_Header{
		Header: &ingestionv1.ImportHeader{Tenant: "acme", FileName: name, Size: int64(len(data))}}}); err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		if err := stream.Send(&ingestionv1.ImportRequest{Tenant: "acme", Part: &ingestionv1.ImportRequest_Chunk{
			Chunk: &ingestionv1.ImportChunk{Data: data[:n]}}}); err != nil {
			break // the server answered early; its answers say why
		}
		data = data[n:]
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var progress []*ingestionv1.ImportProgress
	for {
		m, err := stream.Recv()
		if err != nil {
			return nil, progress, err
		}
		if p := m.GetProgress(); p != nil {
			progress = append(progress, p)
			continue
		}
		return m, progress, nil
	}
}

// storedEvents returns every event stored, in log order. The log shows an
// event only once every transaction that started before it ended,
// anywhere in the cluster (the event store's horizon), so a read right
// after an import may see less: waitStored polls.
func (e importEnv) storedEvents(t *testing.T) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	var after eventstore.Cursor
	for {
		evs, next, err := e.events.ReadAll(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = next
	}
}

// byType counts events by type name.
func byType(evs []eventstore.Event) map[string]int {
	out := make(map[string]int)
	for _, ev := range evs {
		out[ev.Type[strings.LastIndexByte(ev.Type, '.')+1:]]++
	}
	return out
}

// bankEvents counts the stored events by type name.
func (e importEnv) bankEvents(t *testing.T) map[string]int {
	t.Helper()
	return byType(e.storedEvents(t))
}

// waitStored reads the stored events until done accepts them, and
// returns them; after two minutes (a machine busy with a long transaction
// somewhere in the cluster) it returns what it read last, for the caller
// to report.
func (e importEnv) waitStored(t *testing.T, done func([]eventstore.Event) bool) []eventstore.Event {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		evs := e.storedEvents(t)
		if done(evs) || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitEvents returns the stored events by type name once they are want,
// or what is stored when waitStored gives up.
func (e importEnv) waitEvents(t *testing.T, want map[string]int) map[string]int {
	t.Helper()
	return byType(e.waitStored(t, func(evs []eventstore.Event) bool { return cmp.Equal(byType(evs), want) }))
}

// statement is a camt message of kind 052 or 053 on importIBAN with the
// given credit amounts (minor units), each its own booking.
func statement(kind, id string, amounts ...int64) []byte {
	root, block := "BkToCstmrStmt", "Stmt"
	if kind == "052" {
		root, block = "BkToCstmrAcctRpt", "Rpt"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.%s.001.02"><%s><GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>
<%s><Id>%s</Id><ElctrncSeqNb>1</ElctrncSeqNb><Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy></Acct>
`, kind, root, id, block, id, importIBAN)
	var sum int64
	for _, a := range amounts {
		sum += a
	}
	fmt.Fprintf(&b, `<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>
`, sum/100, sum%100)
	for i, a := range amounts {
		fmt.Fprintf(&b, `<Ntry><Amt Ccy="EUR">%d.%02d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>INV-%d</EndToEndId></Refs><RltdPties><Dbtr><Nm>Kunde %d</Nm></Dbtr><DbtrAcct><Id><IBAN>DE75512108001245126199</IBAN></Id></DbtrAcct></RltdPties></TxDtls></NtryDtls></Ntry>
`, a/100, a%100, i+1, i+1)
	}
	fmt.Fprintf(&b, "</%s></%s></Document>\n", block, root)
	return []byte(b.String())
}

// TestImportThroughTheRPC streams files through ImportService.Import into
// PostgreSQL and checks the answers, the progress before them, the import
// records and what was stored (polling the log until it shows them): a
// camt.053 once, again as a duplicate file, then a camt.052 and the day's
// camt.053 that overlaps it.
func TestImportThroughTheRPC(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, 0)
	day1 := statement("053", "S-1", 10000, 2500)
	first, firstProgress, err := e.sendWithProgress(t, "day1.xml", day1, 100)
	if err != nil {
		t.Fatal(err)
	}
	again, againProgress, err := e.sendWithProgress(t, "day1-copy.xml", day1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	intraday, err := e.send(t, "day2-1200.xml", statement("052", "R-2", 700), 64)
	if err != nil {
		t.Fatal(err)
	}
	day2 := statement("053", "S-2", 700, 900)
	final, finalProgress, err := e.sendWithProgress(t, "day2.xml", day2, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	// The last progress before the outcome is where the import ended: every
	// entry read and what was emitted, or for the duplicate file, which is
	// not read, every byte received.
	last := func(ps []*ingestionv1.ImportProgress) *ingestionv1.ImportProgress {
		if len(ps) == 0 {
			return nil
		}
		return ps[len(ps)-1]
	}
	emitting, receiving := ingestionv1.ImportPhase_IMPORT_PHASE_EMITTING, ingestionv1.ImportPhase_IMPORT_PHASE_RECEIVING
	wantProgress := []*ingestionv1.ImportProgress{
		{Phase: emitting, BytesReceived: int64(len(day1)), EntriesRead: 2, EntriesTotal: 2, Emitted: 2},
		{Phase: receiving, BytesReceived: int64(len(day1))},
		{Phase: emitting, BytesReceived: int64(len(day2)), EntriesRead: 2, EntriesTotal: 2, Emitted: 1, Duplicate: 1},
	}
	gotProgress := []*ingestionv1.ImportProgress{last(firstProgress), last(againProgress), last(finalProgress)}
	if diff := cmp.Diff(wantProgress, gotProgress, protocmp.Transform()); diff != "" {
		t.Errorf("last progress of day1, its copy and day2 (-want +got):\n%s", diff)
	}
	got := []*ingestionv1.ImportResponse{first, again, intraday, final}
	imported, duplicate := ingestionv1.ImportStatus_IMPORT_STATUS_IMPORTED, ingestionv1.ImportStatus_IMPORT_STATUS_DUPLICATE_FILE
	want := []*ingestionv1.ImportResponse{
		{Status: imported, Format: "camt.053.001.02", Counts: &ingestionv1.ImportCounts{New: 2, Statements: 1}},
		{Status: duplicate, Format: "camt.053.001.02", Counts: &ingestionv1.ImportCounts{Statements: 1}},
		{Status: imported, Format: "camt.052.001.02", Counts: &ingestionv1.ImportCounts{New: 1, Statements: 1}},
		{Status: imported, Format: "camt.053.001.02", Counts: &ingestionv1.ImportCounts{New: 1, Duplicate: 1, Statements: 1}},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform(),
		protocmp.IgnoreFields(&ingestionv1.ImportResponse{}, "import_id", "file_sha256", "error", "warnings")); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if first.GetFileSha256() != again.GetFileSha256() || first.GetImportId() == again.GetImportId() {
		t.Errorf("the copy's hash %s / id %s against the first's %s / %s", again.GetFileSha256(), again.GetImportId(), first.GetFileSha256(), first.GetImportId())
	}
	wantEvents := map[string]int{"BankTransactionReceived": 4, "BankStatementReceived": 3}
	if diff := cmp.Diff(wantEvents, e.waitEvents(t, wantEvents)); diff != "" {
		t.Errorf("stored events (-want +got):\n%s", diff)
	}

	// ListImports pages newest first and records the actor.
	page, err := e.client.ListImports(context.Background(), &ingestionv1.ListImportsRequest{Tenant: "acme", Limit: 3}, e.operator)
	if err != nil {
		t.Fatal(err)
	}
	rest, err := e.client.ListImports(context.Background(), &ingestionv1.ListImportsRequest{Tenant: "acme", Limit: 3, PageToken: page.GetNextPageToken()}, e.operator)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range append(page.GetImports(), rest.GetImports()...) {
		names = append(names, r.GetFileName())
		if r.GetActor() != "authztest:operator" {
			t.Errorf("%s recorded actor %q", r.GetFileName(), r.GetActor())
		}
	}
	if diff := cmp.Diff([]string{"day2.xml", "day2-1200.xml", "day1-copy.xml", "day1.xml"}, names); diff != "" || rest.GetNextPageToken() != "" {
		t.Errorf("listed (-want +got):\n%s (next token %q)", diff, rest.GetNextPageToken())
	}

	// The counterparty behind the events' id, for the matching service.
	cps, err := e.client.GetCounterparties(context.Background(), &ingestionv1.GetCounterpartiesRequest{Tenant: "acme", Ids: []string{counterpartyOf(t, e)}},
		e.kit.As(authztest.Principal(identity.Service, "acme")))
	if err != nil || len(cps.GetCounterparties()) != 1 || cps.GetCounterparties()[0].GetIban() != "DE75512108001245126199" {
		t.Errorf("GetCounterparties = %v, %v; want the debtor's IBAN", cps, err)
	}
}

// counterpartyOf returns the counterparty id of a stored transaction,
// once one shows in the log.
func counterpartyOf(t *testing.T, e importEnv) string {
	t.Helper()
	find := func(evs []eventstore.Event) string {
		for _, ev := range evs {
			if tx, ok := ev.Payload.(*ingestionv1.BankTransactionReceived); ok && tx.GetCounterpartyId() != "" {
				return tx.GetCounterpartyId()
			}
		}
		return ""
	}
	id := find(e.waitStored(t, func(evs []eventstore.Event) bool { return find(evs) != "" }))
	if id == "" {
		t.Fatal("no transaction with a counterparty stored")
	}
	return id
}

// TestImportRefusals checks what Import refuses and how: an unreadable
// file and an unconfigured account are answered REJECTED with nothing
// stored, a file over the limit RESOURCE_EXHAUSTED naming the limit, a
// stream without header INVALID_ARGUMENT, and a shop PERMISSION_DENIED.
func TestImportRefusals(t *testing.T) {
	t.Parallel()
	e := newImportEnv(t, 4096)
	bad, err := e.send(t, "broken.xml", statement("053", "S-1", 100)[:300], 100)
	if err != nil || bad.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_REJECTED || !strings.Contains(bad.GetError(), "/Document/") {
		t.Errorf("truncated camt: %v, %v; want REJECTED with the element path", bad, err)
	}
	other, err := e.send(t, "other.xml", []byte(strings.ReplaceAll(string(statement("053", "S-1", 100)), importIBAN, "DE02120300000000202051")), 1000)
	if err != nil || other.GetStatus() != ingestionv1.ImportStatus_IMPORT_STATUS_REJECTED || !strings.Contains(other.GetError(), "DE02120300000000202051") {
		t.Errorf("unknown account: %v, %v; want REJECTED naming the IBAN", other, err)
	}
	if n := e.bankEvents(t); len(n) != 0 {
		t.Errorf("rejected files stored events: %v", n)
	}
	_, err = e.send(t, "big.xml", make([]byte, 5000), 1000)
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "at most 4096 bytes") {
		t.Errorf("too large: %v, want RESOURCE_EXHAUSTED naming the limit", err)
	}
	stream, err := e.client.Import(context.Background(), e.operator)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no header: %v, want INVALID_ARGUMENT", err)
	}
	_, err = e.send(t, "shop.xml", statement("053", "S-9", 100), 1000, e.kit.As(authztest.Principal(identity.Shop, "acme")))
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("as a shop: %v, want PERMISSION_DENIED", err)
	}
}
