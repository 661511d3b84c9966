package itemsets

import (
	"errors"
	"fmt"
	"testing"
)

func TestMaxPatternsStopsExplosion(t *testing.T) {
	// 40 items bought together in every transaction: 2^40 - 1 frequent
	// itemsets, which no machine can hold.
	var tx []Item
	for i := Item(0); i < 40; i++ {
		tx = append(tx, i)
	}
	txs := [][]Item{tx, tx, tx, {1, 2}}
	for _, workers := range []int{1, 2} {
		_, err := Mine(txs, Options{MinCount: 2, Workers: workers, MaxPatterns: 100_000})
		if !errors.Is(err, ErrTooManyPatterns) {
			t.Errorf("workers %d: error = %v; want ErrTooManyPatterns", workers, err)
		}
	}
	// Closed ({0..39} and {1, 2}) and maximal ({0..39}) are tiny here and
	// stay within the bound.
	for kind, want := range map[Kind]int{Closed: 2, Maximal: 1} {
		got, err := Mine(txs, Options{MinCount: 2, Kind: kind, MaxPatterns: 10})
		if err != nil || len(got) != want {
			t.Errorf("kind %v: got %d itemsets, error %v; want %d and no error", kind, len(got), err, want)
		}
	}
}

func TestMaxPatternsAboveResultChangesNothing(t *testing.T) {
	txs := [][]Item{{1, 2, 3}, {1, 2}, {2, 3}, {1, 3}, {1, 2, 3, 4}}
	want, err := Mine(txs, Options{MinCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Mine(txs, Options{MinCount: 2, MaxPatterns: len(want)})
	if err != nil || len(got) != len(want) {
		t.Fatalf("got %d itemsets, error %v; want %d and no error", len(got), err, len(want))
	}
	if _, err := Mine(txs, Options{MinCount: 2, MaxPatterns: -1}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("MaxPatterns -1: error = %v; want ErrInvalidOptions", err)
	}
}

func TestMinePartitionedHonoursMaxPatterns(t *testing.T) {
	// Mine refuses both; MinePartitioned used to ignore MaxPatterns, return
	// the 15 itemsets of the first case and run out of memory on the second
	// (its local threshold is 1 in the partition holding the wide basket).
	var wide []Item
	for i := Item(0); i < 40; i++ {
		wide = append(wide, i)
	}
	for _, tc := range []struct {
		name    string
		parts   [][][]Item
		mineErr bool // whether Mine on the whole refuses too
	}{
		{"result over the bound", [][][]Item{{{1, 2, 3, 4}}, {{1, 2, 3, 4}}}, true},
		{"local explosion", [][][]Item{{wide, {1, 2}}, {{1, 2}, {3}, {4}, {5}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opt := Options{MinCount: 2, MaxPatterns: 10}
			var all [][]Item
			for _, p := range tc.parts {
				all = append(all, p...)
			}
			if _, err := Mine(all, opt); errors.Is(err, ErrTooManyPatterns) != tc.mineErr {
				t.Fatalf("Mine: error = %v; want ErrTooManyPatterns: %v", err, tc.mineErr)
			}
			got, err := MinePartitioned(tc.parts, opt)
			if !errors.Is(err, ErrTooManyPatterns) {
				t.Errorf("got %d itemsets, error %v; want ErrTooManyPatterns", len(got), err)
			}
		})
	}
}

func TestSelectKindLeavesInputAlone(t *testing.T) {
	sets := []Itemset{{[]Item{1}, 3}, {[]Item{1, 2}, 2}, {[]Item{2}, 2}}
	before := fmt.Sprint(sets)
	if got := SelectKind(sets, Maximal, 0); len(got) != 1 || fmt.Sprint(got[0]) != "{[1 2] 2}" {
		t.Errorf("SelectKind(maximal) = %v; want [{[1 2] 2}]", got)
	}
	if after := fmt.Sprint(sets); after != before {
		t.Errorf("input changed to %s; want %s", after, before)
	}
}
