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
package datev
