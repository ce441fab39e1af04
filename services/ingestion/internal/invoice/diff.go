package invoice

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"

	"github.com/o2c-platform/o2c/libs/money"
)

// maxDiffs bounds the differences Diff lists.
const maxDiffs = 8

// Diff lists what differs between two versions of a message, as field
// paths in the proto's own names ("gross", "vat[0].net", "debtor_id"), the
// values of scalar fields and amounts shown as "old → new" (money as
// "119.00 EUR"). It lists at most maxDiffs differences and says how many
// more there are.
func Diff(old, new proto.Message) string {
	var diffs []string
	diffMessage(old.ProtoReflect(), new.ProtoReflect(), "", &diffs)
	if len(diffs) == 0 {
		return "no field differs"
	}
	more := ""
	if len(diffs) > maxDiffs {
		more = fmt.Sprintf(" and %d more", len(diffs)-maxDiffs)
		diffs = diffs[:maxDiffs]
	}
	return strings.Join(diffs, "; ") + more
}

func diffMessage(a, b protoreflect.Message, path string, out *[]string) {
	if m, ok := moneyOf(a, b); ok {
		if !proto.Equal(a.Interface(), b.Interface()) {
			*out = append(*out, fmt.Sprintf("%s %s → %s", path, m(a), m(b)))
		}
		return
	}
	fields := a.Descriptor().Fields()
	var names []string
	byName := map[string]protoreflect.FieldDescriptor{}
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		names = append(names, string(f.Name()))
		byName[string(f.Name())] = f
	}
	sort.Strings(names)
	for _, n := range names {
		f := byName[n]
		p := n
		if path != "" {
			p = path + "." + n
		}
		va, vb := a.Get(f), b.Get(f)
		switch {
		case f.IsList():
			la, lb := va.List(), vb.List()
			if la.Len() != lb.Len() {
				*out = append(*out, fmt.Sprintf("%s: %d → %d entries", p, la.Len(), lb.Len()))
				continue
			}
			for i := 0; i < la.Len(); i++ {
				diffValue(f, la.Get(i), lb.Get(i), fmt.Sprintf("%s[%d]", p, i), out)
			}
		case f.IsMap():
			ma, mb := va.Map(), vb.Map()
			same := ma.Len() == mb.Len()
			ma.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				w := mb.Get(k)
				same = same && mb.Has(k) && (f.MapValue().Kind() == protoreflect.MessageKind && proto.Equal(v.Message().Interface(), w.Message().Interface()) ||
					f.MapValue().Kind() != protoreflect.MessageKind && v.Equal(w))
				return same
			})
			if !same {
				*out = append(*out, p+" differs")
			}
		default:
			if f.Kind() == protoreflect.MessageKind && !a.Has(f) && !b.Has(f) {
				continue
			}
			diffValue(f, va, vb, p, out)
		}
	}
}

func diffValue(f protoreflect.FieldDescriptor, a, b protoreflect.Value, path string, out *[]string) {
	if f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind {
		diffMessage(a.Message(), b.Message(), path, out)
		return
	}
	if !a.Equal(b) {
		*out = append(*out, fmt.Sprintf("%s %s → %s", path, scalar(f, a), scalar(f, b)))
	}
}

func scalar(f protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch f.Kind() {
	case protoreflect.StringKind:
		return fmt.Sprintf("%q", v.String())
	case protoreflect.EnumKind:
		if e := f.Enum().Values().ByNumber(v.Enum()); e != nil {
			return string(e.Name())
		}
	}
	return fmt.Sprint(v.Interface())
}

// moneyOf returns a formatter when a and b are o2c.common.v1.Money.
func moneyOf(a, b protoreflect.Message) (func(protoreflect.Message) string, bool) {
	name := (&commonv1.Money{}).ProtoReflect().Descriptor().FullName()
	if a.Descriptor().FullName() != name || b.Descriptor().FullName() != name {
		return nil, false
	}
	return func(m protoreflect.Message) string {
		mm, ok := m.Interface().(*commonv1.Money)
		if !ok || !m.IsValid() {
			return "none"
		}
		exp, known := money.Exponent(mm.GetCurrency())
		if !known {
			return fmt.Sprintf("%d minor units of %q", mm.GetMinorUnits(), mm.GetCurrency())
		}
		return money.FormatMinor(mm.GetMinorUnits(), exp) + " " + mm.GetCurrency()
	}, true
}
