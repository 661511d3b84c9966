package nextbasket

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestPersonalVectorHandExamples(t *testing.T) {
	b := func(items ...int32) Basket { return Basket{Items: items} }
	half := TIFUOptions{Neighbours: 1, Groups: 2, WithinDecay: 0.5, GroupDecay: 0.5, Alpha: 1}
	cases := []struct {
		name    string
		baskets []Basket
		o       TIFUOptions
		want    []float64
	}{
		// Groups {b1}, {b2, b3}: g1 = [1 1 0], g2 = (0.5·b2 + b3)/2 =
		// [0 .25 .5]; u = (0.5·g1 + g2)/2.
		{"three baskets, two groups", []Basket{b(0, 1), b(1), b(2)}, half, []float64{0.25, 0.375, 0.25}},
		// Fewer baskets than groups: one basket per group, m' = 2:
		// u = (0.5·[1 0 0] + [0 1 0])/2.
		{"fewer baskets than groups", []Basket{b(0), b(1)}, TIFUOptions{Groups: 7, WithinDecay: 0.5, GroupDecay: 0.5}, []float64{0.25, 0.5, 0}},
		// Five baskets, two groups of 2 and 3: g1 = (0.5·b1 + b2)/2 =
		// [.75 .5 0], g2 = (0.25·b3 + 0.5·b4 + b5)/3 = [0 7/12 1/3];
		// u = (0.5·g1 + g2)/2.
		{"uneven groups", []Basket{b(0), b(0, 1), b(1), b(1), b(1, 2)}, half,
			[]float64{0.1875, 5.0 / 12, 1.0 / 6}},
		// No decay: u is the mean over groups of the mean basket.
		{"no decay", []Basket{b(0), b(0, 2), b(2)}, TIFUOptions{Groups: 1, WithinDecay: 1, GroupDecay: 1}, []float64{2.0 / 3, 0, 2.0 / 3}},
		{"no baskets", nil, half, []float64{0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PersonalVector(&Customer{Baskets: c.baskets}, 3, c.o)
			for i := range got {
				if math.Abs(got[i]-c.want[i]) > 1e-15 {
					t.Fatalf("got %v; want %v", got, c.want)
				}
			}
		})
	}
}

// brutePersonal computes the vector densely, cutting groups from the end:
// each group, last first, takes ⌈remaining baskets / remaining groups⌉.
func brutePersonal(c *Customer, n int, o TIFUOptions) []float64 {
	t := len(c.Baskets)
	u := make([]float64, n)
	if t == 0 {
		return u
	}
	m := o.Groups
	if t < m {
		m = t
	}
	sizes := make([]int, m)
	left := t
	for g := m - 1; g >= 0; g-- {
		sizes[g] = (left + g) / (g + 1)
		left -= sizes[g]
	}
	for x := range n {
		start := 0
		for g := range m {
			var sum float64
			for j := range sizes[g] {
				w := math.Pow(o.WithinDecay, float64(sizes[g]-1-j))
				if slices.Contains(c.Baskets[start+j].Items, int32(x)) {
					sum += w
				} else {
					sum += 0 * w
				}
			}
			u[x] += math.Pow(o.GroupDecay, float64(m-1-g)) * (sum / float64(sizes[g]))
			start += sizes[g]
		}
		u[x] /= float64(m)
	}
	return u
}

func bruteTIFU(train []Customer, n int, o TIFUOptions, c *Customer, k int) []int32 {
	u := brutePersonal(c, n, o)
	dist := make([]float64, len(train))
	for v := range train {
		w := brutePersonal(&train[v], n, o)
		for j := range n {
			dist[v] += (u[j] - w[j]) * (u[j] - w[j])
		}
	}
	used := make([]bool, len(train))
	for v := range train {
		used[v] = c.ID != "" && train[v].ID == c.ID
	}
	var nbrs []int
	for len(nbrs) < o.Neighbours {
		best := -1
		for v := range train {
			if !used[v] && (best < 0 || dist[v] < dist[best]) {
				best = v
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		nbrs = append(nbrs, best)
	}
	nb := make([]float64, n)
	for _, v := range nbrs {
		w := brutePersonal(&train[v], n, o)
		for j := range n {
			nb[j] += w[j]
		}
	}
	score := make([]float64, n)
	cand := make([]bool, n)
	for j := range n {
		score[j] = o.Alpha * u[j]
		if len(nbrs) > 0 {
			score[j] += (1 - o.Alpha) * (nb[j] / float64(len(nbrs)))
		}
		cand[j] = score[j] > 0
	}
	return bruteTop(score, cand, k)
}

func TestTIFUKNNMatchesOracle(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 3))
		n := 2 + rng.IntN(15)
		train := randCustomers(rng, 1+rng.IntN(20), n, 9, 5)
		o := TIFUOptions{
			Neighbours:  1 + rng.IntN(6),
			Groups:      1 + rng.IntN(4),
			WithinDecay: []float64{0.5, 0.9, 1}[rng.IntN(3)],
			GroupDecay:  []float64{0.6, 0.7, 1}[rng.IntN(3)],
			Alpha:       []float64{0, 0.3, 0.7, 1}[rng.IntN(4)],
		}
		queries := append(randCustomers(rng, 4, n+2, 6, 4), train...)
		t.Run(fmt.Sprintf("seed%d/%+v", seed, o), func(t *testing.T) {
			m := NewTIFUKNN(o)
			if err := m.Fit(train, n); err != nil {
				t.Fatal(err)
			}
			for qi := range queries {
				c := &queries[qi]
				if qi < 4 {
					c.ID = "" // unseen customers
				}
				cc := clip(c, n)
				for x, v := range PersonalVector(c, n, o) {
					if w := brutePersonal(cc, n, o)[x]; v != w {
						t.Fatalf("query %d: vector[%d]: got %v; want %v", qi, x, v, w)
					}
				}
				for _, k := range []int{1, 4, n} {
					got := m.Recommend(c, k, nil)
					if want := bruteTIFU(train, n, o, cc, k); !slices.Equal(got, want) {
						t.Fatalf("query %d k=%d: got %v; want %v", qi, k, got, want)
					}
				}
			}
		})
	}
}

func TestTIFUOptionsValidate(t *testing.T) {
	if err := DefaultTIFUOptions().Validate(); err != nil {
		t.Fatalf("defaults: got %v; want nil", err)
	}
	bad := []func(*TIFUOptions){
		func(o *TIFUOptions) { o.Neighbours = 0 },
		func(o *TIFUOptions) { o.Groups = 0 },
		func(o *TIFUOptions) { o.WithinDecay = 0 },
		func(o *TIFUOptions) { o.GroupDecay = 1.5 },
		func(o *TIFUOptions) { o.Alpha = -0.1 },
		func(o *TIFUOptions) { o.Alpha = math.NaN() },
	}
	for i, f := range bad {
		o := DefaultTIFUOptions()
		f(&o)
		if err := NewTIFUKNN(o).Fit(nil, 1); err == nil {
			t.Errorf("case %d (%+v): got no error; want one", i, o)
		}
	}
}
