package itemsets

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/quarrydata/quarry/algorithms/support"
)

// MinePartitioned mines the union of the partitions parts as one database,
// in the two phases of Savasere, Omiecinski and Navathe (SON), and returns
// exactly what Mine returns on the concatenated transactions.
//
// Phase 1 mines every partition for all frequent itemsets at the scaled
// threshold support.Local(MinCount, len(part), N): an itemset frequent in
// the whole is frequent at that threshold in some partition, so the union
// of the local results holds every globally frequent itemset. Phase 2
// counts each candidate exactly over all partitions with a Counter and
// keeps those with support of at least MinCount.
//
// Closed and maximal itemsets do not decompose over partitions, so for
// those Kinds the two phases compute all frequent itemsets (with MaxSize+1
// when MaxSize is set) and the closed or maximal ones are selected from
// that exact global family: X is closed when no X∪{i} in it has X's
// support, maximal when no X∪{i} is in it at all. Checking one-item
// supersets suffices because support is anti-monotone.
//
// opt.MaxPatterns, when positive, bounds every partition's local result as
// well as the final one, so a partitioned run may return
// ErrTooManyPatterns where Mine would not (its local candidates, or for
// Closed and Maximal all frequent itemsets, can outnumber the result), but
// never returns more than MaxPatterns itemsets.
//
// With opt.Workers above 1 the partitions are mined and counted
// concurrently; the result does not depend on it. The cluster runs the
// same phases with Mine and Counter on its workers.
func MinePartitioned(parts [][][]Item, opt Options) ([]Itemset, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n < opt.MinCount {
		return []Itemset{}, nil
	}
	local := Options{MinCount: 1, MaxSize: opt.MaxSize, Kind: All, MaxPatterns: opt.MaxPatterns}
	if opt.Kind != All && opt.MaxSize > 0 {
		local.MaxSize = opt.MaxSize + 1
	}

	// Phase 1: local mining, union of the candidates.
	results := make([][]Itemset, len(parts))
	errs := make([]error, len(parts))
	forEach(len(parts), opt.Workers, func(i int) {
		if len(parts[i]) == 0 {
			return
		}
		o := local
		o.MinCount = support.Local(opt.MinCount, len(parts[i]), n)
		results[i], errs[i] = Mine(parts[i], o)
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	var cands [][]Item
	var key []byte
	for _, r := range results {
		for _, s := range r {
			key = appendKey(key[:0], s.Items)
			if !seen[string(key)] {
				seen[string(key)] = true
				cands = append(cands, s.Items)
			}
		}
	}

	// Phase 2: exact global counts.
	base := NewCounter(cands)
	counters := make([]*Counter, len(parts))
	forEach(len(parts), opt.Workers, func(i int) {
		c := base.Fork()
		for _, tx := range parts[i] {
			c.Add(tx)
		}
		counters[i] = c
	})
	total := make([]int, len(cands))
	for _, c := range counters {
		for i, k := range c.Counts() {
			total[i] += k
		}
	}
	out := []Itemset{}
	for i, items := range cands {
		if total[i] >= opt.MinCount {
			out = append(out, Itemset{Items: items, Support: total[i]})
		}
	}
	if opt.Kind != All {
		out = SelectKind(out, opt.Kind, opt.MaxSize)
	}
	if opt.MaxPatterns > 0 && len(out) > opt.MaxPatterns {
		return nil, fmt.Errorf("%w: more than %d at min count %d; raise the minimum support, bound the itemset size, or mine closed or maximal itemsets",
			ErrTooManyPatterns, opt.MaxPatterns, opt.MinCount)
	}
	Sort(out)
	return out, nil
}

// SelectKind returns the closed (kind Closed) or maximal (any other kind)
// sets of the complete family sets of frequent itemsets, without those
// above maxSize (if positive), in a new slice (sets is left as it is): X is closed when no X∪{i} in the family has X's
// support, maximal when no X∪{i} is in it at all; one-item supersets
// suffice since support is anti-monotone. It is how a partitioned run,
// which can only count all frequent itemsets exactly, gets the closed or
// maximal ones.
func SelectKind(sets []Itemset, kind Kind, maxSize int) []Itemset {
	index := make(map[string]int, len(sets))
	var key []byte
	for i, s := range sets {
		key = appendKey(key[:0], s.Items)
		index[string(key)] = i
	}
	drop := make([]bool, len(sets))
	sub := make([]Item, 0, 16)
	for _, s := range sets {
		for i := range s.Items {
			sub = append(append(sub[:0], s.Items[:i]...), s.Items[i+1:]...)
			if len(sub) == 0 {
				continue
			}
			key = appendKey(key[:0], sub)
			j, ok := index[string(key)]
			if ok && (kind == Maximal || sets[j].Support == s.Support) {
				drop[j] = true
			}
		}
	}
	var out []Itemset
	for i, s := range sets {
		if !drop[i] && (maxSize == 0 || len(s.Items) <= maxSize) {
			out = append(out, s)
		}
	}
	return out
}

// appendKey appends a byte key for a sorted item list.
func appendKey(b []byte, items []Item) []byte {
	for _, it := range items {
		b = binary.LittleEndian.AppendUint32(b, it)
	}
	return b
}

// forEach calls f(0..n-1), on up to workers goroutines when workers > 1.
func forEach(n, workers int, f func(int)) {
	if workers <= 1 || n <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	ch := make(chan int)
	for range min(workers, n) {
		wg.Go(func() {
			for i := range ch {
				f(i)
			}
		})
	}
	for i := range n {
		ch <- i
	}
	close(ch)
	wg.Wait()
}
