package nextbasket

import (
	"fmt"
	"math"
	"slices"
)

// TIFUOptions are TIFU-KNN's parameters (Hu et al., SIGIR 2020).
type TIFUOptions struct {
	// Neighbours is k, the number of nearest training customers.
	Neighbours int
	// Groups is m, the number of groups a history is split into.
	Groups int
	// WithinDecay is r_b, the decay between baskets of one group, in (0, 1].
	WithinDecay float64
	// GroupDecay is r_g, the decay between groups, in (0, 1].
	GroupDecay float64
	// Alpha is α in [0, 1], the weight of the customer's own vector
	// against the mean of the neighbours'.
	Alpha float64
}

// DefaultTIFUOptions returns the paper's setting for its grocery dataset
// TaFeng: k = 300, m = 7, r_b = 0.9, r_g = 0.7, α = 0.7.
func DefaultTIFUOptions() TIFUOptions {
	return TIFUOptions{Neighbours: 300, Groups: 7, WithinDecay: 0.9, GroupDecay: 0.7, Alpha: 0.7}
}

// Validate checks o's ranges.
func (o TIFUOptions) Validate() error {
	switch {
	case o.Neighbours < 1:
		return fmt.Errorf("%w: tifu-knn neighbours %d", ErrInput, o.Neighbours)
	case o.Groups < 1:
		return fmt.Errorf("%w: tifu-knn groups %d", ErrInput, o.Groups)
	case !(o.WithinDecay > 0 && o.WithinDecay <= 1):
		return fmt.Errorf("%w: tifu-knn within-group decay %v", ErrInput, o.WithinDecay)
	case !(o.GroupDecay > 0 && o.GroupDecay <= 1):
		return fmt.Errorf("%w: tifu-knn group decay %v", ErrInput, o.GroupDecay)
	case !(o.Alpha >= 0 && o.Alpha <= 1):
		return fmt.Errorf("%w: tifu-knn alpha %v", ErrInput, o.Alpha)
	}
	return nil
}

// TIFUKNN is TIFU-KNN: each customer is a time-decayed personal item
// frequency vector (PersonalVector); a customer's prediction is
// α·u + (1−α)·mean of the vectors of the k training customers nearest to u
// in Euclidean distance (ties: the earlier in train), a training customer
// with the same non-empty ID never being its own neighbour. Items with a
// positive prediction are ranked.
type TIFUKNN struct {
	Options TIFUOptions

	n    int
	ids  []string
	vecs []sparseVec
}

// sparseVec is a vector by ascending item.
type sparseVec struct {
	items []int32
	vals  []float64
}

// NewTIFUKNN returns a TIFU-KNN with options o (checked by Fit).
func NewTIFUKNN(o TIFUOptions) *TIFUKNN { return &TIFUKNN{Options: o} }

// Fit computes every training customer's vector. Time and memory are
// linear in the training baskets' items.
func (m *TIFUKNN) Fit(train []Customer, n int) error {
	if err := m.Options.Validate(); err != nil {
		return err
	}
	if err := Validate(train, n); err != nil {
		return err
	}
	m.n = n
	m.ids = make([]string, len(train))
	m.vecs = make([]sparseVec, len(train))
	acc := make([]float64, n)
	for u := range train {
		m.ids[u] = train[u].ID
		m.vecs[u] = personalVector(&train[u], n, m.Options, acc)
	}
	return nil
}

// PersonalVector returns c's TIFU vector over items 0..n-1 (dense). With t
// baskets and m' = min(m, t) groups, the baskets are cut, in time order,
// into m' runs of consecutive baskets whose lengths differ by at most one,
// the later runs being the longer. A group of s baskets b_1..b_s has
// vector g = (1/s)·Σ_j r_b^(s−j)·b_j (b_j as a 0/1 vector), and
// u = (1/m')·Σ_i r_g^(m'−i)·g_i over groups i = 1..m'.
func PersonalVector(c *Customer, n int, o TIFUOptions) []float64 {
	v := personalVector(c, n, o, make([]float64, n))
	out := make([]float64, n)
	for x, it := range v.items {
		out[it] = v.vals[x]
	}
	return out
}

// personalVector computes the vector of c's items below n; acc is an
// all-zero scratch of n values, left all zero.
func personalVector(c *Customer, n int, o TIFUOptions, acc []float64) sparseVec {
	t := len(c.Baskets)
	if t == 0 {
		return sparseVec{}
	}
	groups := min(o.Groups, t)
	base, extra := t/groups, t%groups
	var items []int32
	touched := make(map[int32]bool)
	group := make(map[int32]float64)
	start := 0
	for gi := range groups {
		size := base
		if gi >= groups-extra {
			size++
		}
		clear(group)
		for j, b := range c.Baskets[start : start+size] {
			w := math.Pow(o.WithinDecay, float64(size-1-j))
			for _, it := range b.Items {
				if it >= 0 && int(it) < n {
					group[it] += w
				}
			}
		}
		gw := math.Pow(o.GroupDecay, float64(groups-1-gi))
		for it, g := range group {
			acc[it] += gw * (g / float64(size))
			if !touched[it] {
				touched[it] = true
				items = append(items, it)
			}
		}
		start += size
	}
	slices.Sort(items)
	v := sparseVec{items: items, vals: make([]float64, len(items))}
	for x, it := range items {
		v.vals[x] = acc[it] / float64(groups)
		acc[it] = 0
	}
	return v
}

// Recommend blends c's vector with its nearest training customers'.
func (m *TIFUKNN) Recommend(c *Customer, k int, dst []int32) []int32 {
	if m.vecs == nil || k <= 0 {
		return dst[:0]
	}
	u := personalVector(c, m.n, m.Options, make([]float64, m.n))
	type near struct {
		d float64
		u int
	}
	cands := make([]near, 0, len(m.vecs))
	for v := range m.vecs {
		if c.ID != "" && m.ids[v] == c.ID {
			continue
		}
		cands = append(cands, near{sqDist(u, m.vecs[v]), v})
	}
	slices.SortFunc(cands, func(a, b near) int {
		if a.d != b.d {
			if a.d < b.d {
				return -1
			}
			return 1
		}
		return a.u - b.u
	})
	cands = cands[:min(m.Options.Neighbours, len(cands))]
	nb := make([]float64, m.n)
	for _, nc := range cands {
		v := m.vecs[nc.u]
		for x, it := range v.items {
			nb[it] += v.vals[x]
		}
	}
	a := m.Options.Alpha
	pred := make([]float64, m.n)
	for x, it := range u.items {
		pred[it] = a * u.vals[x]
	}
	out := make([]scored, 0, len(u.items))
	for it := range m.n {
		p := pred[it]
		if len(cands) > 0 {
			p += (1 - a) * (nb[it] / float64(len(cands)))
		}
		if p > 0 {
			out = append(out, scored{int32(it), p})
		}
	}
	return appendTop(out, k, dst)
}

// sqDist is Σ (a_j − b_j)² over the union of supports, ascending item.
func sqDist(a, b sparseVec) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a.items) || j < len(b.items) {
		var d float64
		switch {
		case j == len(b.items) || i < len(a.items) && a.items[i] < b.items[j]:
			d = a.vals[i]
			i++
		case i == len(a.items) || b.items[j] < a.items[i]:
			d = b.vals[j]
			j++
		default:
			d = a.vals[i] - b.vals[j]
			i++
			j++
		}
		s += d * d
	}
	return s
}
