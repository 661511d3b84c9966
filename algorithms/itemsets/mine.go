package itemsets

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// Mine returns the frequent itemsets of txs (all, closed or maximal, as
// opt.Kind says) whose support is at least opt.MinCount, in the canonical
// order of Sort. A transaction is a set: an item listed twice in one
// transaction counts once. Item ids may be any uint32 values.
//
// The empty itemset is never reported. An empty database, or one with fewer
// transactions than MinCount, yields an empty result, not an error.
func Mine(txs [][]Item, opt Options) ([]Itemset, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if len(txs) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d transactions exceed the limit of %d per call", ErrInvalidOptions, len(txs), math.MaxInt32)
	}
	if len(txs) < opt.MinCount {
		return []Itemset{}, nil
	}
	r := newRoot(txs, opt.MinCount)
	m := &miner{kind: opt.Kind, min: opt.MinCount, maxSize: opt.MaxSize, rootItem: r.rank}
	if opt.MaxPatterns > 0 {
		m.limit = &limit{max: int64(opt.MaxPatterns)}
	}
	lv := m.level(0)
	r.fill(&lv.db, opt.Kind == Closed)

	n := len(txs)
	if opt.Kind == All {
		m.perf = append(m.perf, r.perfect...)
		m.emit(n) // the non-empty subsets of the items in every transaction
	} else {
		m.core = append(m.core, r.perfect...)
		if len(m.core) > 0 && (opt.MaxSize == 0 || len(m.core) <= opt.MaxSize) &&
			(opt.Kind == Closed || lv.db.nItems == 0) {
			m.emit(n)
		}
	}
	var out []Itemset
	miners := []*miner{m}
	switch {
	case lv.db.nItems == 0 || (opt.MaxSize > 0 && len(m.core) >= opt.MaxSize):
		out = m.results()
	case opt.Workers <= 1:
		m.expand(0)
		out = m.results()
	default:
		out, miners = mineParallel(m, opt.Workers)
	}
	if m.limit != nil && m.limit.exceeded(miners...) {
		return nil, fmt.Errorf("%w: more than %d at min count %d; raise the minimum support, bound the itemset size, or mine closed or maximal itemsets",
			ErrTooManyPatterns, opt.MaxPatterns, opt.MinCount)
	}
	return r.finish(out), nil
}

// finish sorts the mined sets, whose items are ranks, canonically and puts
// the input items in place of the ranks.
func (r *root) finish(out []Itemset) []Itemset {
	sortRanked(out, len(r.item))
	byRank := slices.Clone(r.item)
	slices.Sort(byRank)
	for _, s := range out {
		for k, x := range s.Items {
			s.Items[k] = byRank[x]
		}
	}
	return out
}

// mineParallel extends the root's candidates on several goroutines, each
// with its own search stack over the shared, read-only root database.
func mineParallel(m *miner, workers int) ([]Itemset, []*miner) {
	root := m.levels[0]
	root.deliver()
	var next atomic.Int64
	miners := make([]*miner, workers)
	var wg sync.WaitGroup
	for w := range miners {
		wm := &miner{kind: m.kind, min: m.min, maxSize: m.maxSize, rootItem: m.rootItem, limit: m.limit}
		wm.core = append(wm.core, m.core...)
		wm.perf = append(wm.perf, m.perf...)
		wm.levels = []*level{{db: root.db, freq: root.freq, occStart: root.occStart, occ: root.occ}}
		wm.levels[0].ensureScratch()
		miners[w] = wm
		wg.Go(func() {
			for {
				e := int(next.Add(1) - 1)
				if e >= root.db.nLow || wm.stopped {
					return
				}
				if root.freq[e] >= wm.min {
					wm.extend(0, uint32(e))
				}
			}
		})
	}
	wg.Wait()
	out := m.results()
	for _, wm := range miners {
		out = append(out, wm.results()...)
	}
	return out, append(miners, m)
}

