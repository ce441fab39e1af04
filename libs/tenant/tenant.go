// Package tenant says what a tenant id is. A tenant id names one merchant's
// books everywhere in o2c: in NATS subjects (shop.<tenant>.…,
// o2c.<tenant>.…), in stored events and in every request. Because it is a
// subject token it never contains dots, wildcards or spaces.
//
// The package is pure string work, so domain packages can use it without
// depending on the transport.
package tenant

import "strings"

// MaxLen is the longest valid tenant id in bytes.
const MaxLen = 63

// Valid reports whether s is a well-formed tenant id: 1 to MaxLen lowercase
// ASCII letters and digits in groups joined by single dashes, with no dash
// at either end ("acme", "acme-2", not "-acme", "acme--2" or "Acme").
func Valid(s string) bool {
	if s == "" || len(s) > MaxLen {
		return false
	}
	prevDash := true // a leading dash is as bad as a doubled one
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			prevDash = false
		case c == '-' && !prevDash:
			prevDash = true
		default:
			return false
		}
	}
	return !prevDash
}

// FromSubject returns the tenant token of a shop.<tenant>.… or
// o2c.<tenant>.… subject, and false for any other subject or an empty
// token. It does not check the token with Valid.
func FromSubject(subject string) (string, bool) {
	parts := strings.SplitN(subject, ".", 3)
	if len(parts) < 3 || (parts[0] != "shop" && parts[0] != "o2c") || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}
