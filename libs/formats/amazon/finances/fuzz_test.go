package finances

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every error names a
// position, and that every event's amount is the sum of its components in the
// event currency.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"payload":{"FinancialEvents":{"ShipmentEventList":[{"ShipmentItemList":[{"ItemChargeList":[{"ChargeType":"Principal","ChargeAmount":{"CurrencyCode":"USD","CurrencyAmount":1e-3}}]}]}]}}}`))
	f.Add([]byte(`{"payload":{"transactions":[{"breakdowns":[{"breakdownType":"A","breakdowns":[{"breakdownType":"B","breakdownAmount":{"currencyCode":"JPY","currencyAmount":-12.5}}]}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse(bytes.NewReader(data), Handler{
			Event: func(e *Event) error {
				var sum int64
				for _, c := range e.Components {
					if !validCurrency(c.Amount.Currency) {
						t.Fatalf("%s: component %q has currency %q", e.Path, c.Kind, c.Amount.Currency)
					}
					if c.Amount.Currency == e.Currency {
						sum += c.Amount.Minor
					}
				}
				if len(e.Components) > 0 && e.Currency == "" {
					t.Fatalf("%s: components but no currency", e.Path)
				}
				if sum != e.Minor {
					t.Fatalf("%s: amount %d, components sum to %d", e.Path, e.Minor, sum)
				}
				return nil
			},
			Group: func(g *EventGroup) error {
				if g.Path == "" {
					t.Fatal("group without path")
				}
				return nil
			},
		})
		if err == nil {
			return
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error is not a *ParseError: %v", err)
		}
		if !strings.Contains(err.Error(), "(byte ") {
			t.Fatalf("error names no position: %v", err)
		}
	})
}

// FuzzDetect checks that sniffing arbitrary bytes never panics and that
// every page Detect accepts is one Parse at least recognises (no "no
// payload" error).
func FuzzDetect(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !Detect(data) {
			return
		}
		_, err := Parse(bytes.NewReader(data), Handler{})
		if err != nil && strings.Contains(err.Error(), "no payload") {
			t.Fatalf("Detect accepted a page Parse calls foreign: %v", err)
		}
	})
}
