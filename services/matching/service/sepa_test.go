package service

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	dunningv1 "github.com/o2c-platform/o2c/proto/o2c/dunning/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
	matchingv1 "github.com/o2c-platform/o2c/proto/o2c/matching/v1"
	"github.com/o2c-platform/o2c/proto/o2c/matching/v1/matchingv1grpc"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/auth"
	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/host"
	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/libs/tenants"
	"github.com/o2c-platform/o2c/libs/tenants/tenantstest"
	"github.com/o2c-platform/o2c/libs/xsd"
)

// The tenant's creditor account in the SEPA tests (the Bundesbank's test
// creditor identifier).
const (
	creditorIBAN = "DE44500105175407324931"
	creditorID   = "DE98ZZZ09999999999"
	ibanNew      = "DE75512108001245126199"
)

// sepaSvc is a matching service whose tenant acme has a sepa section, with
// a SepaService client and the output directory.
type sepaSvc struct {
	*svc
	sepa  matchingv1grpc.SepaServiceClient
	dir   string
	clock *clock
}

// clock is the service's clock, set to each run's day: a file's dates may
// not lie before the instant it is made.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// at sets the clock to 09:00 UTC of d.
func (c *clock) at(d *commonv1.Date) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 9, 0, 0, 0, time.UTC)
}

// sepaTenants is the tenants file of startSepa, with the keys of payouts
// added to acme's payout rules.
func sepaTenants(t testing.TB, payouts map[string]any) *tenants.File {
	t.Helper()
	rules := map[string]any{"threshold_minor": 1000, "min_age_days": 14}
	maps.Copy(rules, payouts)
	section := map[string]any{
		"creditor_accounts":     []map[string]any{{"iban": creditorIBAN, "bic": "INGDDEFFXXX", "creditor_id": creditorID, "name": "Acme Versand GmbH"}},
		"pre_notification_days": 14,
		"payouts":               rules,
	}
	data, err := json.Marshal(map[string]any{"tenants": map[string]any{
		"acme": map[string]any{"name": "Acme", "sepa": section},
		"beta": map[string]any{"name": "Beta"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return tenantstest.Parse(t, data)
}

// startSepa starts matching for acme (and beta) with a sepa section for
// acme: one creditor account, 14 days' pre-notification, D-1, payouts from
// 10.00 after 14 days.
func startSepa(t testing.TB, opts ...func(*Options)) *sepaSvc {
	t.Helper()
	e := newEnv(t)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{MigrateDatabaseURL: e.dbURL, NATSURL: e.natsURL, GRPCAddr: lis.Addr().String(), ManageStreams: true,
		ShutdownTimeout: 5 * time.Second, Auth: auth.Config{Authenticator: testAuth}}
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	clk := &clock{}
	clk.at(dec1)
	opt := Options{Tenants: sepaTenants(t, nil), Ingestion: e.ing, BankHandlers: 4, SepaDir: dir, Now: clk.Now}
	for _, o := range opts {
		o(&opt)
	}
	if opt.DunningBlocks {
		if err := bus.EnsureStreams(context.Background(), e.js, bus.ServiceStreamConfig("dunning")); err != nil {
			t.Fatal(err)
		}
	}
	m, err := New(ctx, cfg, opt, telemetry.Providers{}, slog.New(slog.DiscardHandler), lis)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx) }()
	conn, err := grpc.NewClient(m.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() {
			conn.Close()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	})
	s := &svc{m: m, js: e.js, conn: conn, queue: matchingv1grpc.NewMatchingServiceClient(conn), dbURL: e.dbURL, fake: e.fake}
	return &sepaSvc{svc: s, sepa: matchingv1grpc.NewSepaServiceClient(conn), dir: dir, clock: clk}
}

func operator(tenant string) identity.Principal {
	return identity.Principal{Actor: "user:olga", Tenants: []string{tenant}, Roles: []identity.Role{identity.Operator}}
}

func day(y, m, d int) *commonv1.Date {
	return &commonv1.Date{Year: int32(y), Month: int32(m), Day: int32(d)}
}

// directDebitItem opens an invoice item whose order is paid by direct
// debit, due on due, and waits until matching took both in.
func (s *sepaSvc) directDebitItem(t testing.TB, id, debtor, doc string, amount int64, due *commonv1.Date) {
	t.Helper()
	seq := s.publish(t, "ingestion", &ingestionv1.OrderIngested{Tenant: "acme", OrderId: "O-" + id, DebtorId: debtor,
		PaymentMethod: shopv1.PaymentMethod_PAYMENT_METHOD_DIRECT_DEBIT, ExpectedAmount: eur(amount)})
	s.settled(t, "O2C_INGESTION", SepaDurable, seq)
	seq = s.publish(t, "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: id, DebtorId: debtor, Kind: "invoice",
		DocumentNumber: doc, OrderId: "O-" + id, Amount: eur(amount), DocumentDate: nov1, DueDate: due, EntryId: "E-" + id})
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)
}

func (s *sepaSvc) putMandate(t testing.TB, req *matchingv1.PutMandateRequest) *matchingv1.Mandate {
	t.Helper()
	req.GetMandate().Tenant = "acme"
	res, err := s.sepa.PutMandate(context.Background(), req, testAuth.As(operator("acme")))
	if err != nil {
		t.Fatalf("put mandate: %v", err)
	}
	return res.GetMandate()
}

func (s *sepaSvc) collect(t testing.TB, date *commonv1.Date, dry bool) *matchingv1.CollectResponse {
	t.Helper()
	s.clock.at(date)
	res, err := s.sepa.Collect(context.Background(), &matchingv1.CollectRequest{Tenant: "acme", Date: date, DryRun: dry},
		testAuth.As(accountant("acme")))
	if err != nil {
		t.Fatalf("collect %v: %v", date, err)
	}
	return res
}

