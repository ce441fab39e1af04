package intake

import "testing"

// TestFileLabel: an import is recorded under the base name of its file,
// whichever slash the name uses, with bytes PostgreSQL cannot store in
// text (invalid UTF-8, NUL) and other control characters replaced, so
// that a drop folder's oddly named file is recorded rather than failing
// after its events were stored.
func TestFileLabel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, want string }{
		{"day1.xml", "day1.xml"},
		{"../../etc/passwd", "passwd"},
		{`C:\Bank\..\day1.xml`, "day1.xml"},
		{"Kontoauszug M\xe4rz.sta", "Kontoauszug M\uFFFDrz.sta"},
		{"a\x00b\x1b.xml", "a\uFFFDb\uFFFD.xml"},
		{"Grüße.xml", "Grüße.xml"},
	} {
		if got := fileLabel(tt.name); got != tt.want {
			t.Errorf("fileLabel(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
