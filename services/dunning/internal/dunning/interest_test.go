package dunning

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInterest(t *testing.T) {
	t.Parallel()
	german := DefaultBaseRates()
	negative := NewBaseRates("test", []RatePeriod{{From: day(2020, 1, 1), BP: -600}, {From: day(2020, 7, 1), BP: 100}})
	for _, tc := range []struct {
		name      string
		principal int64
		from, to  Date
		rates     BaseRates
		points    int
		dayCount  string
		want      []InterestPart
		total     int64
	}{
		{
			name: "across the base-rate change of 1 January 2023, consumer", principal: 100000,
			from: day(2022, 12, 15), to: day(2023, 1, 15), rates: german, points: 500, dayCount: "act/365",
			want: []InterestPart{
				// 1,000.00 EUR · 4.12 % · 17/365 = 1.9189 EUR
				{From: day(2022, 12, 15), To: day(2022, 12, 31), Days: 17, RateBP: 412, Principal: 100000, Amount: 192},
				// 1,000.00 EUR · 6.62 % · 15/365 = 2.7205 EUR
				{From: day(2023, 1, 1), To: day(2023, 1, 15), Days: 15, RateBP: 662, Principal: 100000, Amount: 272},
			},
			total: 464,
		},
		{
			name: "negative base rate, business", principal: 100000,
			from: day(2020, 1, 1), to: day(2020, 1, 31), rates: german, points: 900, dayCount: "act/365",
			// 1,000.00 EUR · (−0.88 + 9) % · 31/365 = 6.8964 EUR
			want:  []InterestPart{{From: day(2020, 1, 1), To: day(2020, 1, 31), Days: 31, RateBP: 812, Principal: 100000, Amount: 690}},
			total: 690,
		},
		{
			name: "a rate below zero owes nothing, then the next period counts", principal: 100000,
			from: day(2020, 6, 1), to: day(2020, 7, 10), rates: negative, points: 500, dayCount: "act/365",
			want: []InterestPart{
				{From: day(2020, 6, 1), To: day(2020, 6, 30), Days: 30, RateBP: -100, Principal: 100000, Amount: 0},
				// 1,000.00 EUR · 6 % · 10/365 = 1.6438 EUR
				{From: day(2020, 7, 1), To: day(2020, 7, 10), Days: 10, RateBP: 600, Principal: 100000, Amount: 164},
			},
			total: 164,
		},
		{
			name: "half a cent rounds away from zero", principal: 1825,
			from: day(2020, 1, 1), to: day(2020, 1, 1), rates: NewBaseRates("half", []RatePeriod{{From: day(2020, 1, 1), BP: 500}}), points: 500, dayCount: "act/365",
			// 18.25 · 10 % · 1/365 = 0.005
			want:  []InterestPart{{From: day(2020, 1, 1), To: day(2020, 1, 1), Days: 1, RateBP: 1000, Principal: 1825, Amount: 1}},
			total: 1,
		},
		{
			name: "act/360", principal: 100000, from: day(2023, 1, 1), to: day(2023, 1, 30), rates: german, points: 500, dayCount: "act/360",
			want:  []InterestPart{{From: day(2023, 1, 1), To: day(2023, 1, 30), Days: 30, RateBP: 662, Principal: 100000, Amount: 552}},
			total: 552,
		},
		{
			name: "30/360 counts a quarter as 90 days", principal: 100000, from: day(2023, 1, 1), to: day(2023, 3, 31), rates: german, points: 500, dayCount: "30/360",
			want:  []InterestPart{{From: day(2023, 1, 1), To: day(2023, 3, 31), Days: 90, RateBP: 662, Principal: 100000, Amount: 1655}},
			total: 1655,
		},
		{
			name: "an empty period", principal: 100000, from: day(2023, 2, 1), to: day(2023, 1, 31), rates: german, points: 500, dayCount: "act/365",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parts, total, err := Interest(tc.principal, tc.from, tc.to, tc.rates, tc.points, tc.dayCount)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, parts); diff != "" {
				t.Errorf("parts (-want +got):\n%s", diff)
			}
			if total != tc.total {
				t.Errorf("total = %d, want %d", total, tc.total)
			}
		})
	}
}

func TestInterestRefuses(t *testing.T) {
	t.Parallel()
	r := DefaultBaseRates()
	for _, tc := range []struct {
		name      string
		principal int64
		from      Date
		dayCount  string
		want      error
	}{
		{"overflow of the product", math.MaxInt64, day(2003, 1, 1), "act/365", ErrOverflow},
		{"before the table", 100, day(2001, 12, 1), "act/365", ErrNoBaseRate},
		{"negative principal", -1, day(2023, 1, 1), "act/365", ErrInvalidInput},
		{"unknown day count", 100, day(2023, 1, 1), "act/act", ErrInvalidInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := Interest(tc.principal, tc.from, day(2026, 1, 1), r, 900, tc.dayCount); !errors.Is(err, tc.want) {
				t.Errorf("Interest = %v, want %v", err, tc.want)
			}
		})
	}
}
