package matchbench

import (
	"math/rand/v2"
	"strings"
)

var (
	femaleFirst = []string{
		"Anna", "Maria", "Sophie", "Lena", "Julia", "Laura", "Katharina", "Sabine", "Petra", "Ursula",
		"Monika", "Claudia", "Birgit", "Jutta", "Jördis", "Andrea", "Stefanie", "Nicole", "Susanne", "Kerstin",
		"Christine", "Elke", "Gisela", "Hannelore", "Ingrid", "Jana", "Lea", "Mia", "Emma", "Hannah",
		"Marie", "Lina", "Zoë", "Chloé", "Agnieszka", "Katarzyna", "Elif", "Ayşe", "Annika", "Frauke",
		"Anne-Marie", "Lisa", "Sandra", "Tanja", "Daniela", "Björk", "Renée", "Sünje", "Maike", "Silke",
	}
	maleFirst = []string{
		"Thomas", "Michael", "Andreas", "Stefan", "Christian", "Markus", "Frank", "Klaus", "Peter", "Wolfgang",
		"Jürgen", "Jörg", "Uwe", "Günter", "Dieter", "Hans-Peter", "Karl-Heinz", "Lukas", "Jonas", "Leon",
		"Finn", "Paul", "Felix", "Maximilian", "Alexander", "Sebastian", "Tobias", "Matthias", "Björn", "Sören",
		"Jan", "Tim", "Niklas", "Mehmet", "Piotr", "Tomasz", "Luca", "Marco", "Pieter", "Jean-Luc",
		"Ole", "Malte", "Henrik", "Bernd", "Horst", "Ralf", "Holger", "Rüdiger", "Kai", "Sven",
	}
	surnames = []string{
		"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
		"Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
		"Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier",
		"Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
		"Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert",
		"Vogel", "Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz",
		"Baumann", "Franke", "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin",
		"Schumacher", "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel", "Heinrich",
		"Brandt", "Haas", "Schreiber", "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl",
		"Engel", "Horn", "Busch", "Bergmann", "Thomas", "Voigt", "Sauer", "Arnold", "Wolff", "Pfeiffer",
		"Yılmaz", "Kaya", "Demir", "Nowak", "Kowalski", "Wiśniewski", "Rossi", "Russo", "Ferrari", "Dubois",
		"Lefèvre", "van den Berg", "de Vries", "Jansen", "Peeters", "García", "Fernández", "Novák", "Horváth", "Ó Briain",
		"von Bülow", "zu Löwenstein", "Meyer-Lüdenscheidt", "Schulze-Delitzsch", "Dąbrowski", "Öztürk", "Gößmann", "Süß", "Bäcker", "Nüßlein",
	}
	trades = []string{
		"Haustechnik", "Elektro", "Bau", "Holzbau", "Metallbau", "Gartenbau", "Dachdeckerei", "Sanitär",
		"Autohaus", "Druckerei", "Bäckerei", "Getränkehandel", "Baustoffe", "Medizintechnik", "Logistik",
		"Büroservice", "Immobilien", "Fahrradhandel", "Feinkost", "Steuerberatung", "Landtechnik", "Kältetechnik",
	}
	fantasy = []string{
		"Nordlicht", "Alpenblick", "Rheintal", "Hansea", "Sonnenhof", "Weserland", "Isarwerk", "Elbufer",
		"Bergkristall", "Main-Kinzig", "Schwarzwald", "Ostseeperle", "Lindenhof", "Taunus", "Spreewald", "Moselland",
	}
	legalForms = []string{
		"GmbH", "GmbH", "GmbH", "GmbH & Co. KG", "GmbH & Co. KG", "AG", "UG (haftungsbeschränkt)", "e.K.",
		"OHG", "KG", "GbR", "B.V.", "S.A.R.L.", "S.r.l.", "Ltd", "e.V.",
	}
)

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// person is a natural person's name.
type person struct {
	first, last string
	female      bool
}

