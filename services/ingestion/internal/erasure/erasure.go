// Package erasure decides whether a debtor's personal data may be erased
// (GDPR Art. 17) and when the statutory retention of the debtor's booking
// documents ends. It is pure: the caller supplies the debtor's open items,
// the date of its last invoice and now.
//
// Personal data (name, e-mail, VAT id, address) lives only in ingestion's
// master data, never in the event store: events name a debtor by
// (tenant, debtor id). Erasing therefore overwrites the master data row and
// leaves every event, and so every hash chain, untouched.
//
// The retention rule, as facts:
//   - §147 Abs. 1 Nr. 1, 4 and Abs. 3 AO: books, records and invoices are
//     kept for 10 years; booking vouchers (Nr. 4) for 8 years since the
//     Bürokratieentlastungsgesetz IV (from 1 January 2025); commercial and
//     business letters (Nr. 2, 3) for 6 years.
//   - §257 Abs. 4 HGB: the same periods under commercial law.
//   - §147 Abs. 4 AO and §257 Abs. 5 HGB: the period begins at the end of
//     the calendar year in which the document was issued.
//   - Art. 17 Abs. 3 lit. b DSGVO (GDPR): the right to erasure does not
//     apply while a legal obligation requires the processing.
//
// The rule applied is the longest of these, which covers the invoices the
// debtor received: retention ends RetentionYears after the end of the
// calendar year of the debtor's last invoice, so the data may be erased from
// 1 January of the year after that.
package erasure

import (
	"fmt"
	"time"
)

// RetentionYears is the statutory retention period for invoices and books
// (§147 Abs. 3 AO, §257 Abs. 4 HGB), counted from the end of the calendar
// year of the document.
const RetentionYears = 10

// RetentionEnds returns the last day (UTC midnight) of the retention period
// of an invoice issued on lastInvoice: 31 December of the year
// RetentionYears after its year. The zero time (no invoice) retains
// nothing and returns the zero time.
func RetentionEnds(lastInvoice time.Time) time.Time {
	if lastInvoice.IsZero() {
		return time.Time{}
	}
	return time.Date(lastInvoice.Year()+RetentionYears, time.December, 31, 0, 0, 0, 0, time.UTC)
}

// Facts are what the decision to erase a debtor depends on.
type Facts struct {
	// OpenItems is the number of the debtor's open items in the ledger.
	OpenItems int
	// LastInvoice is the issue date of the debtor's last invoice; the zero
	// time when it has none.
	LastInvoice time.Time
}

// Check returns nil when a debtor with facts may be erased at now, an
// *OpenItemsError while it has open items, and a *RetentionError while
// the retention period of its last invoice runs.
func Check(now time.Time, f Facts) error {
	if f.OpenItems > 0 {
		return &OpenItemsError{Count: f.OpenItems}
	}
	if ends := RetentionEnds(f.LastInvoice); !ends.IsZero() {
		y, m, d := now.UTC().Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		if !today.After(ends) {
			return &RetentionError{LastInvoice: f.LastInvoice, Ends: ends}
		}
	}
	return nil
}

// OpenItemsError says how many open items keep a debtor from being erased.
type OpenItemsError struct {
	// Count is the number of open items (at least 1).
	Count int
}

func (e *OpenItemsError) Error() string {
	return fmt.Sprintf("debtor has %d open item(s); settle, credit or write them off first", e.Count)
}

// Is makes errors.Is(err, ErrOpenItems) true for an *OpenItemsError.
func (e *OpenItemsError) Is(target error) bool { return target == ErrOpenItems }

// RetentionError says until when the statutory retention keeps a debtor's
// data.
type RetentionError struct {
	// LastInvoice is the issue date of the debtor's last invoice.
	LastInvoice time.Time
	// Ends is the last day of the retention period; erasure is possible
	// from the day after.
	Ends time.Time
}

func (e *RetentionError) Error() string {
	return fmt.Sprintf("statutory retention runs until %s (%d years from the end of %d, the year of the last invoice of %s; §147 AO, §257 HGB)",
		e.Ends.Format(time.DateOnly), RetentionYears, e.LastInvoice.Year(), e.LastInvoice.Format(time.DateOnly))
}

// Is makes errors.Is(err, ErrRetention) true for a *RetentionError.
func (e *RetentionError) Is(target error) bool { return target == ErrRetention }
