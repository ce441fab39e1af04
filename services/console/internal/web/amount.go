package web

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/libs/money"
	"github.com/o2c-platform/o2c/libs/storable"
)

// maxAmountText is the longest amount text parseAmount reads: the 16
// digits of money.MaxAbs in a currency of two decimals, its five group
// separators, the decimal separator, two decimals and a sign, with room to
// spare. A longer text is refused without being shown again.
const maxAmountText = 40

// parseAmount reads an amount a person typed in lang's way of writing
// numbers ("1.234,56" in German, "1,234.56" in English; "-20"; grouping is
// optional) in cur's minor units. It refuses rather than guesses: a text
// with the other locale's separators where they cannot be read in this
// one ("1,234.56" in German), a group separator not followed by three
// digits ("1.5" in German, which could mean 1.50 or 15), more decimals
// than the currency has ("1,505" EUR in German, any for JPY), anything but
// digits, separators and a leading minus (a NUL, a letter, an exponent),
// and an amount beyond money.MaxAbs. Each error says what was wrong in
// words a person can act on.
func parseAmount(lang, s, cur string) (*commonv1.Money, error) {
	l, ok := locales[lang]
	if !ok {
		l = locales["de"]
	}
	exp, _ := money.ExponentOrTwo(cur)
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("no amount given")
	}
	if len(s) > maxAmountText {
		return nil, fmt.Errorf("an amount of %d characters is no amount", len(s))
	}
	shown := fmt.Sprintf("%q", s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for _, c := range s {
		if (c < '0' || c > '9') && string(c) != l.decimal && string(c) != l.group {
			return nil, fmt.Errorf("%s is not an amount: write digits with %q for decimals and %q between thousands, e.g. %s",
				shown, l.decimal, l.group, formatAmountExample(l))
		}
	}
	whole, frac, hasFrac := strings.Cut(s, l.decimal)
	if hasFrac && strings.Contains(frac, l.decimal) {
		return nil, fmt.Errorf("%s has %q twice", shown, l.decimal)
	}
	if strings.Contains(frac, l.group) {
		return nil, fmt.Errorf("%s has %q after the decimals: write it as %s", shown, l.group, formatAmountExample(l))
	}
	if hasFrac && frac == "" {
		return nil, fmt.Errorf("%s ends with its decimal separator", shown)
	}
	if len(frac) > exp {
		return nil, fmt.Errorf("%s has %d decimals, %s has %d", shown, len(frac), cur, exp)
	}
	if groups := strings.Split(whole, l.group); len(groups) > 1 {
		if groups[0] == "" || len(groups[0]) > 3 {
			return nil, fmt.Errorf("%s: %q separates thousands, e.g. %s", shown, l.group, formatAmountExample(l))
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return nil, fmt.Errorf("%s is ambiguous: %q separates thousands (three digits follow it), %q decimals, e.g. %s",
					shown, l.group, l.decimal, formatAmountExample(l))
			}
		}
		whole = strings.Join(groups, "")
	}
	if whole == "" && frac == "" {
		return nil, fmt.Errorf("%s is not an amount", shown)
	}
	n, _, err := money.ParseDecimalExp(whole+"."+frac, exp)
	if err != nil || !money.InBounds(n) {
		return nil, fmt.Errorf("%s is above the largest amount o2c books (%s)", shown, formatAmount(lang, money.MaxAbs, cur))
	}
	if neg {
		n = -n
	}
	return &commonv1.Money{MinorUnits: n, Currency: cur}, nil
}

// formatAmountExample is 1234.56 as l writes it.
func formatAmountExample(l locale) string {
	return "1" + l.group + "234" + l.decimal + "56"
}

// checkStorable refuses a request whose text a backend could not store
// (a NUL, invalid UTF-8, more than storable.MaxStringBytes bytes), as a
// form error naming the field, before it is sent: the backends refuse it
// too, but the user learns which field and nothing reaches them.
func checkStorable(req proto.Message) error {
	if err := storable.Check(req); err != nil {
		var fe *storable.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("%w: %s: %s", errBadForm, fe.Path, fe.Problem)
		}
		return fmt.Errorf("%w: %v", errBadForm, err)
	}
	return nil
}
