package procdir

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	tail := " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 4242 20 21"
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr bool
	}{
		{name: "plain", in: "123 (postgres) S" + tail, want: procStat{state: "S", start: "4242"}},
		{name: "spaces and parens in name", in: "123 (a) b (c) Z" + tail, want: procStat{state: "Z", start: "4242"}},
		{name: "truncated", in: "123 (postgres) S 1 2 3", wantErr: true},
		{name: "no name", in: "123 postgres S" + tail, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseProcStat(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseProcStat(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(procStat{})); diff != "" {
				t.Errorf("parseProcStat(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseOwner(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Owner
		wantErr bool
	}{
		{in: "42 1000\n", want: Owner{PID: 42, Start: "1000"}},
		{in: "42", want: Owner{PID: 42}},
		{in: "", wantErr: true},
		{in: "-1 5", wantErr: true},
		{in: "x 5", wantErr: true},
		{in: "1 2 3", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseOwner(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseOwner(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if got != tt.want {
			t.Errorf("ParseOwner(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if o := Self(); o.String() == "" || o.PID != os.Getpid() {
		t.Errorf("Self() = %+v, want pid %d", o, os.Getpid())
	}
}

func TestOwnerAlive(t *testing.T) {
	t.Parallel()
	me := Self()
	if me.Start == "" {
		t.Skip("no /proc: start times unknown")
	}
	tests := []struct {
		name string
		o    Owner
		want bool
	}{
		{name: "this process", o: me, want: true},
		{name: "this pid without start time", o: Owner{PID: me.PID}, want: true},
		{name: "this pid reused by another process", o: Owner{PID: me.PID, Start: me.Start + "1"}, want: false},
		{name: "pid beyond pid_max", o: Owner{PID: 1 << 30}, want: false},
	}
	for _, tt := range tests {
		if got := tt.o.Alive(); got != tt.want {
			t.Errorf("%s: %+v.Alive() = %v, want %v", tt.name, tt.o, got, tt.want)
		}
	}
}

func TestAbandoned(t *testing.T) {
	t.Parallel()
	me := Self()
	dead := Owner{PID: 1 << 30, Start: "1"} // beyond pid_max: never a live process
	old := time.Now().Add(-time.Hour)
	tests := []struct {
		name  string
		owner *string
		mtime time.Time // zero: just created
		want  bool
	}{
		{name: "dead owner", owner: ptr(dead.String()), want: true},
		{name: "reused pid", owner: ptr(strconv.Itoa(me.PID) + " " + me.Start + "9"), want: true},
		{name: "live owner", owner: ptr(me.String()), mtime: old, want: false},
		{name: "no owner file yet", want: false},
		{name: "no owner file for longer than the grace", mtime: old, want: true},
		{name: "unreadable owner file, old", owner: ptr("garbage"), mtime: old, want: true},
		{name: "unreadable owner file, new", owner: ptr("garbage"), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.owner != nil {
				if err := os.WriteFile(filepath.Join(dir, OwnerFile), []byte(*tt.owner), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if !tt.mtime.IsZero() {
				if err := os.Chtimes(dir, tt.mtime, tt.mtime); err != nil {
					t.Fatal(err)
				}
			}
			if _, got := Abandoned(dir, 10*time.Minute); got != tt.want {
				t.Errorf("Abandoned = %v, want %v", got, tt.want)
			}
		})
	}
	if _, got := Abandoned(filepath.Join(t.TempDir(), "missing"), 0); got {
		t.Error("Abandoned(missing dir) = true, want false")
	}
}

func TestWriteOwnerReadOwner(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	me := Self()
	if err := WriteOwner(dir, me); err != nil {
		t.Fatal(err)
	}
	got, err := ReadOwner(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(me, got); diff != "" {
		t.Errorf("ReadOwner after WriteOwner (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }
