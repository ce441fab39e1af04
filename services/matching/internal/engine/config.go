package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/o2c-platform/o2c/libs/money"
)

// Config is a tenant's matching rules: the tenants file's "matching"
// section, and what `o2c match --config` reads. Every key is optional; a
// key left out keeps its default (DefaultConfig). Amounts are minor units
// of the payment's currency, percentages basis points (100 bp = 1 %).
type Config struct {
	// AutoThreshold is the score (1-100) from which a decision is booked
	// without a person, provided nothing else fits as well. Default 90.
	AutoThreshold int `json:"auto_threshold"`
	// ProposeThreshold is the score (0-AutoThreshold) from which the best
	// candidate is proposed to a person; below it the payment is unmatched.
	// Default 50.
	ProposeThreshold int `json:"propose_threshold"`
	// HomeCurrency is the tenant's own currency; a difference on items in
	// any other currency may be an FX difference. Default EUR.
	HomeCurrency string `json:"home_currency"`
	// Tolerance says which differences are booked away instead of leaving
	// the rest of an item open.
	Tolerance Tolerance `json:"tolerance"`
	// CashDiscountGraceDays extends every cash discount period by that many
	// days (a payment booked on until+grace still earns it). Default 0.
	CashDiscountGraceDays int `json:"cash_discount_grace_days"`
	// WriteOffLimitMinor is the largest shortfall beyond the tolerance that
	// is written off as an underpayment; a larger one leaves the rest of the
	// item open (a partial payment). Default 0: nothing is written off.
	WriteOffLimitMinor int64 `json:"write_off_limit_minor"`
	// NumberPatterns are regular expressions (RE2 syntax, matched against
	// the text in upper case) for the tenant's document and order numbers.
	// A number of such a shape is searched for with one mistyped digit too.
	// Default: none, and the shapes are learned from the open items' own
	// numbers.
	NumberPatterns []string `json:"number_patterns"`
	// Marketplaces name the payers whose credits are marketplace payouts.
	// Default: Amazon ("amazon" channel, payer or text matching (?i)amazon).
	Marketplaces []Marketplace `json:"marketplaces"`
	// MaxSubsetSize is the most open items one payment is matched to in a
	// combination (1-64). Default 20.
	MaxSubsetSize int `json:"max_subset_size"`
	// Returns says how returned direct debits and chargebacks are handled.
	Returns Returns `json:"returns"`
	// ReversalCodes are bank transaction code parts (split at "/" and "-")
	// that mark a debit as a bank reversal of an earlier credit even without
	// a return reason. Default: the ISO 20022 reversal subfamilies RRTN,
	// UPDD, PRDD, RPCR, ARET and the German GVCs 108, 109, 159.
	ReversalCodes []string `json:"reversal_codes"`
	// Collections, when set, names the tenant's own direct debits by
	// end-to-end id: a receipt with one clears the item it collects
	// exactly (Score 100). Not part of the tenants file; the service sets
	// it.
	Collections Collections `json:"-"`
}

// Tolerance bounds the differences booked away.
type Tolerance struct {
	// AbsoluteMinor and PercentBP bound a shortfall booked as a bank fee:
	// it must be at most AbsoluteMinor and at most PercentBP of the open
	// amount (the lower of the two limits, as SAP tolerance groups do; a
	// limit of 0 is no limit when the other is set). Defaults 500 and 2000
	// (5.00, and 20 % so that a fee on a small invoice is still one). A
	// shortfall of 15-30 % of the item within the absolute limit may be
	// either a fee or a partial payment: both are proposed.
	AbsoluteMinor int64 `json:"absolute_minor"`
	PercentBP     int32 `json:"percent_bp"`
	// RoundingMinor is the largest difference, either way, booked as
	// rounding. Default 5.
	RoundingMinor int64 `json:"rounding_minor"`
	// FXPercentBP is the largest difference, either way, booked as an FX
	// difference on items in a currency other than HomeCurrency. Default
	// 200 (2 %).
	FXPercentBP int32 `json:"fx_percent_bp"`
}

// Marketplace is a marketplace or payment provider that pays out in bulk:
// a credit whose payer name or remittance matches one of PayerPatterns is
// matched to the open items of Channel's debtor.
type Marketplace struct {
	Channel       string   `json:"channel"`
	PayerPatterns []string `json:"payer_patterns"`
}

