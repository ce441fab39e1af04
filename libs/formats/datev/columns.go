package datev

// column is one column of the Buchungsstapel format version 13.
type column struct {
	// name is the column name written on line 2.
	name string
	// text marks text columns: always written in double quotes, also when
	// empty ("").
	text bool
}

// columnsV13 are the 125 columns of Buchungsstapel format version 13, in
// order. Columns 1 to 124 and which of them are text are taken from DATEV's
// own format-version-12 sample (testdata/EXTF_Buchungsstapel_v700-fv12_DATEV-sample.csv,
// from developer.datev.de sample data): names exactly as DATEV writes them,
// text where the sample quotes the column in every line. A column the sample
// quotes in some lines only (Zinssperre, Funktionsergänzung L+L,
// Beteiligtennummer) is numeric, as DATEV's field descriptions say. Version
// 13 adds column 125 "Abw. Skontokonto" (a deviating discount account,
// digits); this is how several independent v13 writers list it, since the
// DATEV portal page itself could not be consulted here.
var columnsV13 = [...]column{
	{"Umsatz (ohne Soll/Haben-Kz)", false},    // 1
	{"Soll/Haben-Kennzeichen", true},          // 2
	{"WKZ Umsatz", true},                      // 3
	{"Kurs", false},                           // 4
	{"Basis-Umsatz", false},                   // 5
	{"WKZ Basis-Umsatz", true},                // 6
	{"Konto", false},                          // 7
	{"Gegenkonto (ohne BU-Schlüssel)", false}, // 8
	{"BU-Schlüssel", true},                    // 9
	{"Belegdatum", false},                     // 10
	{"Belegfeld 1", true},                     // 11
	{"Belegfeld 2", true},                     // 12
	{"Skonto", false},                         // 13
	{"Buchungstext", true},                    // 14
	{"Postensperre", false},                   // 15
	{"Diverse Adressnummer", true},            // 16
	{"Geschäftspartnerbank", false},           // 17
	{"Sachverhalt", false},                    // 18
	{"Zinssperre", false},                     // 19
	{"Beleglink", true},                       // 20
	{"Beleginfo - Art 1", true},               // 21
	{"Beleginfo - Inhalt 1", true},            // 22
	{"Beleginfo - Art 2", true},               // 23
	{"Beleginfo - Inhalt 2", true},            // 24
	{"Beleginfo - Art 3", true},               // 25
	{"Beleginfo - Inhalt 3", true},            // 26
	{"Beleginfo - Art 4", true},               // 27
	{"Beleginfo - Inhalt 4", true},            // 28
	{"Beleginfo - Art 5", true},               // 29
	{"Beleginfo - Inhalt 5", true},            // 30
	{"Beleginfo - Art 6", true},               // 31
	{"Beleginfo - Inhalt 6", true},            // 32
	{"Beleginfo - Art 7", true},               // 33
	{"Beleginfo - Inhalt 7", true},            // 34
	{"Beleginfo - Art 8", true},               // 35
	{"Beleginfo - Inhalt 8", true},            // 36
	{"KOST1 - Kostenstelle", true},            // 37
	{"KOST2 - Kostenstelle", true},            // 38
	{"Kost-Menge", false},                     // 39
	{"EU-Land u. UStID (Bestimmung)", true},   // 40
	{"EU-Steuersatz (Bestimmung)", false},     // 41
	{"Abw. Versteuerungsart", true},           // 42
	{"Sachverhalt L+L", false},                // 43
	{"Funktionsergänzung L+L", false},         // 44
	{"BU 49 Hauptfunktionstyp", false},        // 45
	{"BU 49 Hauptfunktionsnummer", false},     // 46
	{"BU 49 Funktionsergänzung", false},       // 47
	{"Zusatzinformation - Art 1", true},       // 48
	{"Zusatzinformation- Inhalt 1", true},     // 49
	{"Zusatzinformation - Art 2", true},       // 50
	{"Zusatzinformation- Inhalt 2", true},     // 51
	{"Zusatzinformation - Art 3", true},       // 52
	{"Zusatzinformation- Inhalt 3", true},     // 53
	{"Zusatzinformation - Art 4", true},       // 54
	{"Zusatzinformation- Inhalt 4", true},     // 55
	{"Zusatzinformation - Art 5", true},       // 56
	{"Zusatzinformation- Inhalt 5", true},     // 57
	{"Zusatzinformation - Art 6", true},       // 58
	{"Zusatzinformation- Inhalt 6", true},     // 59
	{"Zusatzinformation - Art 7", true},       // 60
	{"Zusatzinformation- Inhalt 7", true},     // 61
	{"Zusatzinformation - Art 8", true},       // 62
	{"Zusatzinformation- Inhalt 8", true},     // 63
	{"Zusatzinformation - Art 9", true},       // 64
	{"Zusatzinformation- Inhalt 9", true},     // 65
	{"Zusatzinformation - Art 10", true},      // 66
	{"Zusatzinformation- Inhalt 10", true},    // 67
	{"Zusatzinformation - Art 11", true},      // 68
	{"Zusatzinformation- Inhalt 11", true},    // 69
	{"Zusatzinformation - Art 12", true},      // 70
	{"Zusatzinformation- Inhalt 12", true},    // 71
	{"Zusatzinformation - Art 13", true},      // 72
	{"Zusatzinformation- Inhalt 13", true},    // 73
	{"Zusatzinformation - Art 14", true},      // 74
	{"Zusatzinformation- Inhalt 14", true},    // 75
	{"Zusatzinformation - Art 15", true},      // 76
	{"Zusatzinformation- Inhalt 15", true},    // 77
	{"Zusatzinformation - Art 16", true},      // 78
	{"Zusatzinformation- Inhalt 16", true},    // 79
	{"Zusatzinformation - Art 17", true},      // 80
	{"Zusatzinformation- Inhalt 17", true},    // 81
	{"Zusatzinformation - Art 18", true},      // 82
	{"Zusatzinformation- Inhalt 18", true},    // 83
	{"Zusatzinformation - Art 19", true},      // 84
	{"Zusatzinformation- Inhalt 19", true},    // 85
	{"Zusatzinformation - Art 20", true},      // 86
	{"Zusatzinformation- Inhalt 20", true},    // 87
	{"Stück", false},                          // 88
	{"Gewicht", false},                        // 89
	{"Zahlweise", false},                      // 90
	{"Forderungsart", true},                   // 91
	{"Veranlagungsjahr", false},               // 92
	{"Zugeordnete Fälligkeit", false},         // 93
	{"Skontotyp", false},                      // 94
	{"Auftragsnummer", true},                  // 95
	{"Buchungstyp", true},                     // 96
	{"USt-Schlüssel (Anzahlungen)", false},    // 97
	{"EU-Land (Anzahlungen)", true},           // 98
	{"Sachverhalt L+L (Anzahlungen)", false},  // 99
	{"EU-Steuersatz (Anzahlungen)", false},    // 100
	{"Erlöskonto (Anzahlungen)", false},       // 101
	{"Herkunft-Kz", true},                     // 102
	{"Buchungs GUID", true},                   // 103
	{"KOST-Datum", false},                     // 104
	{"SEPA-Mandatsreferenz", true},            // 105
	{"Skontosperre", false},                   // 106
	{"Gesellschaftername", true},              // 107
	{"Beteiligtennummer", false},              // 108
	{"Identifikationsnummer", true},           // 109
	{"Zeichnernummer", true},                  // 110
	{"Postensperre bis", false},               // 111
	{"Bezeichnung SoBil-Sachverhalt", true},   // 112
	{"Kennzeichen SoBil-Buchung", false},      // 113
	{"Festschreibung", false},                 // 114
	{"Leistungsdatum", false},                 // 115
	{"Datum Zuord. Steuerperiode", false},     // 116
	{"Fälligkeit", false},                     // 117
	{"Generalumkehr (GU)", true},              // 118
	{"Steuersatz", false},                     // 119
	{"Land", true},                            // 120
	{"Abrechnungsreferenz", true},             // 121
	{"BVV-Position", false},                   // 122
	{"EU-Land u. UStID (Ursprung)", true},     // 123
	{"EU-Steuersatz (Ursprung)", false},       // 124
	{"Abw. Skontokonto", false},               // 125
}

// Positions (0-based) of the columns the writer fills.
const (
	colAmount          = 0
	colDebitCredit     = 1
	colCurrency        = 2
	colRate            = 3
	colBaseAmount      = 4
	colBaseCurrency    = 5
	colAccount         = 6
	colContraAccount   = 7
	colTaxKey          = 8
	colDocumentDate    = 9
	colDocumentField1  = 10
	colDocumentField2  = 11
	colDiscount        = 12
	colText            = 13
	colCostCenter1     = 36
	colCostCenter2     = 37
	colSEPAMandate     = 104
	colLocked          = 113
	colServiceDate     = 114
	colDueDate         = 116
	colGeneralReversal = 117
)
