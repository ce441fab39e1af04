// Package sepa checks and normalizes what SEPA payment files carry beyond
// their XML schema: IBANs (ISO 13616, with the length the IBAN registry
// gives each country), BICs (ISO 9362), SEPA creditor identifiers, the
// EPC's basic Latin character set with a transliteration of what falls
// outside it, and message identifications.
//
// The package is pure: it imports neither storage nor transport, so domain
// packages may use it.
package sepa
