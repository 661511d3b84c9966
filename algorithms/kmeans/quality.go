package kmeans

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Silhouette returns the mean silhouette coefficient of the clustering
// labels of x, computed exactly over a sample of sampleSize rows drawn
// without replacement with seed (all rows when sampleSize <= 0 or >=
// x.Rows). For a sampled row i, a is the mean distance to the other sampled
// rows of its cluster, b the smallest mean distance to the sampled rows of
// another cluster, and s = (b−a)/max(a, b); a row alone in its cluster in
// the sample scores 0, as in scikit-learn. It returns 0 when the sample
// holds fewer than two clusters.
func Silhouette(x Matrix, labels []int32, sampleSize int, seed uint64) float64 {
	idx := sampleRows(x.Rows, sampleSize, seed)
	k := 0
	for _, i := range idx {
		k = max(k, int(labels[i])+1)
	}
	size := make([]int, k)
	for _, i := range idx {
		size[labels[i]]++
	}
	present := 0
	for _, s := range size {
		if s > 0 {
			present++
		}
	}
	if present < 2 {
		return 0
	}
	sum := make([]float64, k)
	total := 0.0
	for _, i := range idx {
		clear(sum)
		xi := x.Row(i)
		for _, j := range idx {
			if j != i {
				sum[labels[j]] += math.Sqrt(dist2(xi, x.Row(j)))
			}
		}
		own := labels[i]
		if size[own] <= 1 {
			continue
		}
		a := sum[own] / float64(size[own]-1)
		b := math.Inf(1)
		for c, s := range sum {
			if int32(c) != own && size[c] > 0 {
				b = min(b, s/float64(size[c]))
			}
		}
		if m := max(a, b); m > 0 {
			total += (b - a) / m
		}
	}
	return total / float64(len(idx))
}

// sampleRows returns sampleSize distinct row indices of [0, n) in increasing
// order, chosen with seed; all of them when sampleSize <= 0 or >= n.
func sampleRows(n, sampleSize int, seed uint64) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if sampleSize <= 0 || sampleSize >= n {
		return idx
	}
	r := newRand(seed, 3)
	for i := 0; i < sampleSize; i++ {
		j := i + r.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	idx = idx[:sampleSize]
	slices.Sort(idx)
	return idx
}

// Score is one k tried by AutoK.
type Score struct {
	K          int
	Silhouette float64
	Inertia    float64
}

// AutoSample is the number of rows on which AutoK computes silhouettes.
const AutoSample = 3000

// AutoK fits k = kMin … kMax (with opt for everything but K) and returns the
// fit with the highest silhouette on a sample of AutoSample rows (ties: the
// smaller k) with the scores of every k tried. The scan stops early when k
// exceeds the number of distinct points.
func AutoK(x Matrix, kMin, kMax int, opt Options) (Result, []Score, error) {
	if kMin < 2 || kMax < kMin {
		return Result{}, nil, fmt.Errorf("%w: k range [%d, %d]", ErrOptions, kMin, kMax)
	}
	var best Result
	var scores []Score
	bestS := math.Inf(-1)
	for k := kMin; k <= kMax; k++ {
		o := opt
		o.K = k
		res, err := Fit(x, o)
		if errors.Is(err, ErrTooFewDistinct) && len(scores) > 0 {
			break
		}
		if err != nil {
			return Result{}, scores, err
		}
		s := Silhouette(x, res.Labels, AutoSample, opt.Seed)
		scores = append(scores, Score{K: k, Silhouette: s, Inertia: res.Inertia})
		if s > bestS {
			best, bestS = res, s
		}
	}
	return best, scores, nil
}
