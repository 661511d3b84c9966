package sequences

import (
	"fmt"

	"github.com/quarrydata/quarry/algorithms/support"
)

// MinePartitioned is the in-process reference of the two-phase
// (Savasere–Omiecinski–Navathe) run over customer partitions: each
// partition is mined at its scaled threshold support.Local(opt.MinCount,
// len(part), total); the union of the local results is counted exactly over
// every partition with Count; the patterns whose total reaches opt.MinCount
// are returned in the order of Sort. The result equals Mine over the
// concatenated partitions, for any partitioning.
//
// Phase one is complete because a pattern's support is the sum of its
// supports in the partitions (each sequence lives in one), so a pattern
// below the scaled threshold everywhere is below opt.MinCount in total.
// Errors name the partition.
func MinePartitioned(parts [][]Sequence, opt Options) ([]Pattern, error) {
	if err := opt.validateMining(); err != nil {
		return nil, err
	}
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	seen := make(map[string]bool)
	var cands [][][]Item
	for i, p := range parts {
		local := opt
		local.MinCount = support.Local(opt.MinCount, len(p), total)
		pats, err := Mine(p, local)
		if err != nil {
			return nil, fmt.Errorf("partition %d: %w", i, err)
		}
		for _, pat := range pats {
			k := key(pat.Elements)
			if !seen[k] {
				seen[k] = true
				cands = append(cands, pat.Elements)
			}
		}
	}
	counts := make([]int, len(cands))
	for i, p := range parts {
		c, err := Count(p, cands, opt)
		if err != nil {
			return nil, fmt.Errorf("partition %d: %w", i, err)
		}
		for j, n := range c {
			counts[j] += n
		}
	}
	out := []Pattern{}
	for j, n := range counts {
		if n >= opt.MinCount {
			out = append(out, Pattern{Elements: cands[j], Support: n})
		}
	}
	Sort(out)
	return out, nil
}
