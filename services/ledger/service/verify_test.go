package service

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/database"
	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/pgtest"
	"github.com/o2c-platform/o2c/libs/telemetry"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestVerifyReadModels posts entries, projects them, and expects the
// rebuild to match; then it tampers with a balance and expects both the
// table mismatch and the trial-balance breach to be reported.
func TestVerifyReadModels(t *testing.T) {
	ctx := context.Background()
	owner := pgtest.NewDB(t, pgtest.Template{
		Name: database.TemplateName(postgres.Schema, postgres.Migrations()),
		Migrate: func(ctx context.Context, url string) error {
			_, err := database.Migrate(ctx, url, postgres.Schema, postgres.Migrations())
			return err
		},
	})
	appURL, err := database.AppURL(owner, eventstore.AppRole(postgres.Schema))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := database.Connect(ctx, appURL, postgres.Schema, telemetry.Providers{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	events, err := eventstore.New(pool, postgres.Schema, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	poster := postgres.NewPoster(events, postgres.PosterOptions{})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- poster.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	eur := func(m int64) *commonv1.Money { return &commonv1.Money{MinorUnits: m, Currency: "EUR"} }
	for i := range 30 {
		_, err := poster.Post(ctx, postgres.Entry{
			Tenant: "acme", IdempotencyKey: fmt.Sprint("k-", i),
			EffectiveDate:  &commonv1.Date{Year: 2026, Month: 3, Day: int32(1 + i%28)},
			DocumentNumber: fmt.Sprint("B-", i), Text: "Umbuchung",
			Legs: []*ledgerv1.JournalLeg{
				{Account: "1200", Amount: eur(int64(100 + i))},
				{Account: "1360", Amount: eur(-int64(100 + i))},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	proj, err := postgres.NewProjector(postgres.New(pool), telemetry.Providers{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := events.CatchUpProjection(ctx, proj.Projection(0)); err != nil {
		t.Fatal(err)
	}

	rep, err := VerifyReadModels(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Events != 30 {
		t.Fatalf("intact read models: %+v, want OK over 30 events", rep)
	}

	conn, err := pgx.Connect(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE ledger.account_balances SET balance_minor = balance_minor + 1, debit_minor = debit_minor + 1 WHERE account = '1200'`); err != nil {
		t.Fatal(err)
	}
	rep, err = VerifyReadModels(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Mismatches) != 1 || rep.Mismatches[0] != (postgres.Mismatch{Table: "account_balances", Missing: 1, Extra: 1}) {
		t.Errorf("mismatches = %+v, want account_balances 1 missing, 1 extra", rep.Mismatches)
	}
	if len(rep.Breaches) != 1 || rep.Breaches[0] != (postgres.Breach{Invariant: "trial balance", Tenant: "acme", Currency: "EUR", Difference: 1}) {
		t.Errorf("breaches = %+v, want the trial balance off by 1", rep.Breaches)
	}
}
