package sepa

// sepaCountries are the countries and territories whose IBANs belong to the
// SEPA schemes (EPC "List of countries and territories in the SEPA schemes'
// geographical scope", 2025): the EEA, and Switzerland, the United Kingdom,
// Monaco, San Marino, the Vatican, Andorra, Gibraltar, Albania, Moldova,
// Montenegro and North Macedonia. Territories with the IBANs of their
// state (the French overseas departments, Jersey, Guernsey, the Isle of
// Man, the Åland Islands) are covered by that state's code.
var sepaCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true,
	"EE": true, "FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true,
	"IT": true, "LV": true, "LT": true, "LU": true, "MT": true, "NL": true, "PL": true,
	"PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
	"IS": true, "LI": true, "NO": true,
	"CH": true, "GB": true, "MC": true, "SM": true, "VA": true, "AD": true, "GI": true,
	"AL": true, "MD": true, "ME": true, "MK": true,
}

// eeaCountries are the members of the European Economic Area: the 27 EU
// member states, Iceland, Liechtenstein and Norway.
var eeaCountries = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true,
	"EE": true, "FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IE": true,
	"IT": true, "LV": true, "LT": true, "LU": true, "MT": true, "NL": true, "PL": true,
	"PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
	"IS": true, "LI": true, "NO": true,
}

// InSEPA reports whether accounts of country (the first two letters of an
// IBAN) can be debited and credited under the SEPA schemes.
func InSEPA(country string) bool { return sepaCountries[country] }

// InEEA reports whether country is in the European Economic Area. A SEPA
// payment with an account outside it must carry the payer's address (and,
// for a direct debit, the debtor's), as the EPC rulebooks require since
// the Funds Transfer Regulation.
func InEEA(country string) bool { return eeaCountries[country] }
