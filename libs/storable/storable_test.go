package storable

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// schema is a test message with every shape the walk must reach: a nested
// message, lists of strings, enums and messages, maps keyed by strings and
// integers, a timestamp and bytes.
const schema = `
name: "storabletest.proto"
package: "storabletest"
syntax: "proto3"
dependency: "google/protobuf/timestamp.proto"
enum_type { name: "Kind" value { name: "KIND_UNSPECIFIED" number: 0 } value { name: "KIND_A" number: 1 } }
message_type {
  name: "Inner"
  field { name: "name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "name" }
  field { name: "kind" number: 2 label: LABEL_OPTIONAL type: TYPE_ENUM type_name: ".storabletest.Kind" json_name: "kind" }
  field { name: "tags" number: 3 label: LABEL_REPEATED type: TYPE_STRING json_name: "tags" }
}
message_type {
  name: "Outer"
  field { name: "id" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "id" }
  field { name: "inner" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".storabletest.Inner" json_name: "inner" }
  field { name: "items" number: 3 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".storabletest.Inner" json_name: "items" }
  field { name: "by_name" number: 4 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".storabletest.Outer.ByNameEntry" json_name: "byName" }
  field { name: "by_number" number: 5 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".storabletest.Outer.ByNumberEntry" json_name: "byNumber" }
  field { name: "at" number: 6 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".google.protobuf.Timestamp" json_name: "at" }
  field { name: "raw" number: 7 label: LABEL_OPTIONAL type: TYPE_BYTES json_name: "raw" }
  field { name: "kinds" number: 8 label: LABEL_REPEATED type: TYPE_ENUM type_name: ".storabletest.Kind" json_name: "kinds" }
  nested_type {
    name: "ByNameEntry" options { map_entry: true }
    field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "key" }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".storabletest.Inner" json_name: "value" }
  }
  nested_type {
    name: "ByNumberEntry" options { map_entry: true }
    field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 json_name: "key" }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "value" }
  }
}
`

// outerType builds the dynamic message type Outer of schema.
func outerType(tb testing.TB) protoreflect.MessageDescriptor {
	tb.Helper()
	_ = timestamppb.Now() // registers google/protobuf/timestamp.proto
	fdp := &descriptorpb.FileDescriptorProto{}
	if err := prototext.Unmarshal([]byte(schema), fdp); err != nil {
		tb.Fatalf("parse schema: %v", err)
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		tb.Fatalf("build schema: %v", err)
	}
	return fd.Messages().ByName("Outer")
}

// builder sets fields of a dynamic Outer by name.
type builder struct {
	tb testing.TB
	m  *dynamicpb.Message
}

func newOuter(tb testing.TB) *builder {
	tb.Helper()
	return &builder{tb: tb, m: dynamicpb.NewMessage(outerType(tb))}
}

func (b *builder) field(m protoreflect.Message, name string) protoreflect.FieldDescriptor {
	b.tb.Helper()
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil {
		b.tb.Fatalf("no field %s", name)
	}
	return fd
}

