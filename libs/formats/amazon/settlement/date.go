package settlement

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// stamp is a date or instant as a settlement report writes it.
type stamp struct {
	// date is the calendar date as written (before any offset is applied),
	// formatted YYYY-MM-DD.
	date string
	// at is the instant in UTC; midnight UTC when the file gives a date only.
	at time.Time
}

// parseStamp reads the date forms seen in settlement reports:
//
//	2025-08-14T22:07:18+00:00   ISO 8601 with offset (V1, XML), also Z, +0000, fractions
//	2023-03-14 07:49:55 UTC     V2 posted-date-time and header dates
//	14.03.2023 07:49:55 UTC     V2 German marketplace (DD.MM.YYYY)
//	03/14/23, 03/14/2023        V2 posted-date (MM/DD/YY, US order)
//	14.03.2023, 2023-03-14      date only
//
// A time without zone is taken as UTC. Two-digit years are 20YY.
func parseStamp(text string) (stamp, error) {
	return parseStampLike(text, "")
}

// parseStampLike is parseStamp for a caller that has just read a stamp
// whose date was prev: when the date is the same, prev is used instead of
// a new string.
func parseStampLike(text, prev string) (stamp, error) {
	s := strings.TrimSpace(text)
	y, m, d, rest, err := splitDate(s)
	if err != nil {
		return stamp{}, err
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return stamp{}, fmt.Errorf("date %q does not exist", s)
	}
	hh, mm, ss, ns := 0, 0, 0, 0
	loc := time.UTC
	if rest != "" {
		if rest[0] != 'T' && rest[0] != ' ' {
			return stamp{}, fmt.Errorf("date %q: unexpected %q after the date", s, rest)
		}
		rest = strings.TrimLeft(rest[1:], " ")
		hh, mm, ss, ns, rest, err = splitTime(rest)
		if err != nil {
			return stamp{}, fmt.Errorf("date %q: %w", s, err)
		}
		loc, err = zone(strings.TrimSpace(rest))
		if err != nil {
			return stamp{}, fmt.Errorf("date %q: %w", s, err)
		}
	}
	at := time.Date(y, time.Month(m), d, hh, mm, ss, ns, loc).UTC()
	var date string
	switch {
	case writtenISO(s):
		date = s[:10] // the same text, without a new string
	case isISODate(prev, y, m, d):
		date = prev
	default:
		date = isoDate(y, m, d)
	}
	return stamp{date: date, at: at}, nil
}

// writtenISO reports whether s starts with a date written YYYY-MM-DD
// followed by nothing, T or a space: the text isoDate makes of it.
func writtenISO(s string) bool {
	if len(s) < 10 || (len(s) > 10 && s[10] != 'T' && s[10] != ' ') || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// splitDate reads the date part of s and returns what follows it.
func splitDate(s string) (y, m, d int, rest string, err error) {
	end := strings.IndexAny(s, "T ")
	datePart := s
	if end >= 0 {
		datePart, rest = s[:end], s[end:]
	}
	var sep byte
	for _, c := range [...]byte{'-', '.', '/'} {
		if strings.IndexByte(datePart, c) >= 0 {
			sep = c
			break
		}
	}
	var parts [3]string
	if !split3(&parts, datePart, sep) {
		return 0, 0, 0, "", badDate(s)
	}
	n := [3]int{}
	for i, p := range parts {
		if p == "" || len(p) > 4 || !allDigits(p) {
			return 0, 0, 0, "", badDate(s)
		}
		n[i] = atoi(p)
	}
	switch sep {
	case '-':
		if len(parts[0]) != 4 || len(parts[1]) > 2 || len(parts[2]) > 2 {
			return 0, 0, 0, "", badDate(s)
		}
		return n[0], n[1], n[2], rest, nil
	case '.':
		if len(parts[2]) != 4 || len(parts[0]) > 2 || len(parts[1]) > 2 {
			return 0, 0, 0, "", badDate(s)
		}
		return n[2], n[1], n[0], rest, nil
	default:
		if len(parts[0]) > 2 || len(parts[1]) > 2 || (len(parts[2]) != 2 && len(parts[2]) != 4) {
			return 0, 0, 0, "", badDate(s)
		}
		y = n[2]
		if len(parts[2]) == 2 {
			y += 2000
		}
		return y, n[0], n[1], rest, nil
	}
}

// splitTime reads HH:MM[:SS[.fraction]] and returns what follows.
func splitTime(s string) (hh, mm, ss, ns int, rest string, err error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == ':' || s[i] == '.' || s[i] == ',') {
		i++
	}
	t, rest := s[:i], s[i:]
	frac := ""
	if j := strings.IndexAny(t, ".,"); j >= 0 {
		t, frac = t[:j], t[j+1:]
	}
	var partsBuf [3]string
	n := strings.Count(t, ":") + 1
	if n < 2 || n > 3 || (frac != "" && n != 3) || len(frac) > 9 || !allDigits(frac) {
		return 0, 0, 0, 0, "", fmt.Errorf("time %q is not HH:MM:SS", s)
	}
	parts := partsBuf[:n]
	rest2 := t
	for k := range parts {
		parts[k], rest2, _ = strings.Cut(rest2, ":")
	}
	var v [3]int
	for k, p := range parts {
		if len(p) != 2 || !allDigits(p) {
			return 0, 0, 0, 0, "", fmt.Errorf("time %q is not HH:MM:SS", s)
		}
		v[k] = atoi(p)
	}
	if v[0] > 23 || v[1] > 59 || v[2] > 60 {
		return 0, 0, 0, 0, "", fmt.Errorf("time %q does not exist", s)
	}
	if frac != "" {
		ns, _ = strconv.Atoi((frac + "000000000")[:9])
	}
	return v[0], v[1], v[2], ns, rest, nil
}

