package itemsets

import (
	"errors"
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
