package nextbasket

import (
	"fmt"
	"math"
)

// Metrics are one customer's scores for one recommendation list at cut-off
// k. The repeat and explore figures are defined only when the hidden
// basket holds repeat (HasRepeat) or explore (HasExplore) items; they are 0
// otherwise and left out of the averages.
type Metrics struct {
	Hit       float64 // 1 when a hidden item is among the first k
	Precision float64 // hits / k
	Recall    float64 // hits / |hidden|
	NDCG      float64 // binary-relevance DCG / ideal DCG over min(k, |hidden|)

	HasRepeat     bool    // the hidden basket holds items bought before
	HasExplore    bool    // the hidden basket holds items new to the customer
	RecallRepeat  float64 // hits among repeat items / |hidden repeat items|
	RecallExplore float64 // hits among explore items / |hidden explore items|
	HitRepeat     float64 // 1 when a hidden repeat item is among the first k
	HitExplore    float64 // 1 when a hidden explore item is among the first k

	RepeatRatio  float64 // recommended past items among the first k / k
	ExploreRatio float64 // 1 − RepeatRatio
}

// Score computes the metrics of list (truncated to its first k items)
// against the hidden basket, given the customer's past items. hidden and
// past are ascending and distinct; hidden must not be empty, k must be
// positive.
func Score(list, hidden, past []int32, k int) Metrics {
	list = list[:min(k, len(list))]
	var hits, hitsRep, hitsExp, recRep int
	var dcg float64
	for r, it := range list {
		isPast := contains(past, it)
		if isPast {
			recRep++
		}
		if !contains(hidden, it) {
			continue
		}
		hits++
		dcg += 1 / math.Log2(float64(r+2))
		if isPast {
			hitsRep++
		} else {
			hitsExp++
		}
	}
	var nRep int
	for _, it := range hidden {
		if contains(past, it) {
			nRep++
		}
	}
	nExp := len(hidden) - nRep
	var idcg float64
	for r := range min(k, len(hidden)) {
		idcg += 1 / math.Log2(float64(r+2))
	}
	m := Metrics{
		Hit:         indicator(hits > 0),
		Precision:   float64(hits) / float64(k),
		Recall:      float64(hits) / float64(len(hidden)),
		NDCG:        dcg / idcg,
		HasRepeat:   nRep > 0,
		HasExplore:  nExp > 0,
		RepeatRatio: float64(recRep) / float64(k),
	}
	m.ExploreRatio = 1 - m.RepeatRatio
	if nRep > 0 {
		m.RecallRepeat = float64(hitsRep) / float64(nRep)
		m.HitRepeat = indicator(hitsRep > 0)
	}
	if nExp > 0 {
		m.RecallExplore = float64(hitsExp) / float64(nExp)
		m.HitExplore = indicator(hitsExp > 0)
	}
	return m
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Scores are a method's metrics averaged over customers. The repeat
// figures average over the RepeatCustomers whose hidden basket holds a
// repeat item, the explore figures over the ExploreCustomers whose hidden
// basket holds an explore item (0 when there are none), as the Reality
// Check paper does; RepeatRatio and ExploreRatio average over everyone.
type Scores struct {
	Method    string
	K         int
	Customers int

	HitRate   float64
	Precision float64
	Recall    float64
	NDCG      float64
	// Coverage is the number of distinct items recommended to anyone (in
	// the first k) over the catalogue size.
	Coverage float64

	RepeatCustomers  int
	ExploreCustomers int
	RecallRepeat     float64
	RecallExplore    float64
	HitRepeat        float64 // PHR_rep of the paper
	HitExplore       float64 // PHR_expl of the paper

	RepeatRatio  float64
	ExploreRatio float64
}

// Accumulator averages Metrics over customers and counts the distinct
// items recommended. Sums are taken in Add order.
type Accumulator struct {
	k, n      int
	sum       Metrics
	customers int
	nRep      int
	nExp      int
	shown     []bool
	distinct  int
}

// NewAccumulator returns an accumulator for cut-off k over a catalogue of
// n items.
func NewAccumulator(k, n int) *Accumulator {
	return &Accumulator{k: k, n: n, shown: make([]bool, n)}
}

// Add scores one customer's list and adds it to the averages.
func (a *Accumulator) Add(list, hidden, past []int32) Metrics {
	m := Score(list, hidden, past, a.k)
	a.AddMetrics(m)
	for _, it := range list[:min(a.k, len(list))] {
		if it >= 0 && int(it) < a.n && !a.shown[it] {
			a.shown[it] = true
			a.distinct++
		}
	}
	return m
}

// AddMetrics adds metrics computed elsewhere; it does not count coverage.
func (a *Accumulator) AddMetrics(m Metrics) {
	a.customers++
	s := &a.sum
	s.Hit += m.Hit
	s.Precision += m.Precision
	s.Recall += m.Recall
	s.NDCG += m.NDCG
	s.RepeatRatio += m.RepeatRatio
	s.ExploreRatio += m.ExploreRatio
	if m.HasRepeat {
		a.nRep++
		s.RecallRepeat += m.RecallRepeat
		s.HitRepeat += m.HitRepeat
	}
	if m.HasExplore {
		a.nExp++
		s.RecallExplore += m.RecallExplore
		s.HitExplore += m.HitExplore
	}
}

// Scores returns the averages so far, labelled with method.
func (a *Accumulator) Scores(method string) Scores {
	s := Scores{Method: method, K: a.k, Customers: a.customers,
		RepeatCustomers: a.nRep, ExploreCustomers: a.nExp}
	if a.n > 0 {
		s.Coverage = float64(a.distinct) / float64(a.n)
	}
	mean := func(sum float64, cnt int) float64 {
		if cnt == 0 {
			return 0
		}
		return sum / float64(cnt)
	}
	c := a.customers
	s.HitRate = mean(a.sum.Hit, c)
	s.Precision = mean(a.sum.Precision, c)
	s.Recall = mean(a.sum.Recall, c)
	s.NDCG = mean(a.sum.NDCG, c)
	s.RepeatRatio = mean(a.sum.RepeatRatio, c)
	s.ExploreRatio = mean(a.sum.ExploreRatio, c)
	s.RecallRepeat = mean(a.sum.RecallRepeat, a.nRep)
	s.HitRepeat = mean(a.sum.HitRepeat, a.nRep)
	s.RecallExplore = mean(a.sum.RecallExplore, a.nExp)
	s.HitExplore = mean(a.sum.HitExplore, a.nExp)
	return s
}

// Case is one evaluation customer: the history the recommender sees and
// the hidden basket it should predict (ascending, distinct, not empty).
type Case struct {
	History *Customer
	Hidden  []int32
}

// Evaluate asks r for k items for every case and scores them, returning
// the averages and the per-customer metrics in case order. It fails when a
// hidden basket is malformed or r returns more than k items, duplicates or
// items outside 0..n-1.
func Evaluate(method string, r Recommender, cases []Case, k, n int) (Scores, []Metrics, error) {
	if k < 1 {
		return Scores{}, nil, fmt.Errorf("%w: k = %d", ErrInput, k)
	}
	acc := NewAccumulator(k, n)
	per := make([]Metrics, len(cases))
	var list, past []int32
	seen := make([]bool, n)
	for ci, cs := range cases {
		if len(cs.Hidden) == 0 {
			return Scores{}, nil, fmt.Errorf("%w: case %d: empty hidden basket", ErrInput, ci)
		}
		if err := checkItems(cs.Hidden, n); err != nil {
			return Scores{}, nil, fmt.Errorf("%w: case %d: hidden basket: %w", ErrInput, ci, err)
		}
		list = r.Recommend(cs.History, k, list)
		if err := checkList(list, k, n, seen); err != nil {
			return Scores{}, nil, fmt.Errorf("%s: case %d: %w", method, ci, err)
		}
		past = PastItems(cs.History, past)
		per[ci] = acc.Add(list, cs.Hidden, past)
	}
	return acc.Scores(method), per, nil
}

// checkList checks a recommendation list; seen is all false on entry and
// on return.
func checkList(list []int32, k, n int, seen []bool) error {
	if len(list) > k {
		return fmt.Errorf("recommended %d items; want at most %d", len(list), k)
	}
	var err error
	for _, it := range list {
		if it < 0 || int(it) >= n {
			err = fmt.Errorf("recommended item %d outside 0..%d", it, n-1)
			break
		}
		if seen[it] {
			err = fmt.Errorf("recommended item %d twice", it)
			break
		}
		seen[it] = true
	}
	for _, it := range list {
		if it >= 0 && int(it) < n {
			seen[it] = false
		}
	}
	return err
}
