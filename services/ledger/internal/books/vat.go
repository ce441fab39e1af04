package books

import (
	"github.com/o2c-platform/o2c/libs/tax"
	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// vatOf returns the VAT part of v with the given net and tax, its key in
// compact form (see VAT).
func vatOf(v *ledgerv1.VatAmount, net, tx int64) VAT {
	country, t := tax.KeyOf(v.GetTaxCountry(), v.GetRateBp(), v.GetTaxTreatment()).Compact()
	return VAT{RateBP: v.GetRateBp(), Net: net, Tax: tx, Country: country, Treatment: t}
}

// Key returns the full tax key of v.
func (v VAT) Key() tax.Key { return tax.KeyOf(v.Country, v.RateBP, v.Treatment) }

// proto returns v as the contracts carry it.
func (v VAT) proto(cur string) *ledgerv1.VatAmount {
	return &ledgerv1.VatAmount{
		RateBp: v.RateBP, Net: &commonv1.Money{MinorUnits: v.Net, Currency: cur}, Vat: &commonv1.Money{MinorUnits: v.Tax, Currency: cur},
		TaxCountry: v.Country, TaxTreatment: v.Treatment,
	}
}

// suppliedOn returns the check of vatLines for an invoice dated d: every
// key must be mapped for a supply on d.
func (b *batch) suppliedOn(d Date) func(VAT) error {
	return func(v VAT) error {
		_, err := b.chart().supply(v.Key(), d)
		return err
	}
}

// correctedOn returns the check of vatLines for a correction or a taken-over
// item dated d: every key must be mapped on some date.
func (b *batch) correctedOn(d Date) func(VAT) error {
	return func(v VAT) error {
		_, err := b.chart().correction(v.Key(), d)
		return err
	}
}
