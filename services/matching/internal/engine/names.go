package engine

import (
	"math"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Payer names are compared as sets of canonical tokens: lower case, umlauts
// transliterated (ä→ae, ö→oe, ü→ue, ß→ss) and then folded with the plain
// vowel (ae→a, oe→o, ue→u), so that "Müller", "Mueller" and "Muller" meet;
// other diacritics dropped; punctuation separating; legal-form suffixes,
// titles and connecting words ("und", "u.", "&") left out. Single letters
// are initials.

// nameInfo is a parsed name. ids are the tokens' numbers in the engine's
// token index (-1 for a token no debtor's name has), set by
// Engine.internName.
type nameInfo struct {
	tokens  []string
	ids     []int32
	company bool
	// legal identifies the legal-form words ("GmbH & Co. KG" and "GmbH u.
	// Co KG" alike), 0 for none: two companies of one name and different
	// legal forms are different companies.
	legal uint32
}

// key is the name's tokens joined in sorted order: equal for the same name
// in any word order.
func (n nameInfo) key() string {
	t := append([]string(nil), n.tokens...)
	sortStrings(t)
	return strings.Join(t, " ")
}

var legalForms = toSet("gmbh", "mbh", "ggmbh", "gesmbh", "ag", "ug", "haftungsbeschraenkt", "haftungsbeschrankt", "kg", "kgaa",
	"ohg", "ek", "ekfm", "ekfr", "gbr", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "llc", "llp", "plc",
	"sarl", "sas", "sa", "bv", "nv", "se", "co", "cokg", "eg", "ev", "partg", "partgmbb", "srl", "spa", "oy", "ab", "aps",
	"kft", "sro", "spzoo", "zoo", "og", "company", "gesellschaft", "mbb", "ohg", "kdg")

var nameNoise = toSet("und", "u", "and", "et", "y", "herr", "herrn", "frau", "hr", "fr", "dr", "prof", "dipl", "ing",
	"mr", "mrs", "ms", "miss", "mme", "familie", "fam", "eheleute", "ehel", "firma", "fa", "zhd", "von", "van", "der", "den", "de",
	"zu", "zum", "zur", "vom", "ten", "ter", "del", "della", "dos", "du")

func toSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

var translit = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "æ", "ae", "œ", "oe", "ø", "oe",
	"å", "aa", "ł", "l", "đ", "d", "þ", "th", "ı", "i")

var fold = strings.NewReplacer("ae", "a", "oe", "o", "ue", "u")

// parseName parses a person's or company's name.
func parseName(s string) nameInfo {
	var n nameInfo
	if strings.TrimSpace(s) == "" {
		return n
	}
	s = strings.ReplaceAll(translit.Replace(strings.ToLower(s)), "c/o", " ")
	s = stripMarks(s)
	words := strings.FieldsFunc(s, func(r rune) bool {
		return r != '.' && !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		w = strings.ReplaceAll(w, ".", "")
		if w == "" {
			continue
		}
		if legalForms[w] {
			n.company = true
			n.legal = n.legal*31 + fnv32(w)
			continue
		}
		if nameNoise[w] {
			continue
		}
		n.tokens = append(n.tokens, fold.Replace(w))
	}
	return n
}

// stripMarks removes combining marks (é → e) after canonical decomposition.
func stripMarks(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// tokenMatch is how well two canonical tokens match: 1 equal, 0.8 one
// edit apart (long enough), 0.7 an initial or an abbreviation of the
// other, 0 otherwise. initial reports a match through an initial or
// abbreviation only.
func tokenMatch(a, b string) (score float64, initial bool) {
	if a == b {
		return 1, len(a) == 1
	}
	if len(a) == 1 || len(b) == 1 {
		if a[0] == b[0] {
			return 0.7, true
		}
		return 0, false
	}
	if len(a) >= 3 && len(b) >= 3 && (strings.HasPrefix(a, b) || strings.HasPrefix(b, a)) && min(len(a), len(b)) <= 4 {
		return 0.7, true
	}
	if len(a) >= 5 && len(b) >= 5 && withinOneEdit(a, b) {
		return 0.8, false
	}
	return 0, false
}

// withinOneEdit reports whether a and b are at most one substitution,
// insertion, deletion or swap of neighbours apart.
func withinOneEdit(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := len(a), len(b)
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	if lb-la > 1 {
		return false
	}
	i := 0
	for i < la && a[i] == b[i] {
		i++
	}
	if la == lb {
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	return a[i:] == b[i+1:]
}

// nameSimilarity is how similar a payer's name is to a debtor's, 0-1:
// mostly how much of the debtor's name the payer's covers (so a spouse
// naming both, "Anna und Peter Schmidt", still covers "Peter Schmidt"),
// partly how much of the payer's name the debtor's covers. Tokens weigh
// by rarity (weight), so a shared common first name counts less than a
// shared rare surname. A name matched only through initials scores at most
// 0.3.
func nameSimilarity(payer, debtor nameInfo, weight func(id int32) float64) float64 {
	if len(payer.tokens) == 0 || len(debtor.tokens) == 0 {
		return 0
	}
	var used [16]bool
	var pwBuf [16]float64
	var sumD, gotD, sumP, gotP float64
	full := false
	pw := pwBuf[:0]
	for i, t := range payer.tokens {
		pw = append(pw, tokenWeight(t, idOf(payer, i), weight))
		sumP += pw[i]
	}
	for k, d := range debtor.tokens {
		wd := tokenWeight(d, idOf(debtor, k), weight)
		sumD += wd
		best, bestJ, bestInitial := 0.0, -1, false
		for j, p := range payer.tokens {
			if j < len(used) && used[j] {
				continue
			}
			if s, ini := tokenMatch(p, d); s > best {
				best, bestJ, bestInitial = s, j, ini
			}
		}
		if bestJ >= 0 {
			if bestJ < len(used) {
				used[bestJ] = true
			}
			gotD += wd * best
			gotP += pw[bestJ] * best
			if !bestInitial {
				full = true
			}
		}
	}
	sim := 0.7*gotD/sumD + 0.3*gotP/sumP
	if !full {
		sim = math.Min(sim, 0.3)
	}
	return sim
}

// tokenWeight is a token's weight: an initial weighs little, any other
// token by its rarity.
func tokenWeight(t string, id int32, weight func(int32) float64) float64 {
	if len(t) == 1 {
		return 0.5
	}
	if weight == nil {
		return 1
	}
	return weight(id)
}

func idOf(n nameInfo, i int) int32 {
	if i < len(n.ids) {
		return n.ids[i]
	}
	return -1
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// fnv32 is the FNV-1a hash of s.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
