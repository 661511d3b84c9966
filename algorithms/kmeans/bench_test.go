package kmeans

import (
	"math/rand/v2"
	"testing"
)

// benchData is the quarry-bench workload: 1,000,000 × 8 Gaussian blobs and
// 16 starting centroids drawn from the data.
func benchData() (Matrix, Matrix) {
	r := rand.New(rand.NewPCG(2024, 1))
	x := blobs(r, 1_000_000, 8, 16, 2, 0)
	c := Matrix{Rows: 16, Cols: 8, Data: make([]float64, 16*8)}
	for j := 0; j < 16; j++ {
		copy(c.Row(j), x.Row(r.IntN(x.Rows)))
	}
	return x, c
}

func benchFit(b *testing.B, alg Algorithm) {
	x, c := benchData()
	o := Options{K: 16, Init: Given, Centroids: c, MaxIter: 20, Algorithm: alg}
	b.ResetTimer()
	iters := 0
	for b.Loop() {
		res, err := Fit(x, o)
		if err != nil {
			b.Fatal(err)
		}
		iters += res.Iterations
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(iters), "ms/iter")
}

// BenchmarkLloyd1Mx8k16 is 20 plain Lloyd iterations (the bench case).
func BenchmarkLloyd1Mx8k16(b *testing.B) { benchFit(b, Lloyd) }

// BenchmarkHamerly1Mx8k16 is the same run with Hamerly's kernel.
func BenchmarkHamerly1Mx8k16(b *testing.B) { benchFit(b, Hamerly) }

// BenchmarkPassExact is one full Lloyd pass with exact fixed-point sums.
func BenchmarkPassExact(b *testing.B) {
	x, c := benchData()
	step, _ := NewStep(c, ComputeBounds(x))
	labels := make([]int32, x.Rows)
	for b.Loop() {
		lloydPass(x, step, labels, 0)
	}
}

// BenchmarkPassAssignOnly is the assignment of one pass without any
// accumulation: the difference to BenchmarkPassExact is the cost of exact
// sums, inertia and the far list.
func BenchmarkPassAssignOnly(b *testing.B) {
	x, c := benchData()
	labels := make([]int32, x.Rows)
	for b.Loop() {
		forChunks(x.Rows, 2, func(_, _, lo, hi int) {
			var d2 [chunkRows]float64
			nearest(x.Slice(lo, hi), c, labels[lo:hi], d2[:hi-lo])
		})
	}
}

// BenchmarkPassFloatSums is the assignment plus plain float64 sums (not
// order-independent), for comparison with the exact accumulation.
func BenchmarkPassFloatSums(b *testing.B) {
	x, c := benchData()
	labels := make([]int32, x.Rows)
	for b.Loop() {
		forChunks(x.Rows, 2, func(_, _, lo, hi int) {
			var d2 [chunkRows]float64
			sums := make([]float64, 16*8)
			nearest(x.Slice(lo, hi), c, labels[lo:hi], d2[:hi-lo])
			for p, l := range labels[lo:hi] {
				row := x.Row(lo + p)
				for i, v := range row {
					sums[int(l)*8+i] += v
				}
			}
		})
	}
}

func BenchmarkKMeansPlusPlus1Mx8k16(b *testing.B) {
	x, _ := benchData()
	for b.Loop() {
		if _, err := Fit(x, Options{K: 16, MaxIter: 1, Algorithm: Lloyd}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKMeansParallel1Mx8k16(b *testing.B) {
	x, _ := benchData()
	for b.Loop() {
		if _, err := Fit(x, Options{K: 16, Init: KMeansParallel, MaxIter: 1, Algorithm: Lloyd}); err != nil {
			b.Fatal(err)
		}
	}
}
