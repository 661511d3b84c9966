package rules

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/quarrydata/quarry/algorithms/itemsets"
)

// ext is a one-item extension of an itemset X: X ∪ {item} is the input
// itemset number set.
type ext struct {
	item Item
	set  int32
}

// lattice indexes the input itemsets by their one-item extensions, so that
// rules are found by walking supersets without hashing. Set number -1
// stands for the empty itemset.
type lattice struct {
	sets  []itemsets.Itemset
	first []int32 // extensions of set s: exts[first[s+1]:first[s+2]]
	exts  []ext
	order []int32 // set numbers in canonical order
}

// newLattice validates sets (sorted items, supports within [1, n], no
// conflicting duplicates, every (k−1)-subset of a k-itemset present) and
// indexes them.
func newLattice(sets []itemsets.Itemset, n int) (*lattice, error) {
	byKey := make(map[string]int32, len(sets))
	var key []byte
	for i, s := range sets {
		for k := 1; k < len(s.Items); k++ {
			if s.Items[k] <= s.Items[k-1] {
				return nil, fmt.Errorf("%w: itemset %v is not sorted ascending without repeats", ErrInvalid, s.Items)
			}
		}
		if len(s.Items) == 0 {
			return nil, fmt.Errorf("%w: empty itemset", ErrInvalid)
		}
		if s.Support < 1 || s.Support > n {
			return nil, fmt.Errorf("%w: itemset %v has support %d outside [1, %d]", ErrInvalid, s.Items, s.Support, n)
		}
		key = appendKey(key[:0], s.Items)
		if j, dup := byKey[string(key)]; dup {
			return nil, fmt.Errorf("%w: itemset %v given twice (supports %d and %d)", ErrInvalid, s.Items, sets[j].Support, s.Support)
		}
		byKey[string(key)] = int32(i)
	}
	// parent[p] is the subset of set i without its p-th item, found once
	// for counting and filling.
	l := &lattice{sets: sets, first: make([]int32, len(sets)+2)}
	parents := make([]int32, 0, 64)
	var sub []Item
	lookup := func(s itemsets.Itemset) ([]int32, error) {
		parents = parents[:0]
		if len(s.Items) == 1 {
			return append(parents, -1), nil
		}
		for p := range s.Items {
			sub = append(append(sub[:0], s.Items[:p]...), s.Items[p+1:]...)
			key = appendKey(key[:0], sub)
			j, ok := byKey[string(key)]
			if !ok {
				return nil, fmt.Errorf("%w: %v, a subset of %v; pass all frequent itemsets, not only closed or maximal ones", ErrMissingSubset, sub, s.Items)
			}
			parents = append(parents, j)
		}
		return parents, nil
	}
	for _, s := range sets {
		ps, err := lookup(s)
		if err != nil {
			return nil, err
		}
		for _, j := range ps {
			l.first[j+2]++
		}
	}
	for i := 2; i < len(l.first); i++ {
		l.first[i] += l.first[i-1]
	}
	l.exts = make([]ext, l.first[len(l.first)-1])
	cursor := slices.Clone(l.first)
	for i, s := range sets {
		ps, _ := lookup(s)
		for p, j := range ps {
			l.exts[cursor[j+1]] = ext{item: s.Items[p], set: int32(i)}
			cursor[j+1]++
		}
	}
	for s := -1; s < len(sets); s++ {
		slices.SortFunc(l.extsOf(int32(s)), func(a, b ext) int { return cmp.Compare(a.item, b.item) })
	}
	l.order = make([]int32, len(sets))
	for i := range l.order {
		l.order[i] = int32(i)
	}
	if !slices.IsSortedFunc(sets, itemsets.Compare) {
		slices.SortFunc(l.order, func(a, b int32) int { return slices.Compare(sets[a].Items, sets[b].Items) })
	}
	return l, nil
}

// extsOf returns the extensions of set s (-1: the empty set), ascending by
// item.
func (l *lattice) extsOf(s int32) []ext {
	return l.exts[l.first[s+1]:l.first[s+2]]
}

// find returns the set number of set s extended by item, or -1.
func (l *lattice) find(s int32, item Item) int32 {
	es := l.extsOf(s)
	i, ok := slices.BinarySearchFunc(es, item, func(e ext, x Item) int {
		switch {
		case e.item < x:
			return -1
		case e.item > x:
			return 1
		}
		return 0
	})
	if !ok {
		return -1
	}
	return es[i].set
}

func appendKey(b []byte, items []Item) []byte {
	for _, it := range items {
		b = binary.LittleEndian.AppendUint32(b, it)
	}
	return b
}