func (b *builder) inner(name string, kind protoreflect.EnumNumber, tags ...string) protoreflect.Message {
	in := dynamicpb.NewMessage(b.m.Descriptor().Fields().ByName("inner").Message())
	in.Set(b.field(in, "name"), protoreflect.ValueOfString(name))
	in.Set(b.field(in, "kind"), protoreflect.ValueOfEnum(kind))
	l := in.Mutable(b.field(in, "tags")).List()
	for _, t := range tags {
		l.Append(protoreflect.ValueOfString(t))
	}
	return in
}

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		build func(b *builder)
		want  *FieldError
	}{
		{"all fine", func(b *builder) {
			b.m.Set(b.field(b.m, "id"), protoreflect.ValueOfString("ORD-1 Ünïcødé ✓"))
			b.m.Set(b.field(b.m, "inner"), protoreflect.ValueOfMessage(b.inner("Erika", 1, "a", "b")))
			b.m.Set(b.field(b.m, "raw"), protoreflect.ValueOfBytes([]byte{0, 0xff}))
			b.m.Set(b.field(b.m, "at"), protoreflect.ValueOfMessage(timestamppb.New(timestamppb.Now().AsTime()).ProtoReflect()))
		}, nil},
		{"NUL at the top", func(b *builder) {
			b.m.Set(b.field(b.m, "id"), protoreflect.ValueOfString("ORD\x00X"))
		}, &FieldError{Path: "id", Problem: "contains a NUL byte at offset 3"}},
		{"NUL in a nested message", func(b *builder) {
			b.m.Set(b.field(b.m, "inner"), protoreflect.ValueOfMessage(b.inner("Eri\x00ka", 1)))
		}, &FieldError{Path: "inner.name", Problem: "contains a NUL byte at offset 3"}},
		{"invalid UTF-8 in a list of strings", func(b *builder) {
			b.m.Set(b.field(b.m, "inner"), protoreflect.ValueOfMessage(b.inner("ok", 1, "fine", "caf\xe9!")))
		}, &FieldError{Path: "inner.tags[1]", Problem: "is not valid UTF-8 (byte 0xe9 at offset 3)"}},
		{"too long in a list of messages", func(b *builder) {
			l := b.m.Mutable(b.field(b.m, "items")).List()
			l.Append(protoreflect.ValueOfMessage(b.inner("ok", 0)))
			l.Append(protoreflect.ValueOfMessage(b.inner(strings.Repeat("x", 8000), 0)))
		}, &FieldError{Path: "items[1].name", Problem: "is 8000 bytes long, more than the 1000 allowed"}},
		{"exactly the limit", func(b *builder) {
			b.m.Set(b.field(b.m, "id"), protoreflect.ValueOfString(strings.Repeat("ü", MaxStringBytes/2)))
		}, nil},
		{"unknown enum value", func(b *builder) {
			b.m.Set(b.field(b.m, "inner"), protoreflect.ValueOfMessage(b.inner("ok", 99)))
		}, &FieldError{Path: "inner.kind", Problem: "99 is not a value of storabletest.Kind"}},
		{"unknown enum value in a list", func(b *builder) {
			l := b.m.Mutable(b.field(b.m, "kinds")).List()
			l.Append(protoreflect.ValueOfEnum(1))
			l.Append(protoreflect.ValueOfEnum(-3))
		}, &FieldError{Path: "kinds[1]", Problem: "-3 is not a value of storabletest.Kind"}},
		{"NUL in a map key", func(b *builder) {
			m := b.m.Mutable(b.field(b.m, "by_name")).Map()
			m.Set(protoreflect.ValueOfString("a\x00").MapKey(), protoreflect.ValueOfMessage(b.inner("ok", 0)))
		}, &FieldError{Path: `by_name["a\x00"] (key)`, Problem: "contains a NUL byte at offset 1"}},
		{"map value, first by key", func(b *builder) {
			m := b.m.Mutable(b.field(b.m, "by_name")).Map()
			m.Set(protoreflect.ValueOfString("z").MapKey(), protoreflect.ValueOfMessage(b.inner("bad\x00", 0)))
			m.Set(protoreflect.ValueOfString("b").MapKey(), protoreflect.ValueOfMessage(b.inner("ok", 7)))
		}, &FieldError{Path: `by_name["b"].kind`, Problem: "7 is not a value of storabletest.Kind"}},
		{"map keyed by numbers", func(b *builder) {
			m := b.m.Mutable(b.field(b.m, "by_number")).Map()
			m.Set(protoreflect.ValueOfInt64(10).MapKey(), protoreflect.ValueOfString("\x00"))
			m.Set(protoreflect.ValueOfInt64(-2).MapKey(), protoreflect.ValueOfString("\xff"))
		}, &FieldError{Path: "by_number[-2]", Problem: "is not valid UTF-8 (byte 0xff at offset 0)"}},
		{"timestamp past 9999", func(b *builder) {
			b.m.Set(b.field(b.m, "at"), protoreflect.ValueOfMessage((&timestamppb.Timestamp{Seconds: 1e15}).ProtoReflect()))
		}, &FieldError{Path: "at", Problem: "1000000000000000 seconds is outside the years 1 to 9999"}},
		{"timestamp with negative nanos", func(b *builder) {
			b.m.Set(b.field(b.m, "at"), protoreflect.ValueOfMessage((&timestamppb.Timestamp{Seconds: 1, Nanos: -1}).ProtoReflect()))
		}, &FieldError{Path: "at", Problem: "nanos -1 is outside 0 to 999,999,999"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newOuter(t)
			tc.build(b)
			err := Check(b.m)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrNotStorable) {
				t.Fatalf("Check = %v, want ErrNotStorable", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Check = %T, want *FieldError", err)
			}
			if diff := cmp.Diff(tc.want, fe); diff != "" {
				t.Errorf("Check (-want +got):\n%s", diff)
			}
			if msg := err.Error(); strings.ContainsRune(msg, 0) || !strings.HasPrefix(msg, tc.want.Path+": ") {
				t.Errorf("error text %q does not start with the path or holds a NUL", msg)
			}
		})
	}
}

