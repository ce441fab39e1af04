package parse

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"

	"github.com/o2c-platform/o2c/libs/formats/detect"
)

// utf16File encodes s, which must be valid UTF-8, as UTF-16 with a byte
// order mark.
func utf16File(s string, bigEndian bool) []byte {
	var order binary.AppendByteOrder = binary.LittleEndian
	if bigEndian {
		order = binary.BigEndian
	}
	var b []byte
	for _, u := range utf16.Encode([]rune("\uFEFF" + s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

// parseBytes runs o2c parse with --format auto on content written to a
// file and returns the exit code and the JSON line without the members
// that depend on the file's bytes (file, sha256).
func parseBytes(tb testing.TB, content []byte) (int, map[string]any) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "file")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		tb.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run([]string{path}, Options{Format: "auto"}, &stdout, &stderr)
	var line map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &line); err != nil {
		tb.Fatalf("output %q is not one JSON object: %v", stdout.String(), err)
	}
	delete(line, "file")
	delete(line, "sha256")
	return code, line
}

// TestUTF16Camt re-encodes every camt sample as UTF-16LE and UTF-16BE with
// a byte order mark (and a declaration saying UTF-16) and expects the same
// JSON as for the UTF-8 original.
func TestUTF16Camt(t *testing.T) {
	t.Parallel()
	utf8Declaration := regexp.MustCompile(`(?i)encoding=["']utf-8["']`)
	for _, f := range camtFixtures(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			code, want := parseBytes(t, b)
			if code != 0 {
				t.Fatalf("UTF-8 original: exit %d: %v", code, want["error"])
			}
			doc := utf8Declaration.ReplaceAllString(string(b), `encoding="UTF-16"`)
			for _, bigEndian := range []bool{false, true} {
				code, got := parseBytes(t, utf16File(doc, bigEndian))
				if code != 0 {
					t.Fatalf("big-endian %v: exit %d: %v", bigEndian, code, got["error"])
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("big-endian %v: output differs from the UTF-8 original's (-utf8 +utf16):\n%s", bigEndian, diff)
				}
			}
		})
	}
}

// TestUTF16OtherFormats shows that a format without UTF-16 support of its
// own reads the file converted to UTF-8 and says so in a warning.
func TestUTF16OtherFormats(t *testing.T) {
	t.Parallel()
	code, want := parseBytes(t, []byte(handlerSample))
	if code != 0 {
		t.Fatalf("UTF-8 original: exit %d: %v", code, want["error"])
	}
	for _, tt := range []struct {
		bigEndian bool
		warning   string
	}{
		{false, "the file is UTF-16LE (byte order mark); it was read converted to UTF-8"},
		{true, "the file is UTF-16BE (byte order mark); it was read converted to UTF-8"},
	} {
		code, got := parseBytes(t, utf16File(handlerSample, tt.bigEndian))
		if code != 0 {
			t.Fatalf("exit %d: %v", code, got["error"])
		}
		want["warnings"] = []any{tt.warning}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("big-endian %v: output (-want +got):\n%s", tt.bigEndian, diff)
		}
	}
}

func TestUTF16UnknownFormatNamesTheEncoding(t *testing.T) {
	t.Parallel()
	code, got := parseBytes(t, utf16File("just some text\n", true))
	msg, _ := got["error"].(string)
	if code != 1 || !strings.HasPrefix(msg, "unknown format: the content (UTF-16BE, read as UTF-8) is none of camt") {
		t.Errorf("exit %d, error %q; want 1 and an unknown-format error naming UTF-16BE", code, msg)
	}
}

func TestDetectionHead(t *testing.T) {
	t.Parallel()
	camtHead := `<?xml version="1.0" encoding="UTF-16"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>`
	tests := []struct {
		name    string
		head    []byte
		wantEnc string
		want    string
	}{
		{"UTF-8", []byte("\xEF\xBB\xBF:20:X"), "", "\xEF\xBB\xBF:20:X"},
		{"no byte order mark", []byte(":20:X"), "", ":20:X"},
		{"UTF-16LE", utf16File("Grüße", false), "UTF-16LE", "\uFEFFGrüße"},
		{"UTF-16BE", utf16File("Grüße", true), "UTF-16BE", "\uFEFFGrüße"},
		{"UTF-16LE cut in a code unit", utf16File("ab", false)[:5], "UTF-16LE", "\uFEFFa"},
		{"UTF-16BE cut in a surrogate pair", utf16File("a€😀", true)[:8], "UTF-16BE", "\uFEFFa€\uFFFD"},
		{"camt", utf16File(camtHead, false), "UTF-16LE", "\uFEFF" + camtHead},
	}
	for _, tt := range tests {
		enc := detect.UTF16(tt.head)
		got := string(detect.Head(tt.head, enc))
		if enc != tt.wantEnc || got != tt.want {
			t.Errorf("%s: utf16Of = %q, detectionHead = %q; want %q, %q", tt.name, enc, got, tt.wantEnc, tt.want)
		}
	}
	if !detect.IsCamt(detect.Head(utf16File(camtHead, true), "UTF-16BE")) {
		t.Error("the UTF-8 form of a UTF-16 camt head is not detected as camt")
	}
}
