package eventstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// Errors of anchoring. Each is wrapped with context; test with errors.Is.
var (
	// ErrAnchorConflict means an anchor sink already holds an anchor with
	// the sequence number of the one being appended, or its last anchor is
	// not the one the new anchor follows: another anchorer of the same
	// service wrote first. The anchorer reloads the sink and tries again.
	ErrAnchorConflict = errors.New("eventstore: anchor sequence taken")
	// ErrAnchorSignature means an anchor's signature does not verify with
	// the key it was checked against: the anchor is forged, altered, or
	// signed with another key.
	ErrAnchorSignature = errors.New("eventstore: anchor signature does not verify")
	// ErrAnchorChain means the anchors read back from a sink do not form an
	// unbroken signed sequence (a gap, a bad link, a bad signature or heads
	// that do not add up to the signed digest), so an anchorer cannot
	// continue from them. The message names the first bad anchor.
	ErrAnchorChain = errors.New("eventstore: stored anchors do not form an unbroken chain")
	// ErrNoAnchorKey means no anchor signing key is configured.
	ErrNoAnchorKey = errors.New("eventstore: no anchor signing key configured")
	// ErrMalformedAnchor means a stored anchor does not decode: bad JSON,
	// bad hex, or hashes and keys of the wrong length.
	ErrMalformedAnchor = errors.New("eventstore: malformed anchor")
)

// Environment variables of the anchor keys (see AnchorKeyFromEnv and
// ParseAnchorPublicKey).
const (
	// AnchorKeyEnv holds the base64 Ed25519 seed (32 bytes) that services
	// sign anchors with.
	AnchorKeyEnv = "O2C_ANCHOR_KEY"
	// AnchorKeyFileEnv names a file holding the same base64 seed, for
	// secrets mounted as files.
	AnchorKeyFileEnv = "O2C_ANCHOR_KEY_FILE"
	// AnchorPublicKeyEnv holds the base64 Ed25519 public key (32 bytes)
	// that verification trusts.
	AnchorPublicKeyEnv = "O2C_ANCHOR_PUBLIC_KEY"
)

// Domain separators of the anchor hashes, distinct from the event hashes'.
const (
	anchorDomain     = "o2c.eventstore.anchor.v1"
	anchorRootDomain = "o2c.eventstore.anchor.root.v1"
	anchorHeadDomain = "o2c.eventstore.anchor.head.v1"
)

// StreamHead is the last event of a stream at the time of an anchor: its
// version and chain hash. Because each chain hash covers its predecessor,
// the head commits to every event of the stream up to Version.
type StreamHead struct {
	Stream    StreamID
	Version   int64
	ChainHash []byte
}

// Anchor is a signed checkpoint of one service's event store, kept outside
// PostgreSQL so that a database superuser cannot rewrite it.
//
// Anchors of a service form a chain: Seq counts from 1 and Prev is the
// Hash of the anchor before (32 zero bytes for the first). Each anchor
// covers the ordered log up to Cursor, Events events in Streams streams,
// and lists in Heads only the streams whose head moved since the previous
// anchor, so that anchors stay small. Root is a digest over the heads of
// all streams (every head listed by this anchor or an earlier one, the
// latest per stream): folding the anchors in order reproduces it. The
// Ed25519 Signature covers everything but Key and Signature (see Hash).
type Anchor struct {
	// Service is the event store's schema, e.g. "ledger".
	Service string
	Seq     int64
	Prev    []byte
	// CreatedAt is when the anchorer wrote the anchor (UTC, microseconds).
	CreatedAt time.Time
	// Cursor is the last event covered. Every event at or before it in the
	// ordered log belongs to a transaction that had ended when the anchor
	// was taken, so the set of events up to Cursor never changes.
	Cursor Cursor
	// Events is the number of events up to Cursor; Streams the number of
	// streams they belong to.
	Events  int64
	Streams int64
	// Root is the digest of all stream heads: SHA-256 over
	// "o2c.eventstore.anchor.root.v1", the number of streams (8 bytes big
	// endian) and, by stream (tenant, type, id, byte-wise), the SHA-256 of
	// "o2c.eventstore.anchor.head.v1", tenant, type, id, version and chain
	// hash (strings and hashes length-prefixed as in ContentHash).
	Root []byte
	// Heads are the heads that moved since the previous anchor, by stream.
	Heads []StreamHead
	// Key is the public key of the signer. It is informational:
	// verification uses the key the verifier trusts.
	Key       ed25519.PublicKey
	Signature []byte
}

