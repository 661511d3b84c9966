package sequences

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Mine returns every pattern contained in at least opt.MinCount sequences of
// db under the time constraints of opt, each with its support, in the
// canonical order of Sort. It returns an error wrapping ErrInvalidOptions or
// ErrInvalidInput (naming the sequence and event) for bad options or input.
//
// The algorithm is PrefixSpan with pseudo-projection in which a projection
// keeps, per supporting sequence, every end of the prefix's occurrences with
// its latest start (see doc.go); opt.Workers > 1 mines the subtrees of the
// single items in that many goroutines.
func Mine(db []Sequence, opt Options) ([]Pattern, error) {
	if err := opt.validateMining(); err != nil {
		return nil, err
	}
	if err := validateDB(db); err != nil {
		return nil, err
	}
	f := newFlatDB(db, opt.MinCount)
	if len(f.orig) == 0 {
		return []Pattern{}, nil
	}
	roots := rootProjections(f, opt.limits().window)
	var out []Pattern
	var found atomic.Int64
	workers := min(max(opt.Workers, 1), len(roots))
	if workers <= 1 {
		m := newMiner(f, opt, &found)
		for x := range roots {
			if m.stop {
				break
			}
			m.mineRoot(int32(x), &roots[x])
		}
		out = m.out
	} else {
		var next atomic.Int64
		outs := make([][]Pattern, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := newMiner(f, opt, &found)
				for !m.stop {
					x := next.Add(1) - 1
					if x >= int64(len(roots)) {
						break
					}
					if opt.MaxPatterns > 0 && found.Load() > int64(opt.MaxPatterns) {
						break
					}
					m.mineRoot(int32(x), &roots[x])
				}
				outs[w] = m.out
			}()
		}
		wg.Wait()
		for _, o := range outs {
			out = append(out, o...)
		}
	}
	if opt.MaxPatterns > 0 && found.Load() > int64(opt.MaxPatterns) {
		return nil, fmt.Errorf("%w: more than %d", ErrTooManyPatterns, opt.MaxPatterns)
	}
	Sort(out)
	return out, nil
}

// projection is a pseudo-projected database: for each supporting sequence
// sid[k], the ends end[off[k]:off[k+1]] (ascending event indexes) of the
// prefix's occurrences and, with a window, their latest starts.
type projection struct {
	sid   []int32
	off   []int32
	end   []int32
	start []int64 // nil without a window
}

// rootProjections builds the projection of every single item.
func rootProjections(f *flatDB, window bool) []projection {
	n := len(f.orig)
	var nSid, nEnd int
	for x := range n {
		nSid += int(f.sup[x])
		nEnd += int(f.occ[x])
	}
	sidBuf := make([]int32, nSid)
	offBuf := make([]int32, nSid+n)
	endBuf := make([]int32, nEnd)
	var startBuf []int64
	if window {
		startBuf = make([]int64, nEnd)
	}
	roots := make([]projection, n)
	var sb, ob, eb int
	for x := range roots {
		s, e := int(f.sup[x]), int(f.occ[x])
		p := projection{sid: sidBuf[sb : sb : sb+s], off: offBuf[ob : ob+1 : ob+s+1], end: endBuf[eb : eb : eb+e]}
		if window {
			p.start = startBuf[eb : eb : eb+e]
		}
		roots[x] = p
		sb, ob, eb = sb+s, ob+s+1, eb+e
	}
	for s := range f.numSeqs() {
		for e := f.seqEv[s]; e < f.seqEv[s+1]; e++ {
			for _, x := range f.event(e) {
				p := &roots[x]
				if k := len(p.sid); k == 0 || p.sid[k-1] != int32(s) {
					p.sid = append(p.sid, int32(s))
					p.off = append(p.off, 0)
				}
				p.end = append(p.end, e)
				if window {
					p.start = append(p.start, f.times[e])
				}
				p.off[len(p.off)-1] = int32(len(p.end))
			}
		}
	}
	return roots
}

