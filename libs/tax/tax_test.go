package tax

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

func day(y int, m time.Month, d int) Date { return Date{y, m, d} }

func TestDefaultSupply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		key  Key
		date Date
		want Accounts
		err  error
	}{
		{"19 % before the cut", KeyOf("", 1900, 0), day(2020, 6, 30), accounts19, nil},
		{"19 % in the cut", KeyOf("DE", 1900, Domestic), day(2020, 7, 1), Accounts{}, ErrUnmapped},
		{"19 % after the cut", KeyOf("", 1900, 0), day(2021, 1, 1), accounts19, nil},
		{"7 % in the cut", KeyOf("", 700, 0), day(2020, 12, 31), Accounts{}, ErrUnmapped},
		{"16 % in the cut", KeyOf("", 1600, 0), day(2020, 8, 15), accounts16, nil},
		{"16 % in 2021", KeyOf("", 1600, 0), day(2021, 3, 1), Accounts{}, ErrUnmapped},
		{"16 % before the cut", KeyOf("", 1600, 0), day(2020, 6, 30), Accounts{}, ErrUnmapped},
		{"5 % on the last day", KeyOf("", 500, 0), day(2020, 12, 31), accounts5, nil},
		{"0 % domestic", KeyOf("", 0, 0), day(1999, 1, 1), accountsFree, nil},
		{"intra-EU supply", KeyOf("", 0, IntraEUSupply), day(2026, 1, 1), accountsIntra, nil},
		{"export", KeyOf("", 0, Export), day(2026, 1, 1), accountsExport, nil},
		{"exempt", KeyOf("", 0, Exempt), day(2026, 1, 1), accountsExempt, nil},
		{"OSS not configured", KeyOf("AT", 2000, OSS), day(2026, 1, 1), Accounts{}, ErrUnmapped},
		{"intra-EU supply with VAT", KeyOf("", 1900, IntraEUSupply), day(2026, 1, 1), Accounts{}, ErrInvalidKey},
		{"lower-case country", KeyOf("de", 1900, Domestic), day(2026, 1, 1), Accounts{}, ErrInvalidKey},
		{"domestic abroad", KeyOf("AT", 2000, Domestic), day(2026, 1, 1), Accounts{}, ErrInvalidKey},
		{"OSS at home", KeyOf("DE", 1900, OSS), day(2026, 1, 1), Accounts{}, ErrInvalidKey},
		{"OSS outside the EU", KeyOf("CH", 810, OSS), day(2026, 1, 1), Accounts{}, ErrInvalidKey},
		{"unknown treatment", KeyOf("", 1900, shopv1.TaxTreatment(42)), day(2026, 1, 1), Accounts{}, ErrInvalidKey},
		{"rate above 100 %", KeyOf("", 10001, 0), day(2026, 1, 1), Accounts{}, ErrInvalidKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Default().Supply(tc.key, tc.date)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("Supply(%s, %s) error = %v, want %v", tc.key, tc.date, err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Supply(%s, %s) (-want +got):\n%s", tc.key, tc.date, diff)
			}
		})
	}
}

