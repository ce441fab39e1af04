package dunning

import "slices"

// TimeBarred reports whether the claim of it is time-barred on on, and the
// date it becomes (or became) time-barred: the first day the debtor may
// refuse payment (§214 BGB). The computation follows the law of
// legal.json:
//
//   - the regular period of three years (§195) starts at the end of the
//     year the claim arose (§199 (1)); a claim arises when it falls due
//     (DueDate, else DocumentDate);
//   - a part payment or an acknowledgement before the claim is barred
//     starts the period anew from the day after (§212 (1) Nr. 1);
//   - a period of suspension (negotiations, §203; court dunning, §204)
//     is not counted (§209), and the claim is not barred before
//     RunOutMonths after the suspension ends (§203 sentence 2). For court
//     dunning the service passes the end of the suspension, six months
//     after the proceedings end (§204 (2)), as SuspendedTo;
//   - a suspension without an end, running on on, keeps the claim alive:
//     TimeBarred returns false and the zero Date.
func TimeBarred(it Item, on Date) (bool, Date) {
	law := DefaultBaseRates().Law
	return timeBarred(it, on, law)
}

func timeBarred(it Item, on Date, law Law) (bool, Date) {
	arose := it.DueDate
	if arose.IsZero() {
		arose = it.DocumentDate
	}
	if arose.IsZero() || law.LimitationYears <= 0 {
		return false, Date{}
	}
	years := law.LimitationYears
	barred := MakeDate(arose.Year+years+1, 1, 1)
	periodStart := MakeDate(arose.Year+1, 1, 1)

	type event struct {
		at       Date
		to       Date
		suspends bool
	}
	var events []event
	for _, d := range it.PartPayments {
		events = append(events, event{at: d})
	}
	for _, d := range it.Acknowledgements {
		events = append(events, event{at: d})
	}
	for i, f := range it.SuspendedFrom {
		var t Date
		if i < len(it.SuspendedTo) {
			t = it.SuspendedTo[i]
		}
		events = append(events, event{at: f, to: t, suspends: true})
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	for _, e := range events {
		if e.at.IsZero() || !e.at.Before(barred) {
			continue // after limitation nothing starts it again (§214)
		}
		if !e.suspends {
			// §212: the period starts anew the day after; it ends with
			// the day of the same date years later (§§187 (1), 188 (2)).
			next := MakeDate(e.at.Year+years, e.at.Month, e.at.Day).AddDays(1)
			if next.After(barred) {
				barred = next
			}
			periodStart = e.at.AddDays(1)
			continue
		}
		if e.to.IsZero() {
			if !on.Before(e.at) {
				return false, Date{}
			}
			continue
		}
		from := e.at
		if from.Before(periodStart) {
			from = periodStart
		}
		if e.to.Before(from) {
			continue
		}
		barred = barred.AddDays(e.to.DaysSince(from) + 1) // §209
		runOut := addMonths(e.to, law.RunOutMonths).AddDays(1)
		if runOut.After(barred) {
			barred = runOut
		}
	}
	return !on.Before(barred), barred
}

// addMonths adds n months to d; a day that the month lacks becomes its
// last day (§188 (3) BGB).
func addMonths(d Date, n int) Date {
	m := int(d.Month) - 1 + n
	y := d.Year + m/12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	last := MakeDate(y, timeMonth(m+2), 1).AddDays(-1).Day
	return Date{Year: y, Month: timeMonth(m + 1), Day: min(d.Day, last)}
}
