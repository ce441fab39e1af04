// Package collections is the collections service's domain: what happens to
// receivables dunning could not recover once they are handed to a
// collection agency (Inkasso). It holds no storage and no transport: its
// functions take a case's state (folded from the case's events) and a
// command, and return the events to store and the ledger commands to send
// with them, or an error; time comes in as a parameter.
//
// A case is one release of one debtor's items to one agency. Its lifecycle:
//
//	released + submitted -> accepted -> (status, payments, questions,
//	                                     direct payments, recalls)* -> closed
//	                     -> rejected
//	                     -> recalled (a whole recall the agency confirmed)
//
// Release eligibility (Eligible): an item must be open, not in another
// case, free of blocks and disputes and not time-barred, and the case's
// total must reach the tenant's minimum. The agency is chosen by the
// tenant's rules (Config.Choose): country, amount, customer group, age
// and, among the agencies that fit, a share per agency.
//
// Money is int64 minor units of the case's one currency. A payment the
// agency reports clears the case's items in the order of §367 BGB: costs
// first, then interest, then principal, each by due date (Allocate). Costs
// and interest the agency charged the debtor beyond the case's items are
// income without VAT; the agency's fees and commission are an expense with
// input VAT, netted in the agency's clearing account. What is still open
// when an agency closes a case as uncollectable is written off (the
// ledger corrects output VAT per the item's rates, §17 UStG); money the
// agency reports afterwards is booked as a recovery of it.
//
// Every write of an agency carries an idempotency key the agency chose and
// the hash of its content: the same key with the same content again
// decides nothing (the caller answers with the case as it is), the same key
// with other content is ErrIdempotencyConflict.
package collections
