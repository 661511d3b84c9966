package crmapi

import (
	"bytes"
	"strconv"
)

// A fast path for the lines of rules.jsonl. jobs writes every rule in one
// shape, {"antecedent":[…],"consequent":[…],"support":N,
// "relative_support":X,"confidence":X,"lift":X}, with item names that
// need no escaping; decoding a million such lines with encoding/json
// costs seconds. fastRule reads exactly that shape, looking item names up
// in the catalogue without allocating them and carving the id slices out
// of a shared arena; any other line (another key order, escapes,
// whitespace, unknown items, an empty side) is left to encoding/json, so
// what is accepted and the errors returned are unchanged. Numbers are
// parsed with strconv as encoding/json does.

// idArena hands out small []int32 from large blocks.
type idArena struct{ buf []int32 }

func (a *idArena) alloc(n int) []int32 {
	if len(a.buf) < n {
		a.buf = make([]int32, max(n, 1<<16))
	}
	s := a.buf[:n:n]
	a.buf = a.buf[n:]
	return s
}

// fastRule decodes l into r, or reports false when l is not in the
// canonical shape (or names an item not in the catalogue).
func (m *Model) fastRule(l []byte, a *idArena, r *rule) bool {
	p := fastParser{b: l}
	var ok bool
	if !p.lit(`{"antecedent":`) {
		return false
	}
	if r.ant, ok = p.items(m, a); !ok || len(r.ant) == 0 {
		return false
	}
	if !p.lit(`,"consequent":`) {
		return false
	}
	if r.cons, ok = p.items(m, a); !ok || len(r.cons) == 0 {
		return false
	}
	if !p.lit(`,"support":`) {
		return false
	}
	sn := p.number()
	if !jsonNumber(sn) {
		return false
	}
	n, err := strconv.Atoi(string(sn))
	if err != nil {
		return false
	}
	r.support = n
	for _, f := range []struct {
		key string
		v   *float64
	}{{`,"relative_support":`, &r.relSupport}, {`,"confidence":`, &r.confidence}, {`,"lift":`, &r.lift}} {
		if !p.lit(f.key) {
			return false
		}
		num := p.number()
		if !jsonNumber(num) {
			return false
		}
		if *f.v, err = strconv.ParseFloat(string(num), 64); err != nil {
			return false
		}
	}
	return p.lit("}") && len(bytes.TrimRight(p.b, " \t\r")) == 0
}

// fastParser walks a line.
type fastParser struct{ b []byte }

func (p *fastParser) lit(s string) bool {
	if len(p.b) < len(s) || string(p.b[:len(s)]) != s {
		return false
	}
	p.b = p.b[len(s):]
	return true
}

// number returns the bytes of a JSON number token (not validated beyond
// its characters; strconv rejects the rest).
func (p *fastParser) number() []byte {
	i := 0
	for i < len(p.b) {
		c := p.b[i]
		if (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'e' || c == 'E' || c == '+' {
			i++
			continue
		}
		break
	}
	n := p.b[:i]
	p.b = p.b[i:]
	return n
}

// jsonNumber reports whether b is a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func jsonNumber(b []byte) bool {
	digits := func() int {
		n := 0
		for len(b) > 0 && b[0] >= '0' && b[0] <= '9' {
			b, n = b[1:], n+1
		}
		return n
	}
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	switch {
	case len(b) > 0 && b[0] == '0':
		b = b[1:]
	case digits() == 0:
		return false
	}
	if len(b) > 0 && b[0] == '.' {
		b = b[1:]
		if digits() == 0 {
			return false
		}
	}
	if len(b) > 0 && (b[0] == 'e' || b[0] == 'E') {
		b = b[1:]
		if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
			b = b[1:]
		}
		if digits() == 0 {
			return false
		}
	}
	return len(b) == 0
}

// items reads an array of plain strings as sorted catalogue ids.
func (p *fastParser) items(m *Model, a *idArena) ([]int32, bool) {
	if !p.lit("[") {
		return nil, false
	}
	var tmp [8]int32
	ids := tmp[:0]
	if p.lit("]") {
		return nil, true
	}
	for {
		if !p.lit(`"`) {
			return nil, false
		}
		end := bytes.IndexByte(p.b, '"')
		if end < 0 {
			return nil, false
		}
		name := p.b[:end]
		for _, c := range name {
			if c == '\\' || c < 0x20 || c >= 0x80 {
				return nil, false // escapes and non-ASCII: encoding/json decides
			}
		}
		id, ok := m.itemIndex[string(name)]
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
		p.b = p.b[end+1:]
		if p.lit("]") {
			break
		}
		if !p.lit(",") {
			return nil, false
		}
	}
	out := a.alloc(len(ids))
	copy(out, ids)
	sortIDs(out)
	return out, true
}
