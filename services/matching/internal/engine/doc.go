// Package engine is the matching service's domain: for each incoming
// payment it finds the debtor and the open items it pays, decides how sure
// it is, and says why in one line a clerk understands. It imports no
// storage or transport and reads no clock: every date comes with the
// payment or the item. The service runs it on live events and `o2c match`
// on files (package offline), with the same code and configuration.
//
// # State
//
// An Engine holds one tenant's open items, debtors and what it learned from
// confirmed payments and from its own automatic decisions for named items
// (Decision.Learned), indexed by debtor, by every normalised spelling of
// the items' numbers (document number, order id, payment reference), by
// payer IBAN, mandate, customer number, name token and open amount, so that
// the work per payment does not grow with the number of items. Match
// changes nothing; Apply books a decision: an automatic (or, in the
// service, a person's confirmed) decision consumes the open amounts it
// allocates, an automatic one teaches its payer fact, and every decided
// payment is remembered for a later return. Payments must be matched and
// applied in the order they are booked.
//
// # Evidence and score
//
// A decision weighs three kinds of evidence into a score of 0-100:
//
//   - what the texts name: invoice and order numbers in the remittance,
//     end-to-end id and creditor references, in whatever spelling payers and
//     banks produce (prefix, year or leading zeros left out or added,
//     separators, bank keywords, dates glued on, a text cut at 27, 35 or 140
//     characters, one digit mistyped when the amount agrees), RF (ISO 11649)
//     and Swiss QR references with their check digits;
//   - who pays: the payer IBAN from master data or learned from confirmed
//     payments, the SEPA mandate, a customer number in the text, or the
//     payer's name (case, umlauts, diacritics, legal forms, word order,
//     initials and spouses do not matter; a company paying for a person is
//     a weak signal only);
//   - how the amount fits: exactly, with a cash discount in its period,
//     within the tolerance as bank fee, rounding or FX difference, as a
//     written-off underpayment, as an overpayment kept as credit, or as a
//     partial payment leaving the rest open.
//
// Sets of several items come from the numbers the text names and from a
// bounded subset search over the debtor's open items; a payment naming an
// item paid already is kept as credit; a return finds the payment it undoes;
// a marketplace payout pays the settlement it names or whose items total
// it. A decision is automatic only when its score reaches the tenant's
// threshold and no other set of items fits about as well: where several
// fit equally it is proposed, with up to four alternatives. Of several
// items of the payment's amount, a known payer's payment naming none is
// booked to the one due on its date only when the others are not due yet
// (§366 BGB); otherwise the earliest due is proposed first. When the payer
// is known but no set of its items fits, readings are proposed for a
// person: the payment applied by §366 BGB (due first, the last in part),
// single items overpaid or paid in part, a cash discount deducted too late.
//
// # Money
//
// Amounts are int64 minor units of the payment's currency; every decision
// with allocations has allocations plus difference equal to the payment's
// amount, and every allocation fits what is open on its item when it is
// made. Sums are overflow-checked (package money).
package engine