func TestProblemsListsEveryField(t *testing.T) {
	t.Parallel()
	b := newOuter(t)
	b.m.Set(b.field(b.m, "id"), protoreflect.ValueOfString("\x00"))
	b.m.Set(b.field(b.m, "inner"), protoreflect.ValueOfMessage(b.inner("ok", 5, "\xc3")))
	got := Problems(b.m)
	want := []*FieldError{
		{Path: "id", Problem: "contains a NUL byte at offset 0"},
		{Path: "inner.kind", Problem: "5 is not a value of storabletest.Kind"},
		{Path: "inner.tags[0]", Problem: "is not valid UTF-8 (byte 0xc3 at offset 0)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Problems (-want +got):\n%s", diff)
	}
	if got := Problems(newOuter(t).m); len(got) != 0 {
		t.Errorf("Problems(empty) = %v, want none", got)
	}
	if err := Check(nil); err != nil {
		t.Errorf("Check(nil) = %v", err)
	}
}

func TestTopLevelTimestamp(t *testing.T) {
	t.Parallel()
	if err := Check(&timestamppb.Timestamp{Seconds: -62135596801}); !errors.Is(err, ErrNotStorable) {
		t.Errorf("Check(year 0) = %v, want ErrNotStorable", err)
	}
	if err := Check(&timestamppb.Timestamp{Seconds: -62135596800}); err != nil {
		t.Errorf("Check(0001-01-01) = %v, want nil", err)
	}
}

// TestDiscardUnknown gives a message unknown fields at the top, in a nested
// message, in a list element and in a map value, and expects them all gone
// and the encoding equal to the message's without them.
func TestDiscardUnknown(t *testing.T) {
	t.Parallel()
	b := newOuter(t)
	b.m.Set(b.field(b.m, "id"), protoreflect.ValueOfString("ORD-1"))
	b.m.Set(b.field(b.m, "inner"), protoreflect.ValueOfMessage(b.inner("Erika", 1)))
	b.m.Mutable(b.field(b.m, "items")).List().Append(protoreflect.ValueOfMessage(b.inner("a", 0)))
	b.m.Mutable(b.field(b.m, "by_name")).Map().Set(protoreflect.ValueOfString("k").MapKey(), protoreflect.ValueOfMessage(b.inner("v", 0)))
	clean := proto.Clone(b.m)

	// Field 99, varint 1: unknown to every message of the schema.
	unknown := protoreflect.RawFields{0x98, 0x06, 0x01}
	b.m.SetUnknown(unknown)
	b.m.Get(b.field(b.m, "inner")).Message().SetUnknown(unknown)
	b.m.Get(b.field(b.m, "items")).List().Get(0).Message().SetUnknown(unknown)
	b.m.Get(b.field(b.m, "by_name")).Map().Get(protoreflect.ValueOfString("k").MapKey()).Message().SetUnknown(unknown)
	if proto.Equal(b.m, clean) {
		t.Fatal("setup: unknown fields did not change the message")
	}

	DiscardUnknown(b.m)
	if diff := cmp.Diff(clean, b.m, protocmp.Transform()); diff != "" {
		t.Errorf("after DiscardUnknown (-want +got):\n%s", diff)
	}
	opts := proto.MarshalOptions{Deterministic: true}
	got, err := opts.Marshal(b.m)
	if err != nil {
		t.Fatal(err)
	}
	want, err := opts.Marshal(clean)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("encoding after DiscardUnknown differs:\n got %x\nwant %x", got, want)
	}
	DiscardUnknown(nil) // must not panic
}

func BenchmarkCheck(b *testing.B) {
	m := newOuter(b)
	m.m.Set(m.field(m.m, "id"), protoreflect.ValueOfString("ORD-1"))
	l := m.m.Mutable(m.field(m.m, "items")).List()
	for range 20 {
		l.Append(protoreflect.ValueOfMessage(m.inner("Kaffeemaschine", 1, "a", "b")))
	}
	b.ResetTimer()
	for range b.N {
		if err := Check(m.m); err != nil {
			b.Fatal(err)
		}
	}
}
