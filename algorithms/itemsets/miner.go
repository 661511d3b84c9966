package itemsets

import (
	"slices"
	"sync/atomic"
)

// level is one depth of the depth-first search: a conditional database with
// its item supports and occurrence lists, plus scratch space used while
// extending its candidates.
type level struct {
	db       cdb
	freq     []int   // weighted support of each low item in db
	occStart []int32 // occurrences of low item j: occ[occStart[j]:occStart[j+1]]
	occ      []int32
	cursor   []int32

	// Scratch: all entries of cnt are 0 and of newID are -1 between uses.
	cnt     []int
	newID   []int32
	touched []uint32
	kept    []uint32
	closure []uint32
	merge   merger // deduplicates the child database built from this level
}

// ensureScratch sizes the scratch arrays for db.nItems items.
func (lv *level) ensureScratch() {
	n := lv.db.nItems
	if cap(lv.cnt) < n {
		lv.cnt = make([]int, n)
		lv.newID = make([]int32, n)
		for i := range lv.newID {
			lv.newID[i] = -1
		}
	}
	lv.cnt = lv.cnt[:cap(lv.cnt)]
	lv.newID = lv.newID[:cap(lv.newID)]
}

// deliver computes the support and occurrence list of every low item in one
// pass over the database (LCM's occurrence deliver).
func (lv *level) deliver() {
	db := &lv.db
	nLow := db.nLow
	lv.freq = resize(lv.freq, nLow)
	lv.occStart = resize(lv.occStart, nLow+1)
	freq, os := lv.freq, lv.occStart
	for t := range db.start {
		w := int(db.weight[t])
		for _, j := range db.items[db.start[t]:db.end[t]] {
			if int(j) >= nLow {
				break
			}
			freq[j] += w
			os[j+1]++
		}
	}
	for j := 1; j <= nLow; j++ {
		os[j] += os[j-1]
	}
	lv.occ = resize(lv.occ, int(os[nLow]))
	lv.cursor = resize(lv.cursor, nLow)
	copy(lv.cursor, os[:nLow])
	for t := range db.start {
		for _, j := range db.items[db.start[t]:db.end[t]] {
			if int(j) >= nLow {
				break
			}
			lv.occ[lv.cursor[j]] = int32(t)
			lv.cursor[j]++
		}
	}
	lv.ensureScratch()
}

// resize returns s with length n and all elements zero.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// miner runs the depth-first search of one goroutine.
type miner struct {
	kind     Kind
	min      int
	maxSize  int    // 0: unlimited
	rootItem []Item // root id -> the item's rank, which the result holds until finish
	levels   []*level
	core     []uint32    // root ids of the itemset being extended
	perf     []uint32    // root ids of perfect extensions on the path (All only)
	limit    *limit      // shared bound on the number of results; nil: none
	stopped  bool        // the bound was exceeded: unwind the search
	out      []Itemset   // the block being filled
	full     [][]Itemset // filled blocks
	arena    []Item
	buf      []Item
}

func (m *miner) level(d int) *level {
	for len(m.levels) <= d {
		m.levels = append(m.levels, &level{})
	}
	return m.levels[d]
}

// expand mines every extension of the current core within level d.
func (m *miner) expand(d int) {
	lv := m.levels[d]
	lv.deliver()
	for e := 0; e < lv.db.nLow && !m.stopped; e++ {
		if lv.freq[e] >= m.min {
			m.extend(d, uint32(e))
		}
	}
}

// extend handles the core extended by low item e of level d: it counts the
// items co-occurring with e, reports, and recurses into the conditional
// database of the extension.
func (m *miner) extend(d int, e uint32) {
	lv := m.levels[d]
	db := &lv.db
	supp := lv.freq[e]
	occ := lv.occ[lv.occStart[e]:lv.occStart[e+1]]
	all := m.kind == All

	cnt, touched := lv.cnt, lv.touched[:0]
	for _, t := range occ {
		w := int(db.weight[t])
		for _, j := range db.items[db.start[t]:db.end[t]] {
			if j >= e {
				if all {
					break // All mode looks at items before e only
				}
				if j == e {
					continue
				}
			}
			if cnt[j] == 0 {
				touched = append(touched, j)
			}
			cnt[j] += w
		}
	}
	kept, closure := lv.kept[:0], lv.closure[:0]
	ppc := true
	for _, j := range touched {
		c := cnt[j]
		cnt[j] = 0
		switch {
		case c == supp:
			if j > e {
				ppc = false // the closure adds an earlier item: found elsewhere
			}
			closure = append(closure, j)
		case c >= m.min:
			kept = append(kept, j)
		}
	}
	lv.touched, lv.kept, lv.closure = touched, kept, closure
	if !ppc {
		return
	}
	slices.Sort(kept)
	nLow := 0
	for nLow < len(kept) && kept[nLow] < e {
		nLow++
	}

	coreLen, perfLen := len(m.core), len(m.perf)
	m.core = append(m.core, db.orig[e])
	if all {
		for _, j := range closure {
			m.perf = append(m.perf, db.orig[j])
		}
		m.emit(supp)
	} else {
		for _, j := range closure {
			m.core = append(m.core, db.orig[j])
		}
		if m.maxSize > 0 && len(m.core) > m.maxSize {
			m.core = m.core[:coreLen]
			return
		}
		if m.kind == Closed || len(kept) == 0 {
			m.emit(supp)
		}
	}
	if nLow > 0 && (m.maxSize == 0 || len(m.core) < m.maxSize) {
		m.buildChild(d, e, occ, nLow)
		m.expand(d + 1)
	}
	m.core, m.perf = m.core[:coreLen], m.perf[:perfLen]
}