// Returns configures returned direct debits and chargebacks.
type Returns struct {
	// MaxBankChargeMinor is the largest return charge a bank may have
	// netted into a return for it still to be recognised as the return of
	// an earlier payment. Default 2500.
	MaxBankChargeMinor int64 `json:"max_bank_charge_minor"`
	// ChargeDebtor is how much of the return charge is passed on to the
	// debtor: "bank_charge" (what the bank took, the default), "fixed"
	// (FixedChargeMinor, but for a consumer never more than what the bank
	// took, §309 No. 5 BGB) or "none".
	ChargeDebtor     string `json:"charge_debtor"`
	FixedChargeMinor int64  `json:"fixed_charge_minor"`
}

// The values of Returns.ChargeDebtor.
const (
	ChargeBankCharge = "bank_charge"
	ChargeFixed      = "fixed"
	ChargeNone       = "none"
)

// DefaultConfig returns the rules a tenant without a matching section gets.
func DefaultConfig() Config {
	return Config{
		AutoThreshold:    90,
		ProposeThreshold: 50,
		HomeCurrency:     "EUR",
		Tolerance:        Tolerance{AbsoluteMinor: 500, PercentBP: 2000, RoundingMinor: 5, FXPercentBP: 200},
		Marketplaces:     []Marketplace{{Channel: "amazon", PayerPatterns: []string{"(?i)amazon"}}},
		MaxSubsetSize:    20,
		Returns:          Returns{MaxBankChargeMinor: 2500, ChargeDebtor: ChargeBankCharge},
		ReversalCodes:    []string{"RRTN", "UPDD", "PRDD", "RPCR", "ARET", "108", "109", "159"},
	}
}

// ParseConfig decodes and checks a matching section (JSON). Empty input or
// null is DefaultConfig; keys left out keep their defaults. Unknown keys,
// wrong types and broken rules are errors naming the field
// (*FieldError, ErrInvalidConfig).
func ParseConfig(raw []byte) (Config, error) {
	cfg := DefaultConfig()
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return cfg, nil
	}
	var generic any
	if err := json.Unmarshal(trimmed, &generic); err != nil {
		return Config{}, fieldErr(ErrInvalidConfig, "matching", "not JSON: %v", err)
	}
	if field := unknownField(generic, reflect.TypeFor[Config](), ""); field != "" {
		return Config{}, fieldErr(ErrInvalidConfig, field, "unknown key")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "matching"
			}
			return Config{}, fieldErr(ErrInvalidConfig, field, "%s where %s is expected", te.Value, jsonKind(te.Type))
		}
		return Config{}, fieldErr(ErrInvalidConfig, "matching", "%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, fieldErr(ErrInvalidConfig, "matching", "more than one JSON value")
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// jsonKind names a Go type as JSON calls it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list"
	case reflect.Struct:
		return "an object"
	}
	return t.String()
}

