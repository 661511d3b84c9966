package kmeans

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestLloydMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 1500; trial++ {
		n, d, k := 1+r.IntN(40), 1+r.IntN(9), 1+r.IntN(6)
		x := blobs(r, n, d, 1+r.IntN(4), 0.5+r.Float64()*3, []float64{0, 0, 0.5, 1}[r.IntN(4)])
		if countDistinct(x, k) < k {
			continue
		}
		init := Matrix{Rows: k, Cols: d, Data: slices.Clone(x.Data[:k*d])}
		wantC, wantL, wantIt := bruteLloyd(x, init, 50)
		for _, alg := range []Algorithm{Lloyd, Hamerly} {
			got := mustFit(t, x, Options{K: k, Init: Given, Centroids: init, MaxIter: 50, Algorithm: alg, Workers: 1 + r.IntN(3)})
			if !sameBits(got.Centroids.Data, wantC.Data) || !slices.Equal(got.Labels, wantL) || got.Iterations != wantIt {
				t.Fatalf("trial %d alg %d (n=%d d=%d k=%d): got %v %v it %d; want %v %v it %d", trial, alg, n, d, k,
					got.Centroids.Data, got.Labels, got.Iterations, wantC.Data, wantL, wantIt)
			}
			inertia := 0.0
			for p := 0; p < n; p++ {
				inertia += dist2(x.Row(p), got.Centroids.Row(int(got.Labels[p])))
			}
			if math.Abs(inertia-got.Inertia) > 1e-9*(1+inertia) {
				t.Fatalf("trial %d: inertia got %v; want %v", trial, got.Inertia, inertia)
			}
		}
	}
}

func TestHamerlyEqualsLloyd(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for _, tc := range []struct{ n, d, k int }{{3000, 8, 16}, {2000, 3, 7}, {1500, 13, 5}, {2500, 2, 30}} {
		t.Run(fmt.Sprintf("n%d_d%d_k%d", tc.n, tc.d, tc.k), func(t *testing.T) {
			x := blobs(r, tc.n, tc.d, tc.k/2+1, 2, 0)
			for _, init := range []Init{KMeansPlusPlus, KMeansParallel} {
				o := Options{K: tc.k, Init: init, Seed: 7, Algorithm: Lloyd}
				want := mustFit(t, x, o)
				o.Algorithm = Hamerly
				sameResult(t, "hamerly", mustFit(t, x, o), want)
			}
		})
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	x := blobs(r, 40000, 8, 10, 3, 0) // several chunks
	for _, init := range []Init{KMeansPlusPlus, KMeansParallel} {
		for _, alg := range []Algorithm{Lloyd, Hamerly} {
			o := Options{K: 12, Init: init, Algorithm: alg, Seed: 42, Tol: 1e-4, Workers: 1}
			want := mustFit(t, x, o)
			for _, w := range []int{2, 4} {
				o.Workers = w
				sameResult(t, fmt.Sprintf("init %d alg %d workers %d", init, alg, w), mustFit(t, x, o), want)
			}
		}
	}
}

func TestEmptyClusterReseeded(t *testing.T) {
	// Two far groups; the third centroid starts far from every point and
	// gets nothing in the first assignment.
	x, _ := NewMatrix([][]float64{{0, 0}, {0, 1}, {1, 0}, {10, 10}, {10, 11}, {11, 10}, {30, 30}})
	init, _ := NewMatrix([][]float64{{0, 0}, {10, 10}, {-100, -100}})
	for _, alg := range []Algorithm{Lloyd, Hamerly} {
		got := mustFit(t, x, Options{K: 3, Init: Given, Centroids: init, Algorithm: alg})
		if c := got.Centroids.Row(2); c[0] != 30 || c[1] != 30 {
			t.Fatalf("alg %d: empty cluster's centroid got %v; want [30 30] (the farthest point)", alg, c)
		}
		if got.Labels[6] != 2 {
			t.Fatalf("alg %d: label of the far point got %d; want 2", alg, got.Labels[6])
		}
	}
}

func TestErrors(t *testing.T) {
	x, _ := NewMatrix([][]float64{{1, 2}, {1, 2}, {3, 4}})
	for _, tc := range []struct {
		name string
		o    Options
		want error
	}{
		{"k0", Options{K: 0}, ErrOptions},
		{"too many distinct pp", Options{K: 3}, ErrTooFewDistinct},
		{"too many distinct par", Options{K: 3, Init: KMeansParallel}, ErrTooFewDistinct},
		{"too many rows", Options{K: 4}, ErrTooFewDistinct},
		{"negative tol", Options{K: 2, Tol: -1}, ErrOptions},
		{"given shape", Options{K: 2, Init: Given, Centroids: Matrix{Rows: 1, Cols: 2, Data: []float64{0, 0}}}, ErrOptions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Fit(x, tc.o); !errors.Is(err, tc.want) {
				t.Fatalf("got %v; want %v", err, tc.want)
			}
		})
	}
	if _, err := Fit(x, Options{K: 2}); err != nil {
		t.Fatalf("k=2 on 2 distinct points: got %v; want nil", err)
	}
}

func TestNaNRejected(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, err := NewMatrix([][]float64{{1, 2, 3}, {4, v, 6}})
		if !errors.Is(err, ErrNotFinite) {
			t.Fatalf("got %v; want ErrNotFinite", err)
		}
		if want := "row 1, column 1"; err == nil || !contains(err.Error(), want) {
			t.Fatalf("got %v; want a message naming %q", err, want)
		}
		x := Matrix{Rows: 1, Cols: 2, Data: []float64{v, 0}}
		if _, err := Fit(x, Options{K: 1}); !errors.Is(err, ErrNotFinite) {
			t.Fatalf("Fit: got %v; want ErrNotFinite", err)
		}
	}
	if _, err := NewMatrix([][]float64{{1, 2}, {3}}); !errors.Is(err, ErrShape) {
		t.Fatalf("ragged: got %v; want ErrShape", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestConvergesAndRecoversBlobs(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	x := blobs(r, 5000, 4, 5, 0.1, 0)
	res := mustFit(t, x, DefaultOptions(5))
	if !res.Converged {
		t.Fatalf("converged got false after %d iterations; want true", res.Iterations)
	}
	if want := 5000 * 4 * 0.01 * 1.2; res.Inertia > want {
		t.Fatalf("inertia got %v; want below %v (well-separated blobs)", res.Inertia, want)
	}
}

func TestFitRejectsOverflowingDistances(t *testing.T) {
	// Squared distances of 1e200-sized values overflow float64: Fit used to
	// assign by +Inf ties (labels [0 0 0 1], centroid 3.7e199) and report a
	// negative inertia.
	x, err := NewMatrix([][]float64{{1e200}, {1.1e200}, {-1e200}, {-1.1e200}})
	if err != nil {
		t.Fatal(err)
	}
	for _, init := range []Init{KMeansPlusPlus, KMeansParallel} {
		if res, err := Fit(x, Options{K: 2, Init: init, Seed: 1}); !errors.Is(err, ErrOutOfBounds) {
			t.Errorf("init %d: got %+v, error %v; want ErrOutOfBounds", init, res, err)
		}
	}
	if _, err := NewStep(Matrix{Rows: 1, Cols: 1, Data: []float64{1e200}}, Bounds{1e200}); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("NewStep: got error %v; want ErrOutOfBounds", err)
	}
}