// signedBytes returns the canonical bytes the signature covers:
//
//	"o2c.eventstore.anchor.v1", Service, Seq, Prev, CreatedAt (Unix
//	microseconds), Cursor.TxID, Cursor.Position, Events, Streams, Root,
//	SHA-256 over the number of listed heads and the leaf hash (see
//	headLeaf) of each, in order
//
// with strings and byte strings preceded by their length as a uvarint and
// numbers as 8 bytes big endian.
func (a *Anchor) signedBytes() []byte {
	var buf []byte
	buf = appendString(buf, anchorDomain)
	buf = appendString(buf, a.Service)
	buf = binary.BigEndian.AppendUint64(buf, uint64(a.Seq))
	buf = appendBytes(buf, a.Prev)
	buf = binary.BigEndian.AppendUint64(buf, uint64(a.CreatedAt.UnixMicro()))
	buf = binary.BigEndian.AppendUint64(buf, a.Cursor.TxID)
	buf = binary.BigEndian.AppendUint64(buf, uint64(a.Cursor.Position))
	buf = binary.BigEndian.AppendUint64(buf, uint64(a.Events))
	buf = binary.BigEndian.AppendUint64(buf, uint64(a.Streams))
	buf = appendBytes(buf, a.Root)
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(a.Heads)))
	h.Write(n[:])
	for _, hd := range a.Heads {
		leaf := headLeaf(hd.Stream, hd.Version, hd.ChainHash)
		h.Write(leaf[:])
	}
	return appendBytes(buf, h.Sum(nil))
}

func appendBytes(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

// Hash returns the SHA-256 of the anchor's signed bytes, which the next
// anchor of the service carries as Prev.
func (a *Anchor) Hash() []byte {
	sum := sha256.Sum256(a.signedBytes())
	return sum[:]
}

// Sign sets Key and Signature from key.
func (a *Anchor) Sign(key ed25519.PrivateKey) {
	a.Key = key.Public().(ed25519.PublicKey)
	a.Signature = ed25519.Sign(key, a.signedBytes())
}

// CheckSignature returns an error wrapping ErrAnchorSignature unless the
// anchor's signature verifies with pub.
func (a *Anchor) CheckSignature(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, a.signedBytes(), a.Signature) {
		return fmt.Errorf("%w: anchor %s #%d with the trusted key %s (the anchor names signer %s)",
			ErrAnchorSignature, a.Service, a.Seq, KeyID(pub), KeyID(a.Key))
	}
	return nil
}

