// Package refund is the domain of marketplace refund import: which
// refunds a page of Amazon's Finances API or a settlement report holds,
// and what becomes of each.
//
// A refund is one order item's refund, guarantee claim (A-to-z),
// chargeback or reversal, identified by its key: the adjustment id (the
// item's OrderAdjustmentItemId in the Finances API, the adjustment-id of
// the settlement report), the order id and the item (its SKU, else its
// order item id). Its amount is what the buyer got back: the components
// creditnote.Buyer counts as the buyer's money (principal, tax, shipping,
// gift wrap, promotions); fees (commission, refund commission) are booked
// by matching with the payout as Fee legs and never by a credit note.
//
// Decide says what happens to a refund given what is known about it
// (Situation): a refund seen before is a duplicate; one for an order the
// ledger has not opened (and classified) yet waits; one the shop already
// credited with a credit note of the same amount is linked to it; one that
// would credit more than the order's item was invoiced (per open item:
// the ledger keeps one item per invoice, not per order line) is held for
// review with the reason; every other one is booked with the credit note
// libs/creditnote builds, the same command matching sends for the same
// refund in a settlement report, so the ledger books it once. A reversal
// (the marketplace taking a refund back) reverses the refund's credit note
// with a ledger ReverseEntry, and waits while that credit note is not
// booked yet.
//
// CreditedAgain finds the opposite order: a shop credit note that credits
// an order after its refund was booked. The ledger books both (the shop's
// credit note is a document of the shop's and cannot be refused), so the
// order is credited twice; refund import flags the booked refund with the
// shop's credit note (logged, counted and listed) for a person to undo
// one of the two.
//
// Review decides a held refund on a person's word: booked with the same
// credit note, or dismissed (Linked without a credit note, so nothing is
// booked and the refund stays open on the order's item with the
// marketplace's debtor). A refund seen again after its review is a
// duplicate like any other.
//
// Windows plans the PostedAfter/PostedBefore windows of an import: from
// the overlap before where the last import of the seller account got to.
package refund