// miner is the state of one goroutine's depth-first search.
type miner struct {
	f        *flatDB
	minCount int32
	maxLen   int
	window   bool
	sw       sweeper
	found    *atomic.Int64 // patterns found by all goroutines
	limit    int64         // MaxPatterns, or 0
	stop     bool          // the limit was passed: unwind

	// Per dense item, reset after each node: the tallies of its item- and
	// sequence-extension.
	tallyI, tallyS     []tally
	touchedI, touchedS []int32

	arenas []*arena // arenas[d] holds the children of a node of d items
	prefix []int32  // dense items of the current pattern
	isNew  []bool   // whether prefix[i] starts a new element
	out    []Pattern
}

// arena is the reusable storage of the children of one node.
type arena struct {
	sid, off, end []int32
	start         []int64
	kids          []child
}

// tally is what a node's first pass learns of one extension: the sequences
// it occurs in, the ends it gets, the last sequence counted (k+1) and, while
// filling, the index of its child (c+1). One struct keeps them in one cache
// line.
type tally struct {
	sup, ent, stamp, child int32
}

// child is one frequent extension of a node and its projection.
type child struct {
	item int32
	seq  bool // sequence-extension (new element) rather than item-extension
	p    projection
}

func newMiner(f *flatDB, opt Options, found *atomic.Int64) *miner {
	n := len(f.orig)
	m := &miner{f: f, minCount: int32(opt.MinCount), maxLen: opt.MaxLength, window: opt.limits().window,
		found: found, limit: int64(opt.MaxPatterns)}
	m.sw.lim = opt.limits()
	m.tallyI = make([]tally, n)
	m.tallyS = make([]tally, n)
	return m
}

// mineRoot mines the subtree of single item x.
func (m *miner) mineRoot(x int32, p *projection) {
	m.prefix = append(m.prefix[:0], x)
	m.isNew = append(m.isNew[:0], true)
	m.node(p, x)
}

// node emits the current prefix, whose projection is p and whose last item
// is last, and mines its extensions.
func (m *miner) node(p *projection, last int32) {
	m.emit(int32(len(p.sid)))
	depth := len(m.prefix)
	if m.stop || (m.maxLen > 0 && depth >= m.maxLen) {
		return
	}
	kids := m.extend(p, last, depth)
	for i := range kids {
		if m.stop {
			return
		}
		c := &kids[i]
		m.prefix = append(m.prefix, c.item)
		m.isNew = append(m.isNew, c.seq)
		m.node(&c.p, c.item)
		m.prefix = m.prefix[:depth]
		m.isNew = m.isNew[:depth]
	}
}

// emit appends the current prefix with its support to the output.
func (m *miner) emit(support int32) {
	items := make([]Item, len(m.prefix))
	nElem := 0
	for i, x := range m.prefix {
		items[i] = m.f.orig[x]
		if m.isNew[i] {
			nElem++
		}
	}
	elems := make([][]Item, 0, nElem)
	begin := 0
	for i := 1; i <= len(m.prefix); i++ {
		if i == len(m.prefix) || m.isNew[i] {
			elems = append(elems, items[begin:i:i])
			begin = i
		}
	}
	m.out = append(m.out, Pattern{Elements: elems, Support: int(support)})
	if m.limit > 0 && m.found.Add(1) > m.limit {
		m.stop = true
	}
}

// ends returns the ends of p's k-th sequence and their starts.
func (p *projection) ends(k int) ([]int32, []int64) {
	a, b := p.off[k], p.off[k+1]
	if p.start == nil {
		return p.end[a:b], nil
	}
	return p.end[a:b], p.start[a:b]
}

// after returns the items of event e greater than last, which e contains.
func (m *miner) after(e int32, last int32) []int32 {
	ev := m.f.event(e)
	i, _ := slices.BinarySearch(ev, last)
	return ev[i+1:]
}

// arena returns the arena for the children of a node of depth items.
func (m *miner) arena(depth int) *arena {
	for len(m.arenas) <= depth {
		m.arenas = append(m.arenas, &arena{})
	}
	return m.arenas[depth]
}