func (s *sepaSvc) mandates(t testing.TB) map[string]*matchingv1.Mandate {
	t.Helper()
	res, err := s.sepa.ListMandates(context.Background(), &matchingv1.ListMandatesRequest{Tenant: "acme"}, testAuth.As(accountant("acme")))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*matchingv1.Mandate{}
	for _, m := range res.GetMandates() {
		out[m.GetReference()] = m
	}
	return out
}

// validate checks a file against its official schema (the copies in
// libs/formats/pain/testdata) with libs/xsd.
func validate(t testing.TB, name string, doc []byte) {
	t.Helper()
	s, err := xsd.Load(os.DirFS("../../../libs/formats/pain/testdata"), name)
	if err != nil {
		t.Fatal(err)
	}
	if problems := s.Validate(bytes.NewReader(doc)); len(problems) > 0 {
		t.Errorf("%s: %v", name, problems)
	}
}

func ids(ds []*matchingv1.Debit) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.GetOpenItemId()+" "+d.GetSequence()+" "+civil(d.GetCollectionDate()))
	}
	return out
}

func civil(d *commonv1.Date) string {
	if d == nil {
		return ""
	}
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// TestSepaPreNotificationFirstRecurringAndClearing: given D-1's mandate
// and a direct-debit invoice due on 1 December 2026, when the run of 1
// December pre-notifies it for the 15th (14 days' notice, a business day)
// and writes the debtor's pre-notification, then runs before the lead
// time submit nothing, the run of the 14th (D-1) submits it as FRST in a
// pain.008 that validates against the XSD, and the same run again, or the
// next day's, gives the same file back and no second; when the statement
// shows the collection with its end-to-end id, the engine clears the item
// by it (score 100, ApplyPayment); the next invoice is then pre-notified
// and collected as RCUR.
func TestSepaPreNotificationFirstRecurringAndClearing(t *testing.T) {
	t.Parallel()
	s := startSepa(t)
	s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "M-1", DebtorId: "D-1",
		Name: "Beispiel GmbH", Iban: ibanD1, SignedOn: day(2026, 1, 10)}})
	s.directDebitItem(t, "I-1", "D-1", "RE-1001", 11900, dec1)

	first := s.collect(t, day(2026, 12, 1), false)
	if diff := cmp.Diff([]string{"I-1 FRST 2026-12-15"}, ids(first.GetPreNotified())); diff != "" {
		t.Errorf("pre-notified on 1 Dec (-want +got):\n%s", diff)
	}
	if len(first.GetFiles()) != 0 || len(first.GetSubmitted()) != 0 {
		t.Errorf("1 Dec wrote %v, submitted %v; nothing is collected in the run that pre-notifies", first.GetFiles(), first.GetSubmitted())
	}
	if len(first.GetPreNotifications()) != 1 {
		t.Fatalf("pre-notification texts %v, want one", first.GetPreNotifications())
	}
	text, err := os.ReadFile(first.GetPreNotifications()[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"M-1", creditorID, "RE-1001", "119.00 EUR", "2026-12-15"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("pre-notification lacks %q:\n%s", want, text)
		}
	}
	if !strings.HasPrefix(first.GetPreNotifications()[0], filepath.Join(s.dir, "acme", "prenotifications")) {
		t.Errorf("pre-notification at %s, want below %s", first.GetPreNotifications()[0], s.dir)
	}

	for _, d := range []*commonv1.Date{day(2026, 12, 2), day(2026, 12, 11)} {
		if r := s.collect(t, d, false); len(r.GetSubmitted()) != 0 || len(r.GetPreNotified()) != 0 || len(r.GetFiles()) != 0 {
			t.Errorf("run of %s: submitted %v, pre-notified %v; the lead time before the 15th is not reached", civil(d), ids(r.GetSubmitted()), ids(r.GetPreNotified()))
		}
	}

	sub := s.collect(t, day(2026, 12, 14), false)
	if diff := cmp.Diff([]string{"I-1 FRST 2026-12-15"}, ids(sub.GetSubmitted())); diff != "" {
		t.Fatalf("submitted on 14 Dec (-want +got):\n%s", diff)
	}
	if len(sub.GetFiles()) != 1 {
		t.Fatalf("files %v, want one", sub.GetFiles())
	}
	file := sub.GetFiles()[0]
	content, err := os.ReadFile(file.GetPath())
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "pain.008.001.08.xsd", content)
	e2e := sub.GetSubmitted()[0].GetEndToEndId()
	for _, want := range []string{"<SeqTp>FRST</SeqTp>", "<EndToEndId>" + e2e + "</EndToEndId>", "<MndtId>M-1</MndtId>",
		"<ReqdColltnDt>2026-12-15</ReqdColltnDt>", "<Id>" + creditorID + "</Id>", `<InstdAmt Ccy="EUR">119.00</InstdAmt>`} {
		if !bytes.Contains(content, []byte(want)) {
			t.Errorf("file lacks %s", want)
		}
	}

	// Nothing is collected twice: the same run again and the next day's
	// give the file back and write no other.
	for _, d := range []*commonv1.Date{day(2026, 12, 14), day(2026, 12, 15)} {
		again := s.collect(t, d, false)
		if len(again.GetSubmitted()) != 0 || len(again.GetPreNotified()) != 0 {
			t.Errorf("rerun %s submitted %v, pre-notified %v", civil(d), ids(again.GetSubmitted()), ids(again.GetPreNotified()))
		}
		if civil(d) == "2026-12-14" && (len(again.GetFiles()) != 1 || again.GetFiles()[0].GetName() != file.GetName()) {
			t.Errorf("rerun of the 14th gave files %v, want %s back", again.GetFiles(), file.GetName())
		}
	}
	list, err := s.sepa.ListCollections(context.Background(), &matchingv1.ListCollectionsRequest{Tenant: "acme"}, testAuth.As(accountant("acme")))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetFiles()) != 1 || len(list.GetDebits()) != 1 || list.GetDebits()[0].GetState() != "submitted" {
		t.Errorf("after the reruns: files %v, debits %v; want one file, one submitted debit", list.GetFiles(), list.GetDebits())
	}
	got, err := s.sepa.GetFile(context.Background(), &matchingv1.GetFileRequest{Tenant: "acme", Name: file.GetName()}, testAuth.As(accountant("acme")))
	if err != nil || !bytes.Equal(got.GetContent(), content) {
		t.Errorf("GetFile %s: %v, same content %v", file.GetName(), err, bytes.Equal(got.GetContent(), content))
	}

	// The statement shows the collection (as ingestion reports a camt.053
	// entry's transaction): the engine clears I-1 by its end-to-end id,
	// though the text names nothing.
	tx := bankTx("TX-C1", 11900, "SEPA-LASTSCHRIFT", "")
	tx.EndToEndId, tx.MandateId, tx.BookingDate = e2e, "M-1", day(2026, 12, 15)
	seq := s.publish(t, "ingestion", tx)
	s.settled(t, "O2C_INGESTION", BankDurable, seq)
	eventually(t, "the ApplyPayment", func() bool { return len(s.commands(t)) == 1 })
	ap, ok := s.commands(t)[0].(*ledgerv1.ApplyPayment)
	if !ok || len(ap.GetAllocations()) != 1 || ap.GetAllocations()[0].GetOpenItemId() != "I-1" ||
		ap.GetAllocations()[0].GetAmount().GetMinorUnits() != 11900 || ap.GetDebtorId() != "D-1" {
		t.Fatalf("command %v, want ApplyPayment of I-1", s.commands(t)[0])
	}
	ex, err := s.queue.GetException(context.Background(), &matchingv1.GetExceptionRequest{Tenant: "acme", PaymentId: "TX-C1"}, testAuth.As(accountant("acme")))
	if err != nil || ex.GetException().GetScore() != 100 {
		t.Errorf("decision %v (%v), want score 100", ex.GetException(), err)
	}
	seq = s.publish(t, "ledger", &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", OpenAmount: eur(0),
		Settlements: []*ledgerv1.Settlement{{SettlementId: "S-1", OpenItemId: "I-1", Amount: eur(11900), Document: "TX-C1", EntryId: "PE-1",
			Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT}}})
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)

	// Booked: the mandate's next collection is RCUR.
	s.directDebitItem(t, "I-2", "D-1", "RE-1002", 5000, day(2026, 12, 20))
	eventually(t, "the booked collection taken in", func() bool {
		s.collect(t, day(2026, 12, 21), true) // takes in what the statements showed
		return s.mandates(t)["M-1"].GetNextSequence() == "RCUR"
	})
	next := s.collect(t, day(2026, 12, 21), false)
	if diff := cmp.Diff([]string{"I-2 RCUR 2027-01-04"}, ids(next.GetPreNotified())); diff != "" {
		t.Errorf("pre-notified on 21 Dec (-want +got):\n%s", diff)
	}
	rcur := s.collect(t, day(2026, 12, 31), false)
	if diff := cmp.Diff([]string{"I-2 RCUR 2027-01-04"}, ids(rcur.GetSubmitted())); diff != "" {
		t.Errorf("submitted on 31 Dec (-want +got):\n%s", diff)
	}
	if len(rcur.GetFiles()) != 1 {
		t.Fatalf("files %v", rcur.GetFiles())
	}
	content, err = os.ReadFile(rcur.GetFiles()[0].GetPath())
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "pain.008.001.08.xsd", content)
	if !bytes.Contains(content, []byte("<SeqTp>RCUR</SeqTp>")) {
		t.Errorf("second file is not RCUR")
	}
}

