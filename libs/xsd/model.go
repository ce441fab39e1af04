package xsd

import (
	"fmt"
	"slices"
	"strings"
)

// qname is an expanded name: namespace URI and local name.
type qname struct{ ns, local string }

// typeDef is a resolved type: simple (simple set, no content, no
// attributes), complex with simple content (simple and attrs set) or
// complex with element content (content set, or nil for empty content).
type typeDef struct {
	name    string
	simple  *simpleType
	complex bool
	mixed   bool
	content *particle
	attrs   []*attrDecl
	// names maps every element name the content model mentions to its
	// first particle, to tell "out of order" from "unknown" and to keep
	// validating the children of a misplaced element.
	names map[qname]*particle
	ready bool
}

type attrDecl struct {
	name     qname
	typ      *simpleType
	required bool
}

type elemDecl struct {
	name qname
	typ  *typeDef
}

type particleKind int

const (
	pElement particleKind = iota
	pAny
	pSequence
	pChoice
)

type processContents int

const (
	processStrict processContents = iota
	processLax
	processSkip
)

// particle is an element, a wildcard or a model group with its
// occurrence bounds; max < 0 means unbounded.
type particle struct {
	kind      particleKind
	min, max  int
	decl      *elemDecl // pElement
	name      qname     // pElement: decl.name, copied for the hot path
	wildcard  wildcard  // pAny
	process   processContents
	kids      []*particle
	emptiable bool // it can match nothing
}

// wildcard is the namespace constraint of an xs:any.
type wildcard struct {
	any   bool     // ##any
	other string   // ##other: any namespace but this one (and not absent)
	list  []string // explicit list; "" stands for ##local
}

func (w wildcard) allows(ns string) bool {
	switch {
	case w.any:
		return true
	case w.other != "":
		return ns != "" && ns != w.other
	}
	return slices.Contains(w.list, ns)
}

func (p *particle) computeEmptiable() bool {
	switch p.kind {
	case pSequence:
		all := true
		for _, k := range p.kids {
			if !k.computeEmptiable() {
				all = false
			}
		}
		p.emptiable = p.min == 0 || all
	case pChoice:
		some := len(p.kids) == 0
		for _, k := range p.kids {
			if k.computeEmptiable() {
				some = true
			}
		}
		p.emptiable = p.min == 0 || some
	default:
		p.emptiable = p.min == 0
	}
	return p.emptiable
}

func (p *particle) collectNames(m map[qname]*particle) {
	if p.kind == pElement {
		if _, ok := m[p.name]; !ok {
			m[p.name] = p
		}
	}
	for _, k := range p.kids {
		k.collectNames(m)
	}
}

func (p *particle) canTakeMore(n int) bool { return p.max < 0 || n < p.max }

// state is where matching stands in one particle: n occurrences begun
// (for a leaf: matched) and, for a group, the position inside the current
// occurrence: the index of the sequence's current child or the choice's
// chosen branch (-1: none yet) and that child's state.
type state struct {
	p   *particle
	n   int
	pos int
	kid *state
}

func newState(p *particle) *state {
	s := &state{p: p}
	if p.kind == pChoice {
		s.pos = -1
	}
	return s
}

// matcher feeds element names to a content model state. feed never
// changes the state when it does not accept the name, so a rejected
// element leaves the model where it was. In lenient mode it may skip
// required particles and records what it skipped in missing; the caller
// reports those as missing elements.
type matcher struct {
	lenient bool
	missing []string
	full    *particle // an element particle that matched the name but had reached maxOccurs
}

func (m *matcher) feed(s *state, name qname) *particle {
	p := s.p
	switch p.kind {
	case pElement:
		if p.name != name {
			return nil
		}
		if !p.canTakeMore(s.n) {
			m.full = p
			return nil
		}
		s.n++
		return p
	case pAny:
		if p.wildcard.allows(name.ns) && p.canTakeMore(s.n) {
			s.n++
			return p
		}
		return nil
	}
	mark := len(m.missing)
	if s.n > 0 {
		if e := m.inOccurrence(s, name); e != nil {
			return e
		}
		if !p.canTakeMore(s.n) {
			// Would another occurrence of a repeating group take it?
			if p.max > 1 && m.inOccurrence(newState(p), name) != nil {
				m.full = p
			}
			m.missing = m.missing[:mark]
			return nil
		}
		// The name may begin another occurrence: an element that is
		// full in this one is not too many yet.
		m.full = nil
		if !m.occurrenceDone(s) {
			if !m.lenient {
				return nil
			}
			m.missing = append(m.missing, m.occurrenceRequired(s)...)
		}
	}
	fresh := newState(p)
	if e := m.inOccurrence(fresh, name); e != nil {
		s.n++
		s.pos, s.kid = fresh.pos, fresh.kid
		return e
	}
	m.missing = m.missing[:mark]
	return nil
}

// leafAccepts tries a leaf particle that has no state yet (zero
// occurrences) without allocating one.
func leafAccepts(p *particle, name qname) bool {
	switch p.kind {
	case pElement:
		return p.name == name && p.max != 0
	case pAny:
		return p.wildcard.allows(name.ns) && p.max != 0
	}
	return false
}

