package itemsets

import (
	"slices"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

func findSet(sets []Itemset, items ...Item) (Itemset, bool) {
	i, ok := slices.BinarySearchFunc(sets, items, func(x Itemset, want []Item) int {
		return slices.Compare(x.Items, want)
	})
	if !ok {
		return Itemset{}, false
	}
	return sets[i], true
}

func TestGoldenShared(t *testing.T) {
	tests := []struct {
		file     string
		minCount int
		kind     Kind
		want     int
	}{
		{"mushroom.dat", 1625, All, 53583},
		{"T10I4D100K.dat", 100, All, 27532},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			txs := testenv.ReadFIMI(t, testenv.Shared(t, tt.file))
			for _, workers := range []int{1, 2} {
				got, err := Mine(txs, Options{MinCount: tt.minCount, Kind: tt.kind, Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.IsSortedFunc(got, Compare) {
					t.Errorf("workers %d: result not in canonical order", workers)
				}
				if len(got) != tt.want {
					t.Errorf("workers %d: got %d itemsets; want %d", workers, len(got), tt.want)
				}
				if tt.file == "mushroom.dat" {
					if s, ok := findSet(got, 85); !ok || s.Support != 8124 {
						t.Errorf("workers %d: got {85} %v (found %v); want support 8124", workers, s, ok)
					}
				}
			}
		})
	}
}