// TestSepaAmendmentCarriedIntoNextCollection: given mandate M-A collected
// from once, when the operator amends it to the reference M-A2 and a new
// IBAN, then the next collection carries the amendment (AmdmntInd, the
// original mandate id, SMNDA for the new account) in an XSD-valid file,
// the booking of the collection made under the old reference counts for
// the renamed mandate (RCUR next), and the amendment is cleared once the
// collection that carried it was submitted.
func TestSepaAmendmentCarriedIntoNextCollection(t *testing.T) {
	t.Parallel()
	s := startSepa(t)
	s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "M-A", DebtorId: "D-1",
		Name: "Beispiel GmbH", Iban: ibanD1, SignedOn: day(2026, 1, 10)}})
	s.directDebitItem(t, "I-1", "D-1", "RE-1001", 11900, dec1)
	s.collect(t, day(2026, 12, 1), false)
	firstRun := s.collect(t, day(2026, 12, 14), false)
	if len(firstRun.GetSubmitted()) != 1 {
		t.Fatalf("first collection: %v", ids(firstRun.GetSubmitted()))
	}
	amended := s.putMandate(t, &matchingv1.PutMandateRequest{OriginalReference: "M-A", Mandate: &matchingv1.Mandate{Reference: "M-A2",
		DebtorId: "D-1", Name: "Beispiel GmbH", Iban: ibanNew, SignedOn: day(2026, 1, 10)}})
	want := &matchingv1.MandateAmendment{OriginalReference: "M-A", NewAccount: true}
	if diff := cmp.Diff(want, amended.GetAmendment(), protocmp.Transform()); diff != "" {
		t.Errorf("amendment (-want +got):\n%s", diff)
	}
	if ms := s.mandates(t); len(ms) != 1 || ms["M-A2"] == nil {
		t.Errorf("mandates after the renaming: %v, want M-A2 only", ms)
	}
	// The statement shows the collection made under the old reference:
	// it counts for the renamed mandate, whose next collection is RCUR.
	tx := bankTx("TX-C1", 11900, "", "")
	tx.EndToEndId, tx.BookingDate = firstRun.GetSubmitted()[0].GetEndToEndId(), day(2026, 12, 15)
	s.publish(t, "ingestion", tx)
	eventually(t, "the renamed mandate past FRST", func() bool {
		s.collect(t, day(2026, 12, 2), true)
		return s.mandates(t)["M-A2"].GetNextSequence() == "RCUR"
	})
	s.directDebitItem(t, "I-2", "D-1", "RE-1002", 5000, dec1)
	if r := s.collect(t, day(2026, 12, 2), false); len(r.GetPreNotified()) != 1 || r.GetPreNotified()[0].GetMandate() != "M-A2" {
		t.Fatalf("pre-notified %v", r.GetPreNotified())
	}
	r := s.collect(t, day(2026, 12, 15), false)
	if diff := cmp.Diff([]string{"I-2 RCUR 2026-12-16"}, ids(r.GetSubmitted())); diff != "" {
		t.Fatalf("submitted (-want +got):\n%s", diff)
	}
	content, err := os.ReadFile(r.GetFiles()[0].GetPath())
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "pain.008.001.08.xsd", content)
	for _, want := range []string{"<AmdmntInd>true</AmdmntInd>", "<OrgnlMndtId>M-A</OrgnlMndtId>", "<Id>SMNDA</Id>", "<MndtId>M-A2</MndtId>", ibanNew} {
		if !bytes.Contains(content, []byte(want)) {
			t.Errorf("file lacks %s:\n%s", want, content)
		}
	}
	if a := s.mandates(t)["M-A2"].GetAmendment(); a != nil {
		t.Errorf("amendment %v still pending after the collection that carried it", a)
	}
}