func (p person) String() string { return p.first + " " + p.last }

func randomPerson(r *rand.Rand) person {
	p := person{last: pick(r, surnames), female: r.IntN(2) == 0}
	if p.female {
		p.first = pick(r, femaleFirst)
	} else {
		p.first = pick(r, maleFirst)
	}
	// Some first names in the lists are for either; fine for a payer.
	return p
}

// spouse returns a partner of p with p's surname.
func spouse(r *rand.Rand, p person) person {
	sp := person{last: p.last, female: !p.female}
	if sp.female {
		sp.first = pick(r, femaleFirst)
	} else {
		sp.first = pick(r, maleFirst)
	}
	return sp
}

func randomCompany(r *rand.Rand, owner person) string {
	switch r.IntN(5) {
	case 0:
		return owner.last + " " + pick(r, trades) + " " + pick(r, legalForms)
	case 1:
		return pick(r, fantasy) + " " + pick(r, trades) + " " + pick(r, legalForms)
	case 2:
		return owner.last + " & " + pick(r, surnames) + " " + pick(r, legalForms)
	case 3:
		return pick(r, trades) + " " + owner.last + " " + pick(r, legalForms)
	default:
		return owner.first + " " + owner.last + " " + pick(r, trades) + " e.K."
	}
}

var translit = strings.NewReplacer(
	"ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss",
	"é", "e", "è", "e", "ë", "e", "ó", "o", "á", "a", "ı", "i", "ş", "s", "ś", "s", "ą", "a", "ğ", "g",
)

// bankName is how a bank writes a name: capitals, transliterated, often
// "SURNAME, FIRST".
func bankName(s string) string {
	return strings.ToUpper(translit.Replace(s))
}

func initial(first string) string {
	r := []rune(first)
	return string(r[0]) + "."
}

// personVariant returns how someone other than the exact master name
// appears as the payer of a person's payment, and the kind of variant.
func personVariant(r *rand.Rand, p person) (string, string) {
	switch r.IntN(9) {
	case 0:
		return bankName(p.last + ", " + p.first), "name_transliterated"
	case 1:
		return p.last + " " + p.first, "name_word_order"
	case 2:
		return p.last + ", " + p.first, "name_word_order"
	case 3:
		return initial(p.first) + " " + p.last, "name_initials"
	case 4:
		return translit.Replace(p.String()), "name_transliterated"
	case 5:
		sp := spouse(r, p)
		return sp.first + " " + p.last, "name_spouse"
	case 6:
		sp := spouse(r, p)
		if r.IntN(2) == 0 {
			return p.first + " u. " + sp.first + " " + p.last, "name_spouse"
		}
		return bankName(p.last + ", " + sp.first + " und " + p.first), "name_spouse"
	case 7:
		return randomCompany(r, p), "name_company_for_person"
	default:
		return strings.ToUpper(initial(p.first) + " " + translit.Replace(p.last)), "name_initials"
	}
}

// companyVariant returns how a company's name appears as a payer other
// than exactly as in master data.
func companyVariant(r *rand.Rand, name string, owner person) (string, string) {
	switch r.IntN(6) {
	case 0:
		return bankName(name), "name_transliterated"
	case 1:
		s := name
		for _, lf := range legalForms {
			s = strings.TrimSuffix(s, " "+lf)
		}
		return s, "name_legal_form"
	case 2:
		return strings.NewReplacer("GmbH", "G.m.b.H.", "& Co. KG", "+ Co KG", "e.K.", "eK", "AG", "Aktiengesellschaft").Replace(name), "name_legal_form"
	case 3:
		return owner.String(), "name_person_for_company"
	case 4:
		return translit.Replace(name), "name_transliterated"
	default:
		return bankName(strings.NewReplacer("UG (haftungsbeschränkt)", "UG HAFTUNGSBESCHR.", "GmbH & Co. KG", "GMBH + CO.KG").Replace(name)), "name_legal_form"
	}
}
