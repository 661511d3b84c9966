package rules

import (
	"testing"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/internal/testenv"
)

// BenchmarkGenerate generates rules from mushroom's frequent itemsets.
func BenchmarkGenerate(b *testing.B) {
	for _, c := range []struct {
		name     string
		minCount int
		opt      Options
	}{
		{"mushroom-0.3-conf0.9", 2438, Options{MinConfidence: 0.9}},
		{"mushroom-0.2-conf0.9-cons1", 1625, Options{MinConfidence: 0.9, MaxConsequent: 1}},
		{"mushroom-0.2-conf0.9", 1625, Options{MinConfidence: 0.9}},
	} {
		b.Run(c.name, func(b *testing.B) {
			txs := testenv.ReadFIMI(b, testenv.Shared(b, "mushroom.dat"))
			sets, err := itemsets.Mine(txs, itemsets.Options{MinCount: c.minCount})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				rs, err := Generate(sets, len(txs), c.opt)
				if err != nil {
					b.Fatal(err)
				}
				n = len(rs)
			}
			b.ReportMetric(float64(n), "rules")
		})
	}
}