// TestSepaReturnReopensTheItemAndFlagsTheMandate: given I-1 collected
// under M-R and cleared by the statement, when the collection comes back
// with AC04 (account closed), then matching sends the ledger the
// ReturnPayment that reopens the item, the debit is returned with the
// reason, the mandate is unusable, and the reopened item is not collected
// again under it.
func TestSepaReturnReopensTheItemAndFlagsTheMandate(t *testing.T) {
	t.Parallel()
	s := startSepa(t)
	s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "M-R", DebtorId: "D-1",
		Name: "Beispiel GmbH", Iban: ibanD1, SignedOn: day(2026, 1, 10)}})
	s.directDebitItem(t, "I-1", "D-1", "RE-1001", 11900, dec1)
	s.collect(t, day(2026, 12, 1), false)
	sub := s.collect(t, day(2026, 12, 14), false)
	if len(sub.GetSubmitted()) != 1 {
		t.Fatalf("submitted %v", ids(sub.GetSubmitted()))
	}
	e2e := sub.GetSubmitted()[0].GetEndToEndId()
	tx := bankTx("TX-C1", 11900, "SEPA-LASTSCHRIFT", "")
	tx.EndToEndId, tx.MandateId, tx.BookingDate = e2e, "M-R", day(2026, 12, 15)
	s.publish(t, "ingestion", tx)
	eventually(t, "the ApplyPayment", func() bool { return len(s.commands(t)) == 1 })
	seq := s.publish(t, "ledger", &ledgerv1.OpenItemCleared{Tenant: "acme", OpenItemId: "I-1", DebtorId: "D-1", OpenAmount: eur(0),
		Settlements: []*ledgerv1.Settlement{{SettlementId: "S-1", OpenItemId: "I-1", Amount: eur(11900), Document: "TX-C1", EntryId: "PE-1",
			Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT}}})
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)

	ret := bankTx("TX-R", -11900, "RUECKLASTSCHRIFT AC04 KONTO ERLOSCHEN", "")
	ret.EndToEndId, ret.MandateId, ret.ReturnReason, ret.BookingDate = e2e, "M-R", "AC04", day(2026, 12, 18)
	s.publish(t, "ingestion", ret)
	eventually(t, "the return's command", func() bool { return len(s.commands(t)) >= 2 })
	if rp, ok := s.commands(t)[1].(*ledgerv1.ReturnPayment); !ok || rp.GetPaymentId() != "TX-C1" {
		t.Fatalf("command %v, want the ReturnPayment of TX-C1", s.commands(t)[1])
	}
	// The ledger reopens the item.
	seq = s.publish(t, "ledger", &ledgerv1.OpenItemReopened{Tenant: "acme", OpenItemId: "I-1", OpenAmount: eur(11900), SettlementIds: []string{"S-1"}})
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)

	eventually(t, "the mandate flagged", func() bool {
		s.collect(t, day(2026, 12, 21), true)
		return s.mandates(t)["M-R"].GetUnusableReason() == "AC04"
	})
	if m := s.mandates(t)["M-R"]; !strings.Contains(m.GetNotUsable(), "AC04") {
		t.Errorf("mandate says %q, want unusable after AC04", m.GetNotUsable())
	}
	r := s.collect(t, day(2026, 12, 21), false)
	if len(r.GetPreNotified()) != 0 || len(r.GetSubmitted()) != 0 || len(r.GetSkipped()) != 1 ||
		!strings.Contains(r.GetSkipped()[0].GetReason(), "AC04") {
		t.Errorf("after the return: pre-notified %v, submitted %v, skipped %v; want I-1 skipped for AC04", ids(r.GetPreNotified()), ids(r.GetSubmitted()), r.GetSkipped())
	}
	list, err := s.sepa.ListCollections(context.Background(), &matchingv1.ListCollectionsRequest{Tenant: "acme", State: "returned"}, testAuth.As(accountant("acme")))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetDebits()) != 1 || list.GetDebits()[0].GetReason() != "AC04" || list.GetDebits()[0].GetEndToEndId() != e2e {
		t.Errorf("returned debits %v", list.GetDebits())
	}
}

