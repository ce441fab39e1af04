package books

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"

	"github.com/o2c-platform/o2c/libs/storable"
)

// fill sets every field of m, and of the messages in it, to a value other
// than its default, so that a copy that misses a field (one added to the
// message later) differs from proto.Clone's.
func fill(t testing.TB, m protoreflect.Message) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.IsList() || f.IsMap() {
			t.Fatalf("%s: fill does not know lists and maps", f.FullName())
		}
		switch f.Kind() {
		case protoreflect.StringKind:
			m.Set(f, protoreflect.ValueOfString("v-"+string(f.Name())))
		case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
			m.Set(f, protoreflect.ValueOfInt64(int64(1000+i)))
		case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
			m.Set(f, protoreflect.ValueOfInt32(int32(10+i)))
		case protoreflect.MessageKind:
			fill(t, m.Mutable(f).Message())
		default:
			t.Fatalf("%s: fill does not know kind %s", f.FullName(), f.Kind())
		}
	}
}

func TestCloneLegCopiesEveryField(t *testing.T) {
	t.Parallel()
	full := &ledgerv1.JournalLeg{}
	fill(t, full.ProtoReflect())
	fullDate := &commonv1.Date{}
	fill(t, fullDate.ProtoReflect())
	withUnknown := proto.CloneOf(full)
	withUnknown.Amount.ProtoReflect().SetUnknown(protoreflect.RawFields{0xf8, 0x01, 0x07}) // field 31, varint 7
	dateUnknown := proto.CloneOf(fullDate)
	dateUnknown.ProtoReflect().SetUnknown(protoreflect.RawFields{0xf8, 0x01, 0x07})

	legs := []struct {
		name string
		leg  *ledgerv1.JournalLeg
	}{
		{"every field", full},
		{"no amount", &ledgerv1.JournalLeg{Account: "1200", TaxKey: "3"}},
		{"empty", &ledgerv1.JournalLeg{}},
		{"nil", nil},
		{"unknown field in the amount", withUnknown},
	}
	for _, tt := range legs {
		got, want := cloneLeg(tt.leg), proto.CloneOf(tt.leg)
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("cloneLeg(%s) (-proto.CloneOf +cloneLeg):\n%s", tt.name, diff)
		}
		if tt.leg != nil && got.GetAmount() != nil && got.GetAmount() == tt.leg.GetAmount() {
			t.Errorf("cloneLeg(%s) shares the amount with the original", tt.name)
		}
	}
	for _, d := range []*commonv1.Date{fullDate, {}, nil, dateUnknown} {
		if diff := cmp.Diff(proto.CloneOf(d), cloneDate(d), protocmp.Transform()); diff != "" {
			t.Errorf("cloneDate(%v) (-proto.CloneOf +cloneDate):\n%s", d, diff)
		}
	}
	if !proto.Equal(cloneLeg(withUnknown), withUnknown) || len(cloneLeg(withUnknown).GetAmount().ProtoReflect().GetUnknown()) == 0 {
		t.Error("cloneLeg dropped the amount's unknown field")
	}
}

// TestCommanderChecksStorableOnce: given a Commander with cached books,
// when commands with text PostgreSQL cannot store are executed alone and
// in a batch, then each is refused with ErrNotStorable and nothing is
// stored but the valid command of the batch, and the books' own method
// still refuses such a command.
func TestCommanderChecksStorableOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newWorld(t)
	bad := registerInvoice("INV\x00-1", "C-1", 1000)
	if _, err := w.cmds.Execute(ctx, bad, Meta{Actor: "user:cfo"}); !errors.Is(err, storable.ErrNotStorable) {
		t.Errorf("Execute: %v, want ErrNotStorable", err)
	}
	_, errs := w.cmds.ExecuteBatch(ctx, []Command{
		{Msg: registerInvoice("INV-1", "C-1", 1000)},
		{Msg: registerInvoice("INV-2", "C-1\xff", 1000)},
	})
	if errs[0] != nil || !errors.Is(errs[1], storable.ErrNotStorable) {
		t.Errorf("ExecuteBatch: %v, want nil and ErrNotStorable", errs)
	}
	if got := len(w.books(t, "C-1").Items()); got != 1 {
		t.Errorf("C-1 has %d open items, want 1 (INV-1)", got)
	}
	l := w.books(t, "C-1")
	if _, err := l.RegisterInvoice(bad, "10000", origin()); !errors.Is(err, storable.ErrNotStorable) {
		t.Errorf("RegisterInvoice on the books: %v, want ErrNotStorable", err)
	}
}
