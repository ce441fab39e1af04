package dunning

// Debtor is the customer master data a decision needs.
type Debtor struct {
	ID string
	// Kind is "b2c" (consumer, §13 BGB) or "b2b" (business, §14 BGB).
	Kind     string
	Group    string
	Language string
	Channel  string
}

// Item is an open item of the debtor as the ledger classified it.
type Item struct {
	ID, Debtor, Claim string
	// Component is "principal", "fee" (costs), "interest" or "credit" (a
	// credit balance, negative): only principal bears interest and reaches
	// levels on its own; fees and interest are listed with their claim;
	// credits are never dunned.
	Component string
	Currency  string
	// Amount is the item's original amount, Open what is still owed.
	Amount, Open                        int64
	DocumentDate, DueDate, DeliveryDate Date
	// ConsumerDefaultNotice says the invoice pointed the consumer to the
	// 30-day rule of §286 (3) BGB.
	ConsumerDefaultNotice bool
	// Marketplace is the marketplace that collects the item, "" for the
	// merchant's own: marketplace items are never dunned.
	Marketplace string
	// Dunnable is the ledger's classification (OpenItemClassified).
	Dunnable bool
	// PartPayments and Acknowledgements restart limitation (§212 BGB).
	PartPayments, Acknowledgements []Date
	// SuspendedFrom[i] to SuspendedTo[i] are periods of negotiation or
	// court dunning that suspend limitation (§§203, 204 BGB); a zero To is
	// still running.
	SuspendedFrom, SuspendedTo []Date
	// Reopened says a payment of the item was returned (a returned direct
	// debit): it goes back to the level it had.
	Reopened bool
	// Refused, when set, is the day the debtor seriously and finally
	// refused to pay: default from then without a reminder (§286 (2)
	// Nr. 3 BGB).
	Refused Date
}

// Block is a dunning block (Mahnsperre) on a debtor (Item "") or an item.
type Block struct {
	ID, Debtor, Item string
	// Reason is "dispute", "promise-to-pay", "marketplace", "insolvency",
	// "customer-service" or "deceased".
	Reason, SetBy, Source string
	// Set is the day it was set; Expires, when not zero, the last day it
	// holds.
	Set, Expires Date
	Lifted       bool
}

// State is what earlier decisions left for a debtor.
type State struct {
	// Levels maps an item to the level of its last notice.
	Levels map[string]int
	// LastNotice is the date of the debtor's last notice.
	LastNotice Date
	// LumpSumCharged records the claims charged the §288 (5) lump sum.
	LumpSumCharged map[string]bool
	// DefaultSince maps an item to the fact of its default.
	DefaultSince map[string]DefaultFact
	// InterestUntil maps an item to the last day interest was charged.
	InterestUntil map[string]Date
	// Released records the items released to collections.
	Released map[string]bool
	// Ended says the procedure ended because the debtor settled everything.
	Ended bool
	// Suspended maps an item settled or reopened to the level it had.
	Suspended map[string]int
}

// DefaultFact is when and why an item went into default.
type DefaultFact struct {
	Item string
	Date Date
	// Basis is "reminder", "calendar", "30-day" or "refusal".
	Basis string
}

// Input is everything one decision for one debtor on one date needs.
type Input struct {
	Debtor Debtor
	Items  []Item
	Blocks []Block
	State  State
	Date   Date
}

// Decision is what the engine decided for one debtor on one date, with the
// inputs and rules that led to it.
type Decision struct {
	Debtor       string
	Date         Date
	Procedure    string
	Version      int
	Level        int
	Notice       *Notice
	Charges      []Charge
	Released     []string
	Skipped      []Skip
	LiftedBlocks []string
	Defaults     []DefaultFact
	Warnings     []string
	Rules        []string
	// Settled lists items that had a level and are no longer open: Apply
	// keeps their level for a reopening (returned debit).
	Settled []string
	// Ended says the debtor owes nothing any more: the procedure ends.
	Ended bool
}

// Notice is a reminder to send.
type Notice struct {
	Level    int
	Template string
	Items    []NoticeItem
	Fees     []Charge
	Interest []InterestPart
	Total    int64
	Currency string
}

// NoticeItem is an item a notice lists.
type NoticeItem struct {
	Item        string
	Open        int64
	DaysOverdue int
	Level       int
	Default     *DefaultFact
}

// Charge is a fee, interest or lump sum to book in the ledger as an open
// item of its own.
type Charge struct {
	// Kind is "fee", "interest" or "lump-sum".
	Kind   string
	Claim  string
	Amount int64
	// Key is the idempotency key, stable for debtor, date, claim and kind;
	// the service prefixes the tenant.
	Key string
}

// Skip says why an item was not dunned.
type Skip struct {
	Item string
	// Reason is "blocked:<reason>" (a block's reason), "credit" (a credit
	// balance, owed to the debtor), "no-due-date" (neither a due date nor
	// a document date), "marketplace",
	// "not-dunnable", "currency" (not the tenant's), "released" (with
	// collections already), "time-barred", "final-level" (at the last
	// level already), "not-due" (before the due date and the first
	// level), "level-not-reached" (the next level's day is still ahead),
	// "interval" (too soon after the last notice, or noticed today) or
	// "below-minimum" (the notice's open amount or share is too small).
	Reason string
}