// KeyID returns a short name of a public key for messages: the first 8
// bytes of its SHA-256 in hex.
func KeyID(pub ed25519.PublicKey) string {
	if len(pub) == 0 {
		return "(none)"
	}
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// anchorJSON is the stored form of an Anchor: one JSON object, hashes and
// keys in lowercase hex.
type anchorJSON struct {
	Service   string     `json:"service"`
	Seq       int64      `json:"seq"`
	Prev      string     `json:"prev"`
	CreatedAt time.Time  `json:"created_at"`
	TxID      uint64     `json:"tx_id"`
	Position  int64      `json:"position"`
	Events    int64      `json:"events"`
	Streams   int64      `json:"streams"`
	Root      string     `json:"root"`
	Heads     []headJSON `json:"heads"`
	Key       string     `json:"key"`
	Signature string     `json:"signature"`
}

type headJSON struct {
	Tenant    string `json:"tenant"`
	Type      string `json:"stream_type"`
	ID        string `json:"stream_id"`
	Version   int64  `json:"version"`
	ChainHash string `json:"chain_hash"`
}

// MarshalJSON encodes the anchor as stored by the anchor sinks.
func (a Anchor) MarshalJSON() ([]byte, error) {
	j := anchorJSON{
		Service: a.Service, Seq: a.Seq, Prev: hex.EncodeToString(a.Prev), CreatedAt: a.CreatedAt,
		TxID: a.Cursor.TxID, Position: a.Cursor.Position, Events: a.Events, Streams: a.Streams,
		Root: hex.EncodeToString(a.Root), Heads: make([]headJSON, len(a.Heads)),
		Key: hex.EncodeToString(a.Key), Signature: hex.EncodeToString(a.Signature),
	}
	for i, h := range a.Heads {
		j.Heads[i] = headJSON{Tenant: h.Stream.Tenant, Type: h.Stream.Type, ID: h.Stream.ID, Version: h.Version, ChainHash: hex.EncodeToString(h.ChainHash)}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes an anchor written by MarshalJSON. It fails with an
// error wrapping ErrMalformedAnchor on bad hex or wrong lengths; it does
// not check the signature.
func (a *Anchor) UnmarshalJSON(data []byte) error {
	var j anchorJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedAnchor, err)
	}
	out := Anchor{Service: j.Service, Seq: j.Seq, CreatedAt: j.CreatedAt.UTC(), Cursor: Cursor{TxID: j.TxID, Position: j.Position},
		Events: j.Events, Streams: j.Streams, Heads: make([]StreamHead, len(j.Heads))}
	var err error
	field := func(name, s string, size int) []byte {
		if err != nil {
			return nil
		}
		b, derr := hex.DecodeString(s)
		switch {
		case derr != nil:
			err = fmt.Errorf("%w: anchor %s #%d: %s: %v", ErrMalformedAnchor, j.Service, j.Seq, name, derr)
		case len(b) != size:
			err = fmt.Errorf("%w: anchor %s #%d: %s has %d bytes, want %d", ErrMalformedAnchor, j.Service, j.Seq, name, len(b), size)
		}
		return b
	}
	out.Prev = field("prev", j.Prev, sha256.Size)
	out.Root = field("root", j.Root, sha256.Size)
	out.Key = field("key", j.Key, ed25519.PublicKeySize)
	out.Signature = field("signature", j.Signature, ed25519.SignatureSize)
	for i, h := range j.Heads {
		out.Heads[i] = StreamHead{Stream: StreamID{Tenant: h.Tenant, Type: h.Type, ID: h.ID}, Version: h.Version,
			ChainHash: field(fmt.Sprintf("heads[%d].chain_hash", i), h.ChainHash, sha256.Size)}
	}
	if err != nil {
		return err
	}
	*a = out
	return nil
}

// AnchorSource reads the anchors that a sink kept.
type AnchorSource interface {
	// ReadAnchors calls fn with every stored anchor of service, oldest
	// first, and returns fn's first error. A source that holds no anchors
	// of service (or does not exist yet) calls fn never and returns nil.
	// Malformed stored anchors fail with an error wrapping
	// ErrMalformedAnchor.
	ReadAnchors(ctx context.Context, service string, fn func(*Anchor) error) error
}

// AnchorSink keeps signed anchors outside the database, append-only and in
// order. Package anchors has a JSON-lines file, a JetStream stream and an
// in-memory fake.
type AnchorSink interface {
	AnchorSource
	// AppendAnchor stores a after the last stored anchor of a.Service,
	// whose Seq must be a.Seq-1 (none for a.Seq 1). Otherwise it stores
	// nothing and returns an error wrapping ErrAnchorConflict.
	AppendAnchor(ctx context.Context, a *Anchor) error
}

// ParseAnchorKey decodes an anchor signing key: a base64 (standard
// alphabet, padding optional) Ed25519 seed of 32 bytes.
func ParseAnchorKey(s string) (ed25519.PrivateKey, error) {
	seed, err := decodeBase64(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("anchor key: not base64: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("anchor key: %d bytes, want a %d-byte Ed25519 seed", len(seed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParseAnchorPublicKey decodes a base64 Ed25519 public key of 32 bytes.
func ParseAnchorPublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeBase64(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("anchor public key: not base64: %w", err)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("anchor public key: %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

func decodeBase64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// AnchorKeyFromEnv reads the signing key from AnchorKeyEnv (the base64
// seed) or, when that is empty, from the file named by AnchorKeyFileEnv.
// It returns ErrNoAnchorKey when neither is set; a service may then run
// without anchors or, in development only, with DevOnlyAnchorKey.
func AnchorKeyFromEnv(getenv func(string) string) (ed25519.PrivateKey, error) {
	if s := getenv(AnchorKeyEnv); s != "" {
		k, err := ParseAnchorKey(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", AnchorKeyEnv, err)
		}
		return k, nil
	}
	path := getenv(AnchorKeyFileEnv)
	if path == "" {
		return nil, fmt.Errorf("%w: set %s or %s", ErrNoAnchorKey, AnchorKeyEnv, AnchorKeyFileEnv)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", AnchorKeyFileEnv, err)
	}
	k, err := ParseAnchorKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", AnchorKeyFileEnv, path, err)
	}
	return k, nil
}

// devOnlyAnchorSeed is public, so anchors signed with it prove nothing.
const devOnlyAnchorSeed = "o2c DEV-ONLY anchor key: published in the source code, never use in production"

// DevOnlyAnchorKey returns a fixed signing key for the demo and tests. Its
// seed is in the source code, so anyone can forge anchors signed with it:
// never configure it in production.
func DevOnlyAnchorKey() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(devOnlyAnchorSeed))
	return ed25519.NewKeyFromSeed(seed[:])
}

// headLeaf is the hash of one stream head in the root and the heads
// digest: SHA-256 over "o2c.eventstore.anchor.head.v1", the stream (three
// length-prefixed strings), the version (8 bytes big endian) and the
// length-prefixed chain hash.
func headLeaf(s StreamID, version int64, chain []byte) [sha256.Size]byte {
	var buf []byte
	buf = appendString(buf, anchorHeadDomain)
	buf = appendString(buf, s.Tenant)
	buf = appendString(buf, s.Type)
	buf = appendString(buf, s.ID)
	buf = binary.BigEndian.AppendUint64(buf, uint64(version))
	buf = appendBytes(buf, chain)
	return sha256.Sum256(buf)
}

// compareStreamIDs orders streams by tenant, type and id, byte-wise: the
// order of the "C" collation the events table uses.
func compareStreamIDs(a, b StreamID) int {
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	if c := strings.Compare(a.Type, b.Type); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// headSet is the set of all stream heads of a service as of an anchor,
// kept so that the root can be recomputed after each anchor without
// sorting or hashing the unchanged heads again.
type headSet struct {
	heads  map[StreamID]*headEntry
	sorted []StreamID // every key, by compareStreamIDs, except those in added
	added  []StreamID // keys not merged into sorted yet
}

type headEntry struct {
	version int64
	chain   []byte
	leaf    [sha256.Size]byte
}

func newHeadSet() *headSet { return &headSet{heads: map[StreamID]*headEntry{}} }

// set records a head and returns the previous one, nil if the stream is
// new.
func (s *headSet) set(st StreamID, version int64, chain []byte) *headEntry {
	old := s.heads[st]
	if old == nil {
		s.added = append(s.added, st)
	}
	s.heads[st] = &headEntry{version: version, chain: chain, leaf: headLeaf(st, version, chain)}
	return old
}

func (s *headSet) len() int { return len(s.heads) }

// root returns SHA-256 over "o2c.eventstore.anchor.root.v1"
// (length-prefixed), the number of heads (8 bytes big endian) and the
// leaf hash of every head in stream order.
func (s *headSet) root() []byte {
	if len(s.added) > 0 {
		slices.SortFunc(s.added, compareStreamIDs)
		merged := make([]StreamID, 0, len(s.sorted)+len(s.added))
		i, j := 0, 0
		for i < len(s.sorted) || j < len(s.added) {
			if j == len(s.added) || (i < len(s.sorted) && compareStreamIDs(s.sorted[i], s.added[j]) < 0) {
				merged = append(merged, s.sorted[i])
				i++
			} else {
				merged = append(merged, s.added[j])
				j++
			}
		}
		s.sorted, s.added = merged, nil
	}
	h := sha256.New()
	h.Write(appendString(nil, anchorRootDomain))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s.sorted)))
	h.Write(n[:])
	for _, st := range s.sorted {
		h.Write(s.heads[st].leaf[:])
	}
	return h.Sum(nil)
}

// anchorChain folds the anchors of one service in order, checking each
// against the trusted key and its predecessor. It records what it finds in
// problems; with points set it also remembers every anchored head, for the
// comparison with the database.
type anchorChain struct {
	service  string
	pub      ed25519.PublicKey
	seq      int64
	hash     []byte
	cursor   Cursor
	events   int64
	heads    *headSet
	latest   *Anchor
	anchors  int
	points   map[StreamID][]anchoredPoint // nil unless tracked
	problems []AnchorProblem
}

// anchoredPoint is one (version, chain hash) of a stream that an anchor
// recorded.
type anchoredPoint struct {
	version int64
	chain   []byte
	seq     int64
}

func newAnchorChain(service string, pub ed25519.PublicKey, trackPoints bool) *anchorChain {
	c := &anchorChain{service: service, pub: pub, hash: make([]byte, sha256.Size), heads: newHeadSet()}
	if trackPoints {
		c.points = map[StreamID][]anchoredPoint{}
	}
	return c
}

func (c *anchorChain) problem(p AnchorProblem) { c.problems = append(c.problems, p) }

// add folds one anchor. An anchor whose signature does not verify is
// reported and skipped; any other inconsistency is reported and the
// anchor's heads are still applied, so that later anchors are judged
// against what the signer saw.
func (c *anchorChain) add(a *Anchor) {
	c.anchors++
	if err := a.CheckSignature(c.pub); err != nil {
		c.problem(AnchorProblem{Anchor: a.Seq, Kind: ProblemSignature,
			Detail: fmt.Sprintf("signature does not verify with the trusted key %s (the anchor names signer %s): forged or altered", KeyID(c.pub), KeyID(a.Key))})
		return
	}
	if a.Service != c.service {
		c.problem(AnchorProblem{Anchor: a.Seq, Kind: ProblemSequence, Detail: fmt.Sprintf("anchor of service %q among the anchors of %q", a.Service, c.service)})
		return
	}
	switch {
	case a.Seq != c.seq+1:
		c.problem(AnchorProblem{Anchor: a.Seq, Kind: ProblemSequence, Detail: fmt.Sprintf("follows anchor %d: anchors missing, repeated or out of order", c.seq)})
	case !bytes.Equal(a.Prev, c.hash):
		c.problem(AnchorProblem{Anchor: a.Seq, Kind: ProblemSequence, Detail: fmt.Sprintf("does not link to anchor %d: its prev is %x, anchor %d hashes to %x", c.seq, a.Prev, c.seq, c.hash)})
	}
	if a.Cursor.Less(c.cursor) || a.Events < c.events {
		c.problem(AnchorProblem{Anchor: a.Seq, Kind: ProblemSequence,
			Detail: fmt.Sprintf("goes back in the log: %d events up to %v after anchor %d had %d up to %v", a.Events, a.Cursor, c.seq, c.events, c.cursor)})
	}
	for i, h := range a.Heads {
		if i > 0 && compareStreamIDs(a.Heads[i-1].Stream, h.Stream) >= 0 {
			c.problem(AnchorProblem{Anchor: a.Seq, Stream: h.Stream, Kind: ProblemRoot, Detail: "heads out of order or listed twice"})
		}
		old := c.heads.set(h.Stream, h.Version, h.ChainHash)
		switch {
		case old == nil:
		case h.Version < old.version:
			c.problem(AnchorProblem{Anchor: a.Seq, Stream: h.Stream, Version: h.Version, Kind: ProblemRewound,
				Detail: fmt.Sprintf("stream went back from version %d to %d: events were deleted and others appended in their place", old.version, h.Version)})
		case h.Version == old.version && !bytes.Equal(h.ChainHash, old.chain):
			c.problem(AnchorProblem{Anchor: a.Seq, Stream: h.Stream, Version: h.Version, Kind: ProblemRewound,
				Detail: fmt.Sprintf("version %d anchored again with chain hash %x, before with %x: the stream was rewritten", h.Version, h.ChainHash, old.chain)})
		}
		if c.points != nil {
			c.points[h.Stream] = append(c.points[h.Stream], anchoredPoint{version: h.Version, chain: h.ChainHash, seq: a.Seq})
		}
	}
	if root := c.heads.root(); !bytes.Equal(root, a.Root) || int64(c.heads.len()) != a.Streams {
		c.problem(AnchorProblem{Anchor: a.Seq, Kind: ProblemRoot,
			Detail: fmt.Sprintf("the heads of anchors 1..%d (%d streams, digest %x) do not add up to the signed %d streams, digest %x: an anchor before it is missing or was replaced", a.Seq, c.heads.len(), root, a.Streams, a.Root)})
	}
	c.seq, c.hash, c.cursor, c.events, c.latest = a.Seq, a.Hash(), a.Cursor, a.Events, a
}

// AnchorProblemKind says what verification against anchors found.
type AnchorProblemKind string

// The kinds of AnchorProblem.
const (
	// ProblemSignature: an anchor's signature does not verify with the
	// trusted key; the anchor is ignored.
	ProblemSignature AnchorProblemKind = "bad signature"
	// ProblemSequence: anchors are missing, repeated, out of order, or go
	// back in the log.
	ProblemSequence AnchorProblemKind = "anchor sequence"
	// ProblemRoot: an anchor's heads do not add up to its signed digest.
	ProblemRoot AnchorProblemKind = "anchor digest"
	// ProblemRewound: a later anchor records a stream behind or different
	// from an earlier anchor, which only a rewrite of the stream explains.
	ProblemRewound AnchorProblemKind = "stream rewound"
	// ProblemStreamDeleted: an anchored stream has no events left.
	ProblemStreamDeleted AnchorProblemKind = "stream deleted"
	// ProblemTailDeleted: a stream ends before its anchored version.
	ProblemTailDeleted AnchorProblemKind = "tail deleted"
	// ProblemEventMissing: an anchored version of a stream is missing
	// while later versions remain.
	ProblemEventMissing AnchorProblemKind = "event missing"
	// ProblemChainHash: the stored chain hash at an anchored version
	// differs from the anchored one: the stream was rewritten up to there.
	ProblemChainHash AnchorProblemKind = "chain hash differs"
	// ProblemLogLength: the number of events up to the latest anchor's
	// cursor differs from the anchored count: events were deleted or
	// inserted into the past.
	ProblemLogLength AnchorProblemKind = "log length"
)

// AnchorProblem is one finding of VerifyAnchors. Stream and Version name
// the stream and the version concerned; both are zero for a problem of an
// anchor itself.
type AnchorProblem struct {
	// Anchor is the sequence number of the anchor the finding is about
	// or was checked against.
	Anchor  int64
	Stream  StreamID
	Version int64
	Kind    AnchorProblemKind
	Detail  string
}

func (p AnchorProblem) String() string {
	if p.Stream == (StreamID{}) {
		return fmt.Sprintf("anchor %d: %s: %s", p.Anchor, p.Kind, p.Detail)
	}
	return fmt.Sprintf("stream %s version %d: %s (anchor %d): %s", p.Stream, p.Version, p.Kind, p.Anchor, p.Detail)
}

// AnchorReport is the result of checking a store against its anchors.
type AnchorReport struct {
	// Anchors is the number of anchors read.
	Anchors int
	// Latest is the latest anchor whose signature verified, nil if none.
	Latest *Anchor
	// Problems lists what did not match: the anchors' own problems by
	// anchor, then at most one problem per stream, by stream.
	Problems []AnchorProblem
}

// OK reports whether there were anchors and nothing was found.
func (r AnchorReport) OK() bool { return r.Latest != nil && len(r.Problems) == 0 }

// sortStreamProblems orders stream problems by stream for stable output.
func sortStreamProblems(ps []AnchorProblem) {
	slices.SortStableFunc(ps, func(a, b AnchorProblem) int {
		if c := compareStreamIDs(a.Stream, b.Stream); c != 0 {
			return c
		}
		return cmp.Compare(a.Version, b.Version)
	})
}
