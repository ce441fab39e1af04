package sepa_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/services/matching/internal/sepa"
)

// TestShopMandates: a shop's mandate with its IBAN and signature date is
// usable at once; the references and IBANs of an older ingestion are
// paired by position (or all with the first IBAN) and wait for an
// operator to set the signature date.
func TestShopMandates(t *testing.T) {
	t.Parallel()
	today := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	signed := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		debtor     sepa.ShopDebtor
		want       []sepa.Mandate
		wantUsable []string
	}{
		{name: "with signature date",
			debtor: sepa.ShopDebtor{Name: "Erika Mustermann", Country: "DE", PostCode: "51147", Town: "Köln", Street: "Heidestraße 17",
				Mandates: []sepa.ShopMandate{{Reference: " M-5 ", IBAN: "DE75512108001245126199", SignedOn: signed.Add(15 * time.Hour), OneOff: true}}},
			want: []sepa.Mandate{{Tenant: "acme", Reference: "M-5", Debtor: "D-5", Name: "Erika Mustermann", IBAN: "DE75512108001245126199",
				Country: "DE", PostCode: "51147", Town: "Köln", Street: "Heidestraße 17", SignedOn: signed, Scheme: sepa.SchemeCore,
				OneOff: true, Source: sepa.SourceShop}},
			wantUsable: []string{""}},
		{name: "paired by position",
			debtor: sepa.ShopDebtor{Name: "Max Muster", Mandates: sepa.PairByPosition([]string{"M-1", "M-2"}, []string{"DE1", "DE2"})},
			want: []sepa.Mandate{
				{Tenant: "acme", Reference: "M-1", Debtor: "D-5", Name: "Max Muster", IBAN: "DE1", Scheme: sepa.SchemeCore, Source: sepa.SourceShop},
				{Tenant: "acme", Reference: "M-2", Debtor: "D-5", Name: "Max Muster", IBAN: "DE2", Scheme: sepa.SchemeCore, Source: sepa.SourceShop},
			},
			wantUsable: []string{"mandate's signature date unknown (set it with PutMandate)", "mandate's signature date unknown (set it with PutMandate)"}},
		{name: "one IBAN for two",
			debtor: sepa.ShopDebtor{Name: "Max Muster", Mandates: sepa.PairByPosition([]string{"M-1", "M-2"}, []string{"DE1"})},
			want: []sepa.Mandate{
				{Tenant: "acme", Reference: "M-1", Debtor: "D-5", Name: "Max Muster", IBAN: "DE1", Scheme: sepa.SchemeCore, Source: sepa.SourceShop},
				{Tenant: "acme", Reference: "M-2", Debtor: "D-5", Name: "Max Muster", IBAN: "DE1", Scheme: sepa.SchemeCore, Source: sepa.SourceShop},
			},
			wantUsable: []string{"mandate's signature date unknown (set it with PutMandate)", "mandate's signature date unknown (set it with PutMandate)"}},
		{name: "none", debtor: sepa.ShopDebtor{Name: "Max Muster"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.debtor.MandatesOf("acme", "D-5")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MandatesOf (-want +got):\n%s", diff)
			}
			var usable []string
			for _, m := range got {
				usable = append(usable, m.Usable(today))
			}
			if diff := cmp.Diff(tt.wantUsable, usable); diff != "" {
				t.Errorf("Usable (-want +got):\n%s", diff)
			}
		})
	}
}
