// Package intake imports bank files (camt.052/053/054, MT940, MT942) and
// Amazon settlement reports: it reads them with the parsers of
// libs/formats, decides what is new, and emits each bank transaction,
// statement and settlement report once as a normalized event
// (proto/o2c/ingestion/v1/bank.proto). The gRPC ImportService and the
// drop folder both call Importer.Import.
//
// # A file is read twice
//
// The first pass (ScanFile) parses the whole file in constant memory and
// checks every statement's account against the tenant's bank.accounts (a
// German "BLZ/Kontonummer" as its IBAN, see StatementAccount). A
// file that fails to parse, or names an account that is not configured or
// is in another currency, is rejected whole with the parser's error and
// position (or the account and statement), and nothing from it is emitted.
// The second pass reads it again and emits what is new, in batches of
// transactions (Importer.BatchSize), each batch committed on its own
// (Store.Commit). A crash between batches leaves the earlier batches
// stored; importing the file again finds them by their keys, so every
// transaction is emitted exactly once. A crash inside a commit, after its
// events and before its rows, leaves events the keys do not find: the
// retry appends them again, the event store answers a replay, and the
// retry counts them as duplicates, as it does those found by their keys
// (Counts, and the statement's new_count). A file whose SHA-256 the tenant
// imported before is answered DuplicateFile without being read.
//
// While it runs, an import reports its progress (Request.Progress): the
// phase, the entries read and what was emitted so far.
//
// # Which transaction books
//
// Every transaction gets a BankTransactionReceived; its books field says
// whether the ledger books it.
//
//   - A booked transaction (status BOOK) of a final statement (camt.053,
//     MT940) or an intraday report (camt.052, MT942) books.
//   - A camt.054 notification never books: the camt.053 entry it details
//     books, because the statement is what the bank balance is reconciled
//     against. The notification's transactions carry that entry's
//     transaction id in detail_of when the statement arrived first;
//     otherwise a BankNotificationLinked follows when it arrives. They are
//     linked by the entry's bank reference (AcctSvcrRef), else by the
//     entry's amount, booking date and entry reference; a notification
//     with neither stays unlinked.
//   - Pending and information-only transactions (PDNG, INFO) do not book.
//
// # Exactly once, by the right key
//
//   - The same file twice: nothing the second time (by SHA-256).
//   - Final statements: a transaction is found again by its position, the
//     statement (account, id, sequence and date: the closing balance's,
//     else the opening balance's, else the creation date; banks write the
//     same :20: and :28C: every day) with the entry and transaction index,
//     so a statement sent again in another encoding or version books
//     nothing.
//   - Intraday reports and final statements: by the parsers' fingerprints
//     with counts. For each account and fingerprint the n-th occurrence in
//     a file is new only when fewer than n bookings with that fingerprint
//     were stored before the import (new = max(0, count in the file -
//     count stored)). The same booking in a camt.052 and the camt.053 is
//     emitted once, under one transaction id (derived from the
//     fingerprint and its occurrence); two identical bookings in one
//     statement both are. Only bookings that book are counted, so a
//     pending intraday entry does not hide its booking in the statement.
//   - Transactions that do not book: by their position.
//   - Settlement reports: by settlement id (and marketplace), whether they
//     come as a file or later through the Reports API.
//
// BankStatementReceived lists, in order, the transaction ids a statement
// books, new ones and those booked before (under the id they were booked
// with), up to MaxStatementIDs; with its count and sum the ledger
// reconciles the statement's closing balance.
//
// # Memory
//
// The import holds one batch of transactions, one small value per
// statement and settlement of the file, and one counter per distinct
// booking of the file (account and a 16-byte fingerprint, two uint32s):
// about 40 bytes per transaction, some 20 MB for a 100 MB camt.053.
//
// # Personal data
//
// Counterparty names, IBANs and BICs go into ingestion's master data
// (Store.Commit's counterparties); the events carry only the
// counterparty's id (CounterpartyID), derived from the tenant and the
// normalized IBAN, else the normalized name.
//
// Settlement reports are emitted as one SettlementReportReceived header
// followed by SettlementLinesReceived events of LinesPerEvent lines each: a
// report of 100,000 lines would not fit one message.
package intake
