package books

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// ErrInvariant means the books break one of the ledger's invariants: an
// entry does not balance, the trial balance does not balance, a debtor's
// open items differ from the personal account, or the control account
// differs from the sum of personal accounts. Any such breach is a bug or a
// corrupt read model, never a user error.
var ErrInvariant = errors.New("ledger invariant broken")

// Balance is the balance of one account in one currency (debit positive).
type Balance struct {
	Account  string
	Currency string
	Minor    int64
}

// DebtorBalance is the balance of one debtor's personal account in one
// currency.
type DebtorBalance struct {
	DebtorID string
	Currency string
	Minor    int64
}

// CheckEntry checks that e has at least two legs and balances per currency.
func CheckEntry(e Entry) error {
	if len(e.Legs) < 2 {
		return fmt.Errorf("%w: entry %s has %d legs", ErrInvariant, e.ID, len(e.Legs))
	}
	sums := map[string]int64{}
	for _, g := range e.Legs {
		sums[g.Currency] += g.Minor
	}
	for _, cur := range sortedKeys(sums) {
		if sums[cur] != 0 {
			return fmt.Errorf("%w: entry %s: %s legs sum to %d", ErrInvariant, e.ID, cur, sums[cur])
		}
	}
	return nil
}

// TrialBalance returns the balance of every account per currency over
// entries, ordered by account and currency.
func TrialBalance(entries []Entry) []Balance {
	sums := map[[2]string]int64{}
	for _, e := range entries {
		for _, g := range e.Legs {
			sums[[2]string{g.Account, g.Currency}] += g.Minor
		}
	}
	out := make([]Balance, 0, len(sums))
	for k, v := range sums {
		out = append(out, Balance{Account: k[0], Currency: k[1], Minor: v})
	}
	slices.SortFunc(out, func(a, b Balance) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Currency, b.Currency))
	})
	return out
}

// CheckTrialBalance checks that account balances sum to zero per currency.
func CheckTrialBalance(balances []Balance) error {
	sums := map[string]int64{}
	for _, b := range balances {
		sums[b.Currency] += b.Minor
	}
	for _, cur := range sortedKeys(sums) {
		if sums[cur] != 0 {
			return fmt.Errorf("%w: trial balance in %s is off by %d", ErrInvariant, cur, sums[cur])
		}
	}
	return nil
}

// DebtorBalances returns the balance of every debtor's personal account per
// currency over entries (legs that carry a debtor id), ordered by debtor and
// currency.
func DebtorBalances(entries []Entry) []DebtorBalance {
	sums := map[[2]string]int64{}
	for _, e := range entries {
		for _, g := range e.Legs {
			if g.DebtorID != "" {
				sums[[2]string{g.DebtorID, g.Currency}] += g.Minor
			}
		}
	}
	return debtorBalances(sums)
}

// OpenItemBalances returns the sum of open amounts per debtor and currency.
func OpenItemBalances(items []OpenItem) []DebtorBalance {
	sums := map[[2]string]int64{}
	for i := range items {
		sums[[2]string{items[i].DebtorID, items[i].Currency}] += items[i].Open()
	}
	return debtorBalances(sums)
}

func debtorBalances(sums map[[2]string]int64) []DebtorBalance {
	out := make([]DebtorBalance, 0, len(sums))
	for k, v := range sums {
		if v != 0 {
			out = append(out, DebtorBalance{DebtorID: k[0], Currency: k[1], Minor: v})
		}
	}
	slices.SortFunc(out, func(a, b DebtorBalance) int {
		return cmp.Or(cmp.Compare(a.DebtorID, b.DebtorID), cmp.Compare(a.Currency, b.Currency))
	})
	return out
}

// CheckOpenItems checks that, per debtor and currency, the open items sum
// to the personal account balance. Zero balances may be left out of either
// side.
func CheckOpenItems(accounts, openItems []DebtorBalance) error {
	want := map[[2]string]int64{}
	for _, b := range accounts {
		want[[2]string{b.DebtorID, b.Currency}] += b.Minor
	}
	for _, b := range openItems {
		want[[2]string{b.DebtorID, b.Currency}] -= b.Minor
	}
	for _, k := range sortedPairs(want) {
		if d := want[k]; d != 0 {
			return fmt.Errorf("%w: debtor %s %s: personal account exceeds open items by %d", ErrInvariant, k[0], k[1], d)
		}
	}
	return nil
}

// CheckControlAccount checks that the receivables control account balance
// per currency (control, as a read model reports it) equals the sum of the
// debtor personal accounts.
func CheckControlAccount(control []Balance, personal []DebtorBalance) error {
	diff := map[string]int64{}
	for _, b := range control {
		diff[b.Currency] += b.Minor
	}
	for _, b := range personal {
		diff[b.Currency] -= b.Minor
	}
	for _, cur := range sortedKeys(diff) {
		if diff[cur] != 0 {
			return fmt.Errorf("%w: control account in %s differs from the personal accounts by %d", ErrInvariant, cur, diff[cur])
		}
	}
	return nil
}

// ControlAccount rolls the personal accounts up into the control account
// (number account) per currency: the DATEV view, in which personal accounts
// are subledger accounts and only the control account is in the G/L.
func ControlAccount(account string, personal []DebtorBalance) []Balance {
	sums := map[string]int64{}
	for _, b := range personal {
		sums[b.Currency] += b.Minor
	}
	out := make([]Balance, 0, len(sums))
	for _, cur := range sortedKeys(sums) {
		out = append(out, Balance{Account: account, Currency: cur, Minor: sums[cur]})
	}
	return out
}

// Check runs every invariant over the books: each entry balances, the trial
// balance balances, and per debtor and currency the open items equal the
// personal account.
func (l *Ledger) Check() error {
	entries := l.Entries()
	var errs []error
	for _, e := range entries {
		if err := CheckEntry(e); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, CheckTrialBalance(TrialBalance(entries)))
	personal := DebtorBalances(entries)
	errs = append(errs, CheckOpenItems(personal, OpenItemBalances(l.Items())))
	errs = append(errs, l.checkSums())
	return errors.Join(errs...)
}

// checkSums compares the running sums of the debtors' open items with the
// items' open amounts summed anew.
func (l *Ledger) checkSums() error {
	want := map[string]*openSums{}
	for id, it := range l.items {
		key := customerKey(it.DebtorID, it.Currency)
		if want[key] == nil {
			want[key] = &openSums{}
		}
		want[key].count(it, l.openAmt[id], 1)
	}
	var errs []error
	for key, s := range l.sums {
		w := want[key]
		if w == nil {
			w = &openSums{}
		}
		if *s != *w {
			errs = append(errs, fmt.Errorf("%w: open item sums of %q are %+v, the items sum to %+v", ErrInvariant, key, *s, *w))
		}
		delete(want, key)
	}
	for key, w := range want {
		if *w != (openSums{}) {
			errs = append(errs, fmt.Errorf("%w: open item sums of %q missing, the items sum to %+v", ErrInvariant, key, *w))
		}
	}
	return errors.Join(errs...)
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedPairs(m map[[2]string]int64) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	return keys
}
