package nextbasket

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestScoreHandExamples(t *testing.T) {
	l2 := func(r int) float64 { return 1 / math.Log2(float64(r+1)) } // rank r from 1
	cases := []struct {
		name               string
		list, hidden, past []int32
		k                  int
		want               Metrics
	}{
		{
			name: "one repeat hit at rank 2", list: []int32{5, 1, 7}, hidden: []int32{1, 2}, past: []int32{1, 5}, k: 3,
			want: Metrics{Hit: 1, Precision: 1.0 / 3, Recall: 0.5, NDCG: l2(2) / (l2(1) + l2(2)),
				HasRepeat: true, HasExplore: true, RecallRepeat: 1, HitRepeat: 1,
				RepeatRatio: 2.0 / 3, ExploreRatio: 1.0 / 3},
		},
		{
			name: "explore hit cut off by k", list: []int32{9, 2}, hidden: []int32{2}, past: nil, k: 1,
			want: Metrics{HasExplore: true, ExploreRatio: 1},
		},
		{
			name: "short list, all hit", list: []int32{3}, hidden: []int32{3}, past: []int32{3}, k: 4,
			want: Metrics{Hit: 1, Precision: 0.25, Recall: 1, NDCG: 1, HasRepeat: true,
				RecallRepeat: 1, HitRepeat: 1, RepeatRatio: 0.25, ExploreRatio: 0.75},
		},
		{
			name: "ideal DCG over min(k, |hidden|)", list: []int32{1, 2}, hidden: []int32{1, 2, 3, 4}, past: []int32{4}, k: 2,
			want: Metrics{Hit: 1, Precision: 1, Recall: 0.5, NDCG: 1, HasRepeat: true, HasExplore: true,
				RecallExplore: 2.0 / 3, HitExplore: 1, ExploreRatio: 1},
		},
		{
			name: "empty list", list: nil, hidden: []int32{0}, past: []int32{0}, k: 2,
			want: Metrics{HasRepeat: true, ExploreRatio: 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Score(c.list, c.hidden, c.past, c.k)
			if !closeMetrics(got, c.want) {
				t.Errorf("got %+v; want %+v", got, c.want)
			}
		})
	}
}

func closeMetrics(a, b Metrics) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12 }
	return eq(a.Hit, b.Hit) && eq(a.Precision, b.Precision) && eq(a.Recall, b.Recall) &&
		eq(a.NDCG, b.NDCG) && a.HasRepeat == b.HasRepeat && a.HasExplore == b.HasExplore &&
		eq(a.RecallRepeat, b.RecallRepeat) && eq(a.RecallExplore, b.RecallExplore) &&
		eq(a.HitRepeat, b.HitRepeat) && eq(a.HitExplore, b.HitExplore) &&
		eq(a.RepeatRatio, b.RepeatRatio) && eq(a.ExploreRatio, b.ExploreRatio)
}

// bruteScore recomputes Metrics with sets and the textbook formulas.
func bruteScore(list, hidden, past []int32, k int) Metrics {
	if len(list) > k {
		list = list[:k]
	}
	h, p := map[int32]bool{}, map[int32]bool{}
	for _, it := range hidden {
		h[it] = true
	}
	for _, it := range past {
		p[it] = true
	}
	rep, exp := map[int32]bool{}, map[int32]bool{}
	for it := range h {
		if p[it] {
			rep[it] = true
		} else {
			exp[it] = true
		}
	}
	count := func(set map[int32]bool) (n int) {
		for _, it := range list {
			if set[it] {
				n++
			}
		}
		return n
	}
	var m Metrics
	hits := count(h)
	m.Precision = float64(hits) / float64(k)
	m.Recall = float64(hits) / float64(len(h))
	if hits > 0 {
		m.Hit = 1
	}
	var dcg, idcg float64
	for r, it := range list {
		if h[it] {
			dcg += 1 / math.Log2(float64(r)+2)
		}
	}
	for r := 0; r < k && r < len(h); r++ {
		idcg += 1 / math.Log2(float64(r)+2)
	}
	m.NDCG = dcg / idcg
	if len(rep) > 0 {
		m.HasRepeat = true
		m.RecallRepeat = float64(count(rep)) / float64(len(rep))
		m.HitRepeat = math.Min(1, float64(count(rep)))
	}
	if len(exp) > 0 {
		m.HasExplore = true
		m.RecallExplore = float64(count(exp)) / float64(len(exp))
		m.HitExplore = math.Min(1, float64(count(exp)))
	}
	m.RepeatRatio = float64(count(p)) / float64(k)
	m.ExploreRatio = 1 - m.RepeatRatio
	return m
}