func (m *matcher) inOccurrence(s *state, name qname) *particle {
	p := s.p
	if p.kind == pChoice {
		if s.pos >= 0 {
			return m.feed(s.kid, name)
		}
		for i, k := range p.kids {
			if k.kind <= pAny {
				if leafAccepts(k, name) {
					s.pos, s.kid = i, &state{p: k, n: 1}
					return k
				}
				continue
			}
			ks := newState(k)
			if e := m.feed(ks, name); e != nil {
				s.pos, s.kid = i, ks
				return e
			}
		}
		return nil
	}
	mark := len(m.missing)
	for i := s.pos; i < len(p.kids); i++ {
		k := p.kids[i]
		if i == s.pos && s.kid != nil {
			if e := m.feed(s.kid, name); e != nil {
				return e
			}
			if !m.satisfied(s.kid) {
				if !m.lenient {
					return nil
				}
				m.missing = append(m.missing, m.required(s.kid)...)
			}
			continue
		}
		if k.kind <= pAny {
			if leafAccepts(k, name) {
				s.pos, s.kid = i, &state{p: k, n: 1}
				return k
			}
		} else {
			ks := newState(k)
			if e := m.feed(ks, name); e != nil {
				s.pos, s.kid = i, ks
				return e
			}
		}
		if !k.emptiable {
			if !m.lenient {
				m.missing = m.missing[:mark]
				return nil
			}
			m.missing = append(m.missing, m.required(newState(k))...)
		}
	}
	m.missing = m.missing[:mark]
	return nil
}

func (m *matcher) satisfied(s *state) bool {
	p := s.p
	if p.kind <= pAny {
		return s.n >= p.min
	}
	if s.n == 0 {
		return p.emptiable
	}
	return m.occurrenceDone(s) && (s.n >= p.min || p.emptiable)
}

func (m *matcher) occurrenceDone(s *state) bool {
	p := s.p
	if p.kind == pChoice {
		if s.pos >= 0 {
			return m.satisfied(s.kid)
		}
		for _, k := range p.kids {
			if k.emptiable {
				return true
			}
		}
		return len(p.kids) == 0
	}
	for i := s.pos; i < len(p.kids); i++ {
		if i == s.pos && s.kid != nil {
			if !m.satisfied(s.kid) {
				return false
			}
			continue
		}
		if !p.kids[i].emptiable {
			return false
		}
	}
	return true
}

// required describes what s still needs to be satisfied, one entry per
// missing element (or "one of (A, B)" for a choice).
func (m *matcher) required(s *state) []string {
	p := s.p
	switch p.kind {
	case pElement:
		if s.n < p.min {
			return []string{p.name.local}
		}
		return nil
	case pAny:
		if s.n < p.min {
			return []string{"an element of any namespace"}
		}
		return nil
	}
	if s.n == 0 {
		if p.emptiable {
			return nil
		}
		return m.occurrenceRequired(newState(p))
	}
	if !m.occurrenceDone(s) {
		return m.occurrenceRequired(s)
	}
	if s.n < p.min && !p.emptiable {
		return m.occurrenceRequired(newState(p))
	}
	return nil
}

func (m *matcher) occurrenceRequired(s *state) []string {
	p := s.p
	if p.kind == pChoice {
		if s.pos >= 0 {
			return m.required(s.kid)
		}
		var alts []string
		for _, k := range p.kids {
			alts = append(alts, describe(k))
		}
		return []string{"one of (" + strings.Join(alts, ", ") + ")"}
	}
	var out []string
	for i := s.pos; i < len(p.kids); i++ {
		if i == s.pos && s.kid != nil {
			out = append(out, m.required(s.kid)...)
			continue
		}
		if !p.kids[i].emptiable {
			out = append(out, m.required(newState(p.kids[i]))...)
		}
	}
	return out
}

// describe names a particle briefly for a list of alternatives.
func describe(p *particle) string {
	switch p.kind {
	case pElement:
		return p.name.local
	case pAny:
		return "any element"
	}
	var parts []string
	for _, k := range p.kids {
		parts = append(parts, describe(k))
	}
	sep := ", "
	if p.kind == pChoice {
		sep = " | "
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// firsts adds the element and wildcard particles s accepts next, in model
// order, and reports whether s is satisfied, so that the caller goes on to
// the following particles.
func (m *matcher) firsts(s *state, out *[]*particle) bool {
	p := s.p
	switch p.kind {
	case pElement, pAny:
		if p.canTakeMore(s.n) {
			addParticle(out, p)
		}
		return s.n >= p.min
	}
	if s.n > 0 {
		done := m.occurrenceFirsts(s, out)
		if done && p.canTakeMore(s.n) {
			m.occurrenceFirsts(newState(p), out)
		}
	} else if p.max != 0 {
		m.occurrenceFirsts(newState(p), out)
	}
	return m.satisfied(s)
}

func (m *matcher) occurrenceFirsts(s *state, out *[]*particle) bool {
	p := s.p
	if p.kind == pChoice {
		if s.pos >= 0 {
			return m.firsts(s.kid, out)
		}
		done := len(p.kids) == 0
		for _, k := range p.kids {
			if m.firsts(newState(k), out) {
				done = true
			}
		}
		return done
	}
	for i := s.pos; i < len(p.kids); i++ {
		k := s.kid
		if i != s.pos || k == nil {
			k = newState(p.kids[i])
		}
		if !m.firsts(k, out) {
			return false
		}
	}
	return true
}

func addParticle(out *[]*particle, p *particle) {
	for _, x := range *out {
		if x == p || (x.kind == pElement && p.kind == pElement && x.name == p.name) {
			return
		}
	}
	*out = append(*out, p)
}

func occursText(max int) string {
	if max == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", max)
}