// root is the input recoded for mining: frequent items numbered by
// descending support (ties by ascending id), so that conditional databases
// hold the more frequent items, as in FP-growth.
type root struct {
	item    []Item   // root id -> input item
	rank    []Item   // root id -> rank of its item among the frequent items
	perfect []uint32 // root ids of the items in every transaction
	txs     [][]Item
	dense   []int32 // input item (or its dictionary index) -> root id, -1 if infrequent
	dict    map[Item]int32
}

func newRoot(txs [][]Item, minCount int) *root {
	r := &root{txs: txs}
	var maxItem Item
	total := 0
	for _, tx := range txs {
		total += len(tx)
		for _, it := range tx {
			maxItem = max(maxItem, it)
		}
	}
	// Sparse ids are mapped through a dictionary to indexes 0..k-1.
	var orig []Item
	size := int(maxItem) + 1
	if total > 0 && uint64(maxItem) > uint64(4*total+1<<16) {
		r.dict = make(map[Item]int32)
		for _, tx := range txs {
			for _, it := range tx {
				if _, ok := r.dict[it]; !ok {
					r.dict[it] = int32(len(orig))
					orig = append(orig, it)
				}
			}
		}
		size = len(orig)
	}
	if total == 0 {
		size = 0
	}
	freq := make([]int32, size)
	last := make([]int32, size)
	for t, tx := range txs {
		for _, it := range tx {
			x := r.index(it)
			if last[x] != int32(t)+1 {
				last[x] = int32(t) + 1
				freq[x]++
			}
		}
	}
	var frequent []int32
	for x, f := range freq {
		if int(f) >= minCount {
			frequent = append(frequent, int32(x))
		}
	}
	input := func(x int32) Item {
		if orig != nil {
			return orig[x]
		}
		return Item(x)
	}
	slices.SortFunc(frequent, func(a, b int32) int {
		if c := cmp.Compare(freq[b], freq[a]); c != 0 {
			return c
		}
		return cmp.Compare(input(a), input(b))
	})
	r.dense = last // reuse: every entry is rewritten below
	for i := range r.dense {
		r.dense[i] = -1
	}
	r.item = make([]Item, len(frequent))
	for id, x := range frequent {
		r.dense[x] = int32(id)
		r.item[id] = input(x)
		if int(freq[x]) == len(txs) {
			r.perfect = append(r.perfect, uint32(id))
		}
	}
	ids := make([]uint32, len(r.item))
	for i := range ids {
		ids[i] = uint32(i)
	}
	slices.SortFunc(ids, func(a, b uint32) int { return cmp.Compare(r.item[a], r.item[b]) })
	r.rank = make([]Item, len(r.item))
	for k, id := range ids {
		r.rank[id] = Item(k)
	}
	return r
}

func (r *root) index(it Item) int32 {
	if r.dict != nil {
		return r.dict[it]
	}
	return int32(it)
}

// fill writes the root conditional database: every transaction restricted
// to the frequent items not in every transaction, sorted, deduplicated and
// merged with its equals.
func (r *root) fill(c *cdb, intersect bool) {
	c.reset()
	np := uint32(len(r.perfect)) // the perfect items are root ids 0..np-1
	c.nItems = len(r.item) - int(np)
	c.nLow = c.nItems
	for i := range c.nItems {
		c.orig = append(c.orig, uint32(i)+np)
	}
	var mg merger
	mg.init(len(r.txs))
	for _, tx := range r.txs {
		b := len(c.items)
		for _, it := range tx {
			if id := r.dense[r.index(it)]; id >= int32(np) {
				c.items = append(c.items, uint32(id)-np)
			}
		}
		s := c.items[b:]
		if len(s) == 0 {
			continue
		}
		slices.Sort(s)
		s = slices.Compact(s)
		c.items = c.items[:b+len(s)]
		mg.commit(c, b, len(s), 1, intersect)
	}
}
