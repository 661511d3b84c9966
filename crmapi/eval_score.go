package crmapi

import (
	"cmp"
	"slices"
)

// Evaluated methods.
const (
	// MethodRecommender is the recommender as served: rules and
	// sequences, then segment best-sellers up to k.
	MethodRecommender = "recommender"
	// MethodPatterns is the rule and sequence part of the recommender
	// alone: its lists are shorter than k when few patterns fire.
	MethodPatterns = "rules+sequences only"
	// MethodPopularity is the baseline: the overall best-sellers of the
	// training data, with the recommender's exclusion of the customer's
	// recent baskets.
	MethodPopularity = "popularity"
)

// MethodScore are the ranking scores of one method over the evaluated
// customers, each customer weighing the same.
type MethodScore struct {
	Method string `json:"method"`
	// Customers is the number of customers evaluated.
	Customers int `json:"customers"`
	// HitRate is the share of customers with at least one hidden item
	// among their top k.
	HitRate float64 `json:"hit_rate"`
	// Precision is the mean of hits / k; Recall the mean of hits / the
	// number of distinct hidden items.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// Coverage is DistinctItems over the catalogue (items sold in the
	// training data); DistinctItems counts the items recommended to
	// anyone.
	Coverage      float64 `json:"coverage"`
	DistinctItems int     `json:"distinct_items"`
	// MeanListLength is the mean number of items recommended (at most k).
	MeanListLength float64 `json:"mean_list_length"`
}

// tally accumulates one method's scores.
type tally struct {
	customers, hitCustomers, listed int
	precision, recall               float64
	items                           map[int32]bool
}

// add scores the list recs against the sorted hidden items.
func (t *tally) add(recs []int32, hidden []int32, k int) {
	hits := 0
	for _, it := range recs {
		t.items[it] = true
		if _, ok := slices.BinarySearch(hidden, it); ok {
			hits++
		}
	}
	t.customers++
	t.listed += len(recs)
	if hits > 0 {
		t.hitCustomers++
	}
	t.precision += float64(hits) / float64(k)
	if len(hidden) > 0 {
		t.recall += float64(hits) / float64(len(hidden))
	}
}

func (t *tally) score(method string, catalogue int) MethodScore {
	s := MethodScore{Method: method, Customers: t.customers, DistinctItems: len(t.items)}
	if t.customers > 0 {
		n := float64(t.customers)
		s.HitRate, s.Precision, s.Recall = float64(t.hitCustomers)/n, t.precision/n, t.recall/n
		s.MeanListLength = float64(t.listed) / n
	}
	if catalogue > 0 {
		s.Coverage = float64(len(t.items)) / float64(catalogue)
	}
	return s
}

// score scores the recommender, its pattern part and the popularity
// baseline for every customer of held (in the given order) that the
// model serves, and returns the catalogue size with the scores.
func (m *Model) score(held []heldOut, k int) (int, []MethodScore) {
	popular := m.popularity()
	rec, pat, pop := newTally(), newTally(), newTally()
	var recIDs, patIDs, popIDs []int32
	for _, h := range held {
		c := m.customers[h.customer]
		if c == nil {
			continue // no sale in the training data: not served
		}
		recIDs, patIDs = recIDs[:0], patIDs[:0]
		for _, cd := range m.forCustomer(c, k) {
			recIDs = append(recIDs, cd.item)
			if cd.src == srcRule || cd.src == srcSequence {
				patIDs = append(patIDs, cd.item)
			}
		}
		popIDs = topPopular(popIDs[:0], popular, c.recent, k)
		rec.add(recIDs, h.items, k)
		pat.add(patIDs, h.items, k)
		pop.add(popIDs, h.items, k)
	}
	n := len(popular)
	return n, []MethodScore{rec.score(MethodRecommender, n), pat.score(MethodPatterns, n), pop.score(MethodPopularity, n)}
}

func newTally() *tally { return &tally{items: map[int32]bool{}} }

// popularity returns every item sold in the training data, by the number
// of served customers who bought it (descending), then item id: the
// ranking of the overall best-sellers, not cut short.
func (m *Model) popularity() []int32 {
	counts := map[int32]int{}
	seen := map[uint32]bool{}
	for _, c := range m.customers {
		clear(seen)
		for _, e := range c.history {
			for _, it := range e.Items {
				if !seen[it] {
					seen[it] = true
					counts[int32(it)]++
				}
			}
		}
	}
	out := make([]int32, 0, len(counts))
	for it := range counts {
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b int32) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b)) })
	return out
}

// topPopular appends to dst the first k items of popular that are in
// none of the recent baskets.
func topPopular(dst, popular []int32, recent [][]int32, k int) []int32 {
	for _, it := range popular {
		if len(dst) == k {
			break
		}
		excluded := false
		for _, b := range recent {
			if _, ok := slices.BinarySearch(b, it); ok {
				excluded = true
				break
			}
		}
		if !excluded {
			dst = append(dst, it)
		}
	}
	return dst
}
