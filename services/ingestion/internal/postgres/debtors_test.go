package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/rejection"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ingestion/internal/erasure"
	"github.com/o2c-platform/o2c/services/ingestion/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var template = pgtest.Template{
	Name: database.TemplateName(postgres.Schema, postgres.Migrations()),
	Migrate: func(ctx context.Context, url string) error {
		_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
		return err
	},
}

// env is a migrated ingestion database seen as the service's app role.
type env struct {
	pool       *pgxpool.Pool
	store      *postgres.Store
	events     *eventstore.Store
	rejections *rejection.Store
}

func newEnv(t testing.TB) env {
	t.Helper()
	ctx := context.Background()
	owner := pgtest.NewDB(t, template)
	appURL, err := database.AppURL(owner, eventstore.AppRole(postgres.Schema))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := database.Connect(ctx, appURL, postgres.Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	events, err := eventstore.New(pool, postgres.Schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return env{pool: pool, store: postgres.New(pool), events: events, rejections: rejection.NewStore(pool, "ingestion")}
}

// ingest stores an accepted invoice of debtor as the consumer does.
func (e env) ingest(t testing.TB, number, debtor string, issued time.Time) eventstore.Event {
	t.Helper()
	ev := &ingestionv1.InvoiceIngested{
		Tenant: "acme", InvoiceNumber: number, DebtorId: debtor, Currency: "EUR",
		IssueDate: &commonv1.Date{Year: int32(issued.Year()), Month: int32(issued.Month()), Day: int32(issued.Day())},
	}
	stored, err := e.events.Append(context.Background(), eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: number},
		eventstore.AnyVersion, []eventstore.Event{{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: issued, Actor: "shop:acme"}, Payload: ev}})
	if err != nil {
		t.Fatal(err)
	}
	return stored[0]
}

// reject records a rejected shop message with payload.
func (e env) reject(t testing.TB, payload string) uuid.UUID {
	t.Helper()
	id, err := e.rejections.Insert(context.Background(), rejection.Rejection{
		Service: "ingestion", Consumer: "ingestion-invoices", Tenant: "acme", Subject: "shop.acme.invoice.issued",
		Payload: []byte(payload), ReasonCode: "invalid", Reason: "invoice has no lines",
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var jane = &shopv1.Debtor{
	CustomerId: "C1", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Jane Roe", Email: "jane@example.org",
	VatId: "DE999999999", BillingAddress: &shopv1.Address{City: "Köln"},
}

func TestExportHoldsWhatIsKeptAboutTheDebtor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	if err := e.store.SaveDebtor(ctx, "acme", jane); err != nil {
		t.Fatal(err)
	}
	first := e.ingest(t, "INV-1", "C1", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	e.ingest(t, "INV-2", "C10", time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
	second := e.ingest(t, "INV-3", "C1", time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC))
	mine := e.reject(t, `{"debtor":{"customer_id":"C1","name":"Jane Roe"}}`)
	e.reject(t, `{"debtor":{"customer_id":"C10"}}`)

	d, err := e.store.Debtor(ctx, "acme", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Jane Roe" || d.Email != "jane@example.org" || d.VATID != "DE999999999" || !bytes.Contains(d.Address, []byte("Köln")) {
		t.Errorf("Debtor = %+v, want Jane Roe's master data", d)
	}
	invoices, err := e.store.DebtorInvoices(ctx, "acme", "C1")
	if err != nil {
		t.Fatal(err)
	}
	want := []postgres.InvoiceRef{
		{Number: "INV-1", EventID: first.EventID.String(), IssueDate: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Position: first.Position},
		{Number: "INV-3", EventID: second.EventID.String(), IssueDate: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), Position: second.Position},
	}
	if diff := cmp.Diff(want, invoices); diff != "" {
		t.Errorf("DebtorInvoices (-want +got):\n%s", diff)
	}
	rejected, err := e.store.DebtorRejections(ctx, "acme", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 1 || rejected[0].ID != mine.String() {
		t.Errorf("DebtorRejections = %+v, want only %s (not C10's)", rejected, mine)
	}
}

func TestEraseKeepsNoPersonalDataAndTheChainsVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	if err := e.store.SaveDebtor(ctx, "acme", jane); err != nil {
		t.Fatal(err)
	}
	e.ingest(t, "INV-1", "C1", time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC))
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	got, err := e.store.EraseDebtor(ctx, "acme", "C1", "operator:ops", at)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "" || got.Email != "" || got.VATID != "" || got.Address != nil || !got.ErasedAt.Equal(at) || got.ErasedBy != "operator:ops" {
		t.Errorf("EraseDebtor = %+v, want no personal data, erased at %s by operator:ops", got, at)
	}
	// A later invoice of the debtor does not write the personal data back.
	if err := e.store.SaveDebtor(ctx, "acme", jane); err != nil {
		t.Fatal(err)
	}
	again, err := e.store.EraseDebtor(ctx, "acme", "C1", "operator:other", at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("after SaveDebtor and a second erasure (-first +now):\n%s", diff)
	}
	report, err := e.events.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() || report.Events != 1 {
		t.Errorf("Verify after erasure = %+v, want 1 event and every chain intact", report)
	}
	var leaked int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE position($1::bytea IN payload) > 0 OR position($2::bytea IN payload) > 0`,
		[]byte(jane.Name), []byte(jane.Email)).Scan(&leaked); err != nil {
		t.Fatal(err)
	}
	if leaked != 0 {
		t.Errorf("%d stored events hold the debtor's name or e-mail", leaked)
	}
}

func TestUnknownDebtor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.store.Debtor(context.Background(), "acme", "nobody"); !errors.Is(err, erasure.ErrUnknownDebtor) {
		t.Errorf("Debtor(nobody) = %v, want ErrUnknownDebtor", err)
	}
	if _, err := e.store.EraseDebtor(context.Background(), "acme", "nobody", "operator:ops", time.Now()); !errors.Is(err, erasure.ErrUnknownDebtor) {
		t.Errorf("EraseDebtor(nobody) = %v, want ErrUnknownDebtor", err)
	}
}