// TestSepaPayoutFileForReleasedCreditBalance: given D-9's credit balance of
// 25.00 from 1 November with an IBAN on file, D-8's with an open invoice
// and D-7's of 5.00, when the payouts of 1 December run, then D-9's is
// released into an XSD-valid pain.001 and the others are listed with why
// not; a rerun pays nothing twice and gives the file back; nothing is
// booked until the statement shows the transfer, then PayOutCreditBalance
// once.
func TestSepaPayoutFileForReleasedCreditBalance(t *testing.T) {
	t.Parallel()
	s := startSepa(t)
	s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "M-9", DebtorId: "D-9",
		Name: "Erika Mustermann", Iban: ibanNew, SignedOn: day(2026, 1, 10)}})
	var seq uint64
	for _, c := range []struct {
		id, debtor, kind string
		amount           int64
	}{{"C-9", "D-9", "credit_balance", -2500}, {"C-8", "D-8", "credit_balance", -3000}, {"I-8", "D-8", "invoice", 1000},
		{"C-7", "D-7", "credit_balance", -500}} {
		seq = s.publish(t, "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: c.id, DebtorId: c.debtor, Kind: c.kind,
			DocumentNumber: "GS-" + c.id, Amount: eur(c.amount), DocumentDate: nov1, DueDate: nov1})
	}
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)
	call := func(dry bool) *matchingv1.PayoutsResponse {
		t.Helper()
		s.clock.at(dec1)
		r, err := s.sepa.Payouts(context.Background(), &matchingv1.PayoutsRequest{Tenant: "acme", Date: dec1, DryRun: dry}, testAuth.As(accountant("acme")))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	preview := call(true)
	if preview.GetFile() != nil {
		t.Errorf("dry run wrote %v", preview.GetFile())
	}
	why := map[string]string{}
	for _, d := range preview.GetDue() {
		why[d.GetDebtorId()] = d.GetWhy()
		if d.GetReleased() != (d.GetDebtorId() == "D-9") {
			t.Errorf("%s released %v: %s", d.GetDebtorId(), d.GetReleased(), d.GetWhy())
		}
	}
	if !strings.Contains(why["D-8"], "open receivable") || !strings.Contains(why["D-7"], "below the threshold") {
		t.Errorf("why: %v", why)
	}
	r := call(false)
	if r.GetFile() == nil || r.GetFile().GetCount() != 1 || r.GetFile().GetTotal().GetMinorUnits() != 2500 {
		t.Fatalf("file %v", r.GetFile())
	}
	content, err := os.ReadFile(r.GetFile().GetPath())
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "pain.001.001.09.xsd", content)
	for _, want := range []string{`<InstdAmt Ccy="EUR">25.00</InstdAmt>`, ibanNew, creditorIBAN, "GS-C-9"} {
		if !bytes.Contains(content, []byte(want)) {
			t.Errorf("payout file lacks %s", want)
		}
	}
	again := call(false)
	if again.GetFile().GetName() != r.GetFile().GetName() {
		t.Errorf("rerun gave file %v, want %s back", again.GetFile(), r.GetFile().GetName())
	}
	for _, d := range again.GetDue() {
		if d.GetDebtorId() == "D-9" {
			t.Errorf("D-9 due again after its payout: %v", d)
		}
	}
	if len(s.commands(t)) != 0 {
		t.Fatalf("commands %v before the statement showed the transfer; nothing is booked at file creation", s.commands(t))
	}

	// The statement shows the transfer (an outgoing debit with its
	// end-to-end id): the payout is booked with PayOutCreditBalance.
	e2e := r.GetFile().GetEndToEndIds()[0]
	debit := bankTx("TX-P", -2500, "GUTSCHRIFT AUSZAHLUNG", "")
	debit.EndToEndId, debit.BookingDate = e2e, day(2026, 12, 2)
	debit.Classification = ingestionv1.BankTransactionClassification_BANK_TRANSACTION_CLASSIFICATION_OUTGOING_CLASSIFIED
	seq = s.publish(t, "ingestion", debit)
	s.settled(t, "O2C_INGESTION", SepaDurable, seq)
	call(true) // takes in the statements and books what they showed
	eventually(t, "the PayOutCreditBalance", func() bool { return len(s.commands(t)) == 1 })
	want := &ledgerv1.PayOutCreditBalance{Tenant: "acme", IdempotencyKey: "matching:payout:" + e2e + ":C-9", PayoutId: e2e + "-1",
		DebtorId: "D-9", OpenItemId: "C-9", Amount: eur(2500), PayoutDate: day(2026, 12, 2), ClearingAccount: "unidentified-payments"}
	if diff := cmp.Diff(want, s.commands(t)[0], protocmp.Transform()); diff != "" {
		t.Errorf("booking (-want +got):\n%s", diff)
	}
	call(true)
	if n := len(s.commands(t)); n != 1 {
		t.Errorf("%d commands after a second sync, want the one booking", n)
	}
}

