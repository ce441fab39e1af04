package sepa

import "time"

// Day returns t's calendar date at midnight UTC: every date of this
// package is such a day.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// BusinessDay reports whether d is a TARGET business day, the days SEPA
// settles on: not a Saturday or Sunday, 1 January, Good Friday, Easter
// Monday, 1 May, 25 or 26 December.
func BusinessDay(d time.Time) bool {
	d = Day(d)
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	m, day := d.Month(), d.Day()
	switch {
	case m == time.January && day == 1, m == time.May && day == 1,
		m == time.December && (day == 25 || day == 26):
		return false
	}
	e := easter(d.Year())
	return !d.Equal(e.AddDate(0, 0, -2)) && !d.Equal(e.AddDate(0, 0, 1))
}

// easter returns Easter Sunday of year y (Gregorian, anonymous algorithm).
func easter(y int) time.Time {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Date(y, time.Month(month), day, 0, 0, 0, 0, time.UTC)
}

// NextBusinessDay returns d when it is a business day, else the next one.
func NextBusinessDay(d time.Time) time.Time {
	d = Day(d)
	for !BusinessDay(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// AddBusinessDays returns the n-th business day after d (d itself need
// not be one); n = 0 gives NextBusinessDay(d).
func AddBusinessDays(d time.Time, n int) time.Time {
	d = NextBusinessDay(d)
	for range n {
		d = NextBusinessDay(d.AddDate(0, 0, 1))
	}
	return d
}