func TestUnmappedErrorNamesKeyAndDate(t *testing.T) {
	t.Parallel()
	_, err := Default().Supply(KeyOf("", 1600, 0), day(2021, 3, 1))
	var ue *UnmappedError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v is not an *UnmappedError", err)
	}
	if want := "no accounts for (DE, 16.00 %, DOMESTIC) on 2021-03-01"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestCorrection(t *testing.T) {
	t.Parallel()
	with := func(a Accounts, key string) Accounts { a.TaxKey = key; return a }
	for _, tc := range []struct {
		name string
		key  Key
		date Date
		want Accounts
		err  error
	}{
		{"16 % credit note in 2021 keeps the 16 % accounts, DATEV key 5", KeyOf("", 1600, 0), day(2021, 3, 1), with(accounts16, "5"), nil},
		{"16 % discount inside the cut", KeyOf("", 1600, 0), day(2020, 9, 1), accounts16, nil},
		{"19 % credit note inside the cut, DATEV key 5", KeyOf("", 1900, 0), day(2020, 8, 1), with(accounts19, "5"), nil},
		{"7 % credit note inside the cut, DATEV key 4", KeyOf("", 700, 0), day(2020, 8, 1), with(accounts7, "4"), nil},
		{"19 % credit note later", KeyOf("", 1900, 0), day(2022, 1, 1), accounts19, nil},
		{"intra-EU has no other key", KeyOf("", 0, IntraEUSupply), day(2022, 1, 1), accountsIntra, nil},
		{"OSS never mapped", KeyOf("AT", 2000, OSS), day(2022, 1, 1), Accounts{}, ErrUnmapped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Default().Correction(tc.key, tc.date)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("Correction error = %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Correction (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTableOf(t *testing.T) {
	t.Parallel()
	table, err := TableOf([]Setting{
		{Country: "AT", RateBP: 2000, Treatment: "OSS", OutputVAT: "output-vat-oss-at", TaxKey: "240"},
		{Country: "FR", RateBP: 2000, Treatment: "OSS", From: "2022-01-01", To: "2022-12-31"},
		{RateBP: 1900, From: "2020-07-01", To: "2020-12-31", TaxKey: "5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	at := Accounts{revenueOSS, "output-vat-oss-at", discountFree, deductionOSS, badDebtFree, "240", ""}
	for _, tc := range []struct {
		name string
		key  Key
		date Date
		want Accounts
		err  error
	}{
		{"OSS before the one-stop shop began", KeyOf("AT", 2000, OSS), day(2021, 6, 30), Accounts{}, ErrUnmapped},
		{"OSS Austria", KeyOf("AT", 2000, OSS), day(2021, 7, 1), at, nil},
		{"OSS Austria at a rate not configured", KeyOf("AT", 1000, OSS), day(2022, 1, 1), Accounts{}, ErrUnmapped},
		{"OSS France in its window", KeyOf("FR", 2000, OSS), day(2022, 6, 1), accountsOSS, nil},
		{"OSS France after its window", KeyOf("FR", 2000, OSS), day(2023, 1, 1), Accounts{}, ErrUnmapped},
		{"19 % in the cut, overridden", KeyOf("", 1900, 0), day(2020, 8, 1), with19("5"), nil},
		{"19 % outside the cut, default", KeyOf("", 1900, 0), day(2024, 8, 1), accounts19, nil},
		{"defaults stay", KeyOf("", 1600, 0), day(2020, 8, 1), accounts16, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := table.Supply(tc.key, tc.date)
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("Supply error = %v, want %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Supply (-want +got):\n%s", diff)
			}
		})
	}
}

func with19(key string) Accounts {
	a := accounts19
	a.TaxKey, a.TaxKeyOutside = key, ""
	return a
}

func TestTableOfRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		settings []Setting
		want     string
	}{
		{"unknown treatment", []Setting{{Country: "AT", RateBP: 2000, Treatment: "FOREIGN"}}, "treatment"},
		{"OSS outside the EU", []Setting{{Country: "NO", RateBP: 2500, Treatment: "OSS"}}, "EU"},
		{"tax-free with a rate", []Setting{{RateBP: 700, Treatment: "EXPORT"}}, "rate must be 0"},
		{"a rate Germany does not have, without accounts", []Setting{{RateBP: 1000}}, "no revenue account"},
		{"bad date", []Setting{{Country: "AT", RateBP: 2000, Treatment: "OSS", From: "2021-13-01"}}, "from"},
		{"window backwards", []Setting{{Country: "AT", RateBP: 2000, Treatment: "OSS", From: "2022-01-01", To: "2021-12-31"}}, "before it starts"},
		{"overlapping rules", []Setting{
			{Country: "AT", RateBP: 2000, Treatment: "OSS", To: "2022-12-31"},
			{Country: "AT", RateBP: 2000, Treatment: "OSS", From: "2022-06-01"},
		}, "both map"},
		{"output VAT on a tax-free rule", []Setting{{Treatment: "EXEMPT", OutputVAT: "output-vat-19"}}, "output VAT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := TableOf(tc.settings)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("TableOf error = %v, want one naming %q", err, tc.want)
			}
		})
	}
	// A rate Germany does not have is fine once its accounts are named.
	if _, err := TableOf([]Setting{{RateBP: 1000, Revenue: "r", OutputVAT: "v", CashDiscount: "d", SalesDeduction: "s", BadDebt: "b"}}); err != nil {
		t.Errorf("TableOf with every account named: %v", err)
	}
}

func TestKeyCompactRoundTrip(t *testing.T) {
	t.Parallel()
	for _, k := range []Key{KeyOf("", 1900, 0), KeyOf("DE", 0, IntraEUSupply), KeyOf("AT", 2000, OSS)} {
		c, tr := k.Compact()
		if got := KeyOf(c, k.RateBP, tr); got != k {
			t.Errorf("KeyOf(Compact(%s)) = %s", k, got)
		}
	}
	if c, tr := KeyOf("DE", 1900, Domestic).Compact(); c != "" || tr != shopv1.TaxTreatment_TAX_TREATMENT_UNSPECIFIED {
		t.Errorf("a domestic German key compacts to %q/%v, want both empty", c, tr)
	}
}

func TestDefaultLogicals(t *testing.T) {
	t.Parallel()
	got := Default().Logicals()
	for _, want := range []string{"revenue-19", "output-vat-16", "revenue-intra-eu-supply", "sales-deduction-exempt"} {
		found := false
		for _, l := range got {
			found = found || l == want
		}
		if !found {
			t.Errorf("Logicals() = %v, lacks %s", got, want)
		}
	}
}

func TestKeysWithTaxKey(t *testing.T) {
	t.Parallel()
	home := func(bp int32, tr Treatment) Key { return KeyOf("", bp, tr) }
	for _, tc := range []struct {
		taxKey string
		date   Date
		want   []Key
	}{
		{"3", day(2026, 1, 1), []Key{home(1900, Domestic)}},
		{"2", day(2026, 1, 1), []Key{home(700, Domestic)}},
		{"3", day(2020, 8, 1), []Key{home(1600, Domestic)}},
		{"2", day(2020, 12, 31), []Key{home(500, Domestic)}},
		{"5", day(2026, 1, 1), []Key{home(1600, Domestic)}},
		{"5", day(2020, 8, 1), []Key{home(1900, Domestic)}},
		{"4", day(2020, 8, 1), []Key{home(700, Domestic)}},
		{"1", day(2026, 1, 1), []Key{home(0, IntraEUSupply), home(0, Export)}},
		{"", day(2026, 1, 1), nil},
		{"99", day(2026, 1, 1), nil},
	} {
		got := Default().KeysWithTaxKey(tc.taxKey, tc.date)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("key %q on %s (-want +got):\n%s", tc.taxKey, tc.date, diff)
		}
	}
}
