package debtor

import "testing"

func TestReserved(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{MarketplaceID("amazon.de", "EUR"), true},
		{"marketplace:amazon.de:EUR", true},
		{"MARKETPLACE:amazon.de:EUR", true},
		{"Marketplace:ebay:EUR", true},
		{"  marketplace:amazon.de:EUR", true},
		{"\tmarketplace:x", true},
		{"\u200bmarketplace:amazon.de:EUR", true},
		{"\ufeffmarketplace:x", true},
		{"marketplace:", true},
		{"mar\u212aetplace:amazon.de:EUR", true}, // Kelvin sign
		{"marketplace;amazon", false},
		{"C-1", false},
		{"", false},
		{"marketplace", false},
		{"marketplace-amazon", false},
		{"my-marketplace:1", false},
		{"shopify:12345", false},
		{"ma", false},
	} {
		if got := Reserved(tc.id); got != tc.want {
			t.Errorf("Reserved(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
