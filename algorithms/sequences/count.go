package sequences

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// Count returns, for each candidate pattern (a list of elements, each a
// non-empty ascending itemset), the number of sequences of db that contain
// it under the time constraints of opt; opt.MinCount and opt.MaxLength are
// ignored. It is the exact second phase of a partitioned run. With
// opt.Workers > 1 the sequences are split among that many goroutines.
func Count(db []Sequence, candidates [][][]Item, opt Options) ([]int, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if err := validateDB(db); err != nil {
		return nil, err
	}
	t, err := newTrie(candidates)
	if err != nil {
		return nil, err
	}
	workers := min(max(opt.Workers, 1), len(db))
	if workers <= 1 {
		c := t.counter(opt)
		for _, seq := range db {
			c.add(seq)
		}
		return c.counts, nil
	}
	parts := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(db)/workers, (w+1)*len(db)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := t.counter(opt)
			for _, seq := range db[lo:hi] {
				c.add(seq)
			}
			parts[w] = c.counts
		}()
	}
	wg.Wait()
	counts := parts[0]
	for _, p := range parts[1:] {
		for i, n := range p {
			counts[i] += n
		}
	}
	return counts, nil
}

// Counter counts candidate patterns over sequences added one at a time, for
// streaming a partition through. It is not safe for concurrent use.
type Counter struct {
	c *counter
}

// NewCounter returns a Counter for the candidates (see Count) under the time
// constraints of opt.
func NewCounter(candidates [][][]Item, opt Options) (*Counter, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	t, err := newTrie(candidates)
	if err != nil {
		return nil, err
	}
	return &Counter{c: t.counter(opt)}, nil
}

// Add counts the candidates contained in seq. It returns an error wrapping
// ErrInvalidInput, and counts nothing, when seq breaks the input rules.
func (c *Counter) Add(seq Sequence) error {
	if err := validateDB([]Sequence{seq}); err != nil {
		return err
	}
	c.c.add(seq)
	return nil
}

// Counts returns the number of added sequences containing each candidate,
// in the candidates' order. The slice is the Counter's own: it changes with
// later calls to Add.
func (c *Counter) Counts() []int { return c.c.counts }

// trie is the candidates as a prefix tree: node 0 is the empty pattern; a
// node's item-children add an item to its last element, its
// sequence-children start a new element.
type trie struct {
	nodes []trieNode
	root  map[Item]int32 // first item -> node
	nCand int
}

type trieNode struct {
	item         Item
	term         []int32 // candidates ending here
	itemsI       []Item  // item-children, ascending ...
	kidsI        []int32 // ... and their nodes
	itemsS       []Item  // sequence-children, ascending ...
	kidsS        []int32 // ... and their nodes
	depth        int32
	unsortedKids bool
}

func newTrie(candidates [][][]Item) (*trie, error) {
	t := &trie{nodes: []trieNode{{}}, root: make(map[Item]int32), nCand: len(candidates)}
	for ci, cand := range candidates {
		if len(cand) == 0 {
			return nil, fmt.Errorf("%w: candidate %d is empty", ErrInvalidInput, ci)
		}
		at := int32(0)
		for ei, el := range cand {
			if len(el) == 0 {
				return nil, fmt.Errorf("%w: candidate %d: element %d is empty", ErrInvalidInput, ci, ei)
			}
			for k, it := range el {
				if k > 0 && it <= el[k-1] {
					return nil, fmt.Errorf("%w: candidate %d: element %d is not sorted ascending without duplicates", ErrInvalidInput, ci, ei)
				}
				at = t.child(at, it, k == 0)
			}
		}
		t.nodes[at].term = append(t.nodes[at].term, int32(ci))
	}
	for i := range t.nodes {
		n := &t.nodes[i]
		if n.unsortedKids {
			sortKids(n.itemsI, n.kidsI)
			sortKids(n.itemsS, n.kidsS)
			n.unsortedKids = false
		}
	}
	return t, nil
}

// child returns the child of node at for item it (a sequence-child when seq),
// adding it when missing.
func (t *trie) child(at int32, it Item, seq bool) int32 {
	if at == 0 {
		if c, ok := t.root[it]; ok {
			return c
		}
		c := t.add(it, 1)
		t.root[it] = c
		return c
	}
	n := &t.nodes[at]
	items, kids := n.itemsI, n.kidsI
	if seq {
		items, kids = n.itemsS, n.kidsS
	}
	for i, x := range items {
		if x == it {
			return kids[i]
		}
	}
	c := t.add(it, t.nodes[at].depth+1)
	n = &t.nodes[at]
	if seq {
		n.itemsS = append(n.itemsS, it)
		n.kidsS = append(n.kidsS, c)
	} else {
		n.itemsI = append(n.itemsI, it)
		n.kidsI = append(n.kidsI, c)
	}
	n.unsortedKids = true
	return c
}

func (t *trie) add(it Item, depth int32) int32 {
	t.nodes = append(t.nodes, trieNode{item: it, depth: depth})
	return int32(len(t.nodes) - 1)
}

// sortKids sorts items ascending, permuting kids alike.
func sortKids(items []Item, kids []int32) {
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(items[a], items[b]) })
	si := make([]Item, len(items))
	sk := make([]int32, len(kids))
	for i, j := range idx {
		si[i], sk[i] = items[j], kids[j]
	}
	copy(items, si)
	copy(kids, sk)
}

func (t *trie) counter(opt Options) *counter {
	c := &counter{t: t, counts: make([]int, t.nCand), window: opt.limits().window}
	c.sw.lim = opt.limits()
	return c
}
