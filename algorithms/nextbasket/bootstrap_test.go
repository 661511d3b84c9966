package nextbasket

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPairedBootstrapDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	a, b := make([]float64, 200), make([]float64, 200)
	for i := range a {
		a[i], b[i] = rng.Float64(), rng.Float64()
	}
	x, err := PairedBootstrap(a, b, 500, 42)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := PairedBootstrap(a, b, 500, 42)
	if x != y {
		t.Errorf("same seed: got %+v and %+v; want equal", x, y)
	}
	z, _ := PairedBootstrap(a, b, 500, 43)
	if z == x {
		t.Errorf("seeds 42 and 43 gave the same interval %+v; want different draws", x)
	}
	if !(x.Lo <= x.Mean && x.Mean <= x.Hi) {
		t.Errorf("got interval [%v, %v] not holding the mean %v", x.Lo, x.Hi, x.Mean)
	}
}

// TestPairedBootstrapExcludesZero: b is a minus a clear positive shift with
// small noise, so every resampled mean is positive.
func TestPairedBootstrapExcludesZero(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	a, b := make([]float64, 300), make([]float64, 300)
	for i := range a {
		a[i] = rng.Float64()
		b[i] = a[i] - 0.1 + 0.05*(rng.Float64()-0.5)
	}
	iv, err := PairedBootstrap(a, b, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !iv.Excludes0() || iv.Lo <= 0 {
		t.Errorf("got %+v; want an interval above 0", iv)
	}
	if math.Abs(iv.Mean-0.1) > 0.01 {
		t.Errorf("got mean %v; want about 0.1", iv.Mean)
	}
	// Swapping the methods mirrors the interval.
	rev, _ := PairedBootstrap(b, a, 1000, 1)
	if rev.Hi >= 0 || math.Abs(rev.Mean+iv.Mean) > 1e-12 {
		t.Errorf("swapped: got %+v; want the mirror of %+v", rev, iv)
	}
}

// TestPairedBootstrapNoDifference: identical methods give the degenerate
// interval [0, 0], which does not exclude 0.
func TestPairedBootstrapNoDifference(t *testing.T) {
	a := []float64{0.1, 0.5, 0.9, 0.3}
	iv, err := PairedBootstrap(a, a, 100, 9)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Mean != 0 || iv.Lo != 0 || iv.Hi != 0 || iv.Excludes0() {
		t.Errorf("got %+v; want all zero", iv)
	}
}

func TestPairedBootstrapRejects(t *testing.T) {
	cases := []struct {
		name string
		a, b []float64
		r    int
	}{
		{"lengths", []float64{1}, []float64{1, 2}, 10},
		{"empty", nil, nil, 10},
		{"no resamples", []float64{1}, []float64{1}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := PairedBootstrap(c.a, c.b, c.r, 1); err == nil {
				t.Error("got no error; want one")
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	cases := []struct{ q, want float64 }{{0, 1}, {1, 5}, {0.5, 3}, {0.1, 1.4}, {0.975, 4.9}}
	for _, c := range cases {
		if got := quantile(s, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%v): got %v; want %v", c.q, got, c.want)
		}
	}
}

func TestValuesAligned(t *testing.T) {
	per := []Metrics{
		{Recall: 0.5, HasRepeat: true, RecallRepeat: 1},
		{Recall: 0.25, HasExplore: true, RecallExplore: 0.25},
	}
	if got := Values(per, MetricRecall); len(got) != 2 || got[0] != 0.5 || got[1] != 0.25 {
		t.Errorf("recall: got %v; want [0.5 0.25]", got)
	}
	if got := Values(per, MetricRecallRepeat); len(got) != 1 || got[0] != 1 {
		t.Errorf("repeat recall: got %v; want [1]", got)
	}
}
