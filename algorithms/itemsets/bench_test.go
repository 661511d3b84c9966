package itemsets

import (
	"fmt"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

// BenchmarkMine mines the shared real datasets at the thresholds of the
// quarry-bench table; run with -bench Mine -benchtime 3x.
func BenchmarkMine(b *testing.B) {
	cases := []struct {
		file     string
		minCount int
		kind     Kind
	}{
		{"mushroom.dat", 1625, All},
		{"mushroom.dat", 813, All},
		{"mushroom.dat", 813, Closed},
		{"mushroom.dat", 813, Maximal},
		{"T10I4D100K.dat", 100, All},
		{"T10I4D100K.dat", 50, All},
		{"T10I4D100K.dat", 50, Closed},
		{"retail-part.dat", 22, All},
		{"kosarak25k.dat", 50, All},
	}
	for _, c := range cases {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%d/%s/w%d", c.file, c.minCount, c.kind, workers), func(b *testing.B) {
				txs := testenv.ReadFIMI(b, testenv.Shared(b, c.file))
				n := 0
				for b.Loop() {
					sets, err := Mine(txs, Options{MinCount: c.minCount, Kind: c.kind, Workers: workers})
					if err != nil {
						b.Fatal(err)
					}
					n = len(sets)
				}
				b.ReportMetric(float64(n), "sets")
			})
		}
	}
}
