package datev

// debtorColumnsV5 are the 254 columns of Debitoren/Kreditoren (format
// category 16) format version 5, in order: names exactly as DATEV's own
// sample writes them (testdata/EXTF_DebKred_Stamm_v700-fv5_DATEV-sample.csv),
// text where that sample quotes the column. A column the sample leaves
// empty in every line (the validity dates of banks 6 to 10, Diverse-Konto,
// Ausgabeziel, the dunning texts, Verknüpftes OPOS-Konto, the dunning
// periods) is numeric, as the field descriptions of the ledermann/datev gem
// say (numbers, flags and dates TTMMJJJJ).
var debtorColumnsV5 = [...]column{
	{"Konto", false},                                             // 1
	{"Name (Adressattyp Unternehmen)", true},                     // 2
	{"Unternehmensgegenstand", true},                             // 3
	{"Name (Adressattyp natürl. Person)", true},                  // 4
	{"Vorname (Adressattyp natürl. Person)", true},               // 5
	{"Name (Adressattyp keine Angabe)", true},                    // 6
	{"Adressattyp", true},                                        // 7
	{"Kurzbezeichnung", true},                                    // 8
	{"EU-Land", true},                                            // 9
	{"EU-UStID", true},                                           // 10
	{"Anrede", true},                                             // 11
	{"Titel/Akad. Grad", true},                                   // 12
	{"Adelstitel", true},                                         // 13
	{"Namensvorsatz", true},                                      // 14
	{"Adressart", true},                                          // 15
	{"Straße", true},                                             // 16
	{"Postfach", true},                                           // 17
	{"Postleitzahl", true},                                       // 18
	{"Ort", true},                                                // 19
	{"Land", true},                                               // 20
	{"Versandzusatz", true},                                      // 21
	{"Adresszusatz", true},                                       // 22
	{"Abweichende Anrede", true},                                 // 23
	{"Abw. Zustellbezeichnung 1", true},                          // 24
	{"Abw. Zustellbezeichnung 2", true},                          // 25
	{"Kennz. Korrespondenzadresse", false},                       // 26
	{"Adresse Gültig von", false},                                // 27
	{"Adresse Gültig bis", false},                                // 28
	{"Telefon", true},                                            // 29
	{"Bemerkung (Telefon)", true},                                // 30
	{"Telefon GL", true},                                         // 31
	{"Bemerkung (Telefon GL)", true},                             // 32
	{"E-Mail", true},                                             // 33
	{"Bemerkung (E-Mail)", true},                                 // 34
	{"Internet", true},                                           // 35
	{"Bemerkung (Internet)", true},                               // 36
	{"Fax", true},                                                // 37
	{"Bemerkung (Fax)", true},                                    // 38
	{"Sonstige", true},                                           // 39
	{"Bemerkung (Sonstige)", true},                               // 40
	{"Bankleitzahl 1", true},                                     // 41
	{"Bankbezeichnung 1", true},                                  // 42
	{"Bank-Kontonummer 1", true},                                 // 43
	{"Länderkennzeichen 1", true},                                // 44
	{"IBAN-Nr. 1", true},                                         // 45
	{"Leerfeld", true},                                           // 46
	{"SWIFT-Code 1", true},                                       // 47
	{"Abw. Kontoinhaber 1", true},                                // 48
	{"Kennz. Hauptbankverb. 1", true},                            // 49
	{"Bankverb 1 Gültig von", false},                             // 50
	{"Bankverb 1 Gültig bis", false},                             // 51
	{"Bankleitzahl 2", true},                                     // 52
	{"Bankbezeichnung 2", true},                                  // 53
	{"Bank-Kontonummer 2", true},                                 // 54
	{"Länderkennzeichen 2", true},                                // 55
	{"IBAN-Nr. 2", true},                                         // 56
	{"Leerfeld", true},                                           // 57
	{"SWIFT-Code 2", true},                                       // 58
	{"Abw. Kontoinhaber 2", true},                                // 59
	{"Kennz. Hauptbankverb. 2", true},                            // 60
	{"Bankverb 2 Gültig von", false},                             // 61
	{"Bankverb 2 Gültig bis", false},                             // 62
	{"Bankleitzahl 3", true},                                     // 63
	{"Bankbezeichnung 3", true},                                  // 64
	{"Bank-Kontonummer 3", true},                                 // 65
	{"Länderkennzeichen 3", true},                                // 66
	{"IBAN-Nr. 3", true},                                         // 67
	{"Leerfeld", true},                                           // 68
	{"SWIFT-Code 3", true},                                       // 69
	{"Abw. Kontoinhaber 3", true},                                // 70
	{"Kennz. Hauptbankverb. 3", true},                            // 71
	{"Bankverb 3 Gültig von", false},                             // 72
	{"Bankverb 3 Gültig bis", false},                             // 73
	{"Bankleitzahl 4", true},                                     // 74
	{"Bankbezeichnung 4", true},                                  // 75
	{"Bank-Kontonummer 4", true},                                 // 76
	{"Länderkennzeichen 4", true},                                // 77
	{"IBAN-Nr. 4", true},                                         // 78
	{"Leerfeld", true},                                           // 79
	{"SWIFT-Code 4", true},                                       // 80
	{"Abw. Kontoinhaber 4", true},                                // 81
	{"Kennz. Hauptbankverb. 4", true},                            // 82
	{"Bankverb 4 Gültig von", false},                             // 83
	{"Bankverb 4 Gültig bis", false},                             // 84
	{"Bankleitzahl 5", true},                                     // 85
	{"Bankbezeichnung 5", true},                                  // 86
	{"Bank-Kontonummer 5", true},                                 // 87
	{"Länderkennzeichen 5", true},                                // 88
	{"IBAN-Nr. 5", true},                                         // 89
	{"Leerfeld", true},                                           // 90
	{"SWIFT-Code 5", true},                                       // 91
	{"Abw. Kontoinhaber 5", true},                                // 92
	{"Kennz. Hauptbankverb. 5", true},                            // 93
	{"Bankverb 5 Gültig von", false},                             // 94
	{"Bankverb 5 Gültig bis", false},                             // 95
	{"Leerfeld", true},                                           // 96
	{"Briefanrede", true},                                        // 97
	{"Grußformel", true},                                         // 98
	{"Kunden-/Lief.-Nr.", true},                                  // 99
	{"Steuernummer", true},                                       // 100
	{"Sprache", true},                                            // 101
	{"Ansprechpartner", true},                                    // 102
	{"Vertreter", true},                                          // 103
	{"Sachbearbeiter", true},                                     // 104
	{"Diverse-Konto", false},                                     // 105
	{"Ausgabeziel", false},                                       // 106
	{"Währungssteuerung", true},                                  // 107
	{"Kreditlimit (Debitor)", false},                             // 108
	{"Zahlungsbedingung", false},                                 // 109
	{"Fälligkeit in Tagen (Debitor)", false},                     // 110
	{"Skonto in Prozent (Debitor)", false},                       // 111
	{"Kreditoren-Ziel 1 Tg.", false},                             // 112
	{"Kreditoren-Skonto 1 %", false},                             // 113
	{"Kreditoren-Ziel 2 Tg.", false},                             // 114
	{"Kreditoren-Skonto 2 %", false},                             // 115
	{"Kreditoren-Ziel 3 Brutto Tg.", false},                      // 116
	{"Kreditoren-Ziel 4 Tg.", false},                             // 117
	{"Kreditoren-Skonto 4 %", false},                             // 118
	{"Kreditoren-Ziel 5 Tg.", false},                             // 119
	{"Kreditoren-Skonto 5 %", false},                             // 120
	{"Mahnung", false},                                           // 121
	{"Kontoauszug", false},                                       // 122
	{"Mahntext 1", false},                                        // 123
	{"Mahntext 2", false},                                        // 124
	{"Mahntext 3", false},                                        // 125
	{"Kontoauszugstext", false},                                  // 126
	{"Mahnlimit Betrag", false},                                  // 127
	{"Mahnlimit %", false},                                       // 128
	{"Zinsberechnung", false},                                    // 129
	{"Mahnzinssatz 1", false},                                    // 130
	{"Mahnzinssatz 2", false},                                    // 131
	{"Mahnzinssatz 3", false},                                    // 132
	{"Lastschrift", true},                                        // 133
	{"Leerfeld", true},                                           // 134
	{"Mandantenbank", false},                                     // 135
	{"Zahlungsträger", true},                                     // 136
	{"Indiv. Feld 1", true},                                      // 137
	{"Indiv. Feld 2", true},                                      // 138
	{"Indiv. Feld 3", true},                                      // 139
	{"Indiv. Feld 4", true},                                      // 140
	{"Indiv. Feld 5", true},                                      // 141
	{"Indiv. Feld 6", true},                                      // 142
	{"Indiv. Feld 7", true},                                      // 143
	{"Indiv. Feld 8", true},                                      // 144
	{"Indiv. Feld 9", true},                                      // 145
	{"Indiv. Feld 10", true},                                     // 146
	{"Indiv. Feld 11", true},                                     // 147
	{"Indiv. Feld 12", true},                                     // 148
	{"Indiv. Feld 13", true},                                     // 149
	{"Indiv. Feld 14", true},                                     // 150
	{"Indiv. Feld 15", true},                                     // 151
	{"Abweichende Anrede (Rechnungsadresse)", true},              // 152
	{"Adressart (Rechnungsadresse)", true},                       // 153
	{"Straße (Rechnungsadresse)", true},                          // 154
	{"Postfach (Rechnungsadresse)", true},                        // 155
	{"Postleitzahl (Rechnungsadresse)", true},                    // 156
	{"Ort (Rechnungsadresse)", true},                             // 157
	{"Land (Rechnungsadresse)", true},                            // 158
	{"Versandzusatz (Rechnungsadresse)", true},                   // 159
	{"Adresszusatz (Rechnungsadresse)", true},                    // 160
	{"Abw. Zustellbezeichnung 1 (Rechnungsadresse)", true},       // 161
	{"Abw. Zustellbezeichnung 2 (Rechnungsadresse)", true},       // 162
	{"Adresse Gültig von (Rechnungsadresse)", false},             // 163
	{"Adresse Gültig bis (Rechnungsadresse)", false},             // 164
	{"Bankleitzahl 6", true},                                     // 165
	{"Bankbezeichnung 6", true},                                  // 166
	{"Bank-Kontonummer 6", true},                                 // 167
	{"Länderkennzeichen 6", true},                                // 168
	{"IBAN-Nr. 6", true},                                         // 169
	{"Leerfeld", true},                                           // 170
	{"SWIFT-Code 6", true},                                       // 171
	{"Abw. Kontoinhaber 6", true},                                // 172
	{"Kennz. Hauptbankverb. 6", true},                            // 173
	{"Bankverb 6 Gültig von", false},                             // 174
	{"Bankverb 6 Gültig bis", false},                             // 175
	{"Bankleitzahl 7", true},                                     // 176
	{"Bankbezeichnung 7", true},                                  // 177
	{"Bank-Kontonummer 7", true},                                 // 178
	{"Länderkennzeichen 7", true},                                // 179
	{"IBAN-Nr. 7", true},                                         // 180
	{"Leerfeld", true},                                           // 181
	{"SWIFT-Code 7", true},                                       // 182
	{"Abw. Kontoinhaber 7", true},                                // 183
	{"Kennz. Hauptbankverb. 7", true},                            // 184
	{"Bankverb 7 Gültig von", false},                             // 185
	{"Bankverb 7 Gültig bis", false},                             // 186
	{"Bankleitzahl 8", true},                                     // 187
	{"Bankbezeichnung 8", true},                                  // 188
	{"Bank-Kontonummer 8", true},                                 // 189
	{"Länderkennzeichen 8", true},                                // 190
	{"IBAN-Nr. 8", true},                                         // 191
	{"Leerfeld", true},                                           // 192
	{"SWIFT-Code 8", true},                                       // 193
	{"Abw. Kontoinhaber 8", true},                                // 194
	{"Kennz. Hauptbankverb. 8", true},                            // 195
	{"Bankverb 8 Gültig von", false},                             // 196
	{"Bankverb 8 Gültig bis", false},                             // 197
	{"Bankleitzahl 9", true},                                     // 198
	{"Bankbezeichnung 9", true},                                  // 199
	{"Bank-Kontonummer 9", true},                                 // 200
	{"Länderkennzeichen 9", true},                                // 201
	{"IBAN-Nr. 9", true},                                         // 202
	{"Leerfeld", true},                                           // 203
	{"SWIFT-Code 9", true},                                       // 204
	{"Abw. Kontoinhaber 9", true},                                // 205
	{"Kennz. Hauptbankverb. 9", true},                            // 206
	{"Bankverb 9 Gültig von", false},                             // 207
	{"Bankverb 9 Gültig bis", false},                             // 208
	{"Bankleitzahl 10", true},                                    // 209
	{"Bankbezeichnung 10", true},                                 // 210
	{"Bank-Kontonummer 10", true},                                // 211
	{"Länderkennzeichen 10", true},                               // 212
	{"IBAN-Nr. 10", true},                                        // 213
	{"Leerfeld", true},                                           // 214
	{"SWIFT-Code 10", true},                                      // 215
	{"Abw. Kontoinhaber 10", true},                               // 216
	{"Kennz. Hauptbankverb. 10", true},                           // 217
	{"Bankverb 10 Gültig von", false},                            // 218
	{"Bankverb 10 Gültig bis", false},                            // 219
	{"Nummer Fremdsystem", true},                                 // 220
	{"Insolvent", false},                                         // 221
	{"SEPA-Mandatsreferenz 1", true},                             // 222
	{"SEPA-Mandatsreferenz 2", true},                             // 223
	{"SEPA-Mandatsreferenz 3", true},                             // 224
	{"SEPA-Mandatsreferenz 4", true},                             // 225
	{"SEPA-Mandatsreferenz 5", true},                             // 226
	{"SEPA-Mandatsreferenz 6", true},                             // 227
	{"SEPA-Mandatsreferenz 7", true},                             // 228
	{"SEPA-Mandatsreferenz 8", true},                             // 229
	{"SEPA-Mandatsreferenz 9", true},                             // 230
	{"SEPA-Mandatsreferenz 10", true},                            // 231
	{"Verknüpftes OPOS-Konto", false},                            // 232
	{"Mahnsperre bis", false},                                    // 233
	{"Lastschriftsperre bis", false},                             // 234
	{"Zahlungssperre bis", false},                                // 235
	{"Gebührenberechnung", false},                                // 236
	{"Mahngebühr 1", false},                                      // 237
	{"Mahngebühr 2", false},                                      // 238
	{"Mahngebühr 3", false},                                      // 239
	{"Pauschalenberechnung", false},                              // 240
	{"Verzugspauschale 1", false},                                // 241
	{"Verzugspauschale 2", false},                                // 242
	{"Verzugspauschale 3", false},                                // 243
	{"Alternativer Suchname", true},                              // 244
	{"Status", false},                                            // 245
	{"Anschrift manuell geändert (Korrespondenzadresse)", false}, // 246
	{"Anschrift individuell (Korrespondenzadresse)", true},       // 247
	{"Anschrift manuell geändert (Rechnungsadresse)", false},     // 248
	{"Anschrift individuell (Rechnungsadresse)", true},           // 249
	{"Fristberechnung bei Debitor", false},                       // 250
	{"Mahnfrist 1", false},                                       // 251
	{"Mahnfrist 2", false},                                       // 252
	{"Mahnfrist 3", false},                                       // 253
	{"Letzte Frist", false},                                      // 254
}
