// Package datev reads DATEV EXTF files and writes Buchungsstapel (booking
// batch) files for import into DATEV.
//
// # Reading
//
// Reader streams an EXTF file one record at a time. Line 1 is the header
// (Header), line 2 the column names, records follow from line 3. Booking
// columns are found by name, never by position, because the column count
// depends on the format version (the DATEV sample of format version 12 has
// 124 columns, version 13 has 125). Files of other categories (16
// Debitoren/Kreditoren, 20 Kontenbeschriftungen, 46 Zahlungsbedingungen, …)
// are read too: their header is parsed, their records can be counted with
// NextRecord, and a warning says that they are no booking batch.
//
// CSV rules: fields are separated by ';', lines end with CR LF (LF alone is
// accepted with a warning), text is quoted with a doubled quote standing for
// one quote, numbers use a decimal comma. A record never spans lines. The
// reader is tolerant of one real-world quirk: inside quoted text, a quote
// that is neither doubled nor followed by ';' or the end of the line is read
// as a literal quote, with a warning. DATEV's own sample needs this: its
// Buchungstext `" "Normalabschr. immater. VermG" "` reads as
// ` "Normalabschr. immater. VermG" `.
//
// Encoding: a UTF-8 byte order mark means UTF-8. Without one, the first line
// that has a byte above 0x7F decides: UTF-8 if that line is valid UTF-8,
// Windows-1252 (which reads ISO-8859-1 text the same) otherwise.
//
// Amounts (Umsatz, Basis-Umsatz, Skonto) are int64 hundredths of the
// currency unit, because DATEV writes every amount with two decimals (the
// reader also accepts none or one, as the DATEV sample writes "64083"); an
// amount with more than two decimals, a sign or a thousands separator is an
// error. Dates are kept as written (Belegdatum TTMM, Leistungsdatum
// TTMMJJJJ, header dates YYYYMMDD).
//
// # Writing
//
// Writer writes a Buchungsstapel of format version 13 under header version
// 700, for which no DATEV installation is at hand to try an import. It
// therefore enforces every rule below and refuses a value that breaks one
// with a *FieldError naming the booking and the field (nothing of that
// booking is written; nothing is ever replaced by '?' or cut short):
//
//   - Layout: line 1 the header ("EXTF";700;21;"Buchungsstapel";13;… with
//     31 fields, laid out like DATEV's official version-13 example), line 2
//     the 125 column names of version 13, then one line per booking with all
//     125 fields. Columns 1 to 124 and their names are those of DATEV's
//     version-12 sample; version 13 adds column 125 "Abw. Skontokonto" (the
//     DATEV developer portal's Buchungsstapel page could not be read here;
//     the addition is what independent v13 writers agree on). The writer
//     leaves "Abw. Skontokonto" empty.
//   - Encoding Windows-1252, every line ended by CR LF. A character that
//     Windows-1252 cannot hold is an error.
//   - Text fields (those DATEV's sample quotes) are always in double quotes,
//     also when empty; a quote inside text is doubled. Numeric fields are
//     never quoted and empty when unset. No text may contain a control
//     character (U+0000-U+001F, U+007F-U+009F), so no line breaks.
//   - Umsatz: positive, at most 10 digits before the decimal comma, always
//     two decimals ("5950,00"); the direction is Soll/Haben-Kennzeichen "S"
//     or "H", nothing else.
//   - WKZ Umsatz: empty (the header's WKZ) or three capital letters.
//   - Kurs, Basis-Umsatz and WKZ Basis-Umsatz come together or not at all.
//     Kurs follows DATEV's ^[1-9]\d{0,3},\d{2,6}$, except that a rate below
//     1 such as "0,830000" is allowed because DATEV's own sample has one;
//     the writer writes Kurs as given.
//   - Konto and Gegenkonto: digits only, not all zeros, at most the header's
//     Sachkontenlänge plus one digit (personal accounts, Debitoren and
//     Kreditoren, are one digit longer than G/L accounts).
//   - BU-Schlüssel: empty or 1 to 4 digits, written as given. DATEV's
//     current regex asks for exactly four digits in quotes, but its own
//     sample writes "3", "40", "501" and "6501"; zero-padding could change a
//     key's meaning, so the writer does not pad.
//   - Belegdatum: TTMM (day, then month, no year), a real day (29 February
//     allowed) that falls within the header's period "Datum vom" to "Datum
//     bis".
//   - Belegfeld 1: at most 36 characters from digits, A-Z, a-z and
//     $ & % * + - /. Source: the character set is the one our brief quotes
//     from DATEV's field description, and an independent DATEV writer
//     (found by code search) checks the same set; 36 is the length DATEV's
//     pages give for invoice numbers (the ledermann/datev gem still says
//     12). Not verified against DATEV's own page, which could not be read
//     here. Open-item matching in DATEV compares Belegfeld 1 exactly, so it
//     is never altered. Belegfeld 2: the same characters, at most 12 (an
//     assumption: DATEV's length for it, the character set by analogy).
//   - Skonto: empty (0) or positive with at most 8 digits before the comma.
//   - Buchungstext at most 60 characters; KOST1 and KOST2 at most 36;
//     SEPA-Mandatsreferenz at most 35. Leistungsdatum and Fälligkeit are
//     TTMMJJJJ dates or empty.
//   - Festschreibung (column 114) is written as the header's Festschreibung,
//     0 or 1, never empty (an empty value also locks the batch in DATEV);
//     Generalumkehr is "0" or "1".
//   - Header: Beraternummer 1001 to 9999999, Mandantennummer 1 to 99999,
//     WJ-Beginn a date, Sachkontenlänge 4 to 8, a period that lies within
//     the fiscal year starting at WJ-Beginn, "Erzeugt am"
//     YYYYMMDDHHMMSSmmm, Herkunft two letters or digits, Diktatkürzel one or
//     two letters, Buchungstyp 1 or 2, Rechnungslegungszweck 0, 30, 40, 50
//     or 64, WKZ three capital letters, SKR empty or two digits, Bezeichnung
//     at most 30 characters, "Exportiert von" at most 25 (an assumption),
//     Anwendungsinformation at most 16.
//
// Every rule has a test, and the tests read each written file back with
// Reader (round trip).
//
// # Debtor master data
//
// DebtorWriter writes a Debitoren/Kreditoren file (format category 16,
// format version 5 under header version 700) with the 254 column names of
// DATEV's own version-5 sample, Windows-1252 and CR LF like the
// Buchungsstapel; its header has no period, booking type, currency or lock.
// Each Debtor is one personal account: Konto exactly the Sachkontenlänge
// plus one digit, names by Adressattyp, address, VAT id, first bank
// account, customer number and language, each checked against DATEV's
// field lengths (those the ledermann/datev gem quotes) and values. Reader
// reads such a file with NextDebtor, finding the columns by name (DATEV's
// and the gem's spellings).
package datev
