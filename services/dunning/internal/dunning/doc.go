// Package dunning is the dunning engine: it decides, for one debtor and one
// day, which of the debtor's open items reach which dunning level, what the
// notice lists, which fees and default interest the law allows, which items
// are released to collections, and why. It is pure: the date is always a
// parameter, nothing is read from a clock, a database or the network, and
// the same configuration, base rates and input give the same decision, so
// a run can be replayed (Simulate) and explained afterwards.
//
// The legal numbers (the base rate of §247 BGB and its history, the
// surcharges of §288 (1) and (2) BGB, the lump sum of §288 (5) BGB, the
// limitation periods of §§195, 199 BGB) are data in legal.json, embedded
// with their sources; the code holds none of them.
package dunning
