package kmeans

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// blobs returns n points in d dimensions around k random centres, with
// coordinates rounded to a grid (quant > 0) to force ties and duplicates.
func blobs(r *rand.Rand, n, d, k int, spread, quant float64) Matrix {
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = r.NormFloat64() * 10
	}
	m := Matrix{Rows: n, Cols: d, Data: make([]float64, n*d)}
	for p := 0; p < n; p++ {
		c := r.IntN(k)
		for i := 0; i < d; i++ {
			v := centres[c*d+i] + r.NormFloat64()*spread
			if quant > 0 {
				v = math.Round(v/quant) * quant
			}
			m.Data[p*d+i] = v
		}
	}
	return m
}

// bruteLloyd is the oracle: plain Lloyd written naively, with the package's
// canonical distance and exact mean rule, from the given centroids.
func bruteLloyd(x, c Matrix, maxIter int) (Matrix, []int32, int) {
	c = c.Clone()
	labels := make([]int32, x.Rows)
	b := ComputeBounds(x)
	it := 0
	for it < maxIter {
		it++
		for p := 0; p < x.Rows; p++ {
			best, bd := 0, math.Inf(1)
			for j := 0; j < c.Rows; j++ {
				if v := dist2(x.Row(p), c.Row(j)); v < bd {
					best, bd = j, v
				}
			}
			labels[p] = int32(best)
		}
		step, _ := NewStep(c, b)
		p, _ := step.Accumulate(x)
		next, shift := p.Centroids(c)
		c = next
		if shift == 0 {
			break
		}
	}
	for p := 0; p < x.Rows; p++ {
		best, bd := 0, math.Inf(1)
		for j := 0; j < c.Rows; j++ {
			if v := dist2(x.Row(p), c.Row(j)); v < bd {
				best, bd = j, v
			}
		}
		labels[p] = int32(best)
	}
	return c, labels, it
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func mustFit(t *testing.T, x Matrix, o Options) Result {
	t.Helper()
	r, err := Fit(x, o)
	if err != nil {
		t.Fatalf("Fit: got error %v; want nil", err)
	}
	return r
}

func sameResult(t *testing.T, what string, got, want Result) {
	t.Helper()
	if !sameBits(got.Centroids.Data, want.Centroids.Data) {
		t.Fatalf("%s: centroids got %v; want %v", what, got.Centroids.Data, want.Centroids.Data)
	}
	if !slices.Equal(got.Labels, want.Labels) {
		t.Fatalf("%s: labels differ", what)
	}
	if math.Float64bits(got.Inertia) != math.Float64bits(want.Inertia) || got.Iterations != want.Iterations || got.Converged != want.Converged {
		t.Fatalf("%s: got inertia %v, %d iterations, converged %v; want %v, %d, %v", what,
			got.Inertia, got.Iterations, got.Converged, want.Inertia, want.Iterations, want.Converged)
	}
}
