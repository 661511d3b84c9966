package itemsets

import (
	"math/rand/v2"
	"slices"
)

// oracle mines by brute force: the support of every subset of the items
// present, then the frequent, closed and maximal ones by definition.
type oracle struct {
	universe []Item
	supp     map[uint64]int // bitmask over universe -> support
}

func newOracle(txs [][]Item) *oracle {
	o := &oracle{supp: map[uint64]int{}}
	for _, tx := range txs {
		for _, it := range tx {
			if !slices.Contains(o.universe, it) {
				o.universe = append(o.universe, it)
			}
		}
	}
	slices.Sort(o.universe)
	masks := make([]uint64, len(txs))
	for t, tx := range txs {
		for _, it := range tx {
			masks[t] |= 1 << slices.Index(o.universe, it)
		}
	}
	for s := uint64(1); s < 1<<len(o.universe); s++ {
		n := 0
		for _, m := range masks {
			if m&s == s {
				n++
			}
		}
		if n > 0 {
			o.supp[s] = n
		}
	}
	return o
}

func (o *oracle) items(s uint64) []Item {
	var out []Item
	for i, it := range o.universe {
		if s&(1<<i) != 0 {
			out = append(out, it)
		}
	}
	return out
}

func (o *oracle) mine(opt Options) []Itemset {
	out := []Itemset{}
	for s, n := range o.supp {
		if n < opt.MinCount {
			continue
		}
		size := popcount(s)
		if opt.MaxSize > 0 && size > opt.MaxSize {
			continue
		}
		keep := true
		for i := range o.universe {
			bit := uint64(1) << i
			if s&bit != 0 {
				continue
			}
			sup := o.supp[s|bit]
			if (opt.Kind == Closed && sup == n) || (opt.Kind == Maximal && sup >= opt.MinCount) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, Itemset{Items: o.items(s), Support: n})
		}
	}
	Sort(out)
	return out
}

func popcount(s uint64) int {
	n := 0
	for ; s != 0; s &= s - 1 {
		n++
	}
	return n
}

// randomDB returns up to maxTx transactions over up to maxItems sparse
// item ids, some with repeated items and some empty.
func randomDB(rng *rand.Rand, maxTx, maxItems int) [][]Item {
	nItems := 1 + rng.IntN(maxItems)
	ids := make([]Item, nItems)
	for i := range ids {
		switch rng.IntN(3) {
		case 0:
			ids[i] = Item(i)
		case 1:
			ids[i] = rng.Uint32()
		default:
			ids[i] = Item(rng.IntN(50))
		}
	}
	density := 0.1 + 0.8*rng.Float64()
	txs := make([][]Item, rng.IntN(maxTx+1))
	for t := range txs {
		var tx []Item
		for _, it := range ids {
			if rng.Float64() < density {
				tx = append(tx, it)
				if rng.IntN(8) == 0 {
					tx = append(tx, it)
				}
			}
		}
		rng.Shuffle(len(tx), func(i, j int) { tx[i], tx[j] = tx[j], tx[i] })
		txs[t] = tx
	}
	return txs
}
