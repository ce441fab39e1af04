package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// held is what the debtors table holds of a customer.
type held struct {
	Name, Group, IBAN, Mandate, Sequence string
}

func (e env) held(t testing.TB, id string) held {
	t.Helper()
	var h held
	if err := e.pool.QueryRow(context.Background(), `
		SELECT name, customer_group, iban, mandate_id, sequence_type FROM debtors WHERE tenant = 'acme' AND debtor_id = $1`, id).
		Scan(&h.Name, &h.Group, &h.IBAN, &h.Mandate, &h.Sequence); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestSaveCustomerKeepsTheLatestVersion: a customer's data is replaced by
// a later version, equal times apply again, and an older version (a late
// retry) is not applied and says so.
func TestSaveCustomerKeepsTheLatestVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	customer := func(name string) *shopv1.Customer {
		return &shopv1.Customer{CustomerNumber: "C-7", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: name, CustomerGroup: "retail",
			DirectDebit: &shopv1.DirectDebitMandate{Iban: "DE89370400440532013000", MandateId: "M-1",
				SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 5}, SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_FIRST}}
	}
	steps := []struct {
		name     string
		at       time.Time
		applied  bool
		wantName string
	}{
		{"Erika Muster", t0, true, "Erika Muster"},
		{"Erika Mustermann", t0.Add(time.Hour), true, "Erika Mustermann"},
		{"Erika Old", t0.Add(30 * time.Minute), false, "Erika Mustermann"},
		{"Erika Same Time", t0.Add(time.Hour), true, "Erika Same Time"},
	}
	for _, s := range steps {
		applied, err := e.store.SaveCustomer(ctx, "acme", customer(s.name), s.at)
		if err != nil {
			t.Fatal(err)
		}
		if applied != s.applied {
			t.Errorf("%s at %s: applied %v, want %v", s.name, s.at, applied, s.applied)
		}
		want := held{Name: s.wantName, Group: "retail", IBAN: "DE89370400440532013000", Mandate: "M-1", Sequence: "SEQUENCE_TYPE_FIRST"}
		if diff := cmp.Diff(want, e.held(t, "C-7")); diff != "" {
			t.Errorf("after %s (-want +got):\n%s", s.name, diff)
		}
	}
}

// TestEraseClearsTheMandate: erasing a debtor clears the IBAN and the SEPA
// mandate a customer event brought, like the name.
func TestEraseClearsTheMandate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := &shopv1.Customer{CustomerNumber: "C9", Kind: shopv1.DebtorKind_DEBTOR_KIND_CONSUMER, Name: "Jane Roe", CustomerGroup: "retail",
		DirectDebit: &shopv1.DirectDebitMandate{Iban: "DE89370400440532013000", MandateId: "M-9",
			SignedOn: &commonv1.Date{Year: 2026, Month: 1, Day: 2}, SequenceType: shopv1.SequenceType_SEQUENCE_TYPE_FIRST}}
	if _, err := e.store.SaveCustomer(ctx, "acme", c, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.EraseDebtor(ctx, "acme", "C9", "operator:ops", time.Now()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(held{Group: "retail"}, e.held(t, "C9")); diff != "" {
		t.Errorf("after erasure (-want +got):\n%s", diff)
	}
}
