package nextbasket

import (
	"fmt"

	"math/rand/v2"
	"slices"
	"testing"
)

// randCustomers draws customers over n items: up to maxBaskets baskets of
// up to maxItems items each, skewed towards low ids so that counts tie and
// differ, and times that sometimes repeat.
func randCustomers(rng *rand.Rand, customers, n, maxBaskets, maxItems int) []Customer {
	out := make([]Customer, customers)
	for u := range out {
		c := Customer{ID: fmt.Sprintf("c%d", u)}
		t := int64(rng.IntN(10))
		for range 1 + rng.IntN(maxBaskets) {
			set := map[int32]bool{}
			for range 1 + rng.IntN(maxItems) {
				it := rng.IntN(n)
				if rng.IntN(2) == 0 {
					it = rng.IntN(1 + n/3)
				}
				set[int32(it)] = true
			}
			var items []int32
			for it := range set {
				items = append(items, it)
			}
			slices.Sort(items)
			c.Baskets = append(c.Baskets, Basket{Time: t, Items: items})
			t += int64(rng.IntN(3))
		}
		out[u] = c
	}
	return out
}

// bruteTop picks, k times, the remaining candidate with the highest score
// and the lowest id among equals.
func bruteTop(score []float64, cand []bool, k int) []int32 {
	taken := make([]bool, len(score))
	var out []int32
	for len(out) < k {
		best := -1
		for i := range score {
			if !cand[i] || taken[i] {
				continue
			}
			if best < 0 || score[i] > score[best] {
				best = i
			}
		}
		if best < 0 {
			break
		}
		taken[best] = true
		out = append(out, int32(best))
	}
	return out
}

// bought reports whether c bought item it in any basket.
func bought(c *Customer, it int) bool {
	for _, b := range c.Baskets {
		if slices.Contains(b.Items, int32(it)) {
			return true
		}
	}
	return false
}

func bruteGTop(train []Customer, n int, what Count, exclude bool, c *Customer, k int) []int32 {
	score := make([]float64, n)
	cand := make([]bool, n)
	for it := range n {
		for u := range train {
			if what == CustomerCount {
				if bought(&train[u], it) {
					score[it]++
				}
				continue
			}
			for _, b := range train[u].Baskets {
				if slices.Contains(b.Items, int32(it)) {
					score[it]++
				}
			}
		}
		cand[it] = score[it] > 0 && !(exclude && bought(c, it))
	}
	return bruteTop(score, cand, k)
}

func brutePTop(c *Customer, n, k int) []int32 {
	score := make([]float64, n)
	cand := make([]bool, n)
	for it := range n {
		for _, b := range c.Baskets {
			if slices.Contains(b.Items, int32(it)) {
				score[it]++
			}
		}
		cand[it] = score[it] > 0
	}
	return bruteTop(score, cand, k)
}

func bruteGPTop(train []Customer, n int, what Count, c *Customer, k int) []int32 {
	out := brutePTop(c, n, k)
	for _, it := range bruteGTop(train, n, what, false, c, n) {
		if len(out) < k && !slices.Contains(out, it) {
			out = append(out, it)
		}
	}
	return out
}

// bruteItemKNN builds the dense binary matrix, every pair's cosine and
// every item's full neighbour ranking, then sums over the past items in
// ascending order (the same arithmetic as ItemKNN, so the same bits).
func bruteItemKNN(train []Customer, n, neighbours int, c *Customer, k int) []int32 {
	x := make([][]bool, len(train))
	for u := range train {
		x[u] = make([]bool, n)
		for it := range n {
			x[u][it] = bought(&train[u], it)
		}
	}
	cnt := make([]float64, n)
	for it := range n {
		for u := range x {
			if x[u][it] {
				cnt[it]++
			}
		}
	}
	inNbr := make([][]bool, n) // inNbr[i][j]: j is one of i's neighbours
	sim := make([][]float64, n)
	for i := range n {
		sim[i] = make([]float64, n)
		cand := make([]bool, n)
		for j := range n {
			var co int32
			for u := range x {
				if x[u][i] && x[u][j] {
					co++
				}
			}
			if j != i && co > 0 {
				sim[i][j] = cosine(co, cnt[i], cnt[j])
				cand[j] = true
			}
		}
		lim := n
		if neighbours > 0 {
			lim = neighbours
		}
		inNbr[i] = make([]bool, n)
		for _, j := range bruteTop(sim[i], cand, lim) {
			inNbr[i][j] = true
		}
	}
	score := make([]float64, n)
	cand := make([]bool, n)
	for i := range n {
		if !bought(c, i) {
			continue
		}
		for j := range n {
			if inNbr[i][j] {
				score[j] += sim[i][j]
				cand[j] = true
			}
		}
	}
	return bruteTop(score, cand, k)
}

