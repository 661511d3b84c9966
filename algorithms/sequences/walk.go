package sequences

import (
	"cmp"
	"slices"
)

// counter walks one sequence at a time down the candidate trie, carrying
// for each trie node the ends of its occurrences with their latest starts
// (the same summary the miner keeps, see span.go), and counts each
// candidate node reached once per sequence.
type counter struct {
	t      *trie
	counts []int
	window bool
	sw     sweeper
	times  []int64
	evs    [][]Item
	levels []*level
}

// level is the scratch of the trie nodes of one depth.
type level struct {
	ent    []entry
	ends   []int32
	starts []int64
}

// entry is one end of one trie node's occurrences.
type entry struct {
	node int32
	e    int32
	st   int64
}

func (c *counter) level(d int32) *level {
	for int32(len(c.levels)) <= d {
		c.levels = append(c.levels, &level{})
	}
	return c.levels[d]
}

// add counts the candidates contained in a validated sequence.
func (c *counter) add(seq Sequence) {
	c.times = c.times[:0]
	c.evs = c.evs[:0]
	for _, ev := range seq {
		c.times = append(c.times, ev.Time)
		c.evs = append(c.evs, ev.Items)
	}
	lv := c.level(0)
	lv.ent = lv.ent[:0]
	for e, ev := range c.evs {
		for _, x := range ev {
			if n, ok := c.t.root[x]; ok {
				lv.ent = append(lv.ent, entry{node: n, e: int32(e), st: c.times[e]})
			}
		}
	}
	c.descend(lv)
}

// descend groups a level's entries by trie node (ends stay ascending) and
// visits each node reached.
func (c *counter) descend(lv *level) {
	if len(lv.ent) == 0 {
		return
	}
	slices.SortStableFunc(lv.ent, func(a, b entry) int { return cmp.Compare(a.node, b.node) })
	lv.ends = lv.ends[:0]
	lv.starts = lv.starts[:0]
	for _, en := range lv.ent {
		lv.ends = append(lv.ends, en.e)
		lv.starts = append(lv.starts, en.st)
	}
	for a := 0; a < len(lv.ent); {
		b := a + 1
		for b < len(lv.ent) && lv.ent[b].node == lv.ent[a].node {
			b++
		}
		var starts []int64
		if c.window {
			starts = lv.starts[a:b]
		}
		c.visit(lv.ent[a].node, lv.ends[a:b], starts)
		a = b
	}
}

// visit counts node's candidates and descends to its children reachable
// from the ends (with starts) of node's occurrences.
func (c *counter) visit(node int32, ends []int32, starts []int64) {
	n := &c.t.nodes[node]
	for _, ci := range n.term {
		c.counts[ci]++
	}
	if len(n.kidsI) == 0 && len(n.kidsS) == 0 {
		return
	}
	lv := c.level(n.depth)
	lv.ent = lv.ent[:0]
	if len(n.kidsI) > 0 {
		for i, e := range ends {
			ev := c.evs[e]
			p, _ := slices.BinarySearch(ev, n.item)
			var st int64
			if starts != nil {
				st = starts[i]
			}
			lv.ent = match(lv.ent, ev[p+1:], n.itemsI, n.kidsI, e, st)
		}
	}
	if len(n.kidsS) > 0 {
		c.sw.next(c.times, int32(len(c.times)), ends, starts)
		for i, e := range c.sw.vj {
			var st int64
			if starts != nil {
				st = c.sw.vs[i]
			}
			lv.ent = match(lv.ent, c.evs[e], n.itemsS, n.kidsS, e, st)
		}
	}
	c.descend(lv)
}

// match appends an entry for every item of ev that is one of items (both
// ascending), searching the longer list for each item of the shorter.
func match(ent []entry, ev, items []Item, kids []int32, e int32, st int64) []entry {
	if len(items) <= len(ev) {
		for k, x := range items {
			if _, ok := slices.BinarySearch(ev, x); ok {
				ent = append(ent, entry{node: kids[k], e: e, st: st})
			}
		}
		return ent
	}
	for _, x := range ev {
		if k, ok := slices.BinarySearch(items, x); ok {
			ent = append(ent, entry{node: kids[k], e: e, st: st})
		}
	}
	return ent
}
