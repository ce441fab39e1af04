package books

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ContentHash returns the content hash of a command: lowercase hex SHA-256
// of a canonical encoding of the message that does not depend on the
// protobuf library's wire order. The encoding is the message's full name,
// then every populated field in field-number order (number, then value);
// strings and bytes are length-prefixed, integers and enums are varints,
// floating point (never used for money) by its IEEE bits, nested messages
// length-prefixed, lists by count then elements, maps sorted by key. Fields
// with their default value are not populated in proto3, so adding a field to
// a command does not change the hash of commands that leave it unset. The
// top-level idempotency_key field and unknown fields are not part of the
// hash: the key names the command, the hash says what it asks for.
func ContentHash(m proto.Message) string {
	h := sha256.New()
	r := m.ProtoReflect()
	writeBytes(h, []byte(r.Descriptor().FullName()))
	encodeMessage(h, r, true)
	return hex.EncodeToString(h.Sum(nil))
}

func encodeMessage(w hash.Hash, m protoreflect.Message, top bool) {
	fields := m.Descriptor().Fields()
	fds := make([]protoreflect.FieldDescriptor, 0, fields.Len())
	for i := range fields.Len() {
		fds = append(fds, fields.Get(i))
	}
	slices.SortFunc(fds, func(a, b protoreflect.FieldDescriptor) int { return int(a.Number()) - int(b.Number()) })
	for _, fd := range fds {
		if top && fd.Name() == "idempotency_key" || !m.Has(fd) {
			continue
		}
		writeUvarint(w, uint64(fd.Number()))
		v := m.Get(fd)
		switch {
		case fd.IsList():
			l := v.List()
			writeUvarint(w, uint64(l.Len()))
			for i := range l.Len() {
				encodeValue(w, fd, l.Get(i))
			}
		case fd.IsMap():
			type kv struct {
				k string
				v protoreflect.Value
			}
			var entries []kv
			v.Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				entries = append(entries, kv{k.String(), v})
				return true
			})
			slices.SortFunc(entries, func(a, b kv) int { return strings.Compare(a.k, b.k) })
			writeUvarint(w, uint64(len(entries)))
			for _, e := range entries {
				writeBytes(w, []byte(e.k))
				encodeValue(w, fd.MapValue(), e.v)
			}
		default:
			encodeValue(w, fd, v)
		}
	}
}

func encodeValue(w hash.Hash, fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if v.Bool() {
			writeUvarint(w, 1)
		} else {
			writeUvarint(w, 0)
		}
	case protoreflect.EnumKind:
		writeVarint(w, int64(v.Enum()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		writeVarint(w, v.Int())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		writeUvarint(w, v.Uint())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		writeUvarint(w, math.Float64bits(v.Float()))
	case protoreflect.StringKind:
		writeBytes(w, []byte(v.String()))
	case protoreflect.BytesKind:
		writeBytes(w, v.Bytes())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		sub := sha256.New()
		encodeMessage(sub, v.Message(), false)
		writeBytes(w, sub.Sum(nil))
	}
}

func writeUvarint(w hash.Hash, u uint64) {
	var buf [binary.MaxVarintLen64]byte
	w.Write(buf[:binary.PutUvarint(buf[:], u)])
}

func writeVarint(w hash.Hash, i int64) {
	var buf [binary.MaxVarintLen64]byte
	w.Write(buf[:binary.PutVarint(buf[:], i)])
}

func writeBytes(w hash.Hash, b []byte) {
	writeUvarint(w, uint64(len(b)))
	w.Write(b)
}
