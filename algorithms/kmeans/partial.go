package kmeans

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrMismatch is wrapped by the errors returned when partials, centroids and
// data do not belong together (different k, columns or scales).
var ErrMismatch = errors.New("mismatched k-means step")

// ErrOutOfBounds is wrapped by the error of Accumulate for a value larger in
// magnitude than the bound its Step was built with, and by the errors of Fit
// and NewStep for data so large (|x| around 1e154 and beyond) that squared
// distances overflow float64.
var ErrOutOfBounds = errors.New("value outside the bounds")

// Step is one distributed Lloyd iteration: the current centroids and the
// fixed-point scales derived from the global Bounds. Every partition
// accumulates against the same Step; the partials merge exactly.
type Step struct {
	c          Matrix
	bounds     Bounds
	exps       []int
	scales     []float64
	inertiaExp int
	inertiaSc  float64
}

// NewStep returns the step assigning points to centroids. bounds must be the
// merged Bounds of all the data (ComputeBounds merged over partitions).
func NewStep(centroids Matrix, bounds Bounds) (*Step, error) {
	if centroids.Rows < 1 || centroids.Cols < 1 || len(centroids.Data) != centroids.Rows*centroids.Cols {
		return nil, fmt.Errorf("%w: centroids %d×%d", ErrShape, centroids.Rows, centroids.Cols)
	}
	if len(bounds) != centroids.Cols {
		return nil, fmt.Errorf("%w: %d bounds for %d columns", ErrMismatch, len(bounds), centroids.Cols)
	}
	if err := centroids.Validate(); err != nil {
		return nil, fmt.Errorf("centroids: %w", err)
	}
	s := &Step{c: centroids, bounds: bounds, exps: make([]int, len(bounds)), scales: make([]float64, len(bounds))}
	for i, b := range bounds {
		s.exps[i] = scaleExp(b, 0)
		s.scales[i] = pow2(s.exps[i])
	}
	db := distBound(bounds, centroids)
	if math.IsInf(db, 0) {
		return nil, fmt.Errorf("%w: squared distances up to %v overflow float64; rescale the data", ErrOutOfBounds, db)
	}
	s.inertiaExp = scaleExp(db, 1)
	s.inertiaSc = pow2(s.inertiaExp)
	return s, nil
}

// distBound returns a bound on the squared distance between any point
// within bounds and any row of c.
func distBound(bounds Bounds, c Matrix) float64 {
	var d float64
	for i, b := range bounds {
		m := 0.0
		for j := 0; j < c.Rows; j++ {
			m = max(m, math.Abs(c.Data[j*c.Cols+i]))
		}
		d += (b + m) * (b + m)
	}
	return d * (1 + 1e-12)
}

// Centroids returns the step's centroids (not a copy: do not modify).
func (s *Step) Centroids() Matrix { return s.c }

// Accumulate assigns every row of part to its nearest centroid and returns
// the partition's exact partial sums.
func (s *Step) Accumulate(part Matrix) (Partial, error) {
	return s.AccumulateLabels(part, nil)
}

// AccumulateLabels is Accumulate that also writes each row's centroid index
// into labels when labels is not nil (len(labels) must be part.Rows).
func (s *Step) AccumulateLabels(part Matrix, labels []int32) (Partial, error) {
	if part.Cols != s.c.Cols && part.Rows > 0 {
		return Partial{}, fmt.Errorf("%w: %d columns; centroids have %d", ErrMismatch, part.Cols, s.c.Cols)
	}
	if labels != nil && len(labels) != part.Rows {
		return Partial{}, fmt.Errorf("%w: %d labels for %d rows", ErrShape, len(labels), part.Rows)
	}
	if err := checkBounds(part, s.bounds); err != nil {
		return Partial{}, err
	}
	a := newAccum(s)
	const chunk = 4096
	lab := make([]int32, min(chunk, part.Rows))
	d2 := make([]float64, min(chunk, part.Rows))
	for lo := 0; lo < part.Rows; lo += chunk {
		hi := min(lo+chunk, part.Rows)
		x := part.Slice(lo, hi)
		l := lab[:hi-lo]
		if labels != nil {
			l = labels[lo:hi]
		}
		nearest(x, s.c, l, d2[:hi-lo])
		a.add(x, l, d2[:hi-lo])
	}
	return a.partial(), nil
}

