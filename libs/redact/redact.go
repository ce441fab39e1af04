// Package redact keeps secrets and personal data out of o2c's logs.
//
// [NewHandler] wraps any slog.Handler. Before a record reaches the wrapped
// handler it masks, in the message and in every attribute (groups, errors,
// fmt.Stringer values and attributes added with WithAttrs included):
//   - IBANs: the country code, check digits and last four characters stay,
//     "DE89 3704 0044 0532 0130 00" becomes "DE89 **** 3000";
//   - e-mail addresses: the first character of the local part and the
//     domain stay, "erika.muster@example.org" becomes "e***@example.org";
//   - secrets written into text: the password of a URL
//     ("postgres://app:[redacted]@db/o2c"), a value after password=, token=,
//     secret= or api_key= (or a colon), a bearer or basic credential, a JSON
//     Web Token, a NATS nkey seed.
//
// An attribute whose key names a secret (password, passwd, passphrase,
// token, secret, authorization, credential, cookie, api key, private key,
// seed, or a key such as signing_key; see [SecretKey]) is kept with the value
// "[redacted]", whatever the value is, so that a reader sees that something
// was there. The domain's idempotency_key and tax_key are not secrets.
//
// [String] applies the same masking to any text, for output that does not
// go through slog, such as the error a service's main prints before it
// exits.
//
// Masking is a safety net, not a licence: code should not log personal data
// or secrets in the first place. An IBAN-like value is two letters, two
// digits and 11 to 30 letters or digits, alone or in groups of four; it is
// masked when the letters are the code of a country that uses IBANs, and,
// when written in capitals, even if its check digits are wrong, because a
// mistyped IBAN is still personal data. A lower- or mixed-case value is
// masked only when its check digits are right, which spares hexadecimal
// hashes; a document number such as "RE2026000123456" is kept.
//
// A test of this package reads the repository's code and fails for a
// logger built without NewHandler and for use of the global logger.
package redact

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"unicode"
)

// Redacted replaces the value of an attribute whose key names a secret, and
// a secret found in text.
const Redacted = "[redacted]"

var (
	// iban matches an IBAN written as one word or in groups of four: two
	// letters, two check digits and 11 to 30 letters or digits.
	iban = regexp.MustCompile(`(?i)\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`)
	// email matches an e-mail address.
	email = regexp.MustCompile(`\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b`)
	// urlPassword matches the password of a URL's user information.
	urlPassword = regexp.MustCompile(`\b([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):([^@\s/]+)@`)
	// assigned matches a secret written as name=value or name: value, as
	// in a PostgreSQL key/value connection string or a header dump.
	assigned = regexp.MustCompile(`(?i)\b((?:ssl)?password|passwd|passphrase|pwd|(?:access_|auth_|bearer_|refresh_|id_)?token|secret|client_secret|api[_-]?key|private[_-]?key)("?\s*[=:]\s*)("[^"]*"|'[^']*'|\[[^\]]*\]|[^\s,;&]+)`)
	// scheme matches the credential of an HTTP Authorization value.
	scheme = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)
	// jwt matches a JSON Web Token (three base64url parts, the first a
	// JSON object: "eyJ").
	jwt = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`)
	// seed matches a NATS nkey seed ("SU…", "SA…", "SO…").
	seed = regexp.MustCompile(`\bS[UACONPX][A-Z2-7]{56}\b`)
)

// String returns s with IBANs, e-mail addresses and secrets masked as the
// package comment describes. Text without any of them is returned as it is.
func String(s string) string {
	if !maybeSensitive(s) {
		return s
	}
	s = urlPassword.ReplaceAllString(s, "$1:"+Redacted+"@")
	s = jwt.ReplaceAllString(s, Redacted)
	s = scheme.ReplaceAllString(s, "$1 "+Redacted)
	s = assigned.ReplaceAllString(s, "$1$2"+Redacted)
	s = seed.ReplaceAllString(s, Redacted)
	s = email.ReplaceAllStringFunc(s, maskEmail)
	s = iban.ReplaceAllStringFunc(s, maskIBAN)
	return s
}

// maybeSensitive is a cheap test that lets most log text skip the regular
// expressions: every pattern but two needs a digit, an @, a colon or an
// equals sign; those two need "bearer", "basic" or "eyJ".
func maybeSensitive(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c == '@' || c == ':' || c == '=' {
			return true
		}
	}
	lower := strings.ToLower(s)
	return strings.Contains(lower, "bearer") || strings.Contains(lower, "basic") || strings.Contains(s, "eyJ")
}

// maskEmail keeps the first character of the local part and the domain.
func maskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	return addr[:1] + "***" + addr[at:]
}

// maskIBAN keeps the country code, the check digits and the last four
// characters of an IBAN-like match that starts with the code of a country
// that uses IBANs. A lower- or mixed-case match is masked only when its
// check digits are right.
func maskIBAN(m string) string {
	compact := strings.ReplaceAll(m, " ", "")
	if !ibanCountries[strings.ToUpper(compact[:2])] {
		return m
	}
	if compact != strings.ToUpper(compact) && !ibanChecksumOK(compact) {
		return m
	}
	return compact[:4] + " **** " + compact[len(compact)-4:]
}

// ibanCountries are the countries whose account numbers are IBANs: those
// of the SWIFT IBAN registry and those that use IBANs without being
// registered. A value that starts with another pair of letters, such as the
// document number "RE2026000123456", is not taken for an IBAN.
var ibanCountries = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO
		FR GB GE GI GL GR GT HN HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI NL
		NO OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK YE
		AO BF BJ CF CG CI CM CV DZ GA GQ GW IR KM MA MG ML MZ NE SN TD TG`) {
		m[c] = true
	}
	return m
}()

// ibanChecksumOK reports whether an IBAN's check digits are right
// (ISO 13616: the number, rearranged and with letters as 10..35, is 1
// modulo 97).
func ibanChecksumOK(compact string) bool {
	var digits strings.Builder
	for _, r := range strings.ToUpper(compact[4:] + compact[:4]) {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			fmt.Fprintf(&digits, "%d", r-'A'+10)
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// secretWords are the words that make an attribute key name a secret.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "passphrase": true,
	"token": true, "secret": true, "authorization": true, "auth": true,
	"credential": true, "credentials": true, "creds": true, "cookie": true,
	"apikey": true, "jwt": true, "seed": true, "nkey": true, "privatekey": true,
}

// publicKeys are the keys ending in "key" that name no secret: the domain's
// own words.
var publicKeys = map[string]bool{"idempotency_key": true, "idempotencykey": true, "tax_key": true, "taxkey": true}

// SecretKey reports whether an attribute key names a secret: one of its
// words (split at punctuation and at lower-to-upper case changes, so
// "apiKey", "api_key" and "X-Api-Key" all split) is password, passwd, pwd,
// passphrase, token, secret, authorization, auth, credential(s), creds,
// cookie, apikey, jwt, seed, nkey or privatekey, or its last word is "key"
// and it is not the domain's idempotency_key or tax_key.
func SecretKey(key string) bool {
	words := splitWords(key)
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if secretWords[w] {
			return true
		}
	}
	return words[len(words)-1] == "key" && !publicKeys[strings.ToLower(key)] && !publicKeys[strings.Join(words, "")]
}

// splitWords splits a key into lower-case words.
func splitWords(key string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(key)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && i > 0 && len(cur) > 0:
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush() // "apiKey" -> api key; "APIKey" -> api key
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// NewHandler returns a handler that masks every record as the package
// comment describes and passes it to next.
func NewHandler(next slog.Handler) slog.Handler {
	if h, ok := next.(*handler); ok {
		return h // masking twice changes nothing
	}
	return &handler{next: next}
}

// handler is the masking slog.Handler.
type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, Attr(a))
		return true
	})
	out.AddAttrs(attrs...)
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = Attr(a)
	}
	return &handler{next: h.next.WithAttrs(masked)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name)}
}

// Attr returns a with its value masked: "[redacted]" when its key names a
// secret (see SecretKey), otherwise every string in it masked by String.
// Groups are masked attribute by attribute; an error or fmt.Stringer
// becomes its masked text; any other value becomes its masked text when
// masking its text changes it, and is kept as it is otherwise, so that a
// handler still encodes numbers, times and structures in its own way.
func Attr(a slog.Attr) slog.Attr {
	if SecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, String(v.String()))
	case slog.KindGroup:
		group := v.Group()
		masked := make([]slog.Attr, len(group))
		for i, g := range group {
			masked[i] = Attr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(masked...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case nil:
			return slog.Attr{Key: a.Key, Value: v}
		case error, fmt.Stringer:
			return slog.String(a.Key, String(fmt.Sprint(x))) // fmt copes with a typed nil
		case []string:
			masked := make([]string, len(x))
			for i, s := range x {
				masked[i] = String(s)
			}
			return slog.Any(a.Key, masked)
		default:
			text := fmt.Sprintf("%+v", x)
			if m := String(text); m != text {
				return slog.String(a.Key, m)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
