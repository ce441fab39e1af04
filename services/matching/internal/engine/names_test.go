package engine

import "testing"

// TestNameSimilarity: names are compared ignoring case, umlaut spelling,
// diacritics, punctuation, legal forms and word order; initials and a
// spouse named beside the debtor still match; a company paying for a
// person, or the other way round, is only a weak signal.
func TestNameSimilarity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		payer, debtor string
		min, max      float64
	}{
		{"Anna Müller", "Anna Müller", 1, 1},
		{"ANNA MUELLER", "Anna Müller", 1, 1},
		{"Anna Muller", "Anna Müller", 1, 1},
		{"Jörg Weiß", "Joerg Weiss", 1, 1},
		{"Zoë Kuhn", "Zoe Kuhn", 1, 1},
		{"Müller, Anna", "Anna Müller", 1, 1},
		{"Müller Haustechnik GmbH", "Müller Haustechnik", 1, 1},
		{"Schmidt Bau UG (haftungsbeschränkt)", "Schmidt Bau GmbH & Co. KG", 1, 1},
		{"Meyer e.K.", "Meyer", 1, 1},
		{"Société Générale SARL", "Societe Generale", 1, 1},
		{"M. Mueller", "Max Müller", 0.85, 0.95},
		{"Anna und Peter Schmidt", "Peter Schmidt", 0.85, 0.95},
		{"Schmidt, Peter u. Anna", "Peter Schmidt", 0.85, 0.95},
		{"Mueler Max", "Max Müller", 0.75, 0.95},
		{"Anna Schmidt", "Peter Schmidt", 0.3, 0.7},
		{"Mueller Haustechnik GmbH", "Max Mueller", 0.3, 0.7},
		{"Peter Schmidt", "Schmidt Bau GmbH", 0.3, 0.7},
		{"M. S.", "Max Schmidt", 0, 0.3},
		{"Erika Mustermann", "Max Müller", 0, 0},
		{"", "Max Müller", 0, 0},
	} {
		got := nameSimilarity(parseName(tc.payer), parseName(tc.debtor), nil)
		if got < tc.min || got > tc.max {
			t.Errorf("nameSimilarity(%q, %q) = %.2f, want %.2f-%.2f", tc.payer, tc.debtor, got, tc.min, tc.max)
		}
	}
}

// TestNameWeights: a shared rare surname counts more than a shared common
// first name.
func TestNameWeights(t *testing.T) {
	t.Parallel()
	var debtors []Debtor
	for i, first := range []string{"Peter", "Peter", "Peter", "Peter", "Anna", "Eva"} {
		debtors = append(debtors, Debtor{ID: string(rune('A' + i)), Name: first + " Nachname" + string(rune('a'+i))})
	}
	debtors = append(debtors, Debtor{ID: "Z", Name: "Klaus Zwiebelfisch"})
	e := newEngine(t, DefaultConfig(), nil, debtors, nil)
	payer := func(s string) nameInfo {
		n := parseName(s)
		e.internName(&n)
		return n
	}
	rare := nameSimilarity(payer("Erika Zwiebelfisch"), e.debtors[e.debIdx["Z"]].master, e.nameWeight)
	common := nameSimilarity(payer("Peter Unbekannt"), e.debtors[e.debIdx["A"]].master, e.nameWeight)
	if rare <= common {
		t.Errorf("shared rare surname %.2f, shared common first name %.2f; want the surname to count more", rare, common)
	}
}

func TestWithinOneEdit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"mueller", "mueller", true}, {"mueller", "muller", true}, {"mueller", "mueler", true},
		{"schmidt", "schmitd", true}, {"schmidt", "schmied", false}, {"abc", "abcde", false}, {"meier", "maier", true},
	} {
		if got := withinOneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("withinOneEdit(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
