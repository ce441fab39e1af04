package redact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/redact"
)

func TestString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain text is kept", "message rejected: totals do not match the lines", "message rejected: totals do not match the lines"},
		{"IBAN in groups", "refund to DE89 3704 0044 0532 0130 00 booked", "refund to DE89 **** 3000 booked"},
		{"IBAN as one word", "iban=DE89370400440532013000", "iban=DE89 **** 3000"},
		{"IBAN with wrong check digits is still masked", "DE00370400440532013000", "DE00 **** 3000"},
		{"short IBAN (Norway)", "NO9386011117947", "NO93 **** 7947"},
		{"long IBAN (Malta)", "MT84 MALT 0110 0001 2345 MTLC AST0 01S", "MT84 **** 001S"},
		{"IBAN followed by a word", "DE89 3704 0044 0532 0130 00 EUR", "DE89 **** 3000 EUR"},
		{"two IBANs", "from GB29NWBK60161331926819 to FR1420041010050500013M02606", "from GB29 **** 6819 to FR14 **** 2606"},
		{"lower-case IBAN with right check digits", "de89370400440532013000", "de89 **** 3000"},
		{"hex hash that looks like a lower-case IBAN is kept", "content hash ab12cdef0123456789abcdef01234567", "content hash ab12cdef0123456789abcdef01234567"},
		{"document number with a non-IBAN prefix is kept", "invoice RE2026000123456 booked", "invoice RE2026000123456 booked"},
		{"uuid is kept", "event 0b0d6a3c-2f4e-4d1a-9c1b-3f0e5d6a7b8c", "event 0b0d6a3c-2f4e-4d1a-9c1b-3f0e5d6a7b8c"},
		{"e-mail", "debtor erika.muster@example.org unknown", "debtor e***@example.org unknown"},
		{"e-mail in an actor", "actor user:jane@example.org", "actor user:j***@example.org"},
		{"e-mail in angle brackets", "<Max.Power+shop@mail.example.co.uk>", "<M***@mail.example.co.uk>"},
		{"URL password", "connect postgres://ledger_app:s3cr3t@db:5432/o2c failed", "connect postgres://ledger_app:[redacted]@db:5432/o2c failed"},
		{"NATS URL password", "connect to NATS at nats://svc:hunter2@nats.internal:4222: timeout", "connect to NATS at nats://svc:[redacted]@nats.internal:4222: timeout"},
		{"URL without password", "postgres://db:5432/o2c", "postgres://db:5432/o2c"},
		{"key/value connection string", "host=db user=app password=s3cr3t dbname=o2c", "host=db user=app password=[redacted] dbname=o2c"},
		{"quoted password", `password='my secret' sslmode=require`, `password=[redacted] sslmode=require`},
		{"token with colon", "token: abc.def", "token: [redacted]"},
		{"client secret in JSON", `{"client_secret":"x9"}`, `{"client_secret":[redacted]}`},
		{"bearer credential", "Authorization: Bearer eyJraWQiOiJrMSJ9abc", "Authorization: Bearer [redacted]"},
		{"basic credential", "authorization=Basic dXNlcjpwYXNz", "authorization=Basic [redacted]"},
		{"bare JWT", "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl end", "jwt [redacted] end"},
		{"nkey seed", "seed SUAMK2FG4MI6UE3ACF3FK3OIQBCEIEZV7NSWFFEW63UXMRLFM2XLAXK4GY here", "seed [redacted] here"},
		{"header dump", "map[Authorization:[Bearer abc123] Nats-Msg-Id:[m1]]", "map[Authorization:[Bearer [redacted]] Nats-Msg-Id:[m1]]"},
		{"word password without a value is kept", "password authentication failed for user app", "password authentication failed for user app"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := redact.String(tc.in)
			if got != tc.want {
				t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			if again := redact.String(got); again != got {
				t.Errorf("String is not idempotent: String(%q) = %q", got, again)
			}
		})
	}
}

func TestSecretKey(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"password": true, "db_password": true, "DBPassword": true, "token": true, "accessToken": true,
		"refresh-token": true, "secret": true, "client_secret": true, "Authorization": true, "authorization_header": true,
		"key": true, "api_key": true, "apiKey": true, "APIKey": true, "X-Api-Key": true, "signing_key": true,
		"anchorPrivateKey": true, "credentials": true, "cookie": true, "nkey": true, "seed": true, "auth": true,
		"idempotency_key": false, "IdempotencyKey": false, "tax_key": false,
		"error": false, "subject": false, "consumer": false, "author": false, "keys_loaded": false,
		"tokenizer_offset": false, "monkey": false, "": false,
	} {
		if got := redact.SecretKey(key); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// logJSON logs through NewHandler into a JSON handler and returns the
// decoded record.
func logJSON(t testing.TB, log func(*slog.Logger)) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log(slog.New(redact.NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))))
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("decode %q: %v", buf.String(), err)
	}
	return rec
}

