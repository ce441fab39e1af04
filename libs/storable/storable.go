// Package storable checks that a protobuf message holds only values o2c can
// store and project, before anything is stored: PostgreSQL text and jsonb
// refuse NUL bytes and invalid UTF-8, and a value that is refused there after
// its event was appended stops the projection for good. The check walks every
// populated field, nested messages, lists and maps included, and rejects
//
//   - strings (and string map keys) with a NUL byte, invalid UTF-8, or more
//     than MaxStringBytes bytes;
//   - enum values the message's schema does not define (proto3 keeps unknown
//     numbers, and they would be stored as bare numbers);
//   - google.protobuf.Timestamp values outside the years 1 to 9999.
//
// Each problem names the field path ("debtor.name", "lines[2].description",
// `labels["k"]`) and never repeats the offending value, so an error is itself
// storable and safe to log. The package also drops unknown fields, which a
// decoder keeps but no schema describes (DiscardUnknown).
//
// It imports only the standard library and google.golang.org/protobuf, so
// domain packages may use it.
package storable

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// MaxStringBytes is the longest string, in bytes, that Check accepts in any
// field. It is far above what any identifier, name, text or reference in
// o2c's messages needs, and keeps a single message from filling rows and
// indexes with megabytes of text.
const MaxStringBytes = 1000

// ErrNotStorable means a message holds a value that cannot be stored: a
// string with a NUL byte, invalid UTF-8 or over MaxStringBytes bytes, an
// enum number the schema does not define, or a timestamp outside years
// 1-9999. The wrapped *FieldError names the field.
var ErrNotStorable = errors.New("value cannot be stored")

// FieldError says which field of a message cannot be stored and why. Path
// is the field path from the message's root in proto field names.
type FieldError struct {
	Path    string
	Problem string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Problem }

// Is makes errors.Is(err, ErrNotStorable) true.
func (e *FieldError) Is(target error) bool { return target == ErrNotStorable }

// Check returns nil when every populated field of m can be stored, and
// otherwise the first problem as a *FieldError (in field declaration order,
// map entries by key). A nil message is storable.
func Check(m proto.Message) error {
	var first *FieldError
	walk(m, func(fe *FieldError) bool {
		first = fe
		return false
	})
	if first == nil {
		return nil
	}
	return first
}

// Problems returns every field of m that cannot be stored, in the order
// Check would find them; none for a storable message.
func Problems(m proto.Message) []*FieldError {
	var all []*FieldError
	walk(m, func(fe *FieldError) bool {
		all = append(all, fe)
		return true
	})
	return all
}

// DiscardUnknown removes the unknown fields of m and of every message it
// holds, so that its encoding depends only on the fields its schema
// defines: the same content decoded from JSON (which has no unknown fields)
// and from binary protobuf sent by a newer schema then encodes the same.
func DiscardUnknown(m proto.Message) {
	if m == nil {
		return
	}
	discard(m.ProtoReflect())
}

func discard(m protoreflect.Message) {
	if !m.IsValid() {
		return
	}
	if m.GetUnknown() != nil {
		m.SetUnknown(nil)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && isMessage(fd):
			l := v.List()
			for i := range l.Len() {
				discard(l.Get(i).Message())
			}
		case fd.IsMap() && isMessage(fd.MapValue()):
			v.Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
				discard(v.Message())
				return true
			})
		case !fd.IsList() && !fd.IsMap() && isMessage(fd):
			discard(v.Message())
		}
		return true
	})
}

func isMessage(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind
}

// walker reports problems to report until it returns false.
type walker struct {
	report func(*FieldError) bool
	done   bool
}

func walk(m proto.Message, report func(*FieldError) bool) {
	if m == nil {
		return
	}
	w := &walker{report: report}
	w.message(m.ProtoReflect(), "")
}

func (w *walker) problem(path, format string, args ...any) {
	if !w.done && !w.report(&FieldError{Path: path, Problem: fmt.Sprintf(format, args...)}) {
		w.done = true
	}
}