func randSet(rng *rand.Rand, n, max int) []int32 {
	set := map[int32]bool{}
	for range rng.IntN(max + 1) {
		set[int32(rng.IntN(n))] = true
	}
	var out []int32
	for it := range set {
		out = append(out, it)
	}
	slices.Sort(out)
	return out
}

func TestScoreMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 3000 {
		n := 1 + rng.IntN(20)
		hidden := randSet(rng, n, 8)
		if len(hidden) == 0 {
			hidden = []int32{int32(rng.IntN(n))}
		}
		past := randSet(rng, n, 10)
		list := randSet(rng, n, 12)
		rng.Shuffle(len(list), func(a, b int) { list[a], list[b] = list[b], list[a] })
		k := 1 + rng.IntN(12)
		got, want := Score(list, hidden, past, k), bruteScore(list, hidden, past, k)
		if !closeMetrics(got, want) {
			t.Fatalf("case %d (list %v hidden %v past %v k %d): got %+v; want %+v", i, list, hidden, past, k, got, want)
		}
	}
}

func TestEvaluateAverages(t *testing.T) {
	// Customer a: past {0,1}, hidden {1,2}; customer b: past {}, hidden {3}.
	cases := []Case{
		{History: &Customer{ID: "a", Baskets: []Basket{{Items: []int32{0, 1}}}}, Hidden: []int32{1, 2}},
		{History: &Customer{ID: "b"}, Hidden: []int32{3}},
	}
	fixed := RecommenderFunc(func(c *Customer, k int, dst []int32) []int32 {
		return append(dst[:0], 1, 3)[:min(k, 2)]
	})
	s, per, err := Evaluate("fixed", fixed, cases, 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(per) != 2 {
		t.Fatalf("got %d per-customer metrics; want 2", len(per))
	}
	want := Scores{Method: "fixed", K: 2, Customers: 2, HitRate: 1, Precision: 0.5, Recall: 0.75,
		Coverage: 0.4, RepeatCustomers: 1, ExploreCustomers: 2, RecallRepeat: 1, HitRepeat: 1,
		RecallExplore: 0.5, HitExplore: 0.5, RepeatRatio: 0.25, ExploreRatio: 0.75}
	want.NDCG = (1/(1+1/math.Log2(3)) + 1/math.Log2(3)) / 2
	if math.Abs(s.NDCG-want.NDCG) > 1e-12 {
		t.Errorf("NDCG: got %v; want %v", s.NDCG, want.NDCG)
	}
	s.NDCG = want.NDCG
	if s != want {
		t.Errorf("got %+v; want %+v", s, want)
	}
}

func TestEvaluateRejects(t *testing.T) {
	good := []Case{{History: &Customer{}, Hidden: []int32{0}}}
	list := func(items ...int32) Recommender {
		return RecommenderFunc(func(c *Customer, k int, dst []int32) []int32 { return append(dst[:0], items...) })
	}
	cases := []struct {
		name  string
		r     Recommender
		cases []Case
		k     int
	}{
		{"too long", list(0, 1, 2), good, 2},
		{"duplicate", list(1, 1), good, 2},
		{"out of range", list(9), good, 2},
		{"empty hidden", list(0), []Case{{History: &Customer{}}}, 2},
		{"unsorted hidden", list(0), []Case{{History: &Customer{}, Hidden: []int32{2, 1}}}, 2},
		{"k zero", list(0), good, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := Evaluate("x", c.r, c.cases, c.k, 4); err == nil {
				t.Error("got no error; want one")
			}
		})
	}
}

func ExampleEvaluate() {
	train := []Customer{
		{ID: "a", Baskets: []Basket{{Time: 1, Items: []int32{0, 1}}, {Time: 2, Items: []int32{1}}}},
		{ID: "b", Baskets: []Basket{{Time: 1, Items: []int32{1, 2}}}},
	}
	m := &GPTopFreq{}
	if err := m.Fit(train, 4); err != nil {
		panic(err)
	}
	cases := []Case{{History: &train[0], Hidden: []int32{1, 3}}, {History: &train[1], Hidden: []int32{0}}}
	s, _, err := Evaluate("gp-topfreq", m, cases, 2, 4)
	if err != nil {
		panic(err)
	}
	fmt.Printf("hit %.2f recall %.2f repeat recall %.2f over %d\n", s.HitRate, s.Recall, s.RecallRepeat, s.RepeatCustomers)
	// Output: hit 0.50 recall 0.25 repeat recall 1.00 over 1
}