// unknownField returns the path of the first key in v (decoded JSON) that t
// has no field for, in sorted key order, or "".
func unknownField(v any, t reflect.Type, path string) string {
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return join(path, k)
			}
			if bad := unknownField(obj[k], ft, join(path, k)); bad != "" {
				return bad
			}
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return ""
		}
		for i, e := range list {
			if bad := unknownField(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); bad != "" {
				return bad
			}
		}
	}
	return ""
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Validate checks the rules; the error names the first wrong field.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fieldErr(ErrInvalidConfig, field, format, args...)
	}
	switch {
	case c.AutoThreshold < 1 || c.AutoThreshold > 100:
		return bad("auto_threshold", "%d is not between 1 and 100", c.AutoThreshold)
	case c.ProposeThreshold < 0 || c.ProposeThreshold > c.AutoThreshold:
		return bad("propose_threshold", "%d is not between 0 and auto_threshold (%d)", c.ProposeThreshold, c.AutoThreshold)
	case !knownCurrency(c.HomeCurrency):
		return bad("home_currency", "%q is not an ISO 4217 currency", c.HomeCurrency)
	case c.Tolerance.AbsoluteMinor < 0 || c.Tolerance.AbsoluteMinor > money.MaxAbs:
		return bad("tolerance.absolute_minor", "%d is not between 0 and %d", c.Tolerance.AbsoluteMinor, money.MaxAbs)
	case c.Tolerance.PercentBP < 0 || c.Tolerance.PercentBP > 10000:
		return bad("tolerance.percent_bp", "%d is not between 0 and 10000", c.Tolerance.PercentBP)
	case c.Tolerance.RoundingMinor < 0 || c.Tolerance.RoundingMinor > money.MaxAbs:
		return bad("tolerance.rounding_minor", "%d is not between 0 and %d", c.Tolerance.RoundingMinor, money.MaxAbs)
	case c.Tolerance.FXPercentBP < 0 || c.Tolerance.FXPercentBP > 10000:
		return bad("tolerance.fx_percent_bp", "%d is not between 0 and 10000", c.Tolerance.FXPercentBP)
	case c.CashDiscountGraceDays < 0 || c.CashDiscountGraceDays > 366:
		return bad("cash_discount_grace_days", "%d is not between 0 and 366", c.CashDiscountGraceDays)
	case c.WriteOffLimitMinor < 0 || c.WriteOffLimitMinor > money.MaxAbs:
		return bad("write_off_limit_minor", "%d is not between 0 and %d", c.WriteOffLimitMinor, money.MaxAbs)
	case c.MaxSubsetSize < 1 || c.MaxSubsetSize > 64:
		return bad("max_subset_size", "%d is not between 1 and 64", c.MaxSubsetSize)
	case c.Returns.MaxBankChargeMinor < 0 || c.Returns.MaxBankChargeMinor > money.MaxAbs:
		return bad("returns.max_bank_charge_minor", "%d is not between 0 and %d", c.Returns.MaxBankChargeMinor, money.MaxAbs)
	case c.Returns.FixedChargeMinor < 0 || c.Returns.FixedChargeMinor > money.MaxAbs:
		return bad("returns.fixed_charge_minor", "%d is not between 0 and %d", c.Returns.FixedChargeMinor, money.MaxAbs)
	}
	switch c.Returns.ChargeDebtor {
	case ChargeBankCharge, ChargeFixed, ChargeNone:
	default:
		return bad("returns.charge_debtor", "%q is not one of bank_charge, fixed, none", c.Returns.ChargeDebtor)
	}
	for i, p := range c.NumberPatterns {
		if _, err := regexp.Compile(p); err != nil {
			return bad(fmt.Sprintf("number_patterns[%d]", i), "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, m := range c.Marketplaces {
		field := fmt.Sprintf("marketplaces[%d]", i)
		if strings.TrimSpace(m.Channel) == "" {
			return bad(field+".channel", "empty")
		}
		if seen[m.Channel] {
			return bad(field+".channel", "%q is listed twice", m.Channel)
		}
		seen[m.Channel] = true
		if len(m.PayerPatterns) == 0 {
			return bad(field+".payer_patterns", "empty")
		}
		for j, p := range m.PayerPatterns {
			if _, err := regexp.Compile(p); err != nil {
				return bad(fmt.Sprintf("%s.payer_patterns[%d]", field, j), "%v", err)
			}
		}
	}
	for i, code := range c.ReversalCodes {
		if strings.TrimSpace(code) == "" {
			return bad(fmt.Sprintf("reversal_codes[%d]", i), "empty")
		}
	}
	return nil
}

func knownCurrency(code string) bool {
	_, ok := money.Exponent(code)
	return ok
}

// rules is a Config compiled for matching.
type rules struct {
	Config
	numberPatterns []*regexp.Regexp
	marketplaces   []marketplaceRule
	reversal       map[string]bool
}

type marketplaceRule struct {
	channel  string
	patterns []*regexp.Regexp
}

func compile(c Config) (rules, error) {
	if err := c.Validate(); err != nil {
		return rules{}, err
	}
	r := rules{Config: c, reversal: map[string]bool{}}
	for _, p := range c.NumberPatterns {
		r.numberPatterns = append(r.numberPatterns, regexp.MustCompile(p))
	}
	for _, m := range c.Marketplaces {
		mr := marketplaceRule{channel: m.Channel}
		for _, p := range m.PayerPatterns {
			mr.patterns = append(mr.patterns, regexp.MustCompile(p))
		}
		r.marketplaces = append(r.marketplaces, mr)
	}
	for _, code := range c.ReversalCodes {
		r.reversal[strings.ToUpper(strings.TrimSpace(code))] = true
	}
	return r, nil
}