func (w *walker) message(m protoreflect.Message, path string) {
	if !m.IsValid() || w.done {
		return
	}
	if m.Descriptor().FullName() == "google.protobuf.Timestamp" {
		w.timestamp(m, path)
		return
	}
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if w.done {
			return
		}
		if !m.Has(fd) {
			continue
		}
		p := string(fd.Name())
		if path != "" {
			p = path + "." + p
		}
		v := m.Get(fd)
		switch {
		case fd.IsList():
			l := v.List()
			for j := range l.Len() {
				w.value(fd, l.Get(j), p+"["+strconv.Itoa(j)+"]")
			}
		case fd.IsMap():
			w.mapField(fd, v.Map(), p)
		default:
			w.value(fd, v, p)
		}
	}
}

func (w *walker) mapField(fd protoreflect.FieldDescriptor, m protoreflect.Map, path string) {
	keys := make([]protoreflect.MapKey, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	slices.SortFunc(keys, func(a, b protoreflect.MapKey) int { return compareKeys(fd.MapKey(), a, b) })
	for _, k := range keys {
		p := path + "[" + keyText(fd.MapKey(), k) + "]"
		if fd.MapKey().Kind() == protoreflect.StringKind {
			w.text(k.String(), p+" (key)")
		}
		w.value(fd.MapValue(), m.Get(k), p)
	}
}

// keyText writes a map key for a path: strings quoted with Go escapes, so
// that the path itself holds no NUL byte or invalid UTF-8.
func keyText(fd protoreflect.FieldDescriptor, k protoreflect.MapKey) string {
	if fd.Kind() == protoreflect.StringKind {
		return strconv.QuoteToASCII(k.String())
	}
	return k.String()
}

func compareKeys(fd protoreflect.FieldDescriptor, a, b protoreflect.MapKey) int {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return strings.Compare(a.String(), b.String())
	case protoreflect.BoolKind:
		if a.Bool() == b.Bool() {
			return 0
		}
		if !a.Bool() {
			return -1
		}
		return 1
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
		return compareOrdered(a.Uint(), b.Uint())
	}
	return compareOrdered(a.Int(), b.Int())
}

func compareOrdered[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (w *walker) value(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		w.text(v.String(), path)
	case protoreflect.EnumKind:
		if fd.Enum().Values().ByNumber(v.Enum()) == nil {
			w.problem(path, "%d is not a value of %s", v.Enum(), fd.Enum().FullName())
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		w.message(v.Message(), path)
	}
}

func (w *walker) text(s, path string) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		w.problem(path, "contains a NUL byte at offset %d", i)
		return
	}
	if !utf8.ValidString(s) {
		i := invalidAt(s)
		w.problem(path, "is not valid UTF-8 (byte %#02x at offset %d)", s[i], i)
		return
	}
	if len(s) > MaxStringBytes {
		w.problem(path, "is %d bytes long, more than the %d allowed", len(s), MaxStringBytes)
	}
}

// invalidAt returns the offset of the first byte of s, which is not valid
// UTF-8, that does not start a valid UTF-8 sequence.
func invalidAt(s string) int {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	return i
}

// Seconds of 0001-01-01T00:00:00Z and of 9999-12-31T23:59:59Z, the range
// google.protobuf.Timestamp defines and PostgreSQL's timestamptz holds.
const (
	minTimestampSeconds = -62135596800
	maxTimestampSeconds = 253402300799
)

func (w *walker) timestamp(m protoreflect.Message, path string) {
	fields := m.Descriptor().Fields()
	secs := m.Get(fields.ByNumber(1)).Int()
	nanos := m.Get(fields.ByNumber(2)).Int()
	if path == "" {
		path = "(timestamp)"
	}
	switch {
	case secs < minTimestampSeconds || secs > maxTimestampSeconds:
		w.problem(path, "%d seconds is outside the years 1 to 9999", secs)
	case nanos < 0 || nanos >= 1e9:
		w.problem(path, "nanos %d is outside 0 to 999,999,999", nanos)
	}
}
