package nextbasket

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Basket is one purchase: when it happened and the items bought, sorted
// ascending and distinct. Time has no unit here; only its order matters.
type Basket struct {
	Time  int64
	Items []int32
}

// Customer is one customer's purchase history, baskets in time order
// (non-decreasing Time).
type Customer struct {
	ID      string
	Baskets []Basket
}

// Recommender ranks items for one customer. Every method of this package
// is one, and the served recommender is adapted to it with RecommenderFunc.
type Recommender interface {
	// Recommend appends to dst[:0] at most k distinct item ids for c,
	// best first, and returns the slice. c holds the history the
	// recommendation may use (for evaluation: everything before the hidden
	// basket); Recommend does not modify it. Item ids of c outside the
	// fitted catalogue are ignored. Safe for concurrent use once fitted.
	Recommend(c *Customer, k int, dst []int32) []int32
}

// Model is a Recommender learnt from training customers.
type Model interface {
	Recommender
	// Fit learns from train over a catalogue of items 0..n-1. It checks
	// train (see Validate) and keeps no reference to it unless stated.
	Fit(train []Customer, n int) error
}

// RecommenderFunc adapts a function, such as the served recommender, to
// the Recommender interface.
type RecommenderFunc func(c *Customer, k int, dst []int32) []int32

// Recommend calls f.
func (f RecommenderFunc) Recommend(c *Customer, k int, dst []int32) []int32 {
	return f(c, k, dst)
}

// ErrInput is wrapped by the errors returned for malformed customers,
// baskets, catalogues or hidden baskets.
var ErrInput = errors.New("invalid next-basket input")

// ErrNotFitted is returned by methods that need a fitted model.
var ErrNotFitted = errors.New("model not fitted")

// Validate checks that every basket of customers lists distinct items of
// 0..n-1 in ascending order and that each customer's baskets are in time
// order.
func Validate(customers []Customer, n int) error {
	if n < 0 {
		return fmt.Errorf("%w: catalogue of %d items", ErrInput, n)
	}
	for ci := range customers {
		c := &customers[ci]
		for bi, b := range c.Baskets {
			if bi > 0 && b.Time < c.Baskets[bi-1].Time {
				return fmt.Errorf("%w: customer %q: basket %d at %d before basket %d at %d",
					ErrInput, c.ID, bi, b.Time, bi-1, c.Baskets[bi-1].Time)
			}
			if err := checkItems(b.Items, n); err != nil {
				return fmt.Errorf("%w: customer %q: basket %d: %w", ErrInput, c.ID, bi, err)
			}
		}
	}
	return nil
}

// checkItems reports whether items is ascending, distinct and within 0..n-1.
func checkItems(items []int32, n int) error {
	for i, it := range items {
		if it < 0 || int(it) >= n {
			return fmt.Errorf("item %d outside 0..%d", it, n-1)
		}
		if i > 0 && it <= items[i-1] {
			return fmt.Errorf("items not ascending and distinct at %d (%d after %d)", i, it, items[i-1])
		}
	}
	return nil
}

// PastItems appends to dst[:0] the distinct items of every basket of c,
// ascending, and returns the slice.
func PastItems(c *Customer, dst []int32) []int32 {
	dst = dst[:0]
	for _, b := range c.Baskets {
		dst = append(dst, b.Items...)
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// knownItems is PastItems restricted to items below n.
func knownItems(c *Customer, n int, dst []int32) []int32 {
	dst = PastItems(c, dst)
	end := len(dst)
	for end > 0 && int(dst[end-1]) >= n {
		end--
	}
	start := 0
	for start < end && dst[start] < 0 {
		start++
	}
	return append(dst[:0], dst[start:end]...)
}

// contains reports whether the ascending slice s holds x.
func contains(s []int32, x int32) bool {
	_, ok := slices.BinarySearch(s, x)
	return ok
}

// scored is a candidate item and its score.
type scored struct {
	item  int32
	score float64
}

// byRank orders candidates by score descending, then item ascending: the
// tie-breaking of every method.
func byRank(a, b scored) int {
	if a.score != b.score {
		if a.score > b.score {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.item, b.item)
}

// appendTop sorts cands by rank and appends the items of the first k to
// dst[:0]. Scores must not be NaN.
func appendTop(cands []scored, k int, dst []int32) []int32 {
	dst = dst[:0]
	if k <= 0 {
		return dst
	}
	slices.SortFunc(cands, byRank)
	for _, c := range cands[:min(k, len(cands))] {
		dst = append(dst, c.item)
	}
	return dst
}
