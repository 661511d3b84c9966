package itemsets

import (
	"slices"
)

// Counter counts exactly how many transactions contain each of a fixed list
// of candidate itemsets, as phase 2 of a partitioned run needs. It is built
// once from the candidates (a prefix trie over their sorted items) and then
// fed transactions one at a time, so a worker can stream a partition.
//
// A Counter is not safe for concurrent use; Fork gives each goroutine its
// own counts over the same shared trie, and the Counts of the forks add up.
type Counter struct {
	t      *trie
	counts []int // per trie node
	buf    []int32
}

// trie is the immutable candidate index shared by forks. Node 0 is the
// root; the children of node v are nodes child[first[v]:first[v+1]] with
// items label[first[v]:first[v+1]], ascending.
type trie struct {
	dense []int32 // input item -> dense id, -1 if in no candidate (small ids)
	dict  map[Item]int32
	first []int32
	label []int32
	child []int32
	term  []int32 // candidate index -> node
}

// NewCounter returns a Counter for the given candidates. A candidate's
// items need not be sorted and may repeat; the empty candidate is
// contained in every transaction.
func NewCounter(candidates [][]Item) *Counter {
	t := &trie{}
	var distinct []Item
	var maxItem Item
	total := 0
	for _, c := range candidates {
		total += len(c)
		for _, it := range c {
			distinct = append(distinct, it)
			maxItem = max(maxItem, it)
		}
	}
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	if total > 0 && uint64(maxItem) < uint64(4*total+1<<16) {
		t.dense = make([]int32, int(maxItem)+1)
		for i := range t.dense {
			t.dense[i] = -1
		}
		for id, it := range distinct {
			t.dense[it] = int32(id)
		}
	} else {
		t.dict = make(map[Item]int32, len(distinct))
		for id, it := range distinct {
			t.dict[it] = int32(id)
		}
	}

	// Sort the candidates' dense item lists; build the trie level by level
	// from them in lexicographic order.
	seqs := make([][]int32, len(candidates))
	for i, c := range candidates {
		s := make([]int32, 0, len(c))
		for _, it := range c {
			s = append(s, t.id(it))
		}
		slices.Sort(s)
		seqs[i] = slices.Compact(s)
	}
	order := make([]int32, len(seqs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return slices.Compare(seqs[a], seqs[b]) })
	t.build(seqs, order)
	return &Counter{t: t, counts: make([]int, len(t.first)-1)}
}

func (t *trie) id(it Item) int32 {
	if t.dict != nil {
		if id, ok := t.dict[it]; ok {
			return id
		}
		return -1
	}
	if int(it) < len(t.dense) {
		return t.dense[it]
	}
	return -1
}

// build lays out the trie breadth first: a node's children are contiguous.
func (t *trie) build(seqs [][]int32, order []int32) {
	t.term = make([]int32, len(seqs))
	// A group is a node with the range of sorted candidates below it.
	type group struct{ node, lo, hi, depth int32 }
	queue := []group{{0, 0, int32(len(order)), 0}}
	nodes := int32(1)
	t.first = append(t.first, 0)
	for q := 0; q < len(queue); q++ {
		g := queue[q]
		i := g.lo
		for i < g.hi && int(g.depth) == len(seqs[order[i]]) {
			t.term[order[i]] = g.node
			i++
		}
		for i < g.hi {
			x := seqs[order[i]][g.depth]
			j := i + 1
			for j < g.hi && seqs[order[j]][g.depth] == x {
				j++
			}
			t.label = append(t.label, x)
			t.child = append(t.child, nodes)
			queue = append(queue, group{nodes, i, j, g.depth + 1})
			nodes++
			i = j
		}
		t.first = append(t.first, int32(len(t.label)))
	}
}

// Add counts one transaction. Repeated items count once.
func (c *Counter) Add(tx []Item) {
	b := c.buf[:0]
	for _, it := range tx {
		if id := c.t.id(it); id >= 0 {
			b = append(b, id)
		}
	}
	slices.Sort(b)
	b = slices.Compact(b)
	c.buf = b
	c.counts[0]++
	c.walk(0, b)
}

// walk counts every child of node v whose item is in rest, recursively.
func (c *Counter) walk(v int32, rest []int32) {
	t := c.t
	lo, hi := t.first[v], t.first[v+1]
	labels := t.label[lo:hi]
	if len(labels) == 0 || len(rest) == 0 {
		return
	}
	if len(labels) > 4*len(rest) {
		// Few transaction items against many children: binary search.
		for k, x := range rest {
			i, ok := slices.BinarySearch(labels, x)
			if ok {
				n := t.child[lo+int32(i)]
				c.counts[n]++
				c.walk(n, rest[k+1:])
			}
			labels = labels[i:]
			lo += int32(i)
		}
		return
	}
	i, k := 0, 0
	for i < len(labels) && k < len(rest) {
		switch a, x := labels[i], rest[k]; {
		case a == x:
			n := t.child[lo+int32(i)]
			c.counts[n]++
			c.walk(n, rest[k+1:])
			i++
			k++
		case a < x:
			i++
		default:
			k++
		}
	}
}

// Counts returns the number of transactions added so far that contain each
// candidate, in the order the candidates were given.
func (c *Counter) Counts() []int {
	out := make([]int, len(c.t.term))
	for i, n := range c.t.term {
		out[i] = c.counts[n]
	}
	return out
}

// Fork returns a new Counter for the same candidates with zero counts,
// sharing the candidate index, for use by another goroutine.
func (c *Counter) Fork() *Counter {
	return &Counter{t: c.t, counts: make([]int, len(c.counts))}
}

// Count returns, for each candidate, the number of transactions in txs that
// contain it.
func Count(txs [][]Item, candidates [][]Item) []int {
	c := NewCounter(candidates)
	for _, tx := range txs {
		c.Add(tx)
	}
	return c.Counts()
}