// checkBounds reports the first value of x beyond its column's bound.
func checkBounds(x Matrix, b Bounds) error {
	for k, v := range x.Data {
		if !(math.Abs(v) <= b[k%x.Cols]) {
			return fmt.Errorf("row %d, column %d: %v beyond %v: %w", k/x.Cols, k%x.Cols, v, b[k%x.Cols], ErrOutOfBounds)
		}
	}
	return nil
}

// Partial is the exact contribution of one partition to a Lloyd step: per
// centroid the fixed-point sums of its points and their count, the
// fixed-point inertia, and the partition's farthest points (used to re-seed
// empty clusters). Partials of one Step merge exactly: the merged value is
// the same whatever the partitioning and the merge order.
type Partial struct {
	K, Cols    int
	Exps       []int    // per column: Sums are in units of 2^-Exps[i]
	InertiaExp int      // Inertia is in units of 2^-InertiaExp
	Sums       []Int128 // K×Cols, row-major
	Counts     []int64  // K
	Inertia    Int128
	// Far holds up to K points farthest from their centroid, in the
	// canonical order of farLess (farthest first).
	Far []FarPoint
}

// FarPoint is a point with its squared distance to, and the index of, its
// nearest centroid.
type FarPoint struct {
	Dist2 float64
	Label int32
	Row   []float64
}

// farLess is the total order of far points: larger distance first, then the
// row's bit patterns in increasing order, then the label.
func farLess(a, b *FarPoint) bool {
	if a.Dist2 != b.Dist2 {
		return a.Dist2 > b.Dist2
	}
	for i := range a.Row {
		x, y := math.Float64bits(a.Row[i]), math.Float64bits(b.Row[i])
		if x != y {
			return x < y
		}
	}
	return a.Label < b.Label
}

// InertiaValue returns the partial's inertia (sum of squared distances of
// its points to their centroids) as a float64.
func (p Partial) InertiaValue() float64 { return fixedValue(p.Inertia, p.InertiaExp) }

// MergePartials returns the exact sum of partials of the same Step.
func MergePartials(ps ...Partial) (Partial, error) {
	if len(ps) == 0 {
		return Partial{}, fmt.Errorf("%w: no partials", ErrMismatch)
	}
	for i, p := range ps {
		if p.K < 1 || p.Cols < 1 || len(p.Exps) != p.Cols || len(p.Sums) != p.K*p.Cols || len(p.Counts) != p.K || len(p.Far) > p.K {
			return Partial{}, fmt.Errorf("%w: partial %d is malformed (k %d, %d columns, %d exponents, %d sums, %d counts, %d far points)",
				ErrMismatch, i, p.K, p.Cols, len(p.Exps), len(p.Sums), len(p.Counts), len(p.Far))
		}
		for _, f := range p.Far {
			if f.Label < 0 || int(f.Label) >= p.K || len(f.Row) != p.Cols {
				return Partial{}, fmt.Errorf("%w: partial %d has a far point with label %d and %d values", ErrMismatch, i, f.Label, len(f.Row))
			}
		}
	}
	out := ps[0].clone()
	for _, p := range ps[1:] {
		if p.K != out.K || p.Cols != out.Cols || p.InertiaExp != out.InertiaExp || !slices.Equal(p.Exps, out.Exps) {
			return Partial{}, fmt.Errorf("%w: partials of different steps", ErrMismatch)
		}
		for i := range out.Sums {
			out.Sums[i] = out.Sums[i].Add(p.Sums[i])
		}
		for j := range out.Counts {
			out.Counts[j] += p.Counts[j]
		}
		out.Inertia = out.Inertia.Add(p.Inertia)
		out.Far = mergeFar(out.Far, p.Far, out.K)
	}
	return out, nil
}

func (p Partial) clone() Partial {
	q := p
	q.Exps = slices.Clone(p.Exps)
	q.Sums = slices.Clone(p.Sums)
	q.Counts = slices.Clone(p.Counts)
	q.Far = slices.Clone(p.Far)
	return q
}

// mergeFar merges two lists sorted by farLess and keeps the first k.
func mergeFar(a, b []FarPoint, k int) []FarPoint {
	out := make([]FarPoint, 0, min(k, len(a)+len(b)))
	i, j := 0, 0
	for len(out) < k && (i < len(a) || j < len(b)) {
		if j >= len(b) || (i < len(a) && !farLess(&b[j], &a[i])) {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}