// TestBaselinesMatchOracles fits every frequency and item-kNN variant on
// random data and compares each customer's list with the brute force, for
// training customers and for customers unseen in training.
func TestBaselinesMatchOracles(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 1))
		n := 3 + rng.IntN(25)
		train := randCustomers(rng, 1+rng.IntN(25), n, 6, 6)
		queries := append(randCustomers(rng, 5, n+2, 4, 5), train...)
		type method struct {
			name  string
			model Model
			want  func(c *Customer, k int) []int32
		}
		nb := rng.IntN(5)
		methods := []method{
			{"gtop-baskets", &GTopFreq{}, func(c *Customer, k int) []int32 { return bruteGTop(train, n, BasketCount, false, c, k) }},
			{"gtop-customers", &GTopFreq{Count: CustomerCount}, func(c *Customer, k int) []int32 { return bruteGTop(train, n, CustomerCount, false, c, k) }},
			{"gtop-explore", &GTopFreq{ExcludePast: true}, func(c *Customer, k int) []int32 { return bruteGTop(train, n, BasketCount, true, c, k) }},
			{"ptop", &PTopFreq{}, func(c *Customer, k int) []int32 { return brutePTop(c, n, k) }},
			{"gptop", &GPTopFreq{}, func(c *Customer, k int) []int32 { return bruteGPTop(train, n, BasketCount, c, k) }},
			{"gptop-customers", &GPTopFreq{Count: CustomerCount}, func(c *Customer, k int) []int32 { return bruteGPTop(train, n, CustomerCount, c, k) }},
			{fmt.Sprintf("itemknn-%d", nb), &ItemKNN{Neighbours: nb}, func(c *Customer, k int) []int32 { return bruteItemKNN(train, n, nb, c, k) }},
		}
		for _, m := range methods {
			t.Run(fmt.Sprintf("seed%d/%s", seed, m.name), func(t *testing.T) {
				if err := m.model.Fit(train, n); err != nil {
					t.Fatal(err)
				}
				var got []int32
				for qi := range queries {
					c := &queries[qi]
					for _, k := range []int{1, 3, 10, n + 5} {
						got = m.model.Recommend(c, k, got)
						want := m.want(clip(c, n), k)
						if !slices.Equal(got, want) {
							t.Fatalf("query %s k=%d: got %v; want %v", c.ID, k, got, want)
						}
					}
				}
			})
		}
	}
}

// clip drops items outside 0..n-1, which the recommenders ignore.
func clip(c *Customer, n int) *Customer {
	out := &Customer{ID: c.ID}
	for _, b := range c.Baskets {
		var items []int32
		for _, it := range b.Items {
			if int(it) < n {
				items = append(items, it)
			}
		}
		out.Baskets = append(out.Baskets, Basket{b.Time, items})
	}
	return out
}

func TestFitRejectsBadInput(t *testing.T) {
	cases := []struct {
		name  string
		train []Customer
		n     int
	}{
		{"unsorted", []Customer{{ID: "a", Baskets: []Basket{{Items: []int32{2, 1}}}}}, 3},
		{"duplicate", []Customer{{ID: "a", Baskets: []Basket{{Items: []int32{1, 1}}}}}, 3},
		{"out of range", []Customer{{ID: "a", Baskets: []Basket{{Items: []int32{3}}}}}, 3},
		{"negative", []Customer{{ID: "a", Baskets: []Basket{{Items: []int32{-1}}}}}, 3},
		{"time order", []Customer{{ID: "a", Baskets: []Basket{{Time: 2, Items: []int32{0}}, {Time: 1, Items: []int32{1}}}}}, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, m := range []Model{&GTopFreq{}, &PTopFreq{}, &GPTopFreq{}, &ItemKNN{}} {
				if err := m.Fit(c.train, c.n); err == nil {
					t.Errorf("%T: got no error; want one wrapping ErrInput", m)
				}
			}
		})
	}
	if err := (&ItemKNN{Neighbours: -1}).Fit(nil, 1); err == nil {
		t.Error("negative neighbours: got no error; want one")
	}
}
