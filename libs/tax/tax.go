// Package tax holds o2c's VAT rules: which tax treatments a tenant can book,
// and on which accounts. Ingestion and the ledger both ask it, so what
// ingestion accepts the ledger can book: an invoice line whose treatment the
// tenant's table does not map is rejected at ingestion with the reason,
// never accepted and dropped later.
//
// # Keys and dates
//
// A supply is keyed by (country, rate, treatment): the country whose VAT law
// taxes or exempts it (Home, "DE", for everything declared in the German VAT
// return; the member state of consumption for an OSS sale), the VAT rate in
// basis points and the Treatment. A Rule maps a key to logical accounts and
// a DATEV tax key for supplies dated inside its window. The date is the
// supply date; o2c takes the invoice's issue date for it, since shops do not
// send a separate delivery date.
//
// The Default table is the German one of the SKR03/SKR04 charts: 19 % and 7 %
// outside 2020-07-01..2020-12-31, 16 % and 5 % inside it (the rates of the
// temporary cut; 19 %/7 % were not the rates of a supply made then, so they
// are rejected for it, and 16 %/5 % are rejected before and after), 0 % as a
// domestic line without VAT, and 0 % intra-EU supply, export and exempt
// supply at any date. OSS keys exist only where a tenant's settings add them.
//
// Corrections (credit notes, cash discounts, write-offs, recoveries) refer
// to an earlier supply and are dated later: Correction finds the rule of the
// key valid at their date, else the rule of the key nearest to it, so a
// credit note of 2021 on a 16 % sale of 2020 books onto the 16 % accounts.
//
// The package is pure: no I/O, no clock.
package tax

import (
	"errors"
	"fmt"
	"strings"
	"time"

	shopv1 "github.com/o2c-platform/o2c/proto/o2c/shop/v1"
)

// Home is the country of every tenant's books: o2c keeps German books on
// DATEV charts. An empty tax country means Home.
const Home = "DE"

// Treatment is how VAT applies to a supply; it is the shop contract's enum.
// TAX_TREATMENT_UNSPECIFIED means TAX_TREATMENT_DOMESTIC.
type Treatment = shopv1.TaxTreatment

// The treatments, for short.
const (
	Domestic      = shopv1.TaxTreatment_TAX_TREATMENT_DOMESTIC
	IntraEUSupply = shopv1.TaxTreatment_TAX_TREATMENT_INTRA_EU_SUPPLY
	Export        = shopv1.TaxTreatment_TAX_TREATMENT_EXPORT
	Exempt        = shopv1.TaxTreatment_TAX_TREATMENT_EXEMPT
	OSS           = shopv1.TaxTreatment_TAX_TREATMENT_OSS
)

// ErrUnmapped means a key has no rule in the table: on the supply date
// (Supply) or on any date (Correction). The wrapped *UnmappedError names the
// key and date.
var ErrUnmapped = errors.New("tax treatment is not mapped")

// UnmappedError is the typed form of ErrUnmapped.
type UnmappedError struct {
	Key  Key
	Date Date
	// AnyDate is set when no rule of the key exists at all (a correction);
	// else the key has no rule valid on Date.
	AnyDate bool
}

func (e *UnmappedError) Error() string {
	if e.AnyDate {
		return fmt.Sprintf("no accounts for %s on any date", e.Key)
	}
	return fmt.Sprintf("no accounts for %s on %s", e.Key, e.Date)
}

// Is makes errors.Is(err, ErrUnmapped) true.
func (e *UnmappedError) Is(target error) bool { return target == ErrUnmapped }

// ErrInvalidKey means a key cannot be a tax treatment at all: a country that
// is not two upper-case letters, a rate outside 0-100 %, an unknown
// treatment, a tax-free treatment with a rate, or an OSS key outside the EU.
var ErrInvalidKey = errors.New("invalid tax key")

// Key identifies a tax treatment: country, rate in basis points (1900 is
// 19 %) and treatment. Make keys with KeyOf, which fills the defaults, so
// that equal treatments are equal keys.
type Key struct {
	Country   string
	RateBP    int32
	Treatment Treatment
}

// KeyOf returns the key of a line or VAT amount as the contracts carry it:
// an empty country means Home, an unspecified treatment Domestic. Nothing
// else is changed ("de" stays "de" and is not a key of any table).
func KeyOf(country string, rateBP int32, t Treatment) Key {
	if country == "" {
		country = Home
	}
	if t == shopv1.TaxTreatment_TAX_TREATMENT_UNSPECIFIED {
		t = Domestic
	}
	return Key{Country: country, RateBP: rateBP, Treatment: t}
}

