package itemsets

import (
	"cmp"
	"slices"
)

// Compare orders two itemsets canonically: lexicographically by their item
// slices (each sorted ascending), a proper prefix first; equal item lists
// compare by support.
func Compare(a, b Itemset) int {
	if c := slices.Compare(a.Items, b.Items); c != 0 {
		return c
	}
	return cmp.Compare(a.Support, b.Support)
}

// Sort puts itemsets in the canonical order in which Mine and
// MinePartitioned return them: items ascending within a set (which Sort
// assumes), sets sorted lexicographically by their item slices, so that
// {1} < {1 2} < {1 3} < {2}. Sorting another miner's output the same way
// makes the two diff cleanly.
func Sort(sets []Itemset) {
	slices.SortFunc(sets, Compare)
}

// sortRanked sorts sets canonically when their items are ranks 0..nRanks-1
// (dense ids in the order of the items they stand for): an MSD radix sort
// that buckets by the item at each position, falling back to comparisons
// for small ranges. It costs about O(total items + nRanks per large
// bucket), against a comparison sort's O(n log n) slice comparisons.
func sortRanked(sets []Itemset, nRanks int) {
	rs := &radixSorter{tmp: make([]Itemset, len(sets)), nRanks: nRanks}
	rs.sort(sets, 0)
}

type radixSorter struct {
	tmp    []Itemset
	counts [][]int // one per depth
	nRanks int
}

// sort orders sets, which all share their first d items.
func (rs *radixSorter) sort(sets []Itemset, d int) {
	for len(sets) > 1 {
		// Sets of exactly d items come first.
		k := 0
		for i, s := range sets {
			if len(s.Items) == d {
				sets[i], sets[k] = sets[k], sets[i]
				k++
			}
		}
		if k > 1 {
			slices.SortFunc(sets[:k], Compare)
		}
		sets = sets[k:]
		if len(sets) < 64 || len(sets) < rs.nRanks/8 {
			slices.SortFunc(sets, func(a, b Itemset) int {
				if c := slices.Compare(a.Items[d:], b.Items[d:]); c != 0 {
					return c
				}
				return cmp.Compare(a.Support, b.Support)
			})
			return
		}
		for len(rs.counts) <= d {
			rs.counts = append(rs.counts, make([]int, rs.nRanks+1))
		}
		cnt := rs.counts[d]
		clear(cnt)
		for _, s := range sets {
			cnt[s.Items[d]+1]++
		}
		for r := 1; r <= rs.nRanks; r++ {
			cnt[r] += cnt[r-1]
		}
		tmp := rs.tmp[:len(sets)]
		for _, s := range sets {
			r := s.Items[d]
			tmp[cnt[r]] = s
			cnt[r]++
		}
		copy(sets, tmp)
		// cnt[r] is now the end of bucket r. Recurse into every non-empty
		// bucket but the last, and loop on that one.
		lo, prevLo, prevHi := 0, -1, -1
		for r := 0; r < rs.nRanks; r++ {
			if hi := cnt[r]; hi > lo { // bucket r is sets[lo:hi]
				if prevLo >= 0 {
					rs.sort(sets[prevLo:prevHi], d+1)
				}
				prevLo, prevHi = lo, hi
				lo = hi
			}
		}
		sets = sets[prevLo:prevHi]
		d++
	}
}
