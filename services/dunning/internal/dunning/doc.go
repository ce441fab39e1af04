// Package dunning is the dunning engine: it decides, for one debtor and one
// day, which of the debtor's open items reach which dunning level, what the
// notice lists, which fees and default interest the law allows, which items
// are released to collections, and why. It is pure: the date is always a
// parameter, nothing is read from a clock, a database or the network, and
// the same configuration, base rates and input give the same decision, so
// a run can be replayed (Simulate) and explained afterwards.
//
// The legal numbers (the base rate of §247 BGB and its history, the
// surcharges of §288 (1) and (2) BGB, the lump sum of §288 (5) BGB, the 30
// days of §286 (3) BGB, the limitation periods of §§195, 199, 203 BGB) are
// data in legal.json, embedded with their sources; the code holds none of
// them. The defaults a tenant gets without a dunning section are
// defaults.json, read by ParseConfig like a tenant's own.
//
// Fees, lump sums and interest leave the engine as charges, one per kind
// and claim, which the service books as open items of the claim (the
// ledger's AssessCharge, without VAT). The ledger allocates a partial
// payment without instructions by §§366, 367 BGB when the tenant's
// allocation_order is "bgb" (the default): within a claim costs first,
// then interest, then the principal (books.sortForAllocation). Interest is
// charged with each notice that charges it, up to the notice's date, on the
// principal open then; a part payment between two notices lowers the
// principal for the whole next period, which charges less than the law
// allows, never more.
package dunning