// TestSepaScheduledPayouts: with payouts.run_weekdays ["tue"], the daily
// scheduled run of Tuesday 1 December pays the released credit balance out
// in a pain.001 after the collections, as o2c sepa payouts would, and a
// call of the day afterwards gives that file back.
func TestSepaScheduledPayouts(t *testing.T) {
	t.Parallel()
	s := startSepa(t, func(o *Options) {
		o.Tenants = sepaTenants(t, map[string]any{"run_weekdays": []string{"tue"}})
		o.SepaRunAt, o.SepaZone, o.SepaPoll = 6*time.Hour, time.UTC, 20*time.Millisecond
	})
	s.clock.at(day(2026, 11, 29)) // a Sunday: the day's run pays nothing out
	s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "M-9", DebtorId: "D-9",
		Name: "Erika Mustermann", Iban: ibanNew, SignedOn: day(2026, 1, 10)}})
	seq := s.publish(t, "ledger", &ledgerv1.OpenItemOpened{Tenant: "acme", OpenItemId: "C-9", DebtorId: "D-9", Kind: "credit_balance",
		DocumentNumber: "GS-C-9", Amount: eur(-2500), DocumentDate: nov1, DueDate: nov1})
	s.settled(t, "O2C_LEDGER", ItemsDurable, seq)
	s.clock.at(dec1)
	var files []string
	eventually(t, "the scheduled run's pain.001", func() bool {
		var err error
		if files, err = filepath.Glob(filepath.Join(s.dir, "acme", "pain001-*.xml")); err != nil {
			t.Fatal(err)
		}
		return len(files) > 0
	})
	r, err := s.sepa.Payouts(context.Background(), &matchingv1.PayoutsRequest{Tenant: "acme", Date: dec1}, testAuth.As(accountant("acme")))
	if err != nil {
		t.Fatal(err)
	}
	if f := r.GetFile(); f == nil || f.GetCount() != 1 || f.GetTotal().GetMinorUnits() != 2500 || !slices.Contains(files, f.GetPath()) {
		t.Errorf("the day's payouts give %v back; want the scheduled run's file of 25.00, one of %v", f, files)
	}
}

// TestSepaBlockedItemIsNotCollected: given a pre-notified item, when
// dunning blocks it for a dispute (BlockSet on O2C_DUNNING), then the run
// cancels its pre-notification and collects nothing; once the block is
// lifted the item is pre-notified again.
func TestSepaBlockedItemIsNotCollected(t *testing.T) {
	t.Parallel()
	s := startSepa(t, func(o *Options) { o.DunningBlocks = true })
	s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "M-1", DebtorId: "D-1",
		Name: "Beispiel GmbH", Iban: ibanD1, SignedOn: day(2026, 1, 10)}})
	s.directDebitItem(t, "I-1", "D-1", "RE-1001", 11900, dec1)
	if r := s.collect(t, dec1, false); len(r.GetPreNotified()) != 1 {
		t.Fatalf("pre-notified %v", ids(r.GetPreNotified()))
	}
	seq := s.publish(t, "dunning", &dunningv1.BlockSet{Tenant: "acme", Block: &dunningv1.Block{BlockId: "B-1", DebtorId: "D-1",
		OpenItemId: "I-1", Reason: "dispute"}})
	s.settled(t, "O2C_DUNNING", BlocksDurable, seq)
	r := s.collect(t, day(2026, 12, 14), false)
	if len(r.GetSubmitted()) != 0 || len(r.GetCancelled()) != 1 || !strings.Contains(r.GetCancelled()[0].GetReason(), "dispute") {
		t.Errorf("blocked: submitted %v, cancelled %v", ids(r.GetSubmitted()), r.GetCancelled())
	}
	seq = s.publish(t, "dunning", &dunningv1.BlockLifted{Tenant: "acme", DebtorId: "D-1", BlockId: "B-1"})
	s.settled(t, "O2C_DUNNING", BlocksDurable, seq)
	if r := s.collect(t, day(2026, 12, 15), false); len(r.GetPreNotified()) != 1 || r.GetPreNotified()[0].GetAttempt() != 2 {
		t.Errorf("after the block: pre-notified %v", r.GetPreNotified())
	}
}

