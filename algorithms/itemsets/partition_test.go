package itemsets

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCountMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := range 3000 {
		txs := randomDB(rng, 30, 12)
		o := newOracle(txs)
		// Candidates: random subsets of the universe plus a few absent items,
		// unsorted, with repeats and the empty set.
		var cands [][]Item
		for range rng.IntN(40) {
			var c []Item
			for _, it := range o.universe {
				if rng.IntN(3) == 0 {
					c = append(c, it)
				}
			}
			if rng.IntN(10) == 0 {
				c = append(c, 1<<31+Item(rng.IntN(5)))
			}
			if len(c) > 0 && rng.IntN(5) == 0 {
				c = append(c, c[0])
			}
			rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
			cands = append(cands, c)
		}
		got := Count(txs, cands)
		for i, c := range cands {
			want := len(txs)
			if len(c) > 0 {
				want = 0
				sorted := slices.Compact(slices.Sorted(slices.Values(c)))
				mask, ok := uint64(0), true
				for _, it := range sorted {
					k := slices.Index(o.universe, it)
					if k < 0 {
						ok = false
						break
					}
					mask |= 1 << k
				}
				if ok {
					want = o.supp[mask]
				}
			}
			if got[i] != want {
				t.Fatalf("iter %d: Count(%v) candidate %v: got %d; want %d", iter, txs, c, got[i], want)
			}
		}
	}
}

func TestCounterForksAddUp(t *testing.T) {
	txs := [][]Item{{1, 2, 3}, {2, 3}, {3, 3}, {}, {1, 3}}
	cands := [][]Item{{3}, {1, 3}, {2, 3}, {1, 2, 3}, {4}}
	base := NewCounter(cands)
	a, b := base.Fork(), base.Fork()
	for i, tx := range txs {
		if i%2 == 0 {
			a.Add(tx)
		} else {
			b.Add(tx)
		}
	}
	got := a.Counts()
	for i, k := range b.Counts() {
		got[i] += k
	}
	if want := []int{4, 2, 2, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestMinePartitionedMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := range 2000 {
		txs := randomDB(rng, 30, 12)
		o := newOracle(txs)
		nParts := 1 + rng.IntN(8)
		parts := make([][][]Item, nParts)
		for _, tx := range txs {
			p := rng.IntN(nParts)
			parts[p] = append(parts[p], tx)
		}
		for _, kind := range []Kind{All, Closed, Maximal} {
			opt := Options{MinCount: 1 + rng.IntN(max(1, len(txs)/2+1)), Kind: kind, Workers: rng.IntN(3)}
			if rng.IntN(3) == 0 {
				opt.MaxSize = 1 + rng.IntN(4)
			}
			got, err := MinePartitioned(parts, opt)
			if err != nil {
				t.Fatalf("iter %d: MinePartitioned(%v, %+v): %v", iter, parts, opt, err)
			}
			if want := o.mine(opt); !equalSets(got, want) {
				t.Fatalf("iter %d: MinePartitioned(%v, %+v)\n got %s\nwant %s", iter, parts, opt, format(got), format(want))
			}
		}
	}
}
