package itemsets_test

import (
	"fmt"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/support"
)

func ExampleMine() {
	txs := [][]itemsets.Item{{1, 2, 3}, {1, 2}, {2, 3}, {2, 2}}
	sets, _ := itemsets.Mine(txs, itemsets.Options{MinCount: 2})
	for _, s := range sets {
		fmt.Println(s.Items, s.Support)
	}
	// Output:
	// [1] 2
	// [1 2] 2
	// [2] 4
	// [2 3] 2
	// [3] 2
}

// A two-phase partitioned run: each partition is mined at its scaled
// threshold, then the union of the candidates is counted exactly over all
// partitions.
func ExampleMine_partition() {
	parts := [][][]itemsets.Item{
		{{1, 2}, {1, 2, 3}, {3}},
		{{1, 2}, {2, 3}},
	}
	n := len(parts[0]) + len(parts[1])
	th, _ := support.Parse("0.6") // ceil(0.6 × 5) = 3
	minCount := th.MinCount(n)

	// Phase 1: local mining at support.Local.
	var candidates [][]itemsets.Item
	seen := map[string]bool{}
	for _, p := range parts {
		local := support.Local(minCount, len(p), n)
		sets, _ := itemsets.Mine(p, itemsets.Options{MinCount: local})
		for _, s := range sets {
			if k := fmt.Sprint(s.Items); !seen[k] {
				seen[k] = true
				candidates = append(candidates, s.Items)
			}
		}
	}
	// Phase 2: exact counts, one Counter fork per partition.
	base := itemsets.NewCounter(candidates)
	total := make([]int, len(candidates))
	for _, p := range parts {
		c := base.Fork()
		for _, tx := range p {
			c.Add(tx)
		}
		for i, k := range c.Counts() {
			total[i] += k
		}
	}
	var result []itemsets.Itemset
	for i, items := range candidates {
		if total[i] >= minCount {
			result = append(result, itemsets.Itemset{Items: items, Support: total[i]})
		}
	}
	itemsets.Sort(result)
	fmt.Println(result)

	// MinePartitioned does the same in one call.
	same, _ := itemsets.MinePartitioned(parts, itemsets.Options{MinCount: minCount})
	fmt.Println(same)
	// Output:
	// [{[1] 3} {[1 2] 3} {[2] 4} {[3] 3}]
	// [{[1] 3} {[1 2] 3} {[2] 4} {[3] 3}]
}
