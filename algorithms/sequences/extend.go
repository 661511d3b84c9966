package sequences

import (
	"cmp"
	"slices"
)

// extend finds the frequent extensions of a node of depth items, whose
// projection is p and whose last item is last, and builds their
// projections in the node's arena. It makes two passes over p: the first
// counts, for every item, the sequences in which it extends the prefix
// (once per sequence) and the number of ends it would get; the second fills
// the projections of the frequent ones, sized exactly by the first.
//
// An item-extension adds x > last to the last element: its ends are the
// prefix's ends whose event holds x, with the same starts. A
// sequence-extension appends the element {x}: its ends are the events
// holding x that the sweeper finds reachable, with the inherited starts.
func (m *miner) extend(p *projection, last int32, depth int) []child {
	f := m.f
	for k, s := range p.sid {
		stamp := int32(k + 1)
		ends, starts := p.ends(k)
		for _, e := range ends {
			for _, x := range m.after(e, last) {
				m.tallyI = m.count(m.tallyI, &m.touchedI, x, stamp)
			}
		}
		if !m.sw.lim.bounded {
			// Every event from the first reachable one on: no need to
			// list them.
			stop := f.seqEv[s+1]
			from := m.sw.firstAfter(f.times, stop, ends[0])
			for _, x := range f.items[f.evOff[from]:f.evOff[stop]] {
				m.tallyS = m.count(m.tallyS, &m.touchedS, x, stamp)
			}
			continue
		}
		m.sw.next(f.times, f.seqEv[s+1], ends, starts)
		for _, e := range m.sw.vj {
			for _, x := range f.event(e) {
				m.tallyS = m.count(m.tallyS, &m.touchedS, x, stamp)
			}
		}
	}

	a := m.arena(depth)
	kids := a.kids[:0]
	var nSid, nEnd int
	for _, x := range m.touchedI {
		if m.tallyI[x].sup >= m.minCount {
			kids = append(kids, child{item: x})
		}
	}
	nI := len(kids)
	for _, x := range m.touchedS {
		if m.tallyS[x].sup >= m.minCount {
			kids = append(kids, child{item: x, seq: true})
		}
	}
	// Children in item order, item-extensions first; the output is sorted
	// at the end, this only makes the search order reproducible.
	slices.SortFunc(kids[:nI], func(a, b child) int { return cmp.Compare(a.item, b.item) })
	slices.SortFunc(kids[nI:], func(a, b child) int { return cmp.Compare(a.item, b.item) })
	for i := range kids {
		t := m.tallyOf(&kids[i])
		t.child = int32(i + 1)
		nSid += int(t.sup)
		nEnd += int(t.ent)
	}
	if len(kids) > 0 {
		m.layout(a, kids, nSid, nEnd)
		m.fill(p, last, kids)
	}
	m.reset()
	a.kids = kids
	return kids
}

// count tallies one occurrence of extension x in the sequence with stamp.
func (m *miner) count(ts []tally, touched *[]int32, x, stamp int32) []tally {
	t := &ts[x]
	if t.stamp != stamp {
		if t.stamp == 0 {
			*touched = append(*touched, x)
		}
		t.stamp = stamp
		t.sup++
	}
	t.ent++
	return ts
}

// tallyOf returns the tally of a child's extension.
func (m *miner) tallyOf(c *child) *tally {
	if c.seq {
		return &m.tallyS[c.item]
	}
	return &m.tallyI[c.item]
}

// layout carves the children's projections out of the arena, each an empty
// slice with exactly the capacity its counts call for.
func (m *miner) layout(a *arena, kids []child, nSid, nEnd int) {
	a.sid = grow(a.sid, nSid)
	a.off = grow(a.off, nSid+len(kids))
	a.end = grow(a.end, nEnd)
	if m.window {
		a.start = grow64(a.start, nEnd)
	}
	var sb, ob, eb int
	for i := range kids {
		c := &kids[i]
		t := m.tallyOf(c)
		s, e := int(t.sup), int(t.ent)
		c.p = projection{sid: a.sid[sb : sb : sb+s], off: a.off[ob : ob+1 : ob+s+1], end: a.end[eb : eb : eb+e]}
		c.p.off[0] = 0
		if m.window {
			c.p.start = a.start[eb : eb : eb+e]
		}
		sb, ob, eb = sb+s, ob+s+1, eb+e
	}
}

// fill makes the second pass over p, appending each frequent extension's
// ends to its child.
func (m *miner) fill(p *projection, last int32, kids []child) {
	f := m.f
	for k, s := range p.sid {
		ends, starts := p.ends(k)
		for i, e := range ends {
			for _, x := range m.after(e, last) {
				if c := m.tallyI[x].child; c > 0 {
					var st int64
					if starts != nil {
						st = starts[i]
					}
					kids[c-1].p.add(s, e, st, m.window)
				}
			}
		}
		m.sw.next(f.times, f.seqEv[s+1], ends, starts)
		for i, e := range m.sw.vj {
			for _, x := range f.event(e) {
				if c := m.tallyS[x].child; c > 0 {
					var st int64
					if m.window {
						st = m.sw.vs[i]
					}
					kids[c-1].p.add(s, e, st, m.window)
				}
			}
		}
	}
}

// add appends end e (with start st when window) of sequence s; the ends of
// one sequence arrive together and ascending.
func (p *projection) add(s, e int32, st int64, window bool) {
	if k := len(p.sid); k == 0 || p.sid[k-1] != s {
		p.sid = append(p.sid, s)
		p.off = append(p.off, p.off[len(p.off)-1])
	}
	p.end = append(p.end, e)
	if window {
		p.start = append(p.start, st)
	}
	p.off[len(p.off)-1]++
}

// reset clears the per-item scratch touched by the last extend.
func (m *miner) reset() {
	for _, x := range m.touchedI {
		m.tallyI[x] = tally{}
	}
	for _, x := range m.touchedS {
		m.tallyS[x] = tally{}
	}
	m.touchedI = m.touchedI[:0]
	m.touchedS = m.touchedS[:0]
}

func grow(b []int32, n int) []int32 {
	if cap(b) < n {
		return make([]int32, n+n/4)
	}
	return b[:n]
}

func grow64(b []int64, n int) []int64 {
	if cap(b) < n {
		return make([]int64, n+n/4)
	}
	return b[:n]
}