// Compact returns the key as the contracts write it: Home as an empty
// country and Domestic as unspecified, so that a domestic German VAT amount
// is encoded exactly as before the fields existed.
func (k Key) Compact() (country string, t Treatment) {
	country, t = k.Country, k.Treatment
	if country == Home {
		country = ""
	}
	if t == Domestic {
		t = shopv1.TaxTreatment_TAX_TREATMENT_UNSPECIFIED
	}
	return country, t
}

// String formats k as "(DE, 16.00 %, DOMESTIC)".
func (k Key) String() string {
	return fmt.Sprintf("(%s, %s, %s)", k.Country, FormatRate(k.RateBP), TreatmentName(k.Treatment))
}

// FormatRate formats a rate in basis points as "16.00 %".
func FormatRate(bp int32) string {
	sign := ""
	v := int64(bp)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d %%", sign, v/100, v%100)
}

// TreatmentName returns the treatment's name without the enum prefix
// ("INTRA_EU_SUPPLY"), or its number when the enum does not know it.
func TreatmentName(t Treatment) string {
	if _, ok := shopv1.TaxTreatment_name[int32(t)]; !ok {
		return fmt.Sprintf("treatment %d", int32(t))
	}
	return strings.TrimPrefix(t.String(), "TAX_TREATMENT_")
}

// ParseTreatment parses a treatment name as TreatmentName writes it
// ("DOMESTIC", "OSS", ...).
func ParseTreatment(s string) (Treatment, error) {
	v, ok := shopv1.TaxTreatment_value["TAX_TREATMENT_"+s]
	if !ok || v == 0 {
		return 0, fmt.Errorf("%w: treatment %q: want DOMESTIC, INTRA_EU_SUPPLY, EXPORT, EXEMPT or OSS", ErrInvalidKey, s)
	}
	return Treatment(v), nil
}

// euMembers are the EU member states by ISO 3166-1 alpha-2 code (Greece is
// GR here, EL in VAT numbers), the countries an OSS sale can be taxed in.
var euMembers = map[string]bool{
	"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DE": true, "DK": true, "EE": true, "ES": true,
	"FI": true, "FR": true, "GR": true, "HR": true, "HU": true, "IE": true, "IT": true, "LT": true, "LU": true,
	"LV": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SE": true, "SI": true, "SK": true,
}

// Check returns ErrInvalidKey (wrapped) unless k is a possible tax
// treatment: an upper-case two-letter country, a rate of 0-100 %, a known
// treatment; Home for everything but OSS; rate 0 for intra-EU supplies,
// exports and exempt supplies; another EU member state and a rate above 0
// for OSS. A key that passes may still be unmapped.
func (k Key) Check() error {
	c := k.Country
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return fmt.Errorf("%w: country %q is not an upper-case ISO 3166-1 alpha-2 code", ErrInvalidKey, c)
	}
	if k.RateBP < 0 || k.RateBP > 10000 {
		return fmt.Errorf("%w: rate %d bp is outside 0-10000", ErrInvalidKey, k.RateBP)
	}
	switch k.Treatment {
	case Domestic:
		if c != Home {
			return fmt.Errorf("%w: a domestic supply is taxed in %s, not %s", ErrInvalidKey, Home, c)
		}
	case IntraEUSupply, Export, Exempt:
		if c != Home {
			return fmt.Errorf("%w: %s is a supply declared in %s, not %s", ErrInvalidKey, TreatmentName(k.Treatment), Home, c)
		}
		if k.RateBP != 0 {
			return fmt.Errorf("%w: %s is tax free, rate must be 0, not %s", ErrInvalidKey, TreatmentName(k.Treatment), FormatRate(k.RateBP))
		}
	case OSS:
		if c == Home || !euMembers[c] {
			return fmt.Errorf("%w: an OSS sale is taxed in another EU member state, not %s", ErrInvalidKey, c)
		}
		if k.RateBP == 0 {
			return fmt.Errorf("%w: an OSS sale carries the VAT of %s, rate must be above 0", ErrInvalidKey, c)
		}
	default:
		return fmt.Errorf("%w: unknown %s", ErrInvalidKey, TreatmentName(k.Treatment))
	}
	return nil
}

// Date is a calendar date, the supply date a rule applies to.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether d is the zero Date (an open window end).
func (d Date) IsZero() bool { return d == Date{} }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	a, b := d.Year*10000+int(d.Month)*100+d.Day, e.Year*10000+int(e.Month)*100+e.Day
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Valid reports whether d is a real calendar date in the years 1-9999, the
// range every o2c date (ingestion's and the ledger's) can hold.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 {
		return false
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// days returns d as a day number, for distances between dates.
func (d Date) days() int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
}