// account is a value whose String method prints personal data.
type account struct{ holder, iban string }

func (a account) String() string { return a.holder + " " + a.iban }

// payout is a struct logged as it is.
type payout struct {
	IBAN   string
	Amount int64
}

func TestHandlerMasksEveryAttribute(t *testing.T) {
	t.Parallel()
	got := logJSON(t, func(log *slog.Logger) {
		log = log.With("actor", "user:jane@example.org", "api_key", "k-123")
		log.WithGroup("req").Warn("refund to DE89 3704 0044 0532 0130 00 failed",
			"password", "hunter2",
			"Authorization", "Bearer abc.def",
			"error", fmt.Errorf("book refund: %w", errors.New("debtor max@example.org has no account")),
			"account", account{"Max Power", "GB29NWBK60161331926819"},
			"payout", payout{IBAN: "FR1420041010050500013M02606", Amount: 1999},
			"seq", 42,
			"refs", []string{"a@b.example", "RE-1"},
			slog.Group("db", "url", "postgres://app:s3cr3t@db/o2c", "token", 7, "rows", 3),
			"idempotency_key", "invoice:RE-1",
		)
	})
	want := map[string]any{
		"level":   "WARN",
		"msg":     "refund to DE89 **** 3000 failed",
		"actor":   "user:j***@example.org",
		"api_key": "[redacted]",
		"req": map[string]any{
			"password":        "[redacted]",
			"Authorization":   "[redacted]",
			"error":           "book refund: debtor m***@example.org has no account",
			"account":         "Max Power GB29 **** 6819",
			"payout":          "{IBAN:FR14 **** 2606 Amount:1999}",
			"seq":             float64(42),
			"refs":            []any{"a***@b.example", "RE-1"},
			"db":              map[string]any{"url": "postgres://app:[redacted]@db/o2c", "token": "[redacted]", "rows": float64(3)},
			"idempotency_key": "invoice:RE-1",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logged record (-want +got):\n%s", diff)
	}
}

func TestHandlerKeepsHarmlessValues(t *testing.T) {
	t.Parallel()
	type point struct{ X, Y int }
	got := logJSON(t, func(log *slog.Logger) {
		log.Info("serving", "grpc", "127.0.0.1:9091", "point", point{1, 2}, "ok", true, "nothing", nil)
	})
	want := map[string]any{
		"level": "INFO", "msg": "serving", "grpc": "127.0.0.1:9091",
		"point": map[string]any{"X": float64(1), "Y": float64(2)}, "ok": true, "nothing": nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logged record (-want +got):\n%s", diff)
	}
}

// TestHandlerNeverPassesSecrets logs the ways a bearer token or a password
// could reach a log and checks that neither appears in the output.
func TestHandlerNeverPassesSecrets(t *testing.T) {
	t.Parallel()
	const token, password = "tok3nVALUE9", "pa55wordVALUE"
	var buf bytes.Buffer
	log := slog.New(redact.NewHandler(slog.NewTextHandler(&buf, nil)))
	log.Info("call", "authorization", "Bearer "+token)
	log.Info("call", "metadata", map[string][]string{"authorization": {"Bearer " + token}})
	log.Info("incoming Authorization: Bearer " + token)
	log.Info("connect", "dsn", "postgres://app:"+password+"@db/o2c")
	log.Info("connect", "conninfo", "host=db password="+password)
	log.With("password", password).Error("failed")
	log.Error("failed", "error", fmt.Errorf("dial nats://svc:%s@nats:4222: refused", password))
	log.Error("failed", slog.Group("cfg", "Token", token))
	for _, secret := range []string{token, password} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log output contains %q:\n%s", secret, buf.String())
		}
	}
	if n := strings.Count(buf.String(), redact.Redacted); n != 8 {
		t.Errorf("%d values redacted, want 8:\n%s", n, buf.String())
	}
}

func TestHandlerEnabledFollowsNext(t *testing.T) {
	t.Parallel()
	h := redact.NewHandler(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	if h.Enabled(ctx, slog.LevelInfo) || !h.Enabled(ctx, slog.LevelWarn) {
		t.Errorf("Enabled(info) = %v, Enabled(warn) = %v; want false, true", h.Enabled(ctx, slog.LevelInfo), h.Enabled(ctx, slog.LevelWarn))
	}
	if redact.NewHandler(h) != h {
		t.Error("NewHandler wraps a masking handler again")
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"DE89 3704 0044 0532 0130 00", "e@example.org", "password=x", "postgres://a:b@c/d", "Bearer x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := redact.String(s)
		if again := redact.String(got); again != got {
			t.Errorf("String(%q) = %q, but String of that = %q", s, got, again)
		}
	})
}