// TestSepaSchedule: the daily collection run is due once a day from its
// time of day in the tenants' zone, and SEPA_RUN_AT parses HH:MM or off.
func TestSepaSchedule(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := 6 * time.Hour
	today := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		now  time.Time
		last time.Time
		due  bool
	}{
		{"before 06:00 Berlin (04:59 UTC)", time.Date(2026, 12, 1, 4, 59, 0, 0, time.UTC), time.Time{}, false},
		{"at 06:00 Berlin (05:00 UTC)", time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC), time.Time{}, true},
		{"ran today already", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), today, false},
		{"ran yesterday", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), today.AddDate(0, 0, -1), true},
		{"late evening UTC is the next day in Berlin", time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC), today.AddDate(0, 0, -1), false},
	} {
		day, due := sepaDue(c.now, berlin, at, c.last)
		if due != c.due || due && !day.Equal(today) {
			t.Errorf("%s: due %v for %s, want %v", c.name, due, day.Format(time.DateOnly), c.due)
		}
	}
	for in, want := range map[string]time.Duration{"": 0, "off": 0, "06:30": 6*time.Hour + 30*time.Minute} {
		if got, err := SepaRunAt(in); err != nil || got != want {
			t.Errorf("SepaRunAt(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"6", "25:00", "00:00"} {
		if _, err := SepaRunAt(bad); err == nil {
			t.Errorf("SepaRunAt(%q) accepted", bad)
		}
	}
}

// TestSepaMandateFromShopMasterData: given D-5's mandate in the shop's
// master data with its IBAN and signature date (ingestion's profile), when
// ingestion says the customer pays by direct debit, the mandate is taken
// in usable, without an operator, and D-5's direct-debit invoice is
// pre-notified and collected under it (FRST, the profile's IBAN in the
// pain.008); an ingestion that lists only the reference and the IBAN (no
// signature date) leaves D-6's mandate waiting for an operator; and when
// the shop drops the direct debit the mandate is revoked.
func TestSepaMandateFromShopMasterData(t *testing.T) {
	t.Parallel()
	s := startSepa(t)
	s.fake.mu.Lock()
	s.fake.profiles = append(s.fake.profiles,
		&ingestionv1.DebtorProfile{DebtorId: "D-5", Name: "Erika Mustermann", Ibans: []string{ibanNew}, MandateIds: []string{"SHOP-M-5"},
			CustomerNumber: "D-5", BillingAddress: &shopv1.Address{Lines: []string{"Heidestraße 17"}, PostalCode: "51147", City: "Köln", Country: "DE"},
			Mandates: []*ingestionv1.Mandate{{MandateId: "SHOP-M-5", Iban: ibanNew, SignedOn: day(2026, 1, 5),
				SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_FIRST}}},
		&ingestionv1.DebtorProfile{DebtorId: "D-6", Name: "Max Muster", Ibans: []string{ibanD1}, MandateIds: []string{"SHOP-M-6"},
			CustomerNumber: "D-6"})
	s.fake.mu.Unlock()
	for _, d := range []string{"D-5", "D-6"} {
		seq := s.publish(t, "ingestion", &ingestionv1.CustomerIngested{Tenant: "acme", DebtorId: d, DirectDebit: true})
		s.settled(t, "O2C_INGESTION", SepaDurable, seq)
	}
	ms := s.mandates(t)
	if m := ms["SHOP-M-5"]; m.GetSource() != "shop" || m.GetIban() != ibanNew || m.GetDebtorId() != "D-5" || m.GetNotUsable() != "" ||
		civil(m.GetSignedOn()) != "2026-01-05" {
		t.Fatalf("shop mandate with its signature date %v, want usable", m)
	}
	if m := ms["SHOP-M-6"]; m.GetIban() != ibanD1 || !strings.Contains(m.GetNotUsable(), "signature date unknown") {
		t.Errorf("shop mandate without a signature date %v, want it waiting for one", m)
	}
	s.directDebitItem(t, "I-5", "D-5", "RE-1005", 4990, dec1)
	if r := s.collect(t, dec1, false); len(r.GetPreNotified()) != 1 || r.GetPreNotified()[0].GetMandate() != "SHOP-M-5" {
		t.Fatalf("pre-notified %v, want I-5 under SHOP-M-5", ids(r.GetPreNotified()))
	}
	sub := s.collect(t, day(2026, 12, 14), false)
	if got := ids(sub.GetSubmitted()); len(got) != 1 || got[0] != "I-5 FRST 2026-12-15" {
		t.Fatalf("submitted %v, want I-5 FRST on 2026-12-15", got)
	}
	if len(sub.GetFiles()) != 1 {
		t.Fatalf("files %v, want the pain.008", sub.GetFiles())
	}
	doc, err := os.ReadFile(sub.GetFiles()[0].GetPath())
	if err != nil {
		t.Fatal(err)
	}
	validate(t, "pain.008.001.08.xsd", doc)
	if !bytes.Contains(doc, []byte("<IBAN>"+ibanNew+"</IBAN>")) || !bytes.Contains(doc, []byte("<MndtId>SHOP-M-5</MndtId>")) {
		t.Errorf("the pain.008 does not debit the profile's IBAN under SHOP-M-5:\n%s", doc)
	}
	seq := s.publish(t, "ingestion", &ingestionv1.CustomerIngested{Tenant: "acme", DebtorId: "D-5", DirectDebit: false})
	s.settled(t, "O2C_INGESTION", SepaDurable, seq)
	if m := s.mandates(t)["SHOP-M-5"]; m.GetRevokedAt() == nil {
		t.Errorf("shop mandate %v not revoked after the shop dropped the direct debit", m)
	}
}

// TestSepaCollectionTakenInWhateverTheClock: the statement's collection is
// taken in as the bank transaction arrives, not by the time matching
// decided it: a payment decided "later" (a clock set back in between, as
// the demo's is) does not hide it.
func TestSepaCollectionTakenInWhateverTheClock(t *testing.T) {
	t.Parallel()
	s := startSepa(t)
	s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "M-1", DebtorId: "D-1",
		Name: "Beispiel GmbH", Iban: ibanD1, SignedOn: day(2026, 1, 10)}})
	s.directDebitItem(t, "I-1", "D-1", "RE-1001", 11900, dec1)
	s.collect(t, dec1, false)
	sub := s.collect(t, day(2026, 12, 14), false)
	if len(sub.GetSubmitted()) != 1 {
		t.Fatalf("submitted %v", ids(sub.GetSubmitted()))
	}
	s.clock.at(day(2026, 12, 31))
	seq := s.publish(t, "ingestion", bankTx("TX-X", 777, "UNKNOWN", ""))
	s.settled(t, "O2C_INGESTION", BankDurable, seq)
	s.collect(t, day(2026, 12, 31), true) // reads the payments up to 31 December
	s.clock.at(day(2026, 12, 15))
	tx := bankTx("TX-C1", 11900, "", "")
	tx.EndToEndId, tx.BookingDate = sub.GetSubmitted()[0].GetEndToEndId(), day(2026, 12, 15)
	seq = s.publish(t, "ingestion", tx)
	s.settled(t, "O2C_INGESTION", SepaDurable, seq)
	s.settled(t, "O2C_INGESTION", BankDurable, seq)
	s.collect(t, day(2026, 12, 16), true)
	if m := s.mandates(t)["M-1"]; m.GetNextSequence() != "RCUR" {
		t.Errorf("mandate %s next %s, want RCUR after the booked collection", m.GetReference(), m.GetNextSequence())
	}
	list, err := s.sepa.ListCollections(context.Background(), &matchingv1.ListCollectionsRequest{Tenant: "acme", State: "booked"}, testAuth.As(accountant("acme")))
	if err != nil || len(list.GetDebits()) != 1 {
		t.Errorf("booked debits %v (%v), want I-1's", list.GetDebits(), err)
	}
}

