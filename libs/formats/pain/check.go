package pain

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/o2c-platform/o2c/libs/sepa"
)

// maxAmount is the largest amount of one SEPA payment in cents,
// 999,999,999.99 EUR.
const maxAmount = 99_999_999_999

// maxSum is the largest control sum in cents that the schemas'
// DecimalNumber (18 digits in all) can carry.
const maxSum = 999_999_999_999_999_999

// maxErrors is how many field errors one call reports before it stops
// looking.
const maxErrors = 100

// Field lengths of the EPC implementation guidelines.
const (
	maxName       = 70
	maxRemittance = 140
	maxAddrLine   = 70
	maxPostCode   = 16
	maxTown       = 35
)

// checker collects the field errors of one message.
type checker struct {
	errs []error
	more int
	ids  map[string]struct{}
}

// where says which part of the message a field belongs to.
type where struct {
	e2e   string
	index int
	batch string
}

func (c *checker) fail(at where, field string, err error) {
	if len(c.errs) >= maxErrors {
		c.more++
		return
	}
	c.errs = append(c.errs, &FieldError{EndToEndID: at.e2e, Index: at.index, Batch: at.batch, Field: field, Err: err})
}

// err returns the collected errors, nil when there are none.
func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	if c.more > 0 {
		c.errs = append(c.errs, fmt.Errorf("%d more errors not shown", c.more))
	}
	return errors.Join(c.errs...)
}

// id checks an identifier: 1 to 35 characters of the SEPA set without
// spaces, not beginning or ending with "/" and without "//", as the EPC
// guidelines require of references.
func (c *checker) id(at where, field, s string) {
	switch {
	case s == "":
		c.fail(at, field, ErrMissing)
	case len(s) > sepa.MaxIDLength:
		c.fail(at, field, fmt.Errorf("%q has %d characters, more than 35: %w", s, len(s), ErrIdentifier))
	case !sepa.IsLatin(s) || strings.Contains(s, " "):
		c.fail(at, field, fmt.Errorf("%q holds a space or a character outside the SEPA set: %w", s, ErrIdentifier))
	case s[0] == '/' || s[len(s)-1] == '/' || strings.Contains(s, "//"):
		c.fail(at, field, fmt.Errorf("%q begins or ends with / or contains //: %w", s, ErrIdentifier))
	}
}

// unique checks that id was not used before in the message.
func (c *checker) unique(at where, field, id string) {
	if id == "" {
		return
	}
	if _, ok := c.ids[id]; ok {
		c.fail(at, field, fmt.Errorf("%q: %w", id, ErrDuplicate))
		return
	}
	c.ids[id] = struct{}{}
}

// account checks an IBAN and returns its country, "" when it is invalid.
func (c *checker) account(at where, field, iban string) string {
	if iban == "" {
		c.fail(at, field, ErrMissing)
		return ""
	}
	n, err := sepa.CheckIBAN(iban)
	if err != nil {
		c.fail(at, field, err)
		return ""
	}
	if !sepa.InSEPA(n[:2]) {
		c.fail(at, field, fmt.Errorf("%s: %w", n[:2], ErrNotSEPA))
		return ""
	}
	return n[:2]
}

// party checks a party's name, account, BIC and address; prefix is the
// party's element and account is the element of its account. needAddress
// says whether the rulebook requires the party's address.
func (c *checker) party(at where, prefix, account string, p Party, needAddress bool) (country string) {
	if text(p.Name, maxName) == "" {
		c.fail(at, prefix+"/Nm", ErrMissing)
	}
	country = c.account(at, account+"/Id/IBAN", p.IBAN)
	if p.BIC != "" {
		if err := sepa.CheckBIC(p.BIC); err != nil {
			c.fail(at, agentOf(prefix)+"/FinInstnId/BICFI", err)
		}
	}
	c.address(at, prefix+"/PstlAdr", p, needAddress)
	return country
}

// agentOf names the agent element of a party element.
func agentOf(party string) string {
	switch party {
	case "Dbtr":
		return "DbtrAgt"
	case "Cdtr":
		return "CdtrAgt"
	}
	return party + "Agt"
}

func hasAddress(p Party) bool {
	return len(p.Address) > 0 || p.Country != "" || p.Town != "" || p.PostCode != ""
}

// address checks the hybrid or structured address of p.
func (c *checker) address(at where, field string, p Party, need bool) {
	if !hasAddress(p) {
		if need {
			c.fail(at, field, fmt.Errorf("required for an account outside the EEA: %w", ErrAddress))
		}
		return
	}
	if text(p.Town, maxTown) == "" {
		c.fail(at, field+"/TwnNm", fmt.Errorf("town missing: %w", ErrAddress))
	}
	if len(p.Country) != 2 || !isUpper(p.Country[0]) || !isUpper(p.Country[1]) {
		c.fail(at, field+"/Ctry", fmt.Errorf("country %q is not an ISO 3166 code: %w", p.Country, ErrAddress))
	}
	if len(p.Address) > 2 {
		c.fail(at, field+"/AdrLine", fmt.Errorf("%d lines, at most 2: %w", len(p.Address), ErrAddress))
	}
}

// amount checks one amount in cents and adds it to *sum.
func (c *checker) amount(at where, field string, cents int64, sum *int64) {
	if cents <= 0 || cents > maxAmount {
		c.fail(at, field, fmt.Errorf("%s EUR: %w", formatCents(cents), ErrAmount))
		return
	}
	*sum = addSum(*sum, cents)
}

// addSum adds b to a, both non-negative, and returns -1 when the sum does
// not fit a control sum (or -1 was passed in).
func addSum(a, b int64) int64 {
	if a < 0 || b < 0 || a > maxSum-b {
		return -1
	}
	return a + b
}

// text transliterates s into the SEPA set, trims it and cuts it to max
// characters.
func text(s string, max int) string {
	s = strings.TrimSpace(sepa.Latin(s))
	if len(s) > max {
		s = strings.TrimSpace(s[:max])
	}
	return s
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }

// day is the calendar date of t in its own location, as ISODate writes it.
func day(t time.Time) string { return t.Format(time.DateOnly) }

// formatCents writes cents as a decimal with two places, e.g. "-0.05".
func formatCents(cents int64) string {
	neg := cents < 0
	u := uint64(cents)
	if neg {
		u = -u
	}
	b := appendCents(nil, u)
	if neg {
		return "-" + string(b)
	}
	return string(b)
}