// zone reads the zone after a time: empty, Z, UTC, GMT, or a numeric offset
// ±hh:mm, ±hhmm or ±hh.
func zone(s string) (*time.Location, error) {
	switch s {
	case "", "Z", "UTC", "GMT":
		return time.UTC, nil
	}
	if s[0] != '+' && s[0] != '-' {
		return nil, fmt.Errorf("unknown time zone %q (want UTC, Z or a numeric offset)", s)
	}
	// The digits are s[1:] with its first colon removed.
	before, after, _ := strings.Cut(s[1:], ":")
	if n := len(before) + len(after); (n != 2 && n != 4) || !allDigits(before) || !allDigits(after) {
		return nil, fmt.Errorf("offset %q is not ±hh:mm", s)
	}
	var buf [4]byte
	k := copy(buf[:], before)
	k += copy(buf[k:], after)
	digits := buf[:k]
	h := int(digits[0]-'0')*10 + int(digits[1]-'0')
	m := 0
	if len(digits) == 4 {
		m = int(digits[2]-'0')*10 + int(digits[3]-'0')
	}
	if h > 23 || m > 59 {
		return nil, fmt.Errorf("offset %q is out of range", s)
	}
	off := h*3600 + m*60
	if off == 0 {
		// The same instant as any zero offset, without a new Location.
		return time.UTC, nil
	}
	if s[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), nil
}

// split3 cuts s at sep into exactly three parts, as strings.Split would,
// and reports whether there were exactly three.
func split3(parts *[3]string, s string, sep byte) bool {
	if sep == 0 {
		return false
	}
	i := strings.IndexByte(s, sep)
	if i < 0 {
		return false
	}
	j := strings.IndexByte(s[i+1:], sep)
	if j < 0 {
		return false
	}
	j += i + 1
	if strings.IndexByte(s[j+1:], sep) >= 0 {
		return false
	}
	parts[0], parts[1], parts[2] = s[:i], s[i+1:j], s[j+1:]
	return true
}

// atoi reads a string of at most four ASCII digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// isISODate reports whether s is isoDate(y, m, d).
func isISODate(s string, y, m, d int) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' && writtenISO(s) &&
		atoi(s[:4]) == y && atoi(s[5:7]) == m && atoi(s[8:]) == d
}

// isoDate formats a date as YYYY-MM-DD; y is at most four digits.
func isoDate(y, m, d int) string {
	b := [10]byte{byte('0' + y/1000%10), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10)}
	return string(b[:])
}

func badDate(s string) error {
	return fmt.Errorf("date %q is in none of the forms YYYY-MM-DD, DD.MM.YYYY, MM/DD/YY", s)
}
