// Package sepa is the SEPA part of matching: direct-debit mandates,
// collection runs and payouts of credit balances, as pure decisions.
//
// A mandate comes from the shop's customer master data or from an
// operator. Its next collection is FRST until a collection under it was
// booked (the statement showed it), then RCUR; OOFF for a one-off mandate.
// It expires 36 months after its last use (or signature, unused). An
// amendment (new IBAN, new reference) is carried into the next collection
// and cleared once that was submitted. A return with a code that says the
// account or mandate is gone (ReturnReasons) makes it unusable.
//
// A collection run (PlanRun) works on a day: an open direct-debit item
// with a usable mandate, not blocked, is pre-notified first, for a
// collection date at least the pre-notification period away, on or after
// its due date and the submission lead time; a later run, once the lead
// time before that date is reached, submits it in a pain.008 file per
// creditor account, scheme and collection date. An item with a submitted
// or booked debit is never collected again; a returned one is collected
// again under a new attempt and end-to-end id. Nothing is booked when a
// file is written.
//
// A payout run (PlanPayouts) releases a debtor's credit balance when the
// tenant's rules hold: threshold, age, no open receivable, no block, an
// IBAN on file.
//
// The bank answers a file with status reports (pain.002) before
// settlement (PlanStatus, Runner.ImportStatusReport): a rejected
// collection never shows on a statement, so the report is the only word
// of it. A rejected debit becomes Rejected and its item is collected
// again by the next run, a rejected payout frees its credit items for the
// next payout run; a reason code that makes a return's mandate unusable
// makes it so here too. Nothing is booked: no money moved. Acceptances
// are recorded on the debit. A report is applied once per its message id.
//
// Runner ties the decisions to storage (Store) and the output directory:
// it writes the pain files and the pre-notification texts, and books the
// payouts the statements showed through a Ledger. Registry tells the
// engine the end-to-end ids of the debits submitted, so a receipt with one
// clears its item with full confidence.
//
// Dates are calendar days at midnight UTC (Day); business days are TARGET
// days. Amounts are euro cents.
package sepa
