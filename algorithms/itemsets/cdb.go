package itemsets

// cdb is a conditional database: weighted, duplicate-free transactions over
// compact item ids 0..nItems-1, each transaction sorted ascending. Items
// below nLow are extension candidates; items from nLow up are kept only in
// closed and maximal mode, to check closure and maximality.
type cdb struct {
	items  []uint32 // all transactions back to back, with gaps after merges
	start  []int32  // transaction t is items[start[t]:end[t]]
	end    []int32
	weight []int32  // how many input transactions t stands for
	hash   []uint64 // hash of t's key, used while building
	nItems int
	nLow   int
	orig   []uint32 // compact id -> root id
}

func (c *cdb) reset() {
	c.items = c.items[:0]
	c.start = c.start[:0]
	c.end = c.end[:0]
	c.weight = c.weight[:0]
	c.hash = c.hash[:0]
	c.orig = c.orig[:0]
	c.nItems, c.nLow = 0, 0
}

// merger deduplicates transactions while a cdb is being built: equal keys
// become one transaction whose weight is the sum. In closed mode the key is
// the low part only and the high parts of merged transactions are
// intersected, which keeps every "in all transactions" fact that closure
// checks need; in the other modes the key is the whole transaction.
type merger struct {
	table []int32 // open addressing, index+1 of a transaction, 0 = empty
	mask  int
}

func (mg *merger) init(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(mg.table) < size {
		mg.table = make([]int32, size)
	} else {
		mg.table = mg.table[:size]
		clear(mg.table)
	}
	mg.mask = size - 1
}

func hashItems(s []uint32) uint64 {
	h := uint64(len(s)) * 0x9e3779b97f4a7c15
	for _, x := range s {
		h ^= uint64(x) + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
	}
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return h
}

// commit adds the transaction just appended at c.items[b:], whose first nl
// items are low, with weight w, merging it into an equal one if present.
func (mg *merger) commit(c *cdb, b, nl int, w int32, intersect bool) {
	keyEnd := len(c.items)
	if intersect {
		keyEnd = b + nl
	}
	key := c.items[b:keyEnd]
	h := hashItems(key)
	for slot := int(h) & mg.mask; ; slot = (slot + 1) & mg.mask {
		x := mg.table[slot]
		if x == 0 {
			mg.table[slot] = int32(len(c.start)) + 1
			c.start = append(c.start, int32(b))
			c.end = append(c.end, int32(len(c.items)))
			c.weight = append(c.weight, w)
			c.hash = append(c.hash, h)
			return
		}
		i := x - 1
		if c.hash[i] != h || !c.sameKey(i, key, intersect) {
			continue
		}
		c.weight[i] += w
		if intersect {
			c.intersectHigh(i, len(key), c.items[keyEnd:])
		}
		c.items = c.items[:b]
		return
	}
}

// sameKey reports whether transaction i has the given key: its whole item
// list, or with intersect its low part.
func (c *cdb) sameKey(i int32, key []uint32, intersect bool) bool {
	s, e := int(c.start[i]), int(c.end[i])
	if e-s < len(key) {
		return false
	}
	if !intersect && e-s != len(key) {
		return false
	}
	got := c.items[s : s+len(key)]
	for k := range key {
		if got[k] != key[k] {
			return false
		}
	}
	if intersect && s+len(key) < e && int(c.items[s+len(key)]) < c.nLow {
		return false // i has more low items
	}
	return true
}

// intersectHigh keeps in transaction i's high part (after its nl low items)
// only the items also in other, both ascending.
func (c *cdb) intersectHigh(i int32, nl int, other []uint32) {
	s, e := int(c.start[i])+nl, int(c.end[i])
	w := s
	k := 0
	for r := s; r < e && k < len(other); {
		switch a, b := c.items[r], other[k]; {
		case a == b:
			c.items[w] = a
			w++
			r++
			k++
		case a < b:
			r++
		default:
			k++
		}
	}
	c.end[i] = int32(w)
}
