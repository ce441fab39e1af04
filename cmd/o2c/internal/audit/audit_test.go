package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/rejection"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// schemas are the service schemas of the test database.
var schemas = []string{"ingestion", "ledger"}

// newDB returns the URL of a fresh database whose ingestion and ledger
// schemas have an event store and a rejection store.
func newDB(t testing.TB) string {
	t.Helper()
	return pgtest.NewDB(t, pgtest.Template{Name: database.TemplateName("audit", fstest.MapFS{}), Migrate: func(ctx context.Context, url string) error {
		for _, s := range schemas {
			if _, err := database.Migrate(ctx, url, s, nil); err != nil {
				return err
			}
		}
		return nil
	}})
}

// fixture appends events and closes rejections and sets the time each was
// recorded, as a superuser can, so that the listing is known to the second.
type fixture struct {
	t    testing.TB
	ctx  context.Context
	pool *pgxpool.Pool
}

func newFixture(t testing.TB, url string) *fixture {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &fixture{t: t, ctx: ctx, pool: pool}
}

// at is a recording time of the fixture: 2026-11-<day> <hh>:00 UTC.
func at(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }

// append stores payloads as one stream's events by actor and dates them.
func (f *fixture) append(schema string, stream eventstore.StreamID, actor string, recorded time.Time, payloads ...proto.Message) {
	f.t.Helper()
	store, err := eventstore.New(f.pool, schema, eventstore.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	evs := make([]eventstore.Event, len(payloads))
	for i, p := range payloads {
		evs[i] = eventstore.Event{Envelope: eventstore.Envelope{EventID: uuid.New(), OccurredAt: recorded, Actor: actor}, Payload: p}
	}
	stored, err := store.Append(f.ctx, stream, eventstore.AnyVersion, evs)
	if err != nil {
		f.t.Fatal(err)
	}
	ids := make([]uuid.UUID, len(stored))
	for i, ev := range stored {
		ids[i] = ev.EventID
	}
	f.superuser(`UPDATE `+schema+`.events SET recorded_at = $1 WHERE event_id = ANY($2)`, recorded, ids)
}

// reject records a rejection in schema and, unless state is open, closes it
// by actor at closed.
func (f *fixture) reject(schema, tenant, document, state, actor, note string, closed time.Time) uuid.UUID {
	f.t.Helper()
	cfg, err := pgxpool.ParseConfig(f.pool.Config().ConnString())
	if err != nil {
		f.t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(f.ctx, cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	defer pool.Close()
	store := rejection.NewStore(pool, schema)
	id, err := store.Insert(f.ctx, rejection.Rejection{
		Consumer: schema + "-in", Tenant: tenant, Subject: "shop." + tenant + ".invoice.issued", Payload: []byte(document),
		Document: document, ReasonCode: "invalid", Reason: "totals do not match",
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if state == rejection.Open {
		return id
	}
	if _, err := store.Close(f.ctx, id, state, actor, note); err != nil {
		f.t.Fatal(err)
	}
	f.superuser(`UPDATE `+schema+`.rejections SET closed_at = $1 WHERE id = $2`, closed, id)
	return id
}

// superuser runs sql with the event store's immutability triggers off.
func (f *fixture) superuser(sql string, args ...any) {
	f.t.Helper()
	conn, err := pgx.Connect(f.ctx, f.pool.Config().ConnString())
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close(f.ctx)
	if _, err := conn.Exec(f.ctx, `SET session_replication_role = replica`); err != nil {
		f.t.Fatal(err)
	}
	if _, err := conn.Exec(f.ctx, sql, args...); err != nil {
		f.t.Fatal(err)
	}
}

func eur(minor int64) *commonv1.Money { return &commonv1.Money{MinorUnits: minor, Currency: "EUR"} }

// books fills the database with the changes of two tenants by several
// actors and returns the id of acme's resolved rejection.
func books(f *fixture) (resolved uuid.UUID) {
	acmeInvoice := eventstore.StreamID{Tenant: "acme", Type: "invoice", ID: "RE-1"}
	f.append("ingestion", acmeInvoice, "shop:acme", at(2, 9),
		&ingestionv1.InvoiceIngested{Tenant: "acme", InvoiceNumber: "RE-1", DebtorId: "K-1001", Gross: eur(11900)})
	f.append("ledger", eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: "K-1001"}, "service:ledger", at(2, 10),
		&ledgerv1.CommandAccepted{Tenant: "acme", IdempotencyKey: "invoice:RE-1", Command: "o2c.ledger.v1.RegisterInvoice"},
		&ledgerv1.OpenItemOpened{Tenant: "acme", DocumentNumber: "RE-1", DebtorId: "K-1001", Kind: "invoice", Amount: eur(11900)})
	f.append("ledger", eventstore.StreamID{Tenant: "acme", Type: "periods", ID: "periods"}, "user:jane", at(3, 8),
		&ledgerv1.CommandAccepted{Tenant: "acme", IdempotencyKey: "close:2026-10", Command: "o2c.ledger.v1.ClosePeriod"},
		&ledgerv1.PeriodClosed{Tenant: "acme", Year: 2026, Month: 10, Actor: "user:jane", Reason: "month end"})
	resolved = f.reject("ingestion", "acme", "RE-7", rejection.Resolved, "user:ops", "sent twice,\nkept RE-1", at(3, 9))
	f.reject("ingestion", "acme", "RE-8", rejection.Open, "", "", time.Time{})
	f.append("ledger", eventstore.StreamID{Tenant: "acme", Type: "debtor", ID: "K-1001"}, "", at(4, 7),
		wrapperspb.String("an event of a type the audit does not describe"))
	f.append("ledger", eventstore.StreamID{Tenant: "globex", Type: "periods", ID: "periods"}, "user:max", at(3, 12),
		&ledgerv1.PeriodClosed{Tenant: "globex", Year: 2026, Month: 10, Actor: "user:max"})
	return resolved
}

func TestListSelectsTenantActorAndPeriod(t *testing.T) {
	t.Parallel()
	url := newDB(t)
	f := newFixture(t, url)
	resolved := books(f)
	rejected := "rejection/" + resolved.String()

	jane1 := Entry{at(3, 8), "ledger", "acme", "user:jane", "close period accepted, key close:2026-10", "periods/periods", "o2c.ledger.v1.CommandAccepted"}
	jane2 := Entry{at(3, 8), "ledger", "acme", "user:jane", "period closed 2026-10: month end", "periods/periods", "o2c.ledger.v1.PeriodClosed"}
	ops := Entry{at(3, 9), "ingestion", "acme", "user:ops", "rejected message RE-7 (shop.acme.invoice.issued) resolved: sent twice, kept RE-1", rejected, "rejection.resolved"}
	shop := Entry{at(2, 9), "ingestion", "acme", "shop:acme", "invoice RE-1 ingested for debtor K-1001, 119.00 EUR", "invoice/RE-1", "o2c.ingestion.v1.InvoiceIngested"}
	ledger1 := Entry{at(2, 10), "ledger", "acme", "service:ledger", "invoice RE-1 registered", "debtor/K-1001", "o2c.ledger.v1.CommandAccepted"}
	ledger2 := Entry{at(2, 10), "ledger", "acme", "service:ledger", "open item RE-1 opened for debtor K-1001, invoice 119.00 EUR", "debtor/K-1001", "o2c.ledger.v1.OpenItemOpened"}
	unknown := Entry{at(4, 7), "ledger", "acme", "", "string value", "debtor/K-1001", "google.protobuf.StringValue"}
	globex := Entry{at(3, 12), "ledger", "globex", "user:max", "period closed 2026-10", "periods/periods", "o2c.ledger.v1.PeriodClosed"}

	for _, tc := range []struct {
		name string
		q    Query
		want []Entry
	}{
		{"a tenant, oldest first, across services", Query{Tenant: "acme"}, []Entry{shop, ledger1, ledger2, jane1, jane2, ops, unknown}},
		{"one actor", Query{Tenant: "acme", Actor: "user:jane"}, []Entry{jane1, jane2}},
		{"the operator who resolved a rejection", Query{Tenant: "acme", Actor: "user:ops"}, []Entry{ops}},
		{"actors by prefix", Query{Tenant: "acme", Actor: "user:*"}, []Entry{jane1, jane2, ops}},
		{"a prefix is not a pattern", Query{Tenant: "acme", Actor: "user_*"}, nil},
		{"since, inclusive", Query{Tenant: "acme", Since: at(3, 8)}, []Entry{jane1, jane2, ops, unknown}},
		{"until, exclusive", Query{Tenant: "acme", Until: at(3, 8)}, []Entry{shop, ledger1, ledger2}},
		{"a period", Query{Tenant: "acme", Since: at(2, 10), Until: at(3, 9)}, []Entry{ledger1, ledger2, jane1, jane2}},
		{"another tenant sees only its own", Query{Tenant: "globex"}, []Entry{globex}},
		{"a tenant without changes", Query{Tenant: "initech"}, nil},
		{"all tenants", Query{AllTenants: true, Actor: "user:*"}, []Entry{jane1, jane2, ops, globex}},
		{"one schema", Query{Tenant: "acme", Schemas: []string{"ingestion"}}, []Entry{shop, ops}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.q.Schemas == nil {
				tc.q.Schemas = schemas
			}
			var got []Entry
			skipped, err := List(f.ctx, f.pool, tc.q, func(e Entry) error {
				got = append(got, e)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) > 0 {
				t.Errorf("skipped %v", skipped)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("List(%+v) (-want +got):\n%s", tc.q, diff)
			}
		})
	}
}

func TestListRefusesUnscopedQueries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		q    Query
		want string
	}{
		{"no tenant", Query{Schemas: schemas}, "a tenant is required; listing all tenants must be asked for explicitly"},
		{"a tenant and all tenants", Query{Tenant: "acme", AllTenants: true, Schemas: schemas}, "give either a tenant or all tenants, not both"},
		{"an empty period", Query{Tenant: "acme", Since: at(3, 0), Until: at(3, 0), Schemas: schemas}, "the period is empty: since 2026-11-03T00:00:00Z is not before until 2026-11-03T00:00:00Z"},
		{"no schema", Query{Tenant: "acme"}, "no service schema to read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The pool is never used: the query is refused first.
			_, err := List(context.Background(), nil, tc.q, func(Entry) error { return nil })
			if err == nil || err.Error() != tc.want {
				t.Errorf("List(%+v) = %v, want %q", tc.q, err, tc.want)
			}
		})
	}
}

func TestPrint(t *testing.T) {
	t.Parallel()
	url := newDB(t)
	f := newFixture(t, url)
	resolved := books(f)
	for _, tc := range []struct {
		name string
		q    Query
		want string
	}{
		{"one tenant and one actor", Query{Tenant: "acme", Actor: "user:*", Since: at(1, 0), Schemas: []string{"ingestion", "ledger", "dunning"}}, `
Audit trail of tenant acme, since 2026-11-01 00:00:00 UTC, actor user:*, oldest first (schemas ingestion, ledger, dunning)
RECORDED AT (UTC)    SERVICE    ACTOR      WHAT                                                                              STREAM
2026-11-03 08:00:00  ledger     user:jane  close period accepted, key close:2026-10                                          periods/periods
2026-11-03 08:00:00  ledger     user:jane  period closed 2026-10: month end                                                  periods/periods
2026-11-03 09:00:00  ingestion  user:ops   rejected message RE-7 (shop.acme.invoice.issued) resolved: sent twice, kept RE-1  rejection/` + resolved.String() + `
dunning: no event store (schema not migrated)
3 changes
`},
		{"an actor that was not recorded", Query{Tenant: "acme", Since: at(4, 0), Schemas: schemas}, `
Audit trail of tenant acme, since 2026-11-04 00:00:00 UTC, oldest first (schemas ingestion, ledger)
RECORDED AT (UTC)    SERVICE  ACTOR           WHAT          STREAM
2026-11-04 07:00:00  ledger   (not recorded)  string value  debtor/K-1001
1 change
`},
		{"all tenants", Query{AllTenants: true, Since: at(3, 10), Schemas: schemas}, `
Audit trail of all tenants (platform admin), since 2026-11-03 10:00:00 UTC, oldest first (schemas ingestion, ledger)
RECORDED AT (UTC)    TENANT  SERVICE  ACTOR           WHAT                   STREAM
2026-11-03 12:00:00  globex  ledger   user:max        period closed 2026-10  periods/periods
2026-11-04 07:00:00  acme    ledger   (not recorded)  string value           debtor/K-1001
2 changes
`},
		{"nothing", Query{Tenant: "acme", Since: at(5, 0), Until: at(6, 0), Schemas: schemas}, `
Audit trail of tenant acme, from 2026-11-05 00:00:00 UTC to before 2026-11-06 00:00:00 UTC, oldest first (schemas ingestion, ledger)
no changes recorded for tenant acme (from 2026-11-05 00:00:00 UTC to before 2026-11-06 00:00:00 UTC)
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := Print(f.ctx, f.pool, tc.q, &out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(strings.TrimPrefix(tc.want, "\n"), out.String()); diff != "" {
				t.Errorf("Print (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrintStreamsLargeStores lists more changes than fit one block and
// checks that every one comes once, in order, under a repeated header.
func TestPrintStreamsLargeStores(t *testing.T) {
	t.Parallel()
	url := newDB(t)
	f := newFixture(t, url)
	const n = 1203
	msgs := make([]proto.Message, n)
	for i := range msgs {
		msgs[i] = &ledgerv1.PeriodReopened{Tenant: "acme", Year: 2026, Month: 1, Reason: fmt.Sprintf("r%04d", i)}
	}
	f.append("ledger", eventstore.StreamID{Tenant: "acme", Type: "periods", ID: "periods"}, "user:jane", at(5, 0), msgs...)
	var out bytes.Buffer
	if err := Print(f.ctx, f.pool, Query{Tenant: "acme", Schemas: schemas}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var headers, rows int
	for _, l := range lines[1 : len(lines)-1] {
		if strings.HasPrefix(l, "RECORDED AT") {
			headers++
			continue
		}
		if want := fmt.Sprintf("r%04d", rows); !strings.Contains(l, "period reopened 2026-01: "+want+" ") {
			t.Fatalf("row %d is %q, want the reopening with reason %s", rows, l, want)
		}
		rows++
	}
	if rows != n || headers != 3 || lines[len(lines)-1] != "1203 changes" {
		t.Errorf("%d rows under %d headers, last line %q; want %d rows under 3 headers and the count", rows, headers, lines[len(lines)-1], n)
	}
}

// TestListReleasesConnectionsWhenStopped stops a listing early and checks
// that its queries were closed.
func TestListReleasesConnectionsWhenStopped(t *testing.T) {
	t.Parallel()
	url := newDB(t)
	f := newFixture(t, url)
	books(f)
	pool, err := pgxpool.New(f.ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	stop := errors.New("stop")
	calls := 0
	_, err = List(f.ctx, pool, Query{Tenant: "acme", Schemas: schemas}, func(Entry) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("List = %v after %d calls, want the callback's error after 1", err, calls)
	}
	if n := pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired after List returned", n)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	date := &commonv1.Date{Year: 2026, Month: 11, Day: 3}
	for _, tc := range []struct {
		name    string
		typ     string
		payload proto.Message
		want    string
	}{
		{"journal entry", "", &ledgerv1.JournalEntryPosted{DocumentNumber: "RE-1", Text: "Rechnung RE-1", EffectiveDate: date, Legs: []*ledgerv1.JournalLeg{
			{Account: "10000", Amount: eur(11900)}, {Account: "8400", Amount: eur(-10000)}, {Account: "1776", Amount: eur(-1900)},
		}}, "journal entry RE-1 posted, 119.00 EUR: Rechnung RE-1"},
		{"payment in two settlements", "", &ledgerv1.OpenItemCleared{OpenItemId: "oi-1", Settlements: []*ledgerv1.Settlement{
			{Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_PAYMENT, Amount: eur(11662), Document: "BANK-7"},
			{Kind: ledgerv1.SettlementKind_SETTLEMENT_KIND_CASH_DISCOUNT, Amount: eur(238)},
		}, OpenAmount: eur(0)}, "open item oi-1 settled by payment 116.62 EUR (BANK-7), cash discount 2.38 EUR, 0.00 EUR open"},
		{"classified", "", &ledgerv1.OpenItemClassified{OpenItemId: "oi-2", Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS}, "open item oi-2 classified as costs"},
		{"opened with its classification", "", &ledgerv1.OpenItemOpened{DocumentNumber: "RE-2", DebtorId: "K-1", Kind: "dunning_fee", Amount: eur(500),
			Classification: &ledgerv1.OpenItemClassified{OpenItemId: "oi-2", Component: ledgerv1.OpenItemComponent_OPEN_ITEM_COMPONENT_COSTS}},
			"open item RE-2 opened for debtor K-1, dunning fee 5.00 EUR, classified as costs"},
		{"reopened", "", &ledgerv1.OpenItemReopened{OpenItemId: "oi-1", Amount: eur(11662), OpenAmount: eur(11662), Reason: "payment returned"}, "open item oi-1 reopened by 116.62 EUR, 116.62 EUR open: payment returned"},
		{"reversed", "", &ledgerv1.JournalEntryReversed{OriginalEntryId: "e-1", ReversalEntryId: "e-2", Reason: "wrong debtor"}, "journal entry e-1 reversed by e-2: wrong debtor"},
		{"recovered", "", &ledgerv1.WriteOffRecovered{OpenItemId: "oi-3", Amount: eur(500)}, "written-off open item oi-3 recovered, 5.00 EUR"},
		{"reopened period", "", &ledgerv1.PeriodReopened{Year: 2026, Month: 9, Reason: "late invoice"}, "period reopened 2026-09: late invoice"},
		{"merge", "", &ledgerv1.DebtorMerged{DebtorId: "K-2", IntoDebtorId: "K-1", Items: []*ledgerv1.MergedItem{{}, {}}, Reason: "same person"}, "debtor K-2 merged into K-1, 2 open items moved: same person"},
		{"another command", "", &ledgerv1.CommandAccepted{Command: "o2c.ledger.v1.ApplyPayment", IdempotencyKey: "pay:BANK-7"}, "apply payment accepted, key pay:BANK-7"},
		{"a register invoice with another key", "", &ledgerv1.CommandAccepted{Command: "o2c.ledger.v1.RegisterInvoice", IdempotencyKey: "import:7"}, "register invoice accepted, key import:7"},
		{"long reason is cut", "", &ledgerv1.PeriodClosed{Year: 2026, Month: 10, Reason: strings.Repeat("x", 100)}, "period closed 2026-10: " + strings.Repeat("x", 59) + "…"},
		{"control characters", "", &ledgerv1.PeriodClosed{Year: 2026, Month: 10, Reason: "a\tb\x1b[31m\r\nc"}, "period closed 2026-10: a b [31m c"},
		{"unknown type", "o2c.dunning.v1.DunningLevelRaised", nil, "dunning level raised"},
		{"acronym in a type", "o2c.matching.v1.SEPAReturnMatched", nil, "sepa return matched"},
		{"no type", "", nil, "event of unknown type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Describe(tc.typ, tc.payload); got != tc.want {
				t.Errorf("Describe = %q, want %q", got, tc.want)
			}
		})
	}
}
