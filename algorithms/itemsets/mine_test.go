package itemsets

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func format(sets []Itemset) string {
	s := ""
	for _, x := range sets {
		s += fmt.Sprintf("%v:%d ", x.Items, x.Support)
	}
	return s
}

func equalSets(a, b []Itemset) bool {
	return slices.EqualFunc(a, b, func(x, y Itemset) bool {
		return x.Support == y.Support && slices.Equal(x.Items, y.Items)
	})
}

func TestMineMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 3000 {
		txs := randomDB(rng, 30, 12)
		o := newOracle(txs)
		for _, kind := range []Kind{All, Closed, Maximal} {
			opt := Options{
				MinCount: 1 + rng.IntN(max(1, len(txs)/2+1)),
				Kind:     kind,
				Workers:  []int{0, 1, 3}[rng.IntN(3)],
			}
			if rng.IntN(3) == 0 {
				opt.MaxSize = 1 + rng.IntN(4)
			}
			got, err := Mine(txs, opt)
			if err != nil {
				t.Fatalf("iter %d: Mine(%v, %+v): %v", iter, txs, opt, err)
			}
			if want := o.mine(opt); !equalSets(got, want) {
				t.Fatalf("iter %d: Mine(%v, %+v)\n got %s\nwant %s", iter, txs, opt, format(got), format(want))
			}
		}
	}
}

func TestMineEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		txs  [][]Item
		opt  Options
		want []Itemset
	}{
		{"empty database", nil, Options{MinCount: 1}, []Itemset{}},
		{"all transactions empty", [][]Item{{}, {}, nil}, Options{MinCount: 1}, []Itemset{}},
		{"all transactions empty closed", [][]Item{{}, {}}, Options{MinCount: 1, Kind: Closed}, []Itemset{}},
		{"min count above N", [][]Item{{1, 2}, {1}}, Options{MinCount: 3}, []Itemset{}},
		{"duplicate item counts once", [][]Item{{7, 7, 7}, {7}}, Options{MinCount: 2},
			[]Itemset{{Items: []Item{7}, Support: 2}}},
		{"item in every transaction", [][]Item{{5, 1}, {5}, {5, 1}}, Options{MinCount: 1},
			[]Itemset{{Items: []Item{1}, Support: 2}, {Items: []Item{1, 5}, Support: 2}, {Items: []Item{5}, Support: 3}}},
		{"closed", [][]Item{{5, 1}, {5}, {5, 1}}, Options{MinCount: 1, Kind: Closed},
			[]Itemset{{Items: []Item{1, 5}, Support: 2}, {Items: []Item{5}, Support: 3}}},
		{"maximal", [][]Item{{5, 1}, {5}, {5, 1}}, Options{MinCount: 1, Kind: Maximal},
			[]Itemset{{Items: []Item{1, 5}, Support: 2}}},
		{"max size", [][]Item{{1, 2, 3}, {1, 2, 3}}, Options{MinCount: 2, MaxSize: 1},
			[]Itemset{{Items: []Item{1}, Support: 2}, {Items: []Item{2}, Support: 2}, {Items: []Item{3}, Support: 2}}},
		{"max size filters closed", [][]Item{{1, 2, 3}, {1, 2, 3}}, Options{MinCount: 2, MaxSize: 2, Kind: Closed},
			[]Itemset{}},
		{"large sparse ids", [][]Item{{4000000000, 3}, {4000000000, 3}}, Options{MinCount: 2, Kind: Maximal},
			[]Itemset{{Items: []Item{3, 4000000000}, Support: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Mine(tt.txs, tt.opt)
			if err != nil {
				t.Fatalf("Mine: %v", err)
			}
			if got == nil || !equalSets(got, tt.want) {
				t.Errorf("got %s (nil %v); want %s", format(got), got == nil, format(tt.want))
			}
		})
	}
}

func TestMineRejectsBadOptions(t *testing.T) {
	for _, opt := range []Options{
		{MinCount: 0},
		{MinCount: -3},
		{MinCount: 1, MaxSize: -1},
		{MinCount: 1, Kind: Kind(9)},
		{MinCount: 1, Workers: -1},
	} {
		t.Run(fmt.Sprintf("%+v", opt), func(t *testing.T) {
			_, err := Mine([][]Item{{1}}, opt)
			if !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("got error %v; want ErrInvalidOptions", err)
			}
		})
	}
}

func TestSortRankedMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for iter := range 50 {
		nRanks := 1 + rng.IntN(40)
		sets := make([]Itemset, rng.IntN(3000))
		for i := range sets {
			var items []Item
			for r := range nRanks {
				if rng.IntN(4) == 0 {
					items = append(items, Item(r))
				}
			}
			sets[i] = Itemset{Items: items, Support: rng.IntN(3)}
		}
		want := slices.Clone(sets)
		Sort(want)
		sortRanked(sets, nRanks)
		if !equalSets(sets, want) {
			t.Fatalf("iter %d: sortRanked differs from Sort", iter)
		}
	}
}