// buildChild writes the conditional database of low item e of level d into
// level d+1: the transactions in occ restricted to lv.kept, renumbered.
func (m *miner) buildChild(d int, e uint32, occ []int32, nLow int) {
	lv := m.levels[d]
	db := &lv.db
	ch := m.level(d + 1)
	c := &ch.db
	c.reset()
	kept := lv.kept
	for i, j := range kept {
		lv.newID[j] = int32(i)
		c.orig = append(c.orig, db.orig[j])
	}
	c.nItems, c.nLow = len(kept), nLow
	all, closed := m.kind == All, m.kind == Closed
	lv.merge.init(len(occ))
	for _, t := range occ {
		b := len(c.items)
		nl := 0
		for _, j := range db.items[db.start[t]:db.end[t]] {
			if all && j >= e {
				break
			}
			id := lv.newID[j]
			if id < 0 {
				continue
			}
			c.items = append(c.items, uint32(id))
			if int(id) < nLow {
				nl++
			}
		}
		if nl == 0 {
			c.items = c.items[:b]
			continue
		}
		lv.merge.commit(c, b, nl, db.weight[t], closed)
	}
	for _, j := range kept {
		lv.newID[j] = -1
	}
}

// emit records the core, and in All mode the core with every subset of the
// perfect extensions on the path, all with support supp.
func (m *miner) emit(supp int) {
	m.buf = m.buf[:0]
	for _, r := range m.core {
		m.buf = append(m.buf, m.rootItem[r])
	}
	room := len(m.perf)
	if m.maxSize > 0 {
		room = min(room, m.maxSize-len(m.core))
	}
	m.emitSubsets(0, room, supp)
}

func (m *miner) emitSubsets(from, room, supp int) {
	if m.stopped {
		return
	}
	if len(m.buf) > 0 {
		items := m.alloc(len(m.buf))
		copy(items, m.buf)
		slices.Sort(items)
		if len(m.out) == cap(m.out) {
			m.grow()
		}
		m.out = append(m.out, Itemset{Items: items, Support: supp})
	}
	if room == 0 {
		return
	}
	for k := from; k < len(m.perf); k++ {
		m.buf = append(m.buf, m.rootItem[m.perf[k]])
		m.emitSubsets(k+1, room-1, supp)
		m.buf = m.buf[:len(m.buf)-1]
	}
}

// grow makes room in m.out: filled blocks are set aside in m.full and
// joined once by results, so that each itemset is copied once.
func (m *miner) grow() {
	if len(m.out) > 0 {
		m.full = append(m.full, m.out)
		if m.limit != nil && m.limit.add(len(m.out)) {
			m.stopped = true
		}
	}
	m.out = make([]Itemset, 0, min(max(2*cap(m.out), 1024), 1<<16))
}

// limit counts results across the miners of one Mine call.
type limit struct {
	max   int64
	found atomic.Int64
}

// add records n more results and reports whether the bound is exceeded.
func (l *limit) add(n int) bool { return l.found.Add(int64(n)) > l.max }

// exceeded reports whether the bound was exceeded, counting the results
// still in the miners' current blocks.
func (l *limit) exceeded(ms ...*miner) bool {
	n := l.found.Load()
	for _, m := range ms {
		if m.stopped {
			return true
		}
		n += int64(len(m.out))
	}
	return n > l.max
}

// results returns every itemset emitted, in emission order.
func (m *miner) results() []Itemset {
	if len(m.full) == 0 {
		if m.out == nil {
			return []Itemset{}
		}
		return m.out
	}
	n := len(m.out)
	for _, b := range m.full {
		n += len(b)
	}
	all := make([]Itemset, 0, n)
	for _, b := range m.full {
		all = append(all, b...)
	}
	return append(all, m.out...)
}

// alloc returns n items of the result arena, capacity-limited so that an
// append by the caller copies instead of overwriting a neighbour.
func (m *miner) alloc(n int) []Item {
	if len(m.arena)+n > cap(m.arena) {
		m.arena = make([]Item, 0, max(1<<14, n))
	}
	l := len(m.arena)
	m.arena = m.arena[:l+n]
	return m.arena[l : l+n : l+n]
}