// TestSepaMandatesErasedWithTheDebtor: when ingestion has erased a
// debtor's personal data, matching erases the name, IBAN, BIC and address
// of the debtor's mandates (the shop's and an operator's alike) and
// revokes them, and leaves other debtors' mandates alone. It learns of the
// erasure from the debtor's next CustomerIngested (D-7) or, without one,
// at its next refresh of the debtors' master data (D-8). Erasing again
// changes nothing.
func TestSepaMandatesErasedWithTheDebtor(t *testing.T) {
	t.Parallel()
	s := startSepa(t, func(o *Options) { o.RefreshInterval = 20 * time.Millisecond })
	addr := &shopv1.Address{Lines: []string{"Heidestraße 17"}, PostalCode: "51147", City: "Köln", Country: "DE"}
	profile := func(id, ref, iban string) *ingestionv1.DebtorProfile {
		return &ingestionv1.DebtorProfile{DebtorId: id, Name: "Person " + id, Ibans: []string{iban}, MandateIds: []string{ref},
			CustomerNumber: id, BillingAddress: addr,
			Mandates: []*ingestionv1.Mandate{{MandateId: ref, Iban: iban, SignedOn: day(2026, 1, 5),
				SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_FIRST}}}
	}
	s.fake.mu.Lock()
	s.fake.profiles = append(s.fake.profiles, profile("D-7", "SHOP-M-7", ibanNew), profile("D-8", "SHOP-M-8", ibanD1),
		profile("D-9", "SHOP-M-9", ibanNew))
	s.fake.mu.Unlock()
	for _, d := range []string{"D-7", "D-8", "D-9"} {
		seq := s.publish(t, "ingestion", &ingestionv1.CustomerIngested{Tenant: "acme", DebtorId: d, DirectDebit: true})
		s.settled(t, "O2C_INGESTION", SepaDurable, seq)
	}
	s.putMandate(t, &matchingv1.PutMandateRequest{Mandate: &matchingv1.Mandate{Reference: "OP-M-7", DebtorId: "D-7",
		Name: "Person D-7", Iban: ibanD1, SignedOn: day(2026, 2, 1)}})
	before := s.mandates(t)
	for _, ref := range []string{"SHOP-M-7", "SHOP-M-8", "SHOP-M-9", "OP-M-7"} {
		if m := before[ref]; m.GetIban() == "" || m.GetName() == "" || m.GetRevokedAt() != nil {
			t.Fatalf("mandate %s before the erasure: %v, want it with its IBAN and name", ref, m)
		}
	}

	erase := func(ids ...string) {
		s.fake.mu.Lock()
		defer s.fake.mu.Unlock()
		for i, p := range s.fake.profiles {
			if slices.Contains(ids, p.GetDebtorId()) {
				s.fake.profiles[i] = &ingestionv1.DebtorProfile{DebtorId: p.GetDebtorId(), CustomerNumber: p.GetCustomerNumber(), Erased: true}
			}
		}
	}
	erased := func(m *matchingv1.Mandate) bool {
		return m.GetName() == "" && m.GetIban() == "" && m.GetBic() == "" && m.GetStreet() == "" && m.GetTown() == "" &&
			m.GetPostCode() == "" && m.GetCountry() == "" && m.GetRevokedAt() != nil
	}
	erase("D-7")
	seq := s.publish(t, "ingestion", &ingestionv1.CustomerIngested{Tenant: "acme", DebtorId: "D-7", DirectDebit: true})
	s.settled(t, "O2C_INGESTION", SepaDurable, seq)
	after := s.mandates(t)
	for _, ref := range []string{"SHOP-M-7", "OP-M-7"} {
		if !erased(after[ref]) {
			t.Errorf("mandate %s of the erased D-7: %v, want no name, IBAN or address, and revoked", ref, after[ref])
		}
	}
	for _, ref := range []string{"SHOP-M-8", "SHOP-M-9"} {
		if diff := cmp.Diff(before[ref], after[ref], protocmp.Transform()); diff != "" {
			t.Errorf("mandate %s of a debtor not erased changed (-before +after):\n%s", ref, diff)
		}
	}

	erase("D-8")
	deadline := time.Now().Add(30 * time.Second)
	for !erased(s.mandates(t)["SHOP-M-8"]) {
		if time.Now().After(deadline) {
			t.Fatalf("mandate SHOP-M-8 of the erased D-8 not erased by the refresh: %v", s.mandates(t)["SHOP-M-8"])
		}
		time.Sleep(20 * time.Millisecond)
	}
	settledOnce := s.mandates(t)
	time.Sleep(100 * time.Millisecond) // several refreshes
	again := s.mandates(t)
	if diff := cmp.Diff(settledOnce, again, protocmp.Transform()); diff != "" {
		t.Errorf("later refreshes changed erased mandates again (-first +later):\n%s", diff)
	}
	if m := again["SHOP-M-9"]; m.GetIban() != ibanNew || m.GetRevokedAt() != nil {
		t.Errorf("mandate SHOP-M-9 of a debtor not erased: %v", m)
	}
}
