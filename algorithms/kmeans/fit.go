package kmeans

import (
	"fmt"
	"math"
)

// Result is the outcome of Fit.
type Result struct {
	K         int
	Centroids Matrix  // K×Cols
	Labels    []int32 // per row, the index of its nearest final centroid
	// Inertia is Σ‖x − c_label‖² over all rows for the final centroids,
	// accumulated exactly in fixed point.
	Inertia float64
	// Iterations is the number of centroid updates of the kept run.
	Iterations int
	// Converged reports whether the kept run stopped by Tol rather than by
	// MaxIter.
	Converged bool
}

// Fit clusters the rows of x into opt.K clusters. See the package
// documentation for the algorithms, the exactness guarantee and
// determinism.
func Fit(x Matrix, opt Options) (Result, error) {
	if err := x.Validate(); err != nil {
		return Result{}, err
	}
	o, err := opt.withDefaults(x)
	if err != nil {
		return Result{}, err
	}
	if x.Rows < o.K {
		return Result{}, fmt.Errorf("%w: k = %d, %d rows", ErrTooFewDistinct, o.K, x.Rows)
	}
	bounds := parallelBounds(x, o.Workers)
	if db := distBound(bounds, Matrix{Rows: 1, Cols: x.Cols, Data: bounds}); math.IsInf(db, 0) {
		return Result{}, fmt.Errorf("%w: squared distances up to %v overflow float64; rescale the data", ErrOutOfBounds, db)
	}
	tolAbs := 0.0
	if o.Tol > 0 {
		tolAbs = o.Tol * parallelMoments(x, bounds, o.Workers).MeanVariance()
	}
	if o.Init == Given {
		if n := countDistinct(x, o.K); n < o.K {
			return Result{}, fmt.Errorf("%w: k = %d, %d distinct rows", ErrTooFewDistinct, o.K, n)
		}
	}
	var best Result
	for r := 0; r < o.NInit; r++ {
		seed := DeriveSeed(o.Seed, r)
		c, err := initCentroids(x, bounds, o, seed)
		if err != nil {
			return Result{}, err
		}
		var res Result
		if o.Algorithm == Lloyd {
			res, err = runLloyd(x, bounds, c, o, tolAbs)
		} else {
			res, err = runHamerly(x, bounds, c, o, tolAbs)
		}
		if err != nil {
			return Result{}, err
		}
		if r == 0 || res.Inertia < best.Inertia {
			best = res
		}
	}
	return best, nil
}

// initCentroids seeds one run.
func initCentroids(x Matrix, bounds Bounds, o Options, seed uint64) (Matrix, error) {
	switch o.Init {
	case Given:
		return o.Centroids.Clone(), nil
	case KMeansParallel:
		parts := make([]*SeedPart, numChunks(x.Rows))
		for c := range parts {
			lo, hi := c*chunkRows, min(x.Rows, (c+1)*chunkRows)
			parts[c] = NewSeedPartRange(x.Slice(lo, hi), int64(lo))
		}
		c, err := seedParallel(parts, bounds, o, seed)
		if err != nil {
			return Matrix{}, fmt.Errorf("k-means|| with k = %d: %w", o.K, err)
		}
		return c, nil
	default:
		c, err := plusPlus(x, nil, o.K, o.Trials, o.Workers, newRand(seed, 1))
		if err != nil {
			return Matrix{}, fmt.Errorf("k-means++ with k = %d: %w", o.K, err)
		}
		return c, nil
	}
}

// parallelBounds computes the bounds of x chunk by chunk.
func parallelBounds(x Matrix, workers int) Bounds {
	per := make([]Bounds, numChunks(x.Rows))
	forChunks(x.Rows, workers, func(_, c, lo, hi int) { per[c] = ComputeBounds(x.Slice(lo, hi)) })
	b := make(Bounds, x.Cols)
	for _, p := range per {
		b = b.Merge(p)
	}
	return b
}

// parallelMoments computes the exact moments of x chunk by chunk.
func parallelMoments(x Matrix, bounds Bounds, workers int) Moments {
	per := make([]Moments, numChunks(x.Rows))
	forChunks(x.Rows, workers, func(_, c, lo, hi int) { per[c] = NewMoments(x.Slice(lo, hi), bounds) })
	m := per[0]
	for _, p := range per[1:] {
		m, _ = m.Merge(p) // same bounds: cannot fail
	}
	return m
}

// countDistinct counts the distinct rows of x (by value; -0 equals 0), up
// to limit.
func countDistinct(x Matrix, limit int) int {
	seen := make(map[uint64][]int)
	n := 0
	key := func(r []float64) uint64 {
		h := uint64(0)
		for _, v := range r {
			if v == 0 {
				v = 0
			}
			h = mix(h, math.Float64bits(v), 1)
		}
		return h
	}
	for i := 0; i < x.Rows && n < limit; i++ {
		r := x.Row(i)
		h := key(r)
		dup := false
		for _, j := range seen[h] {
			if dist2(x.Row(j), r) == 0 {
				dup = true
				break
			}
		}
		if !dup {
			seen[h] = append(seen[h], i)
			n++
		}
	}
	return n
}

// lloydPass assigns every row to its nearest centroid of step, writing
// labels, and returns the merged accumulator.
func lloydPass(x Matrix, step *Step, labels []int32, workers int) *accum {
	workers = max(1, min(workers, numChunks(x.Rows)))
	accs := make([]*accum, workers)
	scratch := make([][]float64, workers)
	for w := range accs {
		accs[w] = newAccum(step)
		scratch[w] = make([]float64, chunkRows)
	}
	forChunks(x.Rows, workers, func(w, _, lo, hi int) {
		part := x.Slice(lo, hi)
		d2 := scratch[w][:hi-lo]
		nearest(part, step.c, labels[lo:hi], d2)
		accs[w].add(part, labels[lo:hi], d2)
	})
	for _, a := range accs[1:] {
		accs[0].merge(a)
	}
	return accs[0]
}

// runLloyd runs plain Lloyd iterations from c.
func runLloyd(x Matrix, bounds Bounds, c Matrix, o Options, tolAbs float64) (Result, error) {
	labels := make([]int32, x.Rows)
	res := Result{K: o.K, Labels: labels}
	var last *accum
	shift := math.Inf(1)
	for it := 1; it <= o.MaxIter; it++ {
		step, err := NewStep(c, bounds)
		if err != nil {
			return Result{}, err
		}
		last = lloydPass(x, step, labels, o.Workers)
		c, shift = centroidsFrom(last.sums, last.counts, last.far, last.exps, last.scales, c)
		res.Iterations = it
		if shift <= tolAbs {
			res.Converged = true
			break
		}
	}
	if last == nil || shift != 0 {
		step, err := NewStep(c, bounds)
		if err != nil {
			return Result{}, err
		}
		last = lloydPass(x, step, labels, o.Workers)
	}
	res.Centroids = c
	res.Inertia = fixedValue(last.inertia, last.inertiaExp)
	return res, nil
}
